//! The HTTP endpoint (`--metrics-listen`, loopback by default) and the signal handler, on a small
//! tokio runtime of their own: `/` a landing page, `/metrics` the exposition with its
//! `Content-Type` (Prometheus 3 refuses a scrape without one), `/healthz` whether the engine loop
//! is turning. SIGTERM and SIGINT ask the engine to write its checkpoint and stop.

use crate::engine::Command;
use crate::exposition::wants_openmetrics;
use bytes::Bytes;
use crossbeam_channel::Sender;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The engine is unhealthy when its loop has not turned for this long.
const STALE_MS: u64 = 30_000;
/// A scrape waits this long for the engine.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

const LANDING: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>culprit watch</title></head>
<body><h1>culprit watch</h1>
<p>Live attribution of HTTP status codes read from proxy logs: which layer generated each status,
why, and who owns the fix.</p>
<ul><li><a href=\"/metrics\">/metrics</a> (Prometheus)</li><li><a href=\"/healthz\">/healthz</a></li></ul>
</body></html>
";

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn handle(
    req: Request<Incoming>,
    commands: Sender<Command>,
    heartbeat: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "GET only\n"));
    }
    Ok(match req.uri().path() {
        "/" => text(StatusCode::OK, "text/html; charset=utf-8", LANDING),
        "/metrics" => {
            let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let (tx, rx) = tokio::sync::oneshot::channel();
            if commands.send(Command::Scrape { openmetrics: wants_openmetrics(accept), reply: tx }).is_err() {
                return Ok(text(StatusCode::SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "culprit is stopping\n"));
            }
            match tokio::time::timeout(SCRAPE_TIMEOUT, rx).await {
                Ok(Ok((body, content_type))) => text(StatusCode::OK, content_type, body),
                _ => text(StatusCode::SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "the engine did not answer\n"),
            }
        }
        "/healthz" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
            let age = now.saturating_sub(heartbeat.load(Ordering::Relaxed));
            if age < STALE_MS {
                text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n")
            } else {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain; charset=utf-8",
                    format!("engine stalled for {age} ms\n"),
                )
            }
        }
        _ => text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "not found: try /metrics\n"),
    })
}

/// Start the server (when a listener is given) and the signal handler on their own thread.
pub fn spawn(
    listener: Option<std::net::TcpListener>,
    commands: Sender<Command>,
    heartbeat: Arc<AtomicU64>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    if let Some(l) = &listener {
        l.set_nonblocking(true)?;
    }
    std::thread::Builder::new().name("culprit-http".into()).spawn(move || {
        runtime.block_on(async move {
            let signals = {
                let commands = commands.clone();
                async move {
                    use tokio::signal::unix::{SignalKind, signal};
                    let (Ok(mut term), Ok(mut int)) =
                        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                    let _ = commands.send(Command::Shutdown);
                }
            };
            let Some(listener) = listener.and_then(|l| tokio::net::TcpListener::from_std(l).ok()) else {
                signals.await;
                return;
            };
            tokio::spawn(signals);
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let commands = commands.clone();
                let heartbeat = Arc::clone(&heartbeat);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, commands.clone(), Arc::clone(&heartbeat)));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    })
}
