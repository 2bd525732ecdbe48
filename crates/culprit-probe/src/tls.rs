//! rustls configuration: Mozilla's roots plus `--cacert`, or no verification at all with `-k`.
//!
//! A certificate given with `--cacert` is trusted as curl (OpenSSL) trusts it, also when it is the
//! server's own self-signed certificate with `basicConstraints CA:TRUE` — what `openssl req -x509`
//! makes — which webpki rejects as a CA used as an end entity.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::TlsConnector;

use crate::exchange::FailureKind;
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
        let mut given = Vec::new();
        if let Some(path) = &options.cacert {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("--cacert {}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("--cacert {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("--cacert {}: no PEM certificate in the file", path.display()));
            }
            for cert in certs {
                roots.add(cert.clone()).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
                given.push(cert);
            }
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
        let verifier = Arc::new(TrustGiven { webpki: verifier, given });
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
                builder.dangerous().with_custom_certificate_verifier(verifier.clone()).with_no_client_auth()
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

/// The normal verification (Mozilla's roots and `--cacert`), and curl's acceptance of a certificate
/// given with `--cacert` that the server presents as its own.
///
/// webpki refuses a self-signed certificate that says `CA:TRUE` as the server's certificate
/// (`CaUsedAsEndEntity`), and a leaf given as the only trust anchor (`UnknownIssuer`); OpenSSL,
/// and so curl, accept both when the certificate is in the `--cacert` file. Both errors come after
/// webpki has checked the certificate's validity dates and key usage (it checks them before looking
/// for an issuer), so accepting an exact match of a given certificate after one of these two
/// errors keeps every check but the chain, which the exact match replaces; the name is checked here.
#[derive(Debug)]
struct TrustGiven {
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates of `--cacert`, compared byte for byte with the server's.
    given: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for TrustGiven {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(e))
                if chain_only(&e) && self.given.iter().any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                valid_for_name(end_entity, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The errors that concern only the chain to a trusted root (see [`TrustGiven`]).
fn chain_only(e: &CertificateError) -> bool {
    match e {
        CertificateError::UnknownIssuer => true,
        CertificateError::Other(other) => {
            matches!(other.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity))
        }
        _ => false,
    }
}

/// The server name check for a certificate trusted by exact match: its subjectAltNames, or — as
/// curl does for a certificate without DNS names — the last Common Name of its subject.
fn valid_for_name(cert: &CertificateDer<'_>, name: &ServerName<'_>) -> Result<(), rustls::Error> {
    let parsed = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    if parsed.verify_is_valid_for_subject_name(name).is_ok() {
        return Ok(());
    }
    let host = match name {
        ServerName::DnsName(d) => Some(d.as_ref()),
        _ => None,
    };
    if let Some(host) = host
        && parsed.valid_dns_names().next().is_none()
        && common_name(parsed.subject()).is_some_and(|cn| name_matches(&cn, host))
    {
        return Ok(());
    }
    Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName))
}

/// The last Common Name (OID 2.5.4.3) in a DER-encoded Name's contents, as text.
fn common_name(subject: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    let mut found = None;
    let mut rdns = subject;
    while let Some((_, rdn, rest)) = der(rdns) {
        rdns = rest;
        let mut attributes = rdn;
        while let Some((_, attribute, rest)) = der(attributes) {
            attributes = rest;
            let Some((0x06, oid, value)) = der(attribute) else { continue };
            if oid != CN {
                continue;
            }
            // UTF8String, PrintableString, T61String, IA5String.
            if let Some((0x0c | 0x13 | 0x14 | 0x16, text, _)) = der(value) {
                found = std::str::from_utf8(text).ok().map(str::to_owned);
            }
        }
    }
    found
}

/// One DER TLV: (tag, contents, rest), or `None` when the bytes are not well-formed.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |l, &b| (l << 8) | usize::from(b)), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A certificate name against the host: equal without case, or a `*.` wildcard for one label.
fn name_matches(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

/// A handshake failure: its kind, and what happened in words.
pub fn describe_error(e: &std::io::Error, host: &str) -> (FailureKind, String) {
    use rustls::CertificateError as C;
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            C::UnknownIssuer => (
                FailureKind::TlsUnknownCa,
                format!("the certificate of {host} is self-signed or from a CA this client does not know"),
            ),
            C::Other(_) if chain_only(c) => (
                FailureKind::TlsUnknownCa,
                format!(
                    "the certificate of {host} is a self-signed CA certificate (as `openssl req -x509` makes) \
                     that is not in --cacert"
                ),
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                (FailureKind::TlsWrongName, format!("the certificate is not valid for the name {host}"))
            }
            C::Expired => (FailureKind::TlsExpired, format!("the certificate of {host} has expired")),
            C::ExpiredContext { not_after, .. } => {
                (FailureKind::TlsExpired, format!("the certificate of {host} expired on {}", date(*not_after)))
            }
            C::NotValidYet => (FailureKind::TlsNotYetValid, format!("the certificate of {host} is not valid yet")),
            C::NotValidYetContext { not_before, .. } => (
                FailureKind::TlsNotYetValid,
                format!("the certificate of {host} is valid only from {}", date(*not_before)),
            ),
            C::BadSignature => {
                (FailureKind::TlsBadCertificate, format!("the certificate of {host} has a bad signature"))
            }
            C::Revoked => (FailureKind::TlsBadCertificate, format!("the certificate of {host} is revoked")),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                (FailureKind::TlsBadCertificate, format!("the certificate of {host} is not for server authentication"))
            }
            C::BadEncoding => (FailureKind::TlsBadCertificate, format!("the certificate of {host} is malformed")),
            other => (FailureKind::TlsBadCertificate, format!("the certificate of {host} was rejected ({other})")),
        },
        Some(rustls::Error::InvalidMessage(m)) => {
            use rustls::InvalidMessage as M;
            if matches!(m, M::InvalidContentType | M::UnknownProtocolVersion | M::MessageTooLarge) {
                (
                    FailureKind::TlsToPlainPort,
                    format!("{host} answered the TLS hello with bytes that are not TLS (plain HTTP on this port?)"),
                )
            } else {
                (FailureKind::TlsFailed, format!("{host} sent a malformed TLS message ({m:?})"))
            }
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            (FailureKind::TlsAlert, format!("{host} ended the handshake with the TLS alert '{}'", alert_words(*alert)))
        }
        Some(rustls::Error::PeerIncompatible(why)) => {
            (FailureKind::TlsAlert, format!("{host} offers no TLS version or cipher this client accepts ({why:?})"))
        }
        Some(other) => (FailureKind::TlsFailed, format!("TLS with {host} failed: {other}")),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            (FailureKind::TlsClosed, format!("{host} closed the connection during the TLS handshake"))
        }
        None if e.kind() == std::io::ErrorKind::ConnectionReset => {
            (FailureKind::TlsClosed, format!("{host} reset the connection during the TLS handshake"))
        }
        None => (FailureKind::TlsFailed, format!("TLS with {host} failed: {e}")),
    }
}

/// An alert's name as the TLS specification writes it ("handshake failure", "protocol version").
fn alert_words(alert: rustls::AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut words = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

/// A certificate time in RFC 3339 (UTC).
fn date(t: UnixTime) -> String {
    crate::ratelimit::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()))
}
