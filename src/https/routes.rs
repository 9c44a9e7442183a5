//! The paths the front end answers: `/execute/<Module>/<function>`, the
//! same under a session's `/cpsess<10 digits>` prefix, `/login/` and
//! `/logout/`.

/// What a request path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A UAPI call; `security_token` is the `cpsess…` prefix, if any.
    Execute {
        security_token: Option<String>,
        module: String,
        func: String,
    },
    /// The login form (`/login/?login_only=1`).
    Login,
    /// Ends the session of the cookie.
    Logout,
    NotFound,
}

/// The route of `path` (without its query string).
pub fn parse(path: &str) -> Route {
    let (security_token, rest) = match split_security_token(path) {
        Some((token, rest)) => (Some(token), rest),
        None => (None, path),
    };
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["execute", module, func] | ["execute", module, func, ""]
            if !module.is_empty() && !func.is_empty() =>
        {
            Route::Execute {
                security_token,
                module: (*module).to_owned(),
                func: (*func).to_owned(),
            }
        }
        ["login"] | ["login", ""] if security_token.is_none() => Route::Login,
        ["logout"] | ["logout", ""] => Route::Logout,
        _ => Route::NotFound,
    }
}

/// `/cpsess0123456789/rest` → (`cpsess0123456789`, `/rest`).
fn split_security_token(path: &str) -> Option<(String, &str)> {
    let rest = path.strip_prefix("/cpsess")?;
    let digits = rest.get(..10)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let after = &rest[10..];
    if !after.is_empty() && !after.starts_with('/') {
        return None;
    }
    Some((format!("cpsess{digits}"), after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execute(token: Option<&str>, module: &str, func: &str) -> Route {
        Route::Execute {
            security_token: token.map(str::to_owned),
            module: module.into(),
            func: func.into(),
        }
    }

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(
            parse("/execute/Email/passwd_pop"),
            execute(None, "Email", "passwd_pop")
        );
        assert_eq!(
            parse("/cpsess0123456789/execute/Email/list_pops/"),
            execute(Some("cpsess0123456789"), "Email", "list_pops")
        );
        assert_eq!(parse("/login/"), Route::Login);
        assert_eq!(parse("/login"), Route::Login);
        assert_eq!(parse("/logout/"), Route::Logout);
        assert_eq!(parse("/cpsess0123456789/logout/"), Route::Logout);
        for bad in [
            "/",
            "/execute/Email",
            "/execute//passwd_pop",
            "/execute/Email/passwd_pop/x",
            "/cpsess012345678/execute/Email/list_pops",
            "/cpsess01234567890/execute/Email/list_pops",
            "/cpsessabcdefghij/execute/Email/list_pops",
            "/cpsess0123456789/login/",
            "/json-api/cpanel",
        ] {
            assert_eq!(parse(bad), Route::NotFound, "{bad}");
        }
    }
}
