//! The engine: one account, its mail files, and the routing of every
//! request to the function that answers it. The daemon, the demo and (later)
//! the `uapi` command line all call through here, so every entry point has
//! the same rules.

use std::path::Path;

use serde_json::Value;

use crate::account::{Account, AccountLocator};
use crate::after_change::AfterChangeHook;
use crate::api::{email, legacy, result, Args, UapiResult};
use crate::email::MailAddress;
use crate::error::{Error, Result};
use crate::home::Batcher;
use crate::home::DomainFiles;
use crate::protocol::request::{scalar_text, Action, ApiVersion, RawArgs, ReqType, Request};

/// What to do after a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Send this reply and keep reading.
    Reply(Value),
    /// Send this reply (if any) and close the connection.
    Close(Option<Value>),
}

/// The modules liveapid provides; any other name fails to load.
const MODULES: &[&str] = &["Email"];

/// Executes LiveAPI requests against one cPanel account.
pub struct Engine {
    locator: AccountLocator,
    mail_files: Batcher<DomainFiles>,
    after_change: Option<AfterChangeHook>,
}

impl Engine {
    /// An engine for the account `locator` finds.
    pub fn new(locator: AccountLocator) -> Engine {
        Engine {
            locator,
            mail_files: Batcher::default(),
            after_change: None,
        }
    }

    /// Runs `action` after every successful password change.
    pub fn with_after_change(mut self, action: Option<AfterChangeHook>) -> Engine {
        self.after_change = action;
        self
    }

    /// The current view of the account.
    ///
    /// # Errors
    ///
    /// When the cPanel user file or `cpanel.config` cannot be read.
    pub fn account(&self) -> Result<Account> {
        self.locator.load()
    }

    /// The account's home directory.
    pub fn home(&self) -> &Path {
        self.locator.home()
    }

    /// Group-committed access to the per-domain mail files.
    pub fn mail_files(&self) -> &Batcher<DomainFiles> {
        &self.mail_files
    }

    /// Runs the after-change action, if any, after a mailbox's password or
    /// login suspension changed; its warnings.
    pub async fn after_auth_change(&self, address: &MailAddress) -> Vec<String> {
        match &self.after_change {
            Some(action) => action.run(address).await.into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Answers one request.
    pub async fn respond(&self, request: Request) -> Response {
        match request {
            Request::JsonSwitch => Response::Reply(result::json_switch()),
            Request::Shutdown => Response::Close(Some(result::shutdown())),
            Request::UnparsableAction => {
                Response::Reply(result::text_error("Could not parse cpanelaction JSON."))
            }
            Request::NoValidCommand => {
                Response::Reply(result::text_error("No Valid Command Given."))
            }
            Request::Tag(attributes) => Response::Reply(self.tag(&attributes)),
            Request::Action(action) => Response::Reply(self.action(action).await),
        }
    }

    /// Runs a UAPI function; every failure becomes a status-0 result.
    pub async fn uapi(&self, module: &str, func: &str, args: Result<Args>) -> UapiResult {
        let outcome = async {
            check_names(module, func)?;
            let args = args?;
            let found = match module {
                "Email" => email::call(self, func, &args).await,
                _ => None,
            };
            found.unwrap_or_else(|| Err(unknown_function(module, func)))
        }
        .await;
        match outcome {
            Ok(result) => result,
            Err(e) => {
                if e.is_security_refusal() {
                    tracing::warn!(module, func, error = %e, "call refused");
                } else if e.is_input_error() {
                    tracing::debug!(module, func, error = %e, "call refused");
                } else {
                    tracing::warn!(module, func, error = %e, "call failed");
                }
                UapiResult::failure(&e)
            }
        }
    }

    async fn action(&self, action: Action) -> Value {
        let Action {
            reqtype,
            module,
            func,
            apiversion,
            args,
        } = action;
        match reqtype {
            ReqType::If => {
                self.with_account(|a| result::condition("if", legacy::holds(a, &first_text(&args))))
            }
            ReqType::Feature => self.with_account(|a| {
                result::condition("feature", legacy::feature_enabled(a, &first_text(&args)))
            }),
            ReqType::Other(kind) => result::text_error(&format!(
                "Unknown request type “{}”.",
                crate::error::shown(&kind)
            )),
            ReqType::Exec => match apiversion {
                ApiVersion::Uapi => self
                    .uapi(&module, &func, Args::from_raw(args))
                    .await
                    .envelope(&module, &func),
                ApiVersion::Api2 => self.api2(&module, &func, args).await,
                ApiVersion::Api1 => self.api1(&module, &func, &args),
                ApiVersion::Unknown(v) => result::text_error(
                    &Error::UnknownApiVersion(crate::error::shown(&v)).to_string(),
                ),
            },
        }
    }

    async fn api2(&self, module: &str, func: &str, args: RawArgs) -> Value {
        let checked = check_names(module, func).and_then(|()| Args::from_raw(args));
        let args = match checked {
            Ok(args) => args,
            Err(e) => return result::api2(module, func, Vec::new(), Some(&e.to_string())),
        };
        let found = match module {
            "Email" => email::api2::call(self, func, &args).await,
            _ => None,
        };
        found.unwrap_or_else(|| {
            let e = unknown_function(module, func);
            result::api2(module, func, Vec::new(), Some(&e.to_string()))
        })
    }

    fn api1(&self, module: &str, func: &str, args: &RawArgs) -> Value {
        if module == "print" {
            return self
                .with_account(|a| result::api1_print(&legacy::expand(a, &first_text(args))));
        }
        let e = check_names(module, func)
            .err()
            .unwrap_or_else(|| unknown_function(module, func));
        result::api1(module, func, Err(e.to_string()))
    }

    fn tag(&self, attributes: &[(String, String)]) -> Value {
        match attributes.iter().find(|(name, _)| name == "print") {
            Some((_, expression)) => {
                self.with_account(|a| result::api1_print(&legacy::expand(a, expression)))
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

    fn with_account(&self, answer: impl FnOnce(&Account) -> Value) -> Value {
        match self.account() {
            Ok(account) => answer(&account),
            Err(e) => {
                tracing::warn!(error = %e, "account unavailable");
                result::text_error(&e.to_string())
            }
        }
    }
}

/// The framework error for a function no module of liveapid provides.
fn unknown_function(module: &str, func: &str) -> Error {
    Error::UnknownFunction {
        module: module.to_owned(),
        func: func.to_owned(),
    }
}

/// cPanel's name rules: function names must be `[A-Za-z0-9_]+` and must not
/// start with `_`; modules must be ones liveapid provides.
fn check_names(module: &str, func: &str) -> Result<()> {
    if func.is_empty()
        || func.starts_with('_')
        || !func.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::IllegalFunctionName(crate::error::shown(func)));
    }
    if !MODULES.contains(&module) {
        return Err(Error::UnknownModule(crate::error::shown(module)));
    }
    Ok(())
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
