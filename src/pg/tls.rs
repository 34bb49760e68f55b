//! TLS for PostgreSQL connections: the trust roots (the embedded Amazon RDS CA bundle plus an
//! optional `sslrootcert` file) and a verifying rustls handshake whose failures are classified
//! (unknown CA, host name mismatch, expired) for the diagnosis. Always verifies chain and name
//! (libpq `verify-full`); the doctor never sends a token over an unverified channel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The Amazon RDS CA certificates (roots and intermediates of every region, RDS Proxy
/// included); source and refresh recipe in the file's header.
pub const RDS_CA_BUNDLE_PEM: &str = include_str!("../../data/rds-ca-bundle.pem");

/// Where users get the same bundle for psql (`sslrootcert=`).
pub const RDS_CA_BUNDLE_URL: &str =
    "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";

/// Trust anchors for the handshake, with where they came from (for evidence lines).
#[derive(Debug, Clone)]
pub struct TrustRoots {
    store: Arc<RootCertStore>,
    pub bundled: usize,
    pub extra: usize,
    pub extra_path: Option<PathBuf>,
}

impl TrustRoots {
    /// The embedded RDS bundle, plus every certificate in `extra` (`--sslrootcert`).
    pub fn load(extra: Option<&Path>) -> Result<Self, String> {
        let mut store = RootCertStore::empty();
        let bundle: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(RDS_CA_BUNDLE_PEM.as_bytes())
                .filter_map(Result::ok)
                .collect();
        let (bundled, _) = store.add_parsable_certificates(bundle);
        let mut extra_count = 0;
        if let Some(path) = extra {
            let pem = crate::input::read_capped(path, super::bounds::MAX_SSLROOTCERT_BYTES)
                .map_err(|e| {
                    format!(
                        "sslrootcert {}: {e}; give a PEM file of CA certificates",
                        path.display()
                    )
                })?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("sslrootcert {}: not valid PEM ({e})", path.display()))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {}: no CA certificate in it",
                    path.display()
                ));
            }
            extra_count = added;
        }
        Ok(TrustRoots {
            store: Arc::new(store),
            bundled,
            extra: extra_count,
            extra_path: extra.map(Path::to_path_buf),
        })
    }

    /// "120 Amazon RDS CAs (embedded) + 1 from ca.pem".
    pub fn describe(&self) -> String {
        let mut text = format!("{} Amazon RDS CAs (embedded)", self.bundled);
        if let Some(path) = &self.extra_path {
            text.push_str(&format!(" + {} from {}", self.extra, path.display()));
        }
        text
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?
            .with_root_certificates(Arc::clone(&self.store))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// Why a verifying handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The chain leads to no trusted CA.
    UnknownCa,
    /// The certificate does not name the host; `presented` are its names when known.
    HostnameMismatch { presented: Vec<String> },
    /// The certificate (or a CA) expired or is not yet valid.
    Expired,
    /// No complete handshake within the step's timeout (a server silent after `S`).
    Timeout(std::time::Duration),
    /// The server closed or reset the connection during the handshake: a network or protocol
    /// fault, not a certificate problem.
    Closed(String),
    /// Anything else, with rustls' text.
    Other(String),
}

/// A successful handshake's facts.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub protocol: String,
    pub cipher: String,
}

/// Verifying handshake over `tcp` for `server_name` (the endpoint name, even when TCP goes to
/// a tunnel).
/// The handshake as a whole must finish within `timeout`.
pub async fn handshake(
    tcp: TcpStream,
    server_name: &str,
    roots: &TrustRoots,
    timeout: std::time::Duration,
) -> Result<(TlsStream<TcpStream>, TlsInfo), TlsFailure> {
    let config = roots.client_config().map_err(TlsFailure::Other)?;
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| TlsFailure::Other(format!("{server_name:?} is not a valid TLS name: {e}")))?;
    let connect = TlsConnector::from(config).connect(name, tcp);
    let stream = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| TlsFailure::Timeout(timeout))?
        .map_err(|e| classify(&e))?;
    let connection = stream.get_ref().1;
    let info = TlsInfo {
        protocol: connection
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default(),
    };
    Ok((stream, info))
}

/// rustls reports names in Debug form (`DnsName("x")`, `IpAddress(..)`): keep the name.
fn plain_name(presented: &str) -> String {
    presented
        .split_once("(\"")
        .and_then(|(_, rest)| rest.strip_suffix("\")"))
        .unwrap_or(presented)
        .to_owned()
}

fn classify(err: &std::io::Error) -> TlsFailure {
    let Some(rustls_error) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        // No rustls error inside: the transport failed (EOF, reset) during the handshake.
        return TlsFailure::Closed(err.to_string());
    };
    match rustls_error {
        rustls::Error::InvalidCertificate(cert_error) => match cert_error {
            CertificateError::UnknownIssuer => TlsFailure::UnknownCa,
            CertificateError::NotValidForName => TlsFailure::HostnameMismatch { presented: vec![] },
            CertificateError::NotValidForNameContext { presented, .. } => {
                TlsFailure::HostnameMismatch {
                    presented: presented.iter().map(|n| plain_name(n)).collect(),
                }
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            other => TlsFailure::Other(format!("invalid certificate: {other:?}")),
        },
        other => TlsFailure::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_bundle_loads_every_rds_ca() {
        let roots = TrustRoots::load(None).unwrap_or_else(|e| panic!("{e}"));
        let in_file = RDS_CA_BUNDLE_PEM.matches("BEGIN CERTIFICATE").count();
        assert!(in_file >= 100, "bundle has only {in_file} certificates");
        assert_eq!(
            roots.bundled, in_file,
            "some embedded certificates do not parse"
        );
    }

    #[test]
    fn presented_names_lose_their_debug_wrapping() {
        assert_eq!(plain_name("DnsName(\"db.example\")"), "db.example");
        assert_eq!(plain_name("db.example"), "db.example");
    }

    #[test]
    fn missing_sslrootcert_is_an_error_naming_the_file() {
        let err = TrustRoots::load(Some(Path::new("/nonexistent/ca.pem"))).err();
        assert!(err.is_some_and(|e| e.contains("/nonexistent/ca.pem")));
    }
}
