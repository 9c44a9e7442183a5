//! The front end's answer to one request: route it, authenticate the
//! caller, hold a webmail caller to its own password, and pass the call to
//! the account's worker. Transport details (TLS, HTTP framing) are in
//! [`super::listener`]; this part sees a plain [`Request`].

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::accounts::{self, Accounts, ServedAccount};
use super::auth_audit::{self, Method};
use super::credentials::{self, Credential, SESSION_COOKIE};
use super::failures::Failures;
use super::form;
use super::pam;
use super::routes::{self, Route};
use super::sessions::{Identity, Sessions};
use super::webmail;
use crate::api::tokens::CHECK_FUNCTION;
use crate::api::UapiResult;
use crate::audit::AuditLog;
use crate::error::Error;

/// What the transport read of a request.
pub struct Request {
    pub post: bool,
    /// Neither GET nor POST.
    pub other_method: bool,
    pub path: String,
    pub query: String,
    pub authorization: Option<Vec<u8>>,
    pub cookie: Option<Zeroizing<String>>,
    /// Whether the body is a form (or has no type, as curl's `-d` does).
    pub form_body: bool,
    pub body: Zeroizing<Vec<u8>>,
    pub source: IpAddr,
}

/// What to send back (no `Debug`: it may hold a session cookie).
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<Zeroizing<String>>,
    /// Seconds for `Retry-After` (a 429).
    pub retry_after: Option<u64>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            set_cookie: None,
            retry_after: None,
        }
    }
}

/// The one text of every authentication failure of `/execute/`, whatever
/// was wrong.
pub const ACCESS_DENIED: &str = "Access denied";
/// The text of a refusal for too many failures.
pub const TOO_MANY_FAILURES: &str =
    "Too many failed logins from this address or for this user; try again later.";

/// The front end's state, shared by every connection.
pub struct FrontEnd {
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub failures: Failures,
    pub audit: Option<Arc<AuditLog>>,
}

/// Why an authentication failed (for the audit log only: the caller sees
/// one answer).
enum Refusal {
    Wrong,
    TooMany,
    /// The account's worker could not say (late or busy): not counted as a
    /// failure, and answered 503/504.
    Unavailable(Error),
}

impl FrontEnd {
    /// Answers one request.
    pub async fn answer(&self, request: Request) -> Reply {
        if request.other_method {
            return failure(405, "Use GET or POST.");
        }
        match routes::parse(&request.path) {
            Route::Execute {
                security_token,
                module,
                func,
            } => self.execute(&request, security_token, &module, &func).await,
            Route::Login if request.post => self.login(&request).await,
            Route::Login => failure(405, "Log in with a POST of “user” and “pass”."),
            Route::Logout => self.logout(&request),
            Route::NotFound => failure(404, "The requested URL was not found on this server."),
        }
    }

    async fn execute(
        &self,
        request: &Request,
        security_token: Option<String>,
        module: &str,
        func: &str,
    ) -> Reply {
        let identity = match self.caller(request, security_token.as_deref()).await {
            Ok(identity) => identity,
            Err(Refusal::Wrong) => return failure(401, ACCESS_DENIED),
            Err(Refusal::TooMany) => return too_many(),
            Err(Refusal::Unavailable(e)) => return unavailable(&e),
        };
        // The dispatcher's internal names (a leading `_`) are answered only
        // for the front end itself: a client gets the error any such name gets.
        if func.starts_with('_') {
            let e = Error::IllegalFunctionName(crate::error::shown(func));
            return result_reply(200, &UapiResult::failure(&e));
        }
        let mut args = match arguments(request) {
            Ok(args) => args,
            Err(e) => return result_reply(200, &UapiResult::failure(&e)),
        };
        if let Identity::Webmail {
            localpart, domain, ..
        } = &identity
        {
            args = match webmail::restrict(module, func, args, localpart, domain) {
                Ok(args) => args,
                Err(e) => return result_reply(200, &UapiResult::failure(&e)),
            };
        }
        let Some(account) = self.accounts.get(identity.account()) else {
            return failure(401, ACCESS_DENIED);
        };
        match accounts::call(&self.accounts, account, module, func, args).await {
            Ok(result) => Reply::json(200, result),
            Err(e) => {
                tracing::warn!(user = account.locator.user(), error = %e, "the account's server did not answer");
                unavailable(&e)
            }
        }
    }

    /// Who the request's credentials say the caller is: its
    /// `Authorization` header, else the session of its cookie and path.
    async fn caller(
        &self,
        request: &Request,
        security_token: Option<&str>,
    ) -> Result<Identity, Refusal> {
        let source = request.source;
        if let Some(header) = &request.authorization {
            let credential = credentials::parse_authorization(header);
            return match credential {
                Credential::Token { user, token } => self.by_token(source, &user, &token).await,
                Credential::Basic { user, password } => {
                    self.by_password(source, &user, &password).await
                }
                Credential::Malformed => {
                    if self.failures.blocked(source, None) {
                        self.refused(source, "", Method::None, None, Refusal::TooMany)
                            .await;
                        return Err(Refusal::TooMany);
                    }
                    self.failures.record(source, None);
                    self.refused(source, "", Method::None, None, Refusal::Wrong)
                        .await;
                    Err(Refusal::Wrong)
                }
            };
        }
        let found = match (security_token, &request.cookie) {
            (Some(token), Some(cookie)) => self.sessions.find(cookie, token),
            _ => None,
        };
        match found {
            Some(identity) => Ok(identity),
            None => {
                let method = if security_token.is_some() {
                    Method::Session
                } else {
                    Method::None
                };
                self.refused(source, "", method, None, Refusal::Wrong).await;
                Err(Refusal::Wrong)
            }
        }
    }

    async fn by_token(&self, source: IpAddr, user: &str, token: &str) -> Result<Identity, Refusal> {
        if self.failures.blocked(source, Some(user)) {
            self.refused(source, user, Method::Token, Some(user), Refusal::TooMany)
                .await;
            return Err(Refusal::TooMany);
        }
        let ok = match self.accounts.get(user) {
            // A worker that cannot answer is its account's problem, not a
            // wrong token: no failure is counted against the caller.
            Some(account) => token_opens(&self.accounts, account, token)
                .await
                .map_err(Refusal::Unavailable)?,
            None => false,
        };
        if ok {
            auth_audit::record(
                self.audit.as_ref(),
                user,
                Method::Token,
                source,
                Some(user),
                None,
            )
            .await;
            return Ok(Identity::Account {
                user: user.to_owned(),
            });
        }
        self.failures.record(source, Some(user));
        self.refused(source, user, Method::Token, Some(user), Refusal::Wrong)
            .await;
        Err(Refusal::Wrong)
    }

    /// A cPanel account's system password (checked by PAM), or, for
    /// `localpart@domain`, that mailbox's password (checked by its
    /// account's worker).
    async fn by_password(
        &self,
        source: IpAddr,
        user: &str,
        password: &str,
    ) -> Result<Identity, Refusal> {
        let method = if user.contains('@') {
            Method::Webmail
        } else {
            Method::Password
        };
        if self.failures.blocked(source, Some(user)) {
            self.refused(source, user, method, Some(user), Refusal::TooMany)
                .await;
            return Err(Refusal::TooMany);
        }
        let identity = match method {
            Method::Webmail => self
                .mailbox_password(user, password)
                .await
                .map_err(Refusal::Unavailable)?,
            _ => self.account_password(user, password).await,
        };
        match identity {
            Some(identity) => {
                auth_audit::record(
                    self.audit.as_ref(),
                    identity.account(),
                    method,
                    source,
                    Some(user),
                    None,
                )
                .await;
                Ok(identity)
            }
            None => {
                self.failures.record(source, Some(user));
                self.refused(source, user, method, Some(user), Refusal::Wrong)
                    .await;
                Err(Refusal::Wrong)
            }
        }
    }

    async fn account_password(&self, user: &str, password: &str) -> Option<Identity> {
        // PAM runs for unknown names too, so that both take PAM's time;
        // only a served account may log in (root's password opens nothing).
        let (name, password) = (user.to_owned(), Zeroizing::new(password.to_owned()));
        let accepted = tokio::task::spawn_blocking(move || pam::authenticate(&name, &password))
            .await
            .unwrap_or(false);
        (accepted && self.accounts.get(user).is_some()).then(|| Identity::Account {
            user: user.to_owned(),
        })
    }

    /// The mailbox's identity if `password` is its own; the error when its
    /// account's worker is late or busy.
    async fn mailbox_password(
        &self,
        address: &str,
        password: &str,
    ) -> Result<Option<Identity>, Error> {
        let Some((localpart, domain)) = address.split_once('@') else {
            return Ok(None);
        };
        let domain = domain.to_ascii_lowercase();
        if localpart.is_empty() || domain.is_empty() {
            return Ok(None);
        }
        let Some(account) = self.accounts.owner_of(&domain) else {
            return Ok(None);
        };
        let mut args = Map::new();
        args.insert("email".into(), json!(format!("{localpart}@{domain}")));
        args.insert("password".into(), json!(password));
        let result = match accounts::call(&self.accounts, account, "Email", "verify_password", args)
            .await
        {
            Ok(result) => result,
            Err(e @ (Error::WorkerDeadline { .. } | Error::WorkerBusy { .. })) => return Err(e),
            Err(_) => return Ok(None),
        };
        Ok(
            (result["status"] == 1 && result["data"] == 1).then(|| Identity::Webmail {
                user: account.locator.user().to_owned(),
                localpart: localpart.to_owned(),
                domain,
            }),
        )
    }

    /// `POST /login/` with `user` and `pass`: a session.
    async fn login(&self, request: &Request) -> Reply {
        let args = arguments(request).unwrap_or_default();
        let text = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or_default();
        let (user, pass) = (text("user"), Zeroizing::new(text("pass").to_owned()));
        let identity = match self.by_password(request.source, user, &pass).await {
            Ok(identity) => identity,
            Err(Refusal::Wrong) => {
                return Reply::json(401, json!({"status": 0, "message": "invalid_login"}))
            }
            Err(Refusal::TooMany) => {
                let mut reply = too_many();
                reply.body = json!({"status": 0, "message": "too_many_failures"});
                return reply;
            }
            Err(Refusal::Unavailable(e)) => return unavailable(&e),
        };
        let mut args = args;
        for value in args.values_mut() {
            crate::secrets::wipe(value);
        }
        match self.sessions.create(identity) {
            Ok(session) => {
                let path = format!("/{}", session.security_token);
                Reply {
                    status: 200,
                    body: json!({
                        "status": 1,
                        "message": "LOGIN_SUCCESS",
                        "security_token": path,
                        "redirect": format!("{path}/"),
                    }),
                    set_cookie: Some(Zeroizing::new(format!(
                        "{SESSION_COOKIE}={}; HttpOnly; Secure; SameSite=Strict; Path=/",
                        session.cookie.as_str()
                    ))),
                    retry_after: None,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot start a session");
                failure(500, "The system could not start a session.")
            }
        }
    }

    /// `/logout/`: ends the cookie's session (if any) and clears the cookie.
    fn logout(&self, request: &Request) -> Reply {
        if let Some(cookie) = &request.cookie {
            self.sessions.end(cookie);
        }
        Reply {
            status: 200,
            body: json!({"status": 1, "message": "LOGOUT_SUCCESS"}),
            set_cookie: Some(Zeroizing::new(format!(
                "{SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"
            ))),
            retry_after: None,
        }
    }

    async fn refused(
        &self,
        source: IpAddr,
        account: &str,
        method: Method,
        user: Option<&str>,
        why: Refusal,
    ) {
        let reason = match why {
            Refusal::Wrong => "wrong or missing credentials",
            Refusal::TooMany => "too many failures",
            Refusal::Unavailable(_) => "the account's server did not answer",
        };
        tracing::info!(method = method.name(), %source, reason, "authentication refused");
        auth_audit::record(
            self.audit.as_ref(),
            account,
            method,
            source,
            user,
            Some(reason),
        )
        .await;
    }
}

/// Whether `token` is a live API token of `account` (asked of its worker);
/// the error when the worker is late or busy, so the caller learns that
/// instead of a 401.
async fn token_opens(
    accounts: &Accounts,
    account: &ServedAccount,
    token: &str,
) -> Result<bool, Error> {
    let mut args = Map::new();
    args.insert("token".into(), json!(token));
    match accounts::call(accounts, account, "Tokens", CHECK_FUNCTION, args).await {
        Ok(result) => Ok(result["status"] == 1 && result["data"] == 1),
        Err(e @ (Error::WorkerDeadline { .. } | Error::WorkerBusy { .. })) => Err(e),
        Err(e) => {
            tracing::warn!(user = account.locator.user(), error = %e, "cannot check a token");
            Ok(false)
        }
    }
}

/// The answer when the account's worker did not answer: 504 past the
/// deadline, 503 otherwise, with the reason in `errors[]`.
fn unavailable(e: &Error) -> Reply {
    match e {
        Error::WorkerDeadline { .. } => failure(504, &e.to_string()),
        Error::WorkerBusy { .. } => failure(503, &e.to_string()),
        _ => failure(
            503,
            "The account's server is not available; try again in a moment.",
        ),
    }
}

/// The query string's arguments, with a form body's added (cPanel reads both).
fn arguments(request: &Request) -> crate::error::Result<Map<String, Value>> {
    let mut args = form::decode(&request.query)?;
    if request.post && request.form_body && !request.body.is_empty() {
        let text = std::str::from_utf8(&request.body).map_err(|_| Error::BodyNotUtf8)?;
        args.extend(form::decode(text)?);
    }
    Ok(args)
}

fn result_reply(status: u16, result: &UapiResult) -> Reply {
    Reply::json(status, result.body())
}

/// A failure in UAPI's shape, with one error.
fn failure(status: u16, text: &str) -> Reply {
    let mut result = UapiResult::success(Value::Null);
    result.status = false;
    result.errors = vec![text.to_owned()];
    result_reply(status, &result)
}

fn too_many() -> Reply {
    let mut reply = failure(429, TOO_MANY_FAILURES);
    reply.retry_after = Some(super::failures::WINDOW.as_secs());
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_body_that_is_not_utf8_is_the_clients_error() {
        let request = Request {
            post: true,
            other_method: false,
            path: "/execute/Email/list_pops".into(),
            query: String::new(),
            authorization: None,
            cookie: None,
            form_body: true,
            body: Zeroizing::new(b"email=\xff\xfe".to_vec()),
            source: IpAddr::from([127, 0, 0, 1]),
        };
        let e = arguments(&request).unwrap_err();
        assert!(matches!(e, Error::BodyNotUtf8), "{e:?}");
        assert!(e.is_input_error());
        assert_eq!(e.to_string(), "The request body is not UTF-8 text.");
    }
}
