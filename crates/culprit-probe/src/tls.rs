//! rustls configuration: Mozilla's roots plus `--cacert`, or no verification at all with `-k`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::TlsConnector;

use crate::options::{HttpVersion, Options};

/// The client configurations, one per ALPN offer.
#[derive(Clone)]
pub struct TlsSetup {
    auto: TlsConnector,
    http1: TlsConnector,
    http2: TlsConnector,
}

impl std::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsSetup")
    }
}

impl TlsSetup {
    pub fn new(options: &Options) -> Result<TlsSetup, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &options.cacert {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("--cacert {}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("--cacert {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("--cacert {}: no PEM certificate in the file", path.display()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
            }
        }
        let config = |alpn: &[&[u8]]| -> Result<TlsConnector, String> {
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?;
            let mut config = if options.insecure {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider.clone())))
                    .with_no_client_auth()
            } else {
                builder.with_root_certificates(roots.clone()).with_no_client_auth()
            };
            config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            Ok(TlsConnector::from(Arc::new(config)))
        };
        Ok(TlsSetup { auto: config(&[b"h2", b"http/1.1"])?, http1: config(&[b"http/1.1"])?, http2: config(&[b"h2"])? })
    }

    pub fn connector(&self, version: HttpVersion) -> &TlsConnector {
        match version {
            HttpVersion::Auto => &self.auto,
            HttpVersion::Http1 => &self.http1,
            HttpVersion::Http2 => &self.http2,
        }
    }
}

/// `-k`: any certificate is accepted; signatures are still checked so the handshake is real.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A handshake failure as a person can act on it.
pub fn describe_error(e: &std::io::Error, host: &str) -> String {
    use rustls::CertificateError as C;
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            C::UnknownIssuer => format!(
                "the certificate of {host} is self-signed or from an unknown CA (trust it with --cacert FILE; -k skips the check)"
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!(
                    "the certificate is not valid for {host} (wrong host, or a default certificate: check the Ingress tls hosts)"
                )
            }
            C::Expired | C::ExpiredContext { .. } => format!("the certificate of {host} has expired"),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet (clock skew?)")
            }
            other => format!("the certificate of {host} was rejected: {other:?}"),
        },
        Some(other) => format!("TLS with {host} failed: {other}"),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("{host} closed the connection during the TLS handshake (plain HTTP on this port?)")
        }
        None => format!("TLS with {host} failed: {e}"),
    }
}
