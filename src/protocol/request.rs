//! What a request payload asks for (docs/protocol.md §3).
//!
//! The payload is classified by its first tag, anchored at the start after
//! leading whitespace (the real server matches anywhere, so an argument
//! containing a shutdown tag would end its session; we do not copy that).
//!
//! Argument values may be passwords: `Debug` never shows them, and
//! [`RawArgs`] wipes them when dropped.

use std::fmt;

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::secrets::{wipe, Redacted};

/// One classified request. `Debug` shows no argument or attribute value.
#[derive(Clone, PartialEq)]
pub enum Request {
    /// `<cpaneljson enable="1">`: switch the session to JSON replies.
    JsonSwitch,
    /// `<cpanelxml shutdown="1" />`: end the session.
    Shutdown,
    /// `<cpanelaction>JSON</cpanelaction>`: an API call.
    Action(Action),
    /// `<cpanelaction>` whose JSON is empty or not an object (PHP sends an
    /// empty one when `json_encode` fails).
    UnparsableAction,
    /// `<cpanel print="$var">` and other legacy tags, as attribute pairs.
    Tag(Vec<(String, String)>),
    /// Anything else.
    NoValidCommand,
}

/// The request type of a `<cpanelaction>`.
#[derive(Debug, Clone, PartialEq)]
pub enum ReqType {
    Exec,
    If,
    Feature,
    Other(String),
}

/// Which API an `exec` action targets.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiVersion {
    Uapi,
    Api2,
    Api1,
    Unknown(String),
}

/// The `args` member as it arrived. `Debug` shows names only; every string
/// is wiped on drop (one is usually a password).
#[derive(Clone, PartialEq)]
pub enum RawArgs {
    /// Absent, `null`: no arguments.
    None,
    Object(Map<String, Value>),
    Array(Vec<Value>),
    /// A bare string: API1 `cpanelprint`, `if` and `feature` expressions.
    String(String),
    /// A number or boolean where arguments were expected.
    Scalar(Value),
}

/// A parsed `<cpanelaction>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub reqtype: ReqType,
    pub module: String,
    pub func: String,
    pub apiversion: ApiVersion,
    pub args: RawArgs,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::JsonSwitch => f.write_str("JsonSwitch"),
            Request::Shutdown => f.write_str("Shutdown"),
            Request::Action(action) => f.debug_tuple("Action").field(action).finish(),
            Request::UnparsableAction => f.write_str("UnparsableAction"),
            // A legacy tag's attributes can carry call arguments.
            Request::Tag(attributes) => f
                .debug_tuple("Tag")
                .field(&NamesOnly(attributes.iter().map(|(name, _)| name.as_str())))
                .finish(),
            Request::NoValidCommand => f.write_str("NoValidCommand"),
        }
    }
}

impl fmt::Debug for RawArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawArgs::None => f.write_str("None"),
            RawArgs::Object(map) => f
                .debug_tuple("Object")
                .field(&NamesOnly(map.keys().map(String::as_str)))
                .finish(),
            RawArgs::Array(list) => write!(f, "Array([<{} redacted>])", list.len()),
            RawArgs::String(_) => f.debug_tuple("String").field(&Redacted).finish(),
            RawArgs::Scalar(_) => f.debug_tuple("Scalar").field(&Redacted).finish(),
        }
    }
}

impl Drop for RawArgs {
    fn drop(&mut self) {
        match self {
            RawArgs::None => {}
            RawArgs::Object(map) => map.values_mut().for_each(wipe),
            RawArgs::Array(list) => list.iter_mut().for_each(wipe),
            RawArgs::String(s) => s.zeroize(),
            RawArgs::Scalar(value) => wipe(value),
        }
    }
}

/// `{name: <redacted>, ...}` for `Debug`.
struct NamesOnly<I>(I);

impl<'a, I: Iterator<Item = &'a str> + Clone> fmt::Debug for NamesOnly<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.clone().map(|name| (name, Redacted)))
            .finish()
    }
}

impl Request {
    /// Classifies one payload. Never fails: what cannot be understood is a
    /// request that gets an error reply.
    pub fn parse(payload: &[u8]) -> Request {
        // The payload may hold a password: the decoded copy is wiped on drop.
        let decoded = Zeroizing::new(decode_text(payload));
        let text = decoded.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(rest) = strip_tag(text, "cpanelxml") {
            if attributes(rest)
                .iter()
                .any(|(k, v)| k == "shutdown" && v == "1")
            {
                return Request::Shutdown;
            }
            return Request::NoValidCommand;
        }
        if let Some(rest) = strip_tag(text, "cpaneljson") {
            if attributes(rest)
                .iter()
                .any(|(k, v)| k == "enable" && v == "1")
            {
                return Request::JsonSwitch;
            }
            return Request::NoValidCommand;
        }
        if strip_tag(text, "cpanelaction").is_some() {
            return parse_action(text);
        }
        if let Some(rest) = strip_tag(text, "cpanel") {
            return Request::Tag(attributes(rest));
        }
        Request::NoValidCommand
    }
}

/// UTF-8, or Latin-1 for the whole payload when it is not valid UTF-8 (the
/// official Perl client sends U+0080–U+00FF as single bytes).
fn decode_text(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(s) => s.to_owned(),
        Err(_) => payload.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The text after `<name` when the payload opens with that tag name.
fn strip_tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let rest = text.strip_prefix('<')?.strip_prefix(name)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_ascii_whitespace() || c == '>' || c == '/' => Some(rest),
        _ => None,
    }
}

/// `a="1" b='x' c=y` up to the tag's end, names lowercased.
fn attributes(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() || s.starts_with('>') || s.starts_with('/') {
            return out;
        }
        let name_end = s
            .find(|c: char| c == '=' || c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        s = s[name_end..].trim_start();
        let Some(after_eq) = s.strip_prefix('=') else {
            out.push((name, String::new()));
            continue;
        };
        s = after_eq.trim_start();
        let value;
        if let Some(quote) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let body = &s[1..];
            let end = body.find(quote).unwrap_or(body.len());
            value = body[..end].to_owned();
            s = body.get(end + 1..).unwrap_or("");
        } else {
            let end = s
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(s.len());
            value = s[..end].to_owned();
            s = &s[end..];
        }
        out.push((name, value));
    }
}

fn parse_action(text: &str) -> Request {
    let (Some(open_end), Some(close)) = (text.find('>'), text.rfind("</cpanelaction>")) else {
        return Request::NoValidCommand;
    };
    if close < open_end {
        return Request::NoValidCommand;
    }
    let body = text[open_end + 1..close].trim_matches(|c: char| c.is_ascii_whitespace());
    let mut object = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(object)) => object,
        Ok(mut other) => {
            wipe(&mut other);
            return Request::UnparsableAction;
        }
        Err(_) => return Request::UnparsableAction,
    };
    let reqtype = match scalar_text(object.get("reqtype"))
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "exec" => ReqType::Exec,
        "if" => ReqType::If,
        "feature" => ReqType::Feature,
        other => ReqType::Other(other.to_owned()),
    };
    let apiversion = match scalar_text(object.get("apiversion"))
        .to_ascii_lowercase()
        .as_str()
    {
        "uapi" | "3" => ApiVersion::Uapi,
        "2" => ApiVersion::Api2,
        "1" => ApiVersion::Api1,
        other => ApiVersion::Unknown(other.to_owned()),
    };
    let args = match object.remove("args") {
        None | Some(Value::Null) => RawArgs::None,
        Some(Value::Object(map)) => RawArgs::Object(map),
        Some(Value::Array(list)) => RawArgs::Array(list),
        Some(Value::String(s)) => RawArgs::String(s),
        Some(other) => RawArgs::Scalar(other),
    };
    let action = Action {
        reqtype,
        module: scalar_text(object.get("module")),
        func: scalar_text(object.get("func")),
        apiversion,
        args,
    };
    // The members left (module, func, ...) may hold anything a client sent.
    object.values_mut().for_each(wipe);
    Request::Action(action)
}

/// A JSON scalar as text: strings as they are, numbers in their JSON form,
/// booleans as `1`/`0`, null and containers as empty.
pub fn scalar_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "1" } else { "0" }.to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(payload: &str) -> Action {
        match Request::parse(payload.as_bytes()) {
            Request::Action(a) => a,
            other => panic!("not an action: {other:?}"),
        }
    }

    #[test]
    fn classifies_the_fixed_tags() {
        assert_eq!(
            Request::parse(b"<cpaneljson enable=\"1\">"),
            Request::JsonSwitch
        );
        assert_eq!(
            Request::parse(b"<cpanelxml shutdown=\"1\" />"),
            Request::Shutdown
        );
        assert_eq!(
            Request::parse(b"  \n<cpanelxml shutdown='1'/>"),
            Request::Shutdown
        );
        assert_eq!(Request::parse(b"hello"), Request::NoValidCommand);
        assert_eq!(
            Request::parse(b"<cpanelxmlx shutdown=\"1\">"),
            Request::NoValidCommand
        );
        assert_eq!(
            Request::parse(b"<cpanel print=\"$homedir\">"),
            Request::Tag(vec![("print".into(), "$homedir".into())])
        );
    }

    #[test]
    fn a_shutdown_inside_an_argument_is_just_an_argument() {
        let a = action(
            r#"<cpanelaction>{"module":"Email","func":"f","apiversion":3,"args":{"s":"<cpanelxml shutdown='1' />"}}</cpanelaction>"#,
        );
        assert_eq!(
            a.args,
            RawArgs::Object(
                json!({"s": "<cpanelxml shutdown='1' />"})
                    .as_object()
                    .unwrap()
                    .clone()
            )
        );
    }

    #[test]
    fn parses_any_key_order_and_apiversion_form() {
        let a = action("<cpanelaction>\n{\"apiversion\":3,\"func\":\"passwd_pop\",\"module\":\"Email\"}\n</cpanelaction>");
        assert_eq!(
            (a.module.as_str(), a.func.as_str()),
            ("Email", "passwd_pop")
        );
        assert_eq!(a.apiversion, ApiVersion::Uapi);
        assert_eq!(a.reqtype, ReqType::Exec);
        assert_eq!(a.args, RawArgs::None);
        assert_eq!(
            action(r#"<cpanelaction>{"apiversion":"UAPI"}</cpanelaction>"#).apiversion,
            ApiVersion::Uapi
        );
        assert_eq!(
            action(r#"<cpanelaction>{"apiversion":2}</cpanelaction>"#).apiversion,
            ApiVersion::Api2
        );
        assert_eq!(
            action(r#"<cpanelaction>{"apiversion":"1"}</cpanelaction>"#).apiversion,
            ApiVersion::Api1
        );
        assert_eq!(
            action(r#"<cpanelaction>{"apiversion":""}</cpanelaction>"#).apiversion,
            ApiVersion::Unknown(String::new())
        );
    }

    #[test]
    fn args_in_every_form() {
        assert_eq!(
            action(r#"<cpanelaction>{"args":null}</cpanelaction>"#).args,
            RawArgs::None
        );
        assert_eq!(
            action(r#"<cpanelaction>{"args":["cow"]}</cpanelaction>"#).args,
            RawArgs::Array(vec![json!("cow")])
        );
        assert_eq!(
            action(r#"<cpanelaction>{"args":"$homedir"}</cpanelaction>"#).args,
            RawArgs::String("$homedir".into())
        );
        assert_eq!(
            action(r#"<cpanelaction>{"args":5}</cpanelaction>"#).args,
            RawArgs::Scalar(json!(5))
        );
    }

    #[test]
    fn empty_or_broken_json_is_unparsable_not_fatal() {
        assert_eq!(
            Request::parse(b"<cpanelaction>\n\n</cpanelaction>"),
            Request::UnparsableAction
        );
        assert_eq!(
            Request::parse(b"<cpanelaction>[1]</cpanelaction>"),
            Request::UnparsableAction
        );
        assert_eq!(
            Request::parse(b"<cpanelaction>{\"a\":</cpanelaction>"),
            Request::UnparsableAction
        );
        assert_eq!(Request::parse(b"<cpanelaction>{}"), Request::NoValidCommand);
    }

    #[test]
    fn debug_output_never_shows_an_argument_value() {
        let secret = "Sup3r-Secret-Pw";
        let payloads = [
            format!(
                r#"<cpanelaction>{{"module":"Email","func":"passwd_pop","apiversion":3,"args":{{"email":"user","password":"{secret}","pass":"{secret}","secret":"{secret}","token":"{secret}","password_hash":"{secret}","new_password":"{secret}"}}}}</cpanelaction>"#
            ),
            format!(
                r#"<cpanelaction>{{"apiversion":1,"func":"passwdpop","args":["user","{secret}"]}}</cpanelaction>"#
            ),
            format!(r#"<cpanelaction>{{"reqtype":"if","args":"{secret}"}}</cpanelaction>"#),
            format!(
                r#"<cpanelaction>{{"args":{{"password":["{secret}",{{"x":"{secret}"}}]}}}}</cpanelaction>"#
            ),
            format!(r#"<cpanel print="{secret}" password="{secret}">"#),
        ];
        for payload in &payloads {
            let request = Request::parse(payload.as_bytes());
            assert!(
                !matches!(request, Request::NoValidCommand | Request::UnparsableAction),
                "{payload}"
            );
            for shown in [format!("{request:?}"), format!("{request:#?}")] {
                assert!(!shown.contains(secret), "{shown}");
                assert!(!shown.contains("Secret"), "{shown}");
            }
            if let Request::Action(action) = &request {
                let shown = format!("{action:?} {:?}", action.args);
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        let shown = format!("{:?}", action(&payloads[0]));
        assert!(
            shown.contains("\"password\": <redacted>"),
            "names stay: {shown}"
        );
        assert!(shown.contains("passwd_pop"), "{shown}");
        assert!(!format!("{:?}", RawArgs::Scalar(json!(123456789))).contains("123456789"));
    }

    #[test]
    fn latin1_payloads_decode_per_byte() {
        let a = action("<cpanelaction>{\"args\":{\"s\":\"caf\u{e9}\"}}</cpanelaction>");
        let latin1: Vec<u8> = "<cpanelaction>{\"args\":{\"s\":\"caf\u{e9}\"}}</cpanelaction>"
            .chars()
            .map(|c| c as u8)
            .collect();
        assert_eq!(Request::parse(&latin1), Request::Action(a));
    }

    #[test]
    fn json_escapes_are_understood() {
        let a = action(
            r#"<cpanelaction>{"args":{"p":"n3w\/Pass\u0026word","u":"\ud83d\ude00"}}</cpanelaction>"#,
        );
        let RawArgs::Object(map) = &a.args else {
            panic!()
        };
        assert_eq!(map["p"], "n3w/Pass&word");
        assert_eq!(map["u"], "😀");
    }
}
