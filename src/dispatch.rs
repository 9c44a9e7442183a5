//! The one dispatcher: every transport (the socket's `<cpanelaction>`, the
//! `uapi` command line, and HTTPS, whose front end calls through the socket)
//! runs a call through [`uapi`], [`api2`] or [`api1`], so every entry point
//! applies the same name rules, the same lookup and the same error handling
//! and logging.
//!
//! [`Module`] is the table of modules; each module's functions are the
//! table in its `mod.rs` ([`EmailFunction`] for `Email`), so adding a
//! function is one new file in `src/api/email/` plus one line there, and
//! adding a module is one new variant of [`Module`] with its arms below.

use serde_json::Value;

use crate::account::Account;
use crate::api::email::EmailFunction;
use crate::api::tokens::{self, TokensFunction};
use crate::api::{api2::Shape, legacy, result, Args, Caller, UapiResult};
use crate::audit;
use crate::error::{Error, Result};
use crate::state::AccountState;

/// The modules liveapid provides; any other name fails to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Module {
    /// UAPI's `Email` module and its API2 wrappers.
    Email,
    /// UAPI's `Tokens` module (API tokens for HTTPS).
    Tokens,
}

impl Module {
    /// Every module.
    pub const ALL: &'static [Module] = &[Module::Email, Module::Tokens];

    /// The module called `name`; `None` when liveapid has none.
    pub fn from_name(name: &str) -> Option<Module> {
        match name {
            "Email" => Some(Module::Email),
            "Tokens" => Some(Module::Tokens),
            _ => None,
        }
    }

    /// The module's name.
    pub fn name(self) -> &'static str {
        match self {
            Module::Email => "Email",
            Module::Tokens => "Tokens",
        }
    }

    /// The module's UAPI function called `name`, if any.
    pub fn function(self, name: &str) -> Option<Function> {
        match self {
            Module::Email => EmailFunction::from_name(name).map(Function::Email),
            Module::Tokens => TokensFunction::from_name(name).map(Function::Tokens),
        }
    }

    /// The module's function that the API2 function `name` wraps, and how
    /// API2 presents its result; `None` when there is none.
    pub fn api2_function(self, name: &str) -> Option<(Function, Shape)> {
        match self {
            Module::Email => {
                EmailFunction::from_api2_name(name).map(|(f, shape)| (Function::Email(f), shape))
            }
            Module::Tokens => None,
        }
    }
}

/// A UAPI function of one of liveapid's modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// A function of `Email`.
    Email(EmailFunction),
    /// A function of `Tokens`.
    Tokens(TokensFunction),
}

impl Function {
    /// The module the function belongs to.
    pub fn module(self) -> Module {
        match self {
            Function::Email(_) => Module::Email,
            Function::Tokens(_) => Module::Tokens,
        }
    }

    /// The function's UAPI name.
    pub fn name(self) -> &'static str {
        match self {
            Function::Email(f) => f.name(),
            Function::Tokens(f) => f.name(),
        }
    }

    /// Runs the function on the account.
    ///
    /// # Errors
    ///
    /// Whatever the function refuses or fails with.
    pub async fn apply(self, state: &AccountState, args: &Args) -> Result<UapiResult> {
        match self {
            Function::Email(f) => f.apply(state, args).await,
            Function::Tokens(f) => f.apply(state, args).await,
        }
    }
}

/// Runs the UAPI function `module::func` with `args` (as parsed by the
/// transport into [`Args`]; a parse error is
/// reported like any other) for `caller` on the account. Never fails: every error
/// becomes a status-0 result, logged (input errors at debug, security
/// refusals and faults at warn).
pub async fn uapi(
    state: &AccountState,
    caller: Caller,
    module: &str,
    func: &str,
    args: Result<Args>,
) -> UapiResult {
    let (outcome, args) = match args {
        Ok(args) => {
            let args = args.with_caller(caller);
            (call(state, module, func, &args).await, Some(args))
        }
        // The names are checked first, as cPanel does.
        Err(e) => (check_names(module, func).and(Err(e)), None),
    };
    let refusal = outcome.as_ref().err().map(ToString::to_string);
    audit_call(state, caller, module, func, args.as_ref(), refusal).await;
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

/// Records a finished call in the state's audit sink, if it has one
/// ([`audit::after_call`]), with the mailbox its arguments name.
async fn audit_call(
    state: &AccountState,
    caller: Caller,
    module: &str,
    func: &str,
    args: Option<&Args>,
    refusal: Option<String>,
) {
    let text = |key: &str| args.and_then(|a| a.get(key).ok().flatten());
    let (email, domain) = (text("email"), text("domain"));
    audit::after_call(state.audit(), caller, module, func, email, domain, refusal).await;
}

/// Checks the names, finds the function and runs it.
async fn call(state: &AccountState, module: &str, func: &str, args: &Args) -> Result<UapiResult> {
    if module == "Tokens" && func == tokens::CHECK_FUNCTION && is_front_end(args.caller()) {
        return tokens::check_presented(state, args).await;
    }
    let module_found = check_names(module, func)?;
    let function = module_found
        .function(func)
        .ok_or_else(|| unknown_function(module, func))?;
    function.apply(state, args).await
}

/// Runs the API2 function `module::func` with `args` (as parsed by the
/// transport; a parse error is reported after the names are checked) of a
/// request made by `caller`; the reply in API2's shape (`cpanelresult`),
/// errors included.
pub async fn api2(
    state: &AccountState,
    caller: Caller,
    module: &str,
    func: &str,
    args: Result<Args>,
) -> Value {
    let checked = check_names(module, func).and_then(|m| Ok((m, args?.with_caller(caller))));
    let (module_found, args) = match checked {
        Ok(checked) => checked,
        Err(e) => return result::api2(module, func, Vec::new(), Some(&e.to_string())),
    };
    match module_found.api2_function(func) {
        Some((function, shape)) => {
            let outcome = function.apply(state, &args).await;
            let refusal = outcome.as_ref().err().map(ToString::to_string);
            audit_call(state, caller, module, function.name(), Some(&args), refusal).await;
            crate::api::api2::present(module, func, shape, outcome)
        }
        None => {
            let e = unknown_function(module, func);
            result::api2(module, func, Vec::new(), Some(&e.to_string()))
        }
    }
}

/// Answers an API1 call: `print` expands its text (`text` gives the call's
/// one text argument, taken only then); liveapid runs no other API1
/// function, so anything else is an error in API1's shape.
pub async fn api1(
    state: &AccountState,
    module: &str,
    func: &str,
    text: impl FnOnce() -> String,
) -> Value {
    if module == "print" {
        let text = text();
        return with_account(state, move |a| {
            result::api1_print(&legacy::expand(a, &text))
        })
        .await;
    }
    let e = check_names(module, func)
        .err()
        .unwrap_or_else(|| unknown_function(module, func));
    result::api1(module, func, Err(e.to_string()))
}

/// `answer` for the current view of the account, or the error text when
/// the account cannot be read. Both run on the blocking pool: `answer` may
/// read host files (feature lists).
pub async fn with_account(
    state: &AccountState,
    answer: impl FnOnce(&Account) -> Value + Send + 'static,
) -> Value {
    match state
        .read(move |reader| Ok(answer(&reader.account()?)))
        .await
    {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!(error = %e, "account unavailable");
            result::text_error(&e.to_string())
        }
    }
}

/// Whether `caller` may ask the HTTPS front end's internal questions: root
/// (the supervisor's front end) or this very process (the front end of an
/// account served in-process). Anyone else gets the illegal-name error
/// every `_` name gets.
fn is_front_end(caller: Caller) -> bool {
    caller.uid == 0 || caller.pid == Some(std::process::id())
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
fn check_names(module: &str, func: &str) -> Result<Module> {
    if func.is_empty()
        || func.starts_with('_')
        || !func.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::IllegalFunctionName(crate::error::shown(func)));
    }
    Module::from_name(module).ok_or_else(|| Error::UnknownModule(crate::error::shown(module)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_function_round_trips_through_its_name() {
        assert_eq!(EmailFunction::ALL.len(), 11);
        for &f in EmailFunction::ALL {
            assert_eq!(EmailFunction::from_name(f.name()), Some(f), "{f:?}");
            assert_eq!(Module::Email.function(f.name()), Some(Function::Email(f)));
            assert_eq!(Function::Email(f).name(), f.name());
            assert_eq!(Function::Email(f).module(), Module::Email);
        }
    }

    #[test]
    fn the_email_functions_are_cpanels() {
        let names: Vec<&str> = EmailFunction::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "passwd_pop",
                "add_pop",
                "delete_pop",
                "list_pops",
                "list_pops_with_disk",
                "count_pops",
                "verify_password",
                "suspend_login",
                "unsuspend_login",
                "get_pop_quota",
                "edit_pop_quota",
            ]
        );
    }

    #[test]
    fn every_file_of_src_api_email_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/email");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
            .filter(|name| name != "mod" && name != "common")
            .collect();
        files.sort();
        let mut table = EmailFunction::FILES.to_vec();
        table.sort_unstable();
        assert_eq!(
            files, table,
            "every function file needs its line in src/api/email/mod.rs"
        );
    }

    #[test]
    fn every_file_of_src_api_tokens_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/tokens");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
            .filter(|name| name != "mod" && name != "secret")
            .collect();
        files.sort();
        let mut table = TokensFunction::FILES.to_vec();
        table.sort_unstable();
        assert_eq!(files, table);
        assert_eq!(
            Module::Tokens.function("create_full_access"),
            Some(Function::Tokens(TokensFunction::CreateFullAccess))
        );
        assert_eq!(Module::Tokens.api2_function("list"), None);
    }

    #[tokio::test]
    async fn the_token_check_is_answered_for_the_front_end_only() {
        let (_dir, state) = demo_state();
        let args = || Ok(Args::from_pairs([("token", "ABC")]));
        let stranger = Caller {
            uid: 4242,
            pid: Some(1),
        };
        let refused = uapi(&state, stranger, "Tokens", tokens::CHECK_FUNCTION, args()).await;
        assert_eq!(
            refused.errors,
            vec![Error::IllegalFunctionName(tokens::CHECK_FUNCTION.into()).to_string()]
        );
        let answered = uapi(
            &state,
            Caller::this_process(),
            "Tokens",
            tokens::CHECK_FUNCTION,
            args(),
        )
        .await;
        assert!(answered.status, "{:?}", answered.errors);
        assert_eq!(answered.data, serde_json::json!(0));
    }

    #[test]
    fn unknown_names_are_none() {
        for name in [
            "",
            "passwdpop",
            "Passwd_pop",
            "passwd_pop ",
            "_passwd_pop",
            "nope",
        ] {
            assert_eq!(EmailFunction::from_name(name), None, "{name:?}");
            assert_eq!(Module::Email.function(name), None, "{name:?}");
        }
        for name in ["", "email", "EMAIL", "Email ", "tokens", "print"] {
            assert_eq!(Module::from_name(name), None, "{name:?}");
        }
        for name in [
            "passwd_pop",
            "count_pops",
            "verify_password",
            "suspend_login",
            "nope",
        ] {
            assert_eq!(EmailFunction::from_api2_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn every_module_round_trips_through_its_name() {
        for &m in Module::ALL {
            assert_eq!(Module::from_name(m.name()), Some(m));
        }
    }

    #[test]
    fn every_api2_name_maps_to_a_function() {
        assert!(!EmailFunction::API2_NAMES.is_empty());
        for &name in EmailFunction::API2_NAMES {
            assert!(EmailFunction::from_api2_name(name).is_some(), "{name}");
            assert!(Module::Email.api2_function(name).is_some(), "{name}");
        }
        let expected = [
            ("passwdpop", EmailFunction::PasswdPop, Shape::StatusRow),
            ("addpop", EmailFunction::AddPop, Shape::StatusRow),
            ("delpop", EmailFunction::DeletePop, Shape::StatusRow),
            ("editquota", EmailFunction::EditPopQuota, Shape::StatusRow),
            (
                "listpops",
                EmailFunction::ListPops,
                Shape::Rows(Some(&["email", "login"])),
            ),
            (
                "listpopswithdisk",
                EmailFunction::ListPopsWithDisk,
                Shape::Rows(None),
            ),
            ("getpopquota", EmailFunction::GetPopQuota, Shape::ResultRow),
        ];
        assert_eq!(EmailFunction::API2_NAMES.len(), expected.len());
        for (name, function, shape) in expected {
            assert_eq!(
                EmailFunction::from_api2_name(name),
                Some((function, shape)),
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_checked_before_lookup() {
        assert!(matches!(
            check_names("Email", "_private"),
            Err(Error::IllegalFunctionName(_))
        ));
        assert!(matches!(
            check_names("Email", "a-b"),
            Err(Error::IllegalFunctionName(_))
        ));
        assert!(matches!(
            check_names("Nope", "list_pops"),
            Err(Error::UnknownModule(_))
        ));
        assert_eq!(
            check_names("Email", "no_such_function").unwrap(),
            Module::Email
        );
    }

    /// The demo account's state, in a directory that lives as long as it.
    fn demo_state() -> (tempfile::TempDir, AccountState) {
        let dir = tempfile::tempdir().unwrap();
        let demo = crate::demo::create(dir.path()).unwrap();
        let locator =
            crate::account::AccountLocator::new(crate::demo::USER, &demo.root, Some(&demo.home))
                .unwrap();
        (dir, AccountState::new(locator))
    }

    #[tokio::test]
    async fn the_entry_point_checks_names_then_arguments_then_runs() {
        let (_dir, state) = demo_state();
        let errors = |r: UapiResult| (r.status, r.errors);
        assert_eq!(
            errors(
                uapi(
                    &state,
                    Caller::this_process(),
                    "Nope",
                    "list_pops",
                    Ok(Args::default())
                )
                .await
            ),
            (false, vec![Error::UnknownModule("Nope".into()).to_string()])
        );
        assert_eq!(
            errors(
                uapi(
                    &state,
                    Caller::this_process(),
                    "Email",
                    "nope",
                    Ok(Args::default())
                )
                .await
            ),
            (false, vec![unknown_function("Email", "nope").to_string()])
        );
        let bad_args = Err(Error::UnknownApiVersion("x".into()));
        assert_eq!(
            errors(uapi(&state, Caller::this_process(), "Email", "_hidden", bad_args).await).1,
            vec![Error::IllegalFunctionName("_hidden".into()).to_string()]
        );
        let counted = uapi(
            &state,
            Caller::this_process(),
            "Email",
            "count_pops",
            Ok(Args::default()),
        )
        .await;
        assert!(counted.status, "{:?}", counted.errors);
        assert_eq!(counted.data, serde_json::json!(0));
    }

    #[tokio::test]
    async fn api2_answers_unknown_names_in_its_shape() {
        let (_dir, state) = demo_state();
        let reply = api2(
            &state,
            Caller::this_process(),
            "Email",
            "passwd_pop",
            Ok(Args::default()),
        )
        .await;
        assert_eq!(
            reply,
            result::api2(
                "Email",
                "passwd_pop",
                Vec::new(),
                Some(&unknown_function("Email", "passwd_pop").to_string())
            )
        );
        let reply = api2(
            &state,
            Caller::this_process(),
            "Email",
            "listpops",
            Ok(Args::default()),
        )
        .await;
        assert_eq!(reply["cpanelresult"]["data"][0]["login"], "Main Account");
    }
}
