//! The socket transport's request handler: answers each LiveAPI request
//! (the JSON switch, shutdown, legacy tags, `<cpanelaction>`) for one
//! account, running every API call through [`crate::dispatch`].

use std::sync::Arc;

use serde_json::Value;

use crate::api::{legacy, result, Args, Caller};
use crate::dispatch::{self, with_account};
use crate::error::{Error, Result};
use crate::protocol::request::{scalar_text, Action, ApiVersion, RawArgs, ReqType, Request};
use crate::state::AccountState;

/// What to do after a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Send this reply and keep reading.
    Reply(Value),
    /// Send this reply (if any) and close the connection.
    Close(Option<Value>),
}

/// Answers LiveAPI requests for one cPanel account.
pub struct Engine {
    state: Arc<AccountState>,
}

impl Engine {
    /// A request handler for the account `state` holds.
    pub fn new(state: impl Into<Arc<AccountState>>) -> Engine {
        Engine {
            state: state.into(),
        }
    }

    /// The account the requests act on.
    pub fn state(&self) -> &AccountState {
        &self.state
    }

    /// Answers one request made by `caller`.
    pub async fn respond(&self, request: Request, caller: Caller) -> Response {
        match request {
            Request::JsonSwitch => Response::Reply(result::json_switch()),
            Request::Shutdown => Response::Close(Some(result::shutdown())),
            Request::UnparsableAction => {
                Response::Reply(result::text_error("Could not parse cpanelaction JSON."))
            }
            Request::NoValidCommand => {
                Response::Reply(result::text_error("No Valid Command Given."))
            }
            Request::Tag(attributes) => Response::Reply(self.tag(&attributes).await),
            Request::Action(action) => Response::Reply(self.action(action, caller).await),
        }
    }

    async fn action(&self, action: Action, caller: Caller) -> Value {
        let Action {
            reqtype,
            module,
            func,
            apiversion,
            args,
        } = action;
        let state = &*self.state;
        match reqtype {
            ReqType::If => {
                let condition = first_text(&args);
                with_account(state, move |a| {
                    result::condition("if", legacy::holds(a, &condition))
                })
                .await
            }
            ReqType::Feature => {
                let feature = first_text(&args);
                with_account(state, move |a| {
                    result::condition("feature", legacy::feature_enabled(a, &feature))
                })
                .await
            }
            ReqType::Other(kind) => result::text_error(&format!(
                "Unknown request type “{}”.",
                crate::error::shown(&kind)
            )),
            ReqType::Exec => match apiversion {
                ApiVersion::Uapi => dispatch::uapi(state, caller, &module, &func, call_args(args))
                    .await
                    .envelope(&module, &func),
                ApiVersion::Api2 => {
                    dispatch::api2(state, caller, &module, &func, call_args(args)).await
                }
                ApiVersion::Api1 => {
                    dispatch::api1(state, &module, &func, || first_text(&args)).await
                }
                ApiVersion::Unknown(v) => result::text_error(
                    &Error::UnknownApiVersion(crate::error::shown(&v)).to_string(),
                ),
            },
        }
    }

    async fn tag(&self, attributes: &[(String, String)]) -> Value {
        match attributes.iter().find(|(name, _)| name == "print") {
            Some((_, expression)) => {
                let expression = expression.clone();
                with_account(&self.state, move |a| {
                    result::api1_print(&legacy::expand(a, &expression))
                })
                .await
            }
            None => {
                let name = attributes.first().map_or("", |(n, _)| n.as_str());
                result::api1_tag_failure(&format!(
                    "liveapid does not run the legacy “{}” tag.",
                    crate::error::shown(name)
                ))
            }
        }
    }
}

/// The text error sent just before liveapid ends a session (a request over
/// the size limit). `"session":"closed"` tells the bundled shims to raise
/// the reason as an exception; official clients see an ordinary error reply.
pub fn session_closed(reason: &str) -> Value {
    let mut value = result::text_error(reason);
    value["session"] = Value::from("closed");
    value
}

/// The arguments of a UAPI or API2 call, which must be an object (or
/// absent): the socket's wire type made into the [`Args`] the API sees.
///
/// # Errors
///
/// [`Error::ArgumentsNotObject`] for a list or a bare value: a PHP array
/// with keys 0..n arrives as a JSON list, and guessing names for it
/// would be worse than saying so.
fn call_args(mut raw: RawArgs) -> Result<Args> {
    // Taken, not moved: `raw` wipes whatever is left of it when dropped.
    match &mut raw {
        RawArgs::None => Ok(Args::default()),
        RawArgs::Object(map) => Ok(Args::from_object(std::mem::take(map))),
        RawArgs::Array(_) | RawArgs::String(_) | RawArgs::Scalar(_) => {
            Err(Error::ArgumentsNotObject)
        }
    }
}

/// The one text argument of API1, `if` and `feature`: a bare string, or
/// the first element of a list.
fn first_text(args: &RawArgs) -> String {
    match args {
        RawArgs::String(s) => s.clone(),
        RawArgs::Array(list) => scalar_text(list.first()),
        RawArgs::Scalar(v) => scalar_text(Some(v)),
        RawArgs::Object(map) => scalar_text(map.values().next()),
        RawArgs::None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_object_arguments_are_refused() {
        assert!(matches!(
            call_args(RawArgs::Array(vec![json!("x")])),
            Err(Error::ArgumentsNotObject)
        ));
        assert!(call_args(RawArgs::None).unwrap().require(&[]).is_ok());
    }

    #[test]
    fn a_refusal_never_shows_the_value() {
        let secret = "Sup3r-Secret-Pw";
        let refused = call_args(RawArgs::String(secret.into())).unwrap_err();
        assert!(!format!("{refused:?}").contains(secret));
    }
}
