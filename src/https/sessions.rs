//! Login sessions: a random cookie secret (`cpsession`) and a random
//! security token (`/cpsess` and 10 digits) in the paths; a call needs
//! both. Kept in memory by the front end: a restart logs everyone out.
//!
//! The table is keyed by the SHA-256 of the cookie, so a lookup's timing
//! says nothing about the secret; the path token is compared in constant
//! time. A session unused for the idle time is gone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Result;

/// The most sessions kept; past it, the longest unused go first.
const MAX_SESSIONS: usize = 10_000;

/// Who a session (or any successful authentication) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The cPanel account itself (its system password or an API token).
    Account { user: String },
    /// A mailbox of the account `user`, logged in with its own password:
    /// it may change that password and nothing else.
    Webmail {
        user: String,
        localpart: String,
        domain: String,
    },
}

impl Identity {
    /// The cPanel account the identity acts on.
    pub fn account(&self) -> &str {
        match self {
            Identity::Account { user } | Identity::Webmail { user, .. } => user,
        }
    }
}

struct Session {
    identity: Identity,
    security_token: String,
    last_used: Instant,
}

/// The live sessions.
pub struct Sessions {
    idle: Duration,
    table: Mutex<HashMap<[u8; 32], Session>>,
}

/// A new session's secrets, for the login reply.
pub struct NewSession {
    pub cookie: Zeroizing<String>,
    /// `cpsess` and 10 digits.
    pub security_token: String,
}

impl Sessions {
    /// Sessions that end after `idle` unused.
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `identity`.
    ///
    /// # Errors
    ///
    /// When the system's random source fails.
    pub fn create(&self, identity: Identity) -> Result<NewSession> {
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut secret[..]).map_err(|e| std::io::Error::other(e.to_string()))?;
        let cookie = Zeroizing::new(
            secret
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
        let mut digits = [0u8; 10];
        for d in &mut digits {
            *d = b'0' + random_below_ten()?;
        }
        let security_token = format!("cpsess{}", String::from_utf8_lossy(&digits));
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        table.retain(|_, s| now.duration_since(s.last_used) < self.idle);
        if table.len() >= MAX_SESSIONS {
            if let Some(oldest) = table
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| *k)
            {
                table.remove(&oldest);
            }
        }
        table.insert(
            key(&cookie),
            Session {
                identity,
                security_token: security_token.clone(),
                last_used: now,
            },
        );
        Ok(NewSession {
            cookie,
            security_token,
        })
    }

    /// The identity of the session whose cookie is `cookie`, when
    /// `security_token` is that session's and it has not expired; using it
    /// restarts its idle time.
    pub fn find(&self, cookie: &str, security_token: &str) -> Option<Identity> {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let k = key(cookie);
        let session = table.get_mut(&k)?;
        let now = Instant::now();
        if now.duration_since(session.last_used) >= self.idle {
            table.remove(&k);
            return None;
        }
        let same = session.security_token.len() == security_token.len()
            && bool::from(
                session
                    .security_token
                    .as_bytes()
                    .ct_eq(security_token.as_bytes()),
            );
        if !same {
            return None;
        }
        session.last_used = now;
        Some(session.identity.clone())
    }

    /// Ends the session of `cookie`; whether there was one.
    pub fn end(&self, cookie: &str) -> bool {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.remove(&key(cookie)).is_some()
    }
}

fn key(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

/// A uniform digit 0..=9.
fn random_below_ten() -> Result<u8> {
    loop {
        let mut b = [0u8; 1];
        getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
        // 250 = 25 × 10: rejecting the rest keeps every digit equally likely.
        if b[0] < 250 {
            return Ok(b[0] % 10);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob() -> Identity {
        Identity::Account { user: "bob".into() }
    }

    #[test]
    fn a_session_needs_its_cookie_and_its_token() {
        let sessions = Sessions::new(Duration::from_secs(600));
        let a = sessions.create(bob()).unwrap();
        let b = sessions.create(bob()).unwrap();
        assert_eq!(a.security_token.len(), "cpsess".len() + 10);
        assert_ne!(a.cookie, b.cookie);
        assert_eq!(sessions.find(&a.cookie, &a.security_token), Some(bob()));
        assert_eq!(
            sessions.find(&a.cookie, &b.security_token).is_some(),
            a.security_token == b.security_token
        );
        assert_eq!(sessions.find("nope", &a.security_token), None);
        assert!(sessions.end(&a.cookie));
        assert_eq!(sessions.find(&a.cookie, &a.security_token), None);
        assert!(!sessions.end(&a.cookie));
    }

    #[test]
    fn an_idle_session_is_gone() {
        let sessions = Sessions::new(Duration::ZERO);
        let a = sessions.create(bob()).unwrap();
        assert_eq!(sessions.find(&a.cookie, &a.security_token), None);
    }
}
