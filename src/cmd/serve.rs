//! `culprit serve`: the web UI (crates/culprit-web) on a local address.

use super::Status;
use crate::cli::ServeArgs;
use anyhow::{Context as _, Result};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn run(args: &ServeArgs) -> Result<Status> {
    let Some(max_upload) = parse_size(&args.max_upload).filter(|n| *n > 0) else {
        eprintln!(
            "culprit: --max-upload '{}': use a size such as 500MiB, 2GiB, 1G or a number of bytes",
            args.max_upload
        );
        return Ok(Status::Unusable);
    };
    let Some(addr) = parse_listen(&args.listen) else {
        eprintln!(
            "culprit: --listen '{}': give an address and port, such as 127.0.0.1:8080, localhost:9000, \
             [::1]:8080 or 0.0.0.0:8080 (a bare port listens on 127.0.0.1)",
            args.listen
        );
        return Ok(Status::Unusable);
    };
    let loopback = addr.ip().is_loopback();
    let markdown: culprit_web::MarkdownRenderer =
        Arc::new(|r| crate::output::markdown::render(&super::logs::doc(r, None)));
    let config = culprit_web::Config {
        max_upload,
        limits: culprit_web::StoreLimits { reports: args.max_reports.max(1), ..culprit_web::StoreLimits::default() },
        loopback_hosts_only: loopback,
        markdown: Some(markdown),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                    let next = SocketAddr::new(addr.ip(), addr.port().wrapping_add(1).max(1024));
                    format!(" (another server has it: choose another port, e.g. --listen {next})")
                } else {
                    String::new()
                };
                eprintln!("culprit: --listen {addr}: {e}{hint}");
                return Ok(Status::Failure);
            }
        };
        let bound = listener.local_addr().unwrap_or(addr);
        if !loopback {
            eprintln!(
                "culprit: warning: listening on {bound}, beyond loopback: anyone who can reach this address \
                 can use the UI and read the reports uploaded to it (there is no authentication)"
            );
        }
        eprintln!("culprit: serving http://{bound}/ (Ctrl-C to stop)");
        let app = culprit_web::app(culprit_web::AppState::new(config));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")?;
        Ok(Status::Success)
    })
}

/// An address and port: `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` (the loopback address:
/// no name is looked up), or a bare port on 127.0.0.1.
fn parse_listen(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    if let Ok(port) = s.trim_start_matches(':').parse::<u16>() {
        return Some(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let (host, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    host.eq_ignore_ascii_case("localhost").then(|| SocketAddr::from(([127, 0, 0, 1], port)))
}

/// `500MiB`, `2GiB`, `1G`, `10M`, `4096`: bytes (K/M/G/T as powers of 1024).
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::{parse_listen, parse_size};

    #[test]
    fn listen_addresses() {
        let at = |s: &str| parse_listen(s).map(|a| a.to_string());
        assert_eq!(at("127.0.0.1:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(at("localhost:9000").as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(at("9000").as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(at(":9000").as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(at("[::1]:8080").as_deref(), Some("[::1]:8080"));
        assert_eq!(at("0.0.0.0:8080").as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(at("example.com:8080"), None, "no name is looked up");
        assert_eq!(at("nope"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("2 GiB"), Some(2 << 30));
        assert_eq!(parse_size("2x"), None);
        assert_eq!(parse_size(""), None);
    }
}
