//! One request/response exchange with every phase timed: DNS, TCP connect, TLS handshake, request
//! written, first response byte, body transfer. Built from tokio + rustls + hyper's connection-level
//! client (not a pooled client) because the phases are what we measure.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::options::{HttpVersion, Options};

/// The request of one hop.
#[derive(Debug, Clone)]
pub struct HopRequest {
    pub method: http::Method,
    pub url: url::Url,
    /// Headers as sent (Host included when overridden).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Connect here instead of resolving the URL's host (`--resolve`, `--connect-to`, `--via`).
    pub connect_to: Option<SocketAddr>,
}

/// Milliseconds spent in each phase (`None`: the phase did not happen, e.g. TLS on http://).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    /// From connected to the last request byte written.
    pub send_ms: Option<f64>,
    /// From the request written to the first response byte ("server processing").
    pub wait_ms: Option<f64>,
    /// From the first response byte to the last body byte.
    pub transfer_ms: Option<f64>,
    pub total_ms: f64,
}

/// The phase a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Dns,
    Connect,
    Tls,
    Send,
    Response,
    Body,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Dns => "DNS lookup",
            Phase::Connect => "TCP connect",
            Phase::Tls => "TLS handshake",
            Phase::Send => "sending the request",
            Phase::Response => "waiting for the response",
            Phase::Body => "reading the body",
        }
    }
}

/// How a request failed, as the knowledge base's failure modes (`failures.toml`) name it: each
/// has a sentence for a person, the layer it points to, causes and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    DnsFailed,
    DnsTimeout,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    ConnectFailed,
    TlsUnknownCa,
    TlsWrongName,
    TlsExpired,
    TlsNotYetValid,
    TlsBadCertificate,
    TlsToPlainPort,
    TlsClosed,
    TlsAlert,
    TlsHandshakeTimeout,
    TlsFailed,
    HttpToTlsPort,
    SendFailed,
    ConnectionClosed,
    ConnectionReset,
    InvalidResponse,
    ResponseTimeout,
    BodyCut,
    BodyTimeout,
}

impl FailureKind {
    pub const ALL: [FailureKind; 24] = [
        FailureKind::DnsFailed,
        FailureKind::DnsTimeout,
        FailureKind::ConnectRefused,
        FailureKind::ConnectTimeout,
        FailureKind::ConnectUnreachable,
        FailureKind::ConnectFailed,
        FailureKind::TlsUnknownCa,
        FailureKind::TlsWrongName,
        FailureKind::TlsExpired,
        FailureKind::TlsNotYetValid,
        FailureKind::TlsBadCertificate,
        FailureKind::TlsToPlainPort,
        FailureKind::TlsClosed,
        FailureKind::TlsAlert,
        FailureKind::TlsHandshakeTimeout,
        FailureKind::TlsFailed,
        FailureKind::HttpToTlsPort,
        FailureKind::SendFailed,
        FailureKind::ConnectionClosed,
        FailureKind::ConnectionReset,
        FailureKind::InvalidResponse,
        FailureKind::ResponseTimeout,
        FailureKind::BodyCut,
        FailureKind::BodyTimeout,
    ];

    /// The knowledge base's failure-mode id (the serialized name).
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::DnsFailed => "dns_failed",
            FailureKind::DnsTimeout => "dns_timeout",
            FailureKind::ConnectRefused => "connect_refused",
            FailureKind::ConnectTimeout => "connect_timeout",
            FailureKind::ConnectUnreachable => "connect_unreachable",
            FailureKind::ConnectFailed => "connect_failed",
            FailureKind::TlsUnknownCa => "tls_unknown_ca",
            FailureKind::TlsWrongName => "tls_wrong_name",
            FailureKind::TlsExpired => "tls_expired",
            FailureKind::TlsNotYetValid => "tls_not_yet_valid",
            FailureKind::TlsBadCertificate => "tls_bad_certificate",
            FailureKind::TlsToPlainPort => "tls_to_plain_port",
            FailureKind::TlsClosed => "tls_closed",
            FailureKind::TlsAlert => "tls_alert",
            FailureKind::TlsHandshakeTimeout => "tls_handshake_timeout",
            FailureKind::TlsFailed => "tls_failed",
            FailureKind::HttpToTlsPort => "http_to_tls_port",
            FailureKind::SendFailed => "send_failed",
            FailureKind::ConnectionClosed => "connection_closed",
            FailureKind::ConnectionReset => "connection_reset",
            FailureKind::InvalidResponse => "invalid_response",
            FailureKind::ResponseTimeout => "response_timeout",
            FailureKind::BodyCut => "body_cut",
            FailureKind::BodyTimeout => "body_timeout",
        }
    }
}

/// A failed phase: what kind of failure, and the technical detail behind it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Failure {
    pub phase: Phase,
    pub kind: FailureKind,
    /// The detail as measured (addresses, the error the system or the TLS library gave), in words.
    pub message: String,
    /// True when the failure is our timeout rather than the peer's doing.
    pub timed_out: bool,
    /// The address the failing connection went to (`ip:port`), when one was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Response {
    pub status: u16,
    /// The reason phrase of an HTTP/1.x status line when it is not the standard one ("Backend
    /// fetch failed", "Gateway Time-out"): itself a fingerprint of who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `HTTP/1.1`, `HTTP/2`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    /// The body, up to `--max-body` bytes.
    #[serde(skip)]
    pub body: Bytes,
    /// Body bytes received (may exceed `body.len()` when capped).
    pub body_bytes: u64,
    /// The body was cut at `--max-body`.
    pub capped: bool,
}

impl Response {
    /// The first value of a header (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One exchange: the request, where it went, how long each phase took, and the response or the
/// failure (a response can come with a body failure: reset mid-body).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Exchange {
    pub remote: Option<SocketAddr>,
    pub tls: Option<TlsInfo>,
    pub timings: Timings,
    pub response: Option<Response>,
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TlsInfo {
    pub version: String,
    pub alpn: Option<String>,
    /// `-k` was given: the certificate was not checked.
    pub unverified: bool,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Records when the first response byte arrives after the last request byte was written, and the
/// first bytes received (a TLS record where an HTTP response was expected tells a TLS port).
#[derive(Debug, Default)]
struct WireClock {
    last_write: Option<Instant>,
    first_read_after_write: Option<Instant>,
    first_bytes: Vec<u8>,
}

/// Bytes kept from the start of what the server sent.
const SNIFF_BYTES: usize = 8;

/// A transport wrapper that stamps reads and writes on a shared clock.
struct Timed<T> {
    inner: T,
    clock: Arc<Mutex<WireClock>>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Timed<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let mut clock = self.clock.lock().expect("clock lock");
            if clock.last_write.is_some() && clock.first_read_after_write.is_none() {
                clock.first_read_after_write = Some(Instant::now());
            }
            let room = SNIFF_BYTES.saturating_sub(clock.first_bytes.len());
            let fresh = &buf.filled()[before..];
            clock.first_bytes.extend_from_slice(&fresh[..fresh.len().min(room)]);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Timed<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = poll
            && n > 0
        {
            let mut clock = self.clock.lock().expect("clock lock");
            // Writes after the response started (HTTP/2 window updates) are not the request.
            if clock.first_read_after_write.is_none() {
                clock.last_write = Some(Instant::now());
            }
        }
        poll
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// Runs one exchange. Never panics on network input; every failure names its phase.
pub async fn exchange(request: &HopRequest, options: &Options, tls: &crate::tls::TlsSetup) -> Exchange {
    let started = Instant::now();
    let mut out = Exchange { remote: None, tls: None, timings: Timings::default(), response: None, failure: None };
    let deadline = started + options.timeout;
    let fail = |out: &mut Exchange, phase: Phase, kind: FailureKind, message: String, timed_out: bool| {
        let address = out.remote.map(|a| a.to_string());
        out.failure = Some(Failure { phase, kind, message, timed_out, address });
        out.timings.total_ms = ms(started.elapsed());
    };
    let left = || deadline.saturating_duration_since(Instant::now());

    // DNS.
    let Some(host) = request.url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned()) else {
        fail(&mut out, Phase::Dns, FailureKind::DnsFailed, format!("{} has no host", request.url), false);
        return out;
    };
    let port = request.url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = if let Some(addr) = request.connect_to {
        vec![addr]
    } else if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        let t = Instant::now();
        match tokio::time::timeout(left(), tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(found)) => {
                out.timings.dns_ms = Some(ms(t.elapsed()));
                found.collect()
            }
            Ok(Err(e)) => {
                fail(&mut out, Phase::Dns, FailureKind::DnsFailed, format!("could not resolve {host}: {e}"), false);
                return out;
            }
            Err(_) => {
                let message = format!("resolving {host} took longer than the timeout");
                fail(&mut out, Phase::Dns, FailureKind::DnsTimeout, message, true);
                return out;
            }
        }
    };

    // TCP connect: each address in turn, within the connect timeout.
    let t = Instant::now();
    let mut last_error = (FailureKind::ConnectFailed, String::from("no address to connect to"), None);
    let mut stream = None;
    for addr in &addrs {
        let limit = options.connect_timeout.min(left());
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                out.remote = Some(*addr);
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last_error = (connect_kind(&e), format!("{addr}: {}", describe_io(&e)), Some(*addr)),
            Err(_) => {
                let message = format!("{addr}: no answer within {limit:?} (packets dropped?)");
                last_error = (FailureKind::ConnectTimeout, message, Some(*addr));
            }
        }
    }
    let Some(stream) = stream else {
        let (kind, message, addr) = last_error;
        fail(&mut out, Phase::Connect, kind, message, kind == FailureKind::ConnectTimeout);
        if let Some(f) = out.failure.as_mut() {
            f.address = addr.map(|a| a.to_string());
        }
        return out;
    };
    let _ = stream.set_nodelay(true);
    out.timings.connect_ms = Some(ms(t.elapsed()));

    // TLS.
    let https = request.url.scheme() == "https";
    let transport: Box<dyn Transport> = if https {
        let t = Instant::now();
        let name = match rustls_pki_types::ServerName::try_from(host.clone()) {
            Ok(n) => n,
            Err(e) => {
                let message = format!("{host} is not a valid TLS server name: {e}");
                fail(&mut out, Phase::Tls, FailureKind::TlsFailed, message, false);
                return out;
            }
        };
        let connector = tls.connector(options.http_version);
        match tokio::time::timeout(left(), connector.connect(name, stream)).await {
            Ok(Ok(tls_stream)) => {
                out.timings.tls_ms = Some(ms(t.elapsed()));
                let (_, conn) = tls_stream.get_ref();
                out.tls = Some(TlsInfo {
                    version: conn.protocol_version().map_or("?".into(), |v| format!("{v:?}").replace('_', ".")),
                    alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
                    unverified: options.insecure,
                });
                Box::new(tls_stream)
            }
            Ok(Err(e)) => {
                let (kind, message) = crate::tls::describe_error(&e, &host);
                fail(&mut out, Phase::Tls, kind, message, false);
                return out;
            }
            Err(_) => {
                let message = "the TLS handshake did not finish within the timeout".into();
                fail(&mut out, Phase::Tls, FailureKind::TlsHandshakeTimeout, message, true);
                return out;
            }
        }
    } else {
        Box::new(stream)
    };
    let use_h2 = match options.http_version {
        HttpVersion::Http2 => true,
        HttpVersion::Http1 => false,
        HttpVersion::Auto => out.tls.as_ref().and_then(|t| t.alpn.as_deref()) == Some("h2"),
    };

    // Request and response head.
    let clock = Arc::new(Mutex::new(WireClock::default()));
    let io = TokioIo::new(Timed { inner: transport, clock: clock.clone() });
    let connected = Instant::now();
    let http_request = match build_request(request, use_h2) {
        Ok(r) => r,
        Err(e) => {
            fail(&mut out, Phase::Send, FailureKind::SendFailed, e, false);
            return out;
        }
    };
    let head = async {
        if use_h2 {
            let (mut sender, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .map_err(|e| (Phase::Send, e))?;
            tokio::spawn(conn);
            sender.send_request(http_request).await.map_err(|e| (Phase::Response, e))
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
                .allow_obsolete_multiline_headers_in_responses(true)
                .handshake(io)
                .await
                .map_err(|e| (Phase::Send, e))?;
            tokio::spawn(conn);
            sender.send_request(http_request).await.map_err(|e| (Phase::Response, e))
        }
    };
    let response = match tokio::time::timeout(left(), head).await {
        Ok(Ok(r)) => r,
        Ok(Err((phase, e))) => {
            let first_bytes = clock.lock().expect("clock lock").first_bytes.clone();
            let kind = if phase == Phase::Send { FailureKind::SendFailed } else { response_kind(&e, &first_bytes) };
            let mut message = describe_hyper(&e);
            if kind == FailureKind::HttpToTlsPort {
                message.push_str(" (the server answered with a TLS record)");
            }
            fail(&mut out, phase, kind, message, false);
            stamp_wire(&mut out.timings, &clock, connected, None);
            return out;
        }
        Err(_) => {
            let message = format!("no response within {:?}", options.timeout);
            fail(&mut out, Phase::Response, FailureKind::ResponseTimeout, message, true);
            stamp_wire(&mut out.timings, &clock, connected, None);
            return out;
        }
    };
    let head_at = Instant::now();
    stamp_wire(&mut out.timings, &clock, connected, Some(head_at));
    let status = response.status().as_u16();
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .filter(|r| Some(r.as_str()) != response.status().canonical_reason());
    let version = match response.version() {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();

    // Body, capped.
    let mut body = response.into_body();
    let mut kept = Vec::new();
    let mut received = 0u64;
    let mut capped = false;
    let mut body_failure = None;
    let read_body = async {
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Some(data) = frame.data_ref() {
                        received += data.len() as u64;
                        let room = options.max_body.saturating_sub(kept.len());
                        kept.extend_from_slice(&data[..data.len().min(room)]);
                        if data.len() > room {
                            capped = true;
                        }
                    }
                }
                Err(e) => {
                    body_failure = Some(describe_hyper(&e));
                    break;
                }
            }
        }
    };
    let timed_out = tokio::time::timeout(left(), read_body).await.is_err();
    out.timings.transfer_ms = Some(ms(head_at.elapsed()));
    out.timings.total_ms = ms(started.elapsed());
    let address = out.remote.map(|a| a.to_string());
    if timed_out {
        out.failure = Some(Failure {
            phase: Phase::Body,
            kind: FailureKind::BodyTimeout,
            message: format!("the body was still arriving when the {:?} timeout ran out", options.timeout),
            timed_out: true,
            address,
        });
    } else if let Some(message) = body_failure {
        out.failure =
            Some(Failure { phase: Phase::Body, kind: FailureKind::BodyCut, message, timed_out: false, address });
    }
    out.response = Some(Response {
        status,
        reason,
        version: version.into(),
        headers,
        body: Bytes::from(kept),
        body_bytes: received,
        capped,
    });
    out
}

/// send = connected → last request byte; wait = last request byte → first response byte.
fn stamp_wire(t: &mut Timings, clock: &Mutex<WireClock>, connected: Instant, head_at: Option<Instant>) {
    let clock = clock.lock().expect("clock lock");
    if let Some(w) = clock.last_write {
        t.send_ms = Some(ms(w.saturating_duration_since(connected)));
        let first = clock.first_read_after_write.or(head_at);
        t.wait_ms = first.map(|f| ms(f.saturating_duration_since(w)));
    }
}

fn build_request(r: &HopRequest, h2: bool) -> Result<http::Request<Full<Bytes>>, String> {
    // HTTP/1.1 sends the path; HTTP/2 needs the full URI for :scheme and :authority.
    let uri = if h2 {
        r.url.as_str().to_owned()
    } else {
        let mut p = r.url.path().to_owned();
        if let Some(q) = r.url.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    };
    let mut builder = http::Request::builder().method(r.method.clone()).uri(uri);
    let has = |name: &str| r.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !h2 && !has("host") {
        builder = builder.header("host", authority(&r.url));
    }
    if !has("user-agent") {
        builder = builder.header("user-agent", concat!("culprit/", env!("CARGO_PKG_VERSION")));
    }
    if !has("accept") {
        builder = builder.header("accept", "*/*");
    }
    for (name, value) in &r.headers {
        if h2 && name.eq_ignore_ascii_case("host") {
            continue; // carried by :authority
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Full::new(r.body.clone())).map_err(|e| format!("invalid request: {e}"))
}

/// `host[:port]` as the Host header wants it (port only when not the scheme's default).
pub fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused (nothing listens on that port)".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset by the peer".into(),
        _ => e.to_string(),
    }
}

/// A failed connect, by what the system said.
fn connect_kind(e: &std::io::Error) -> FailureKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => FailureKind::ConnectRefused,
        K::TimedOut => FailureKind::ConnectTimeout,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => FailureKind::ConnectUnreachable,
        _ => FailureKind::ConnectFailed,
    }
}

/// A TLS record header: content type (alert 21, handshake 22), then version 3.x.
fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [21 | 22, 3, 0..=4, ..])
}

/// Why no response head arrived: TLS bytes where HTTP was expected, a reset, a close, garbage.
fn response_kind(e: &hyper::Error, first_bytes: &[u8]) -> FailureKind {
    if looks_like_tls(first_bytes) {
        return FailureKind::HttpToTlsPort;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe)
        {
            return FailureKind::ConnectionReset;
        }
        source = s.source();
    }
    if e.is_parse() { FailureKind::InvalidResponse } else { FailureKind::ConnectionClosed }
}

/// hyper's errors, with the cause chain a person needs ("connection closed before message
/// completed", "invalid HTTP version parsed").
fn describe_hyper(e: &hyper::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_incomplete_message() {
        text.push_str(" (the server closed the connection before a complete response)");
    } else if e.is_parse() {
        text.push_str(" (the bytes received are not a valid HTTP response)");
    }
    text
}
