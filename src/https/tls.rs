//! The TLS side of the front end: the server's certificate and key from PEM
//! files, or a self-signed pair made at start-up, and the SHA-256
//! fingerprint of the certificate (logged, so that a client can pin it).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A server configuration and its certificate's fingerprint.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// `AB:CD:…`, the SHA-256 of the leaf certificate.
    pub fingerprint: String,
}

/// The configuration for `cert` and `key` (PEM), or for a new self-signed
/// pair for `localhost` and the host's name when neither is given.
///
/// # Errors
///
/// [`Error::Config`] when only one is given, a file cannot be read or
/// parsed, or the key does not fit the certificate.
pub fn load(cert: Option<&Path>, key: Option<&Path>) -> Result<Tls> {
    let (chain, key) = match (cert, key) {
        (Some(cert), Some(key)) => (read_chain(cert)?, read_key(key)?),
        (None, None) => self_signed()?,
        _ => {
            return Err(Error::Config(
                "give both --tls-cert and --tls-key, or neither (a self-signed pair is made)"
                    .into(),
            ))
        }
    };
    let fingerprint = fingerprint(&chain[0]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Config(format!("TLS certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
    })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::Config(format!("--tls-cert {}: {e}", path.display())))?;
    if chain.is_empty() {
        return Err(Error::Config(format!(
            "--tls-cert {}: no certificate in it",
            path.display()
        )));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    // The file's error, never its bytes.
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| Error::Config(format!("--tls-key {}: {e}", path.display())))
}

/// A new self-signed certificate for `localhost`, 127.0.0.1, ::1 and the
/// host's name.
fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if !host.is_empty() && !names.iter().any(|n| n == host) {
            names.push(host.to_owned());
        }
    }
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| Error::SelfSignedCertificate(e.to_string()))?;
    let key = PrivateKeyDer::try_from(made.key_pair.serialize_der())
        .map_err(|e| Error::SelfSignedCertificate(e.to_string()))?;
    Ok((vec![made.cert.der().clone()], key))
}

/// `AB:CD:…` (upper-case hex pairs), as `openssl x509 -fingerprint -sha256` prints it.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_pair_is_made_and_saved_pairs_load() {
        let made = load(None, None).unwrap();
        assert_eq!(made.fingerprint.len(), 32 * 3 - 1);
        let pair = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, pair.cert.pem()).unwrap();
        std::fs::write(&key, pair.key_pair.serialize_pem()).unwrap();
        let loaded = load(Some(&cert), Some(&key)).unwrap();
        assert_eq!(loaded.fingerprint, fingerprint(pair.cert.der()));
        assert!(load(Some(&cert), None).is_err());
        assert!(load(Some(&key), Some(&key)).is_err());
    }
}
