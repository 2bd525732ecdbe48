//! TLS against a real rustls server on loopback with a certificate made at test time: handshake
//! timing, the self-signed failure, `--cacert` (also for a self-signed CA certificate as `openssl
//! req -x509` makes), a certificate for another host, an expired one, and `-k`; each failure with
//! its diagnosis.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use culprit_probe::exchange::{FailureKind, Phase};
use culprit_probe::probe::ProbeReport;
use culprit_probe::{Options, run};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The certificate a test server presents.
#[derive(Clone, Copy, Default)]
struct Cert<'a> {
    /// subjectAltName DNS names; empty = a Common Name only (as `openssl req -x509 -subj
    /// /CN=…` without `-addext subjectAltName`).
    names: &'a [&'a str],
    /// Validity ended in 2021.
    expired: bool,
    /// basicConstraints CA:TRUE, as `openssl req -x509` writes by default.
    is_ca: bool,
}

/// A TLS server for `names` answering every request with 200; returns its address and the
/// certificate (PEM). Runs on its own thread until the test process ends.
fn tls_server(names: &[&str]) -> (SocketAddr, String) {
    server(Cert { names, ..Cert::default() }, &[b"http/1.1"])
}

/// As [`tls_server`]; `expired` makes the certificate's validity end in 2021.
fn tls_server_with(names: &[&str], expired: bool) -> (SocketAddr, String) {
    server(Cert { names, expired, ..Cert::default() }, &[b"http/1.1"])
}

/// A TLS server speaking HTTP/2 or HTTP/1.1 (by ALPN) through hyper's server, answering 200 with
/// the protocol and authority it saw. Runs on its own thread until the test process ends.
fn server(spec: Cert<'_>, alpn: &[&[u8]]) -> (SocketAddr, String) {
    use http_body_util::Full;
    let key_pair = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(spec.names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    if spec.names.is_empty() {
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    }
    if spec.expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    if spec.is_ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key_pair).unwrap();
    let pem = cert.pem();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der())),
        )
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                        let authority = req
                            .uri()
                            .authority()
                            .map(ToString::to_string)
                            .or_else(|| req.headers().get("host").and_then(|h| h.to_str().ok()).map(str::to_owned));
                        let body = format!("{:?} {}", req.version(), authority.unwrap_or_default());
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(bytes::Bytes::from(body))))
                    });
                    let io = hyper_util::rt::TokioIo::new(tls);
                    if h2 {
                        let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                            .serve_connection(io, service)
                            .await;
                    } else {
                        let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                    }
                });
            }
        });
    });
    (addr, pem)
}

#[test]
fn self_signed_cacert_wrong_host_and_insecure() {
    let (addr, pem) = tls_server(&["localhost"]);
    let url = format!("https://localhost:{}/health", addr.port());
    let resolve =
        culprit_probe::options::parse_override(&format!("localhost:{}:127.0.0.1", addr.port()), false).unwrap();
    let base = Options { overrides: vec![resolve], ..Options::default() };

    // Unknown issuer: the TLS phase fails, diagnosed with the way out.
    let r = run(&url, &base, &[]).unwrap();
    let f = r.outcome.failure.as_ref().expect("a TLS failure");
    assert_eq!((f.phase, f.kind), (Phase::Tls, FailureKind::TlsUnknownCa));
    assert!(f.message.contains("self-signed"), "{}", f.message);
    let d = r.outcome.diagnosis.as_ref().unwrap();
    assert!(d.says.contains("--cacert") && d.says.contains("localhost"), "{}", d.says);
    assert_eq!(r.outcome.causes[0].id, "certificate_untrusted");
    assert_eq!(r.outcome.checks[0].id, "tls_chain");
    assert!(r.outcome.checks[0].command.contains(&format!("localhost:{}", addr.port())), "{:?}", r.outcome.checks);

    // Trusted with --cacert: a full exchange, the handshake timed.
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(pem.as_bytes()).unwrap();
    let trusted = Options { cacert: Some(ca.path().to_owned()), ..base.clone() };
    let r = run(&url, &trusted, &[]).unwrap();
    assert_eq!(r.outcome.status, Some(200), "{:?}", r.outcome);
    let hop = &r.hops[0];
    assert!(hop.timings.tls_ms.is_some_and(|t| t > 0.0), "{:?}", hop.timings);
    let tls = hop.tls.as_ref().unwrap();
    assert_eq!((tls.alpn.as_deref(), tls.unverified), (Some("http/1.1"), false));
    assert!(tls.version.starts_with("TLSv1"), "{}", tls.version);

    // The same certificate presented for another name.
    let other = format!("https://127.0.0.1:{}/health", addr.port());
    let r = run(&other, &trusted, &[]).unwrap();
    let f = r.outcome.failure.as_ref().expect("a name mismatch");
    assert_eq!(f.kind, FailureKind::TlsWrongName);
    assert!(f.message.contains("not valid for the name 127.0.0.1"), "{}", f.message);
    assert_eq!(r.outcome.causes[0].id, "certificate_name_mismatch");

    // -k: accepted, and marked unverified.
    let insecure = Options { insecure: true, ..base };
    let r = run(&url, &insecure, &[]).unwrap();
    assert_eq!(r.outcome.status, Some(200));
    assert!(r.hops[0].tls.as_ref().unwrap().unverified);
    assert!(r.request.insecure);
}

#[test]
fn plain_http_to_a_tls_port_and_tls_to_a_plain_port() {
    let (addr, _) = tls_server(&["localhost"]);
    // HTTP/1.1 bytes to a TLS server: it answers with a TLS alert, not HTTP.
    let r = run(&format!("http://127.0.0.1:{}/", addr.port()), &Options::default(), &[]).unwrap();
    assert!(r.outcome.status.is_none());
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.phase, f.kind), (Phase::Response, FailureKind::HttpToTlsPort), "{:?}", r.outcome);
    assert!(r.outcome.diagnosis.as_ref().unwrap().says.contains("speaks https://"));
    // TLS to a port that speaks plain HTTP: the handshake fails, naming the likely reason.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = plain.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in plain.incoming().flatten().take(1) {
            let mut s = stream;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let r = run(&format!("https://127.0.0.1:{port}/"), &Options { insecure: true, ..Options::default() }, &[]).unwrap();
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.phase, f.kind), (Phase::Tls, FailureKind::TlsToPlainPort), "{:?}", r.outcome);
    assert!(!f.message.contains("InvalidContentType") && !f.message.contains("corrupt"), "{}", f.message);
    let d = r.outcome.diagnosis.as_ref().unwrap();
    assert!(d.says.contains("speaks http://"), "{}", d.says);
    assert_eq!(r.outcome.causes[0].id, "scheme_port_mismatch");
}

#[test]
fn expired_certificate() {
    let (addr, pem) = tls_server_with(&["localhost"], true);
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(pem.as_bytes()).unwrap();
    let resolve =
        culprit_probe::options::parse_override(&format!("localhost:{}:127.0.0.1", addr.port()), false).unwrap();
    let options = Options { overrides: vec![resolve], cacert: Some(ca.path().to_owned()), ..Options::default() };
    let r = run(&format!("https://localhost:{}/", addr.port()), &options, &[]).unwrap();
    let f = r.outcome.failure.as_ref().expect("an expired certificate");
    assert_eq!(f.kind, FailureKind::TlsExpired);
    assert!(f.message.contains("expired on 2021-01-01T00:00:00Z"), "{}", f.message);
    assert_eq!(r.outcome.causes[0].id, "certificate_expired");
}

fn write_pem(pem: &str) -> tempfile::NamedTempFile {
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(pem.as_bytes()).unwrap();
    ca
}

fn at_localhost(addr: SocketAddr, cacert: Option<&std::path::Path>) -> Options {
    let resolve =
        culprit_probe::options::parse_override(&format!("localhost:{}:127.0.0.1", addr.port()), false).unwrap();
    Options { overrides: vec![resolve], cacert: cacert.map(ToOwned::to_owned), ..Options::default() }
}

fn failure_kind(r: &ProbeReport) -> Option<FailureKind> {
    r.outcome.failure.as_ref().map(|f| f.kind)
}

/// `openssl req -x509` writes basicConstraints CA:TRUE into the self-signed certificate it makes;
/// webpki refuses such a certificate as a server's own (CaUsedAsEndEntity). curl trusts it when it
/// is given with --cacert, and so must culprit — still checking the name and the dates.
#[test]
fn self_signed_ca_certificate_given_with_cacert_is_trusted_like_curl() {
    let (addr, pem) = server(Cert { names: &["localhost"], is_ca: true, ..Cert::default() }, &[b"http/1.1"]);
    let url = format!("https://localhost:{}/", addr.port());

    // Not given: an unknown certificate, said in words (never `Other(OtherError(…))`).
    let r = run(&url, &at_localhost(addr, None), &[]).unwrap();
    assert_eq!(failure_kind(&r), Some(FailureKind::TlsUnknownCa), "{:?}", r.outcome);
    let message = &r.outcome.failure.as_ref().unwrap().message;
    assert!(!message.contains("OtherError") && message.contains("openssl req -x509"), "{message}");

    // Given: trusted.
    let ca = write_pem(&pem);
    let r = run(&url, &at_localhost(addr, Some(ca.path())), &[]).unwrap();
    assert_eq!(r.outcome.status, Some(200), "{:?}", r.outcome);

    // Given, but asked for another name: the name is still checked.
    let r = run(&format!("https://127.0.0.1:{}/", addr.port()), &at_localhost(addr, Some(ca.path())), &[]).unwrap();
    assert_eq!(failure_kind(&r), Some(FailureKind::TlsWrongName), "{:?}", r.outcome);

    // Expired: still refused, although given.
    let (addr, pem) = server(Cert { names: &["localhost"], is_ca: true, expired: true }, &[b"http/1.1"]);
    let ca = write_pem(&pem);
    let r = run(&format!("https://localhost:{}/", addr.port()), &at_localhost(addr, Some(ca.path())), &[]).unwrap();
    assert_eq!(failure_kind(&r), Some(FailureKind::TlsExpired), "{:?}", r.outcome);

    // A different self-signed CA certificate in --cacert does not vouch for this one.
    let (other_addr, _) = server(Cert { names: &["localhost"], is_ca: true, ..Cert::default() }, &[b"http/1.1"]);
    let r = run(&format!("https://localhost:{}/", other_addr.port()), &at_localhost(other_addr, Some(ca.path())), &[])
        .unwrap();
    assert_eq!(failure_kind(&r), Some(FailureKind::TlsUnknownCa), "{:?}", r.outcome);
}

/// `openssl req -x509 -subj /CN=localhost` without subjectAltName: curl falls back to the Common
/// Name for a certificate with no DNS names; culprit does the same for a certificate given with
/// --cacert, and refuses other names.
#[test]
fn common_name_only_certificate_given_with_cacert() {
    let (addr, pem) = server(Cert { names: &[], is_ca: true, ..Cert::default() }, &[b"http/1.1"]);
    let ca = write_pem(&pem);
    let r = run(&format!("https://localhost:{}/", addr.port()), &at_localhost(addr, Some(ca.path())), &[]).unwrap();
    assert_eq!(r.outcome.status, Some(200), "{:?}", r.outcome);
    let resolve =
        culprit_probe::options::parse_override(&format!("other.test:{}:127.0.0.1", addr.port()), false).unwrap();
    let options = Options { overrides: vec![resolve], cacert: Some(ca.path().to_owned()), ..Options::default() };
    let r = run(&format!("https://other.test:{}/", addr.port()), &options, &[]).unwrap();
    assert_eq!(failure_kind(&r), Some(FailureKind::TlsWrongName), "{:?}", r.outcome);
}

/// A port that accepts TCP and never speaks: the handshake times out, and says so.
#[test]
fn tls_handshake_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let options = Options { timeout: std::time::Duration::from_millis(400), ..Options::default() };
    let r = run(&format!("https://127.0.0.1:{port}/"), &options, &[]).unwrap();
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.kind, f.timed_out), (FailureKind::TlsHandshakeTimeout, true), "{:?}", r.outcome);
    assert_eq!(r.outcome.causes[0].id, "tls_handshake_stalled");
}

#[test]
fn http2_by_alpn_and_http1_on_request() {
    let (addr, pem) = server(Cert { names: &["localhost"], ..Cert::default() }, &[b"h2", b"http/1.1"]);
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(pem.as_bytes()).unwrap();
    let resolve =
        culprit_probe::options::parse_override(&format!("localhost:{}:127.0.0.1", addr.port()), false).unwrap();
    let options = Options { overrides: vec![resolve], cacert: Some(ca.path().to_owned()), ..Options::default() };
    let url = format!("https://localhost:{}/x?y=1", addr.port());
    let r = run(&url, &options, &[]).unwrap();
    assert_eq!(r.outcome.status, Some(200), "{:?}", r.outcome);
    let hop = &r.hops[0];
    assert_eq!(hop.tls.as_ref().unwrap().alpn.as_deref(), Some("h2"));
    let response = hop.response.as_ref().unwrap();
    assert_eq!(response.version, "HTTP/2");
    assert_eq!(response.body_preview, format!("HTTP/2.0 localhost:{}", addr.port()));
    let http1 = Options { http_version: culprit_probe::options::HttpVersion::Http1, ..options };
    let r = run(&url, &http1, &[]).unwrap();
    let response = r.hops[0].response.as_ref().unwrap();
    assert_eq!(
        (response.version.as_str(), response.body_preview.as_str()),
        ("HTTP/1.1", format!("HTTP/1.1 localhost:{}", addr.port()).as_str())
    );
}
