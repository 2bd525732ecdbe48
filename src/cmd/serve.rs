//! `culprit serve`: the web UI (crates/culprit-web) on a local address.

use super::Status;
use crate::cli::ServeArgs;
use anyhow::{Context as _, Result};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn run(args: &ServeArgs) -> Result<Status> {
    let Some(max_upload) = parse_size(&args.max_upload) else {
        eprintln!(
            "culprit: --max-upload '{}': use a size such as 500MiB, 2GiB, 1G or a number of bytes",
            args.max_upload
        );
        return Ok(Status::Unusable);
    };
    let Ok(addr) = args.listen.parse::<SocketAddr>() else {
        eprintln!("culprit: --listen '{}': give an address and port, such as 127.0.0.1:8080", args.listen);
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
                eprintln!("culprit: --listen {addr}: {e}");
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
    use super::parse_size;

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
