//! The legacy pieces every LiveAPI client still uses: API1 `print`, the
//! `<cpanel print="...">` tag, `cpanelif` and `cpanelfeature`.
//!
//! Variables are the account's own facts (`$homedir`, `$user`, the main
//! domain); a variable liveapid does not know prints as empty and tests
//! false, and a feature is on unless the account's feature list turns it off,
//! as in cPanel.

use crate::account::Account;

/// The value of an expression: `$var`, `$CPDATA{'KEY'}`, or literal text.
pub fn expand(account: &Account, expression: &str) -> String {
    let expression = expression.trim();
    let Some(name) = expression.strip_prefix('$') else {
        return expression.to_owned();
    };
    variable(account, name).unwrap_or_default()
}

/// Whether `expression` holds: terms joined by `||` and `&&`, each a
/// value, optionally negated with `!`.
pub fn holds(account: &Account, expression: &str) -> bool {
    expression.split("||").any(|any| {
        any.split("&&").all(|term| {
            let term = term.trim();
            match term.strip_prefix('!') {
                Some(rest) => !truthy(&expand(account, rest)),
                None => truthy(&expand(account, term)),
            }
        })
    })
}

/// Whether `feature` is enabled for the account: on unless set to 0 in
/// `/var/cpanel/features/<list>` or listed in `/var/cpanel/features/disabled`.
pub fn feature_enabled(account: &Account, feature: &str) -> bool {
    let feature = feature.trim();
    if feature.is_empty()
        || !feature
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return false;
    }
    let off_in = |list: &str| {
        if list.contains('/') || list.starts_with('.') {
            return false;
        }
        account
            .system_file(&format!("var/cpanel/features/{list}"))
            .is_some_and(|text| {
                text.lines().any(|line| {
                    line.split_once('=')
                        .is_some_and(|(k, v)| k.trim() == feature && v.trim() == "0")
                })
            })
    };
    !off_in("disabled") && !off_in(&account.feature_list)
}

fn variable(account: &Account, name: &str) -> Option<String> {
    let value = match name {
        "homedir" => account.home.to_string_lossy().into_owned(),
        "user" | "authuser" => account.user.clone(),
        "CPDATA{'DNS'}" | "CPDATA{\"DNS\"}" | "CPDATA{DNS}" => account.main_domain.clone(),
        "CPDATA{'USER'}" | "CPDATA{USER}" => account.user.clone(),
        // liveapid serves mail, not databases: the account has none through it.
        "haspostgres" | "hasmysql" => "0".to_owned(),
        "isreseller" => u8::from(is_reseller(account)).to_string(),
        _ => return None,
    };
    Some(value)
}

fn is_reseller(account: &Account) -> bool {
    account
        .system_file("var/cpanel/resellers")
        .is_some_and(|text| {
            text.lines()
                .any(|l| l.split(':').next() == Some(account.user.as_str()))
        })
}

fn truthy(value: &str) -> bool {
    !value.is_empty() && value != "0"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountLocator;
    use std::path::Path;

    fn account(dir: &Path) -> Account {
        std::fs::create_dir_all(dir.join("var/cpanel/users")).unwrap();
        std::fs::write(
            dir.join("var/cpanel/users/demo"),
            "DNS=example.com\nFEATURELIST=mail\n",
        )
        .unwrap();
        let home = dir.join("home/dave");
        std::fs::create_dir_all(&home).unwrap();
        AccountLocator::new("demo", dir, Some(&home))
            .unwrap()
            .load()
            .unwrap()
    }

    #[test]
    fn variables_and_literals() {
        let dir = tempfile::tempdir().unwrap();
        let a = account(dir.path());
        assert_eq!(
            expand(&a, "$homedir"),
            dir.path().join("home/dave").display().to_string()
        );
        assert_eq!(expand(&a, "$CPDATA{'DNS'}"), "example.com");
        assert_eq!(expand(&a, "cow"), "cow");
        assert_eq!(expand(&a, "$nosuchvar"), "");
    }

    #[test]
    fn conditions() {
        let dir = tempfile::tempdir().unwrap();
        let a = account(dir.path());
        assert!(holds(&a, "!$haspostgres"));
        assert!(!holds(&a, "$haspostgres"));
        assert!(holds(&a, "$homedir && !$isreseller"));
        assert!(holds(&a, "$haspostgres || $user"));
        std::fs::write(dir.path().join("var/cpanel/resellers"), "demo:all\n").unwrap();
        assert!(holds(&a, "$isreseller"));
    }

    #[test]
    fn features_are_on_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let a = account(dir.path());
        assert!(feature_enabled(&a, "fileman"));
        std::fs::create_dir_all(dir.path().join("var/cpanel/features")).unwrap();
        std::fs::write(
            dir.path().join("var/cpanel/features/mail"),
            "fileman=0\npopaccts=1\n",
        )
        .unwrap();
        assert!(!feature_enabled(&a, "fileman"));
        assert!(feature_enabled(&a, "popaccts"));
        std::fs::write(
            dir.path().join("var/cpanel/features/disabled"),
            "popaccts=0\n",
        )
        .unwrap();
        assert!(!feature_enabled(&a, "popaccts"));
        assert!(!feature_enabled(&a, "../x"));
    }
}
