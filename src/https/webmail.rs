//! What a webmail login may do: change its own mailbox's password, nothing
//! else, as in cPanel's webmail. The front end rewrites the call's
//! arguments to name the logged-in mailbox before the call leaves it, so
//! the worker never sees another mailbox named by a webmail caller.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The arguments of `module::func` for the mailbox `localpart@domain`:
/// `email` as its localpart (or its own address) and `domain` its own
/// (the default, unlike the cPanel account's main domain), `password`
/// passed on.
///
/// # Errors
///
/// [`Error::NotPermittedInWebmail`] for any other function;
/// [`Error::NoSuchMailbox`] when `email` or `domain` names another
/// mailbox: from a webmail user's side, his own is the only one there is.
pub fn restrict(
    module: &str,
    func: &str,
    mut args: Map<String, Value>,
    localpart: &str,
    domain: &str,
) -> Result<Map<String, Value>> {
    if (module, func) != ("Email", "passwd_pop") {
        return Err(Error::NotPermittedInWebmail {
            module: module.to_owned(),
            func: func.to_owned(),
        });
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let email = text(args.get("email"));
    let given_domain = text(args.get("domain")).filter(|d| !d.is_empty());
    let (named_local, named_domain) = match email.as_deref() {
        Some(e) => match e.split_once('@') {
            Some((l, d)) => (Some(l.to_owned()), Some(d.to_owned())),
            None => (Some(e.to_owned()), given_domain.clone()),
        },
        None => (None, given_domain.clone()),
    };
    let other_local = named_local
        .as_deref()
        .is_some_and(|l| !l.is_empty() && l != localpart);
    let other_domain = named_domain
        .iter()
        .chain(given_domain.iter())
        .any(|d| !d.eq_ignore_ascii_case(domain));
    if other_local || other_domain {
        let shown = match (&named_local, &named_domain) {
            (Some(l), Some(d)) => format!("{l}@{d}"),
            (Some(l), None) => format!("{l}@{domain}"),
            (None, Some(d)) => format!("{localpart}@{d}"),
            (None, None) => format!("{localpart}@{domain}"),
        };
        return Err(Error::NoSuchMailbox(crate::error::shown(&shown)));
    }
    let mut out = Map::new();
    out.insert("email".into(), Value::String(localpart.to_owned()));
    out.insert("domain".into(), Value::String(domain.to_owned()));
    if let Some(password) = args.remove("password") {
        out.insert("password".into(), password);
    }
    for value in args.values_mut() {
        crate::secrets::wipe(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_own_mailbox_is_named_whatever_form_was_used() {
        for given in [
            json!({"email": "user", "password": "pw"}),
            json!({"email": "user@example.com", "password": "pw"}),
            json!({"email": "user", "domain": "Example.com", "password": "pw"}),
            json!({"password": "pw", "extra": "x"}),
        ] {
            let out = restrict(
                "Email",
                "passwd_pop",
                args(given.clone()),
                "user",
                "example.com",
            )
            .unwrap();
            assert_eq!(
                Value::Object(out),
                json!({"email": "user", "domain": "example.com", "password": "pw"}),
                "{given}"
            );
        }
    }

    #[test]
    fn other_mailboxes_and_functions_are_refused() {
        for given in [
            json!({"email": "alice", "password": "pw"}),
            json!({"email": "user@example.net", "password": "pw"}),
            json!({"email": "user", "domain": "example.net", "password": "pw"}),
        ] {
            let e = restrict(
                "Email",
                "passwd_pop",
                args(given.clone()),
                "user",
                "example.com",
            )
            .unwrap_err();
            assert!(matches!(e, Error::NoSuchMailbox(_)), "{given}: {e}");
        }
        let e = restrict("Email", "add_pop", Map::new(), "user", "example.com").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Execution of Email::add_pop (api version:3) is not permitted inside of webmail"
        );
    }
}
