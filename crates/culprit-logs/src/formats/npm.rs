//! Nginx Proxy Manager's access logs: its own two `log_format`s
//! (`docker/rootfs/etc/nginx/conf.d/include/log-proxy.conf` in NginxProxyManager/nginx-proxy-manager),
//! which NPM gives no way to change:
//!
//! - `proxy`, written by proxy hosts: `[$time_local] $upstream_cache_status $upstream_status
//!   $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length
//!   $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer"`;
//! - `standard`, written by redirection hosts, 404 hosts and the default site: the same without the
//!   cache and upstream statuses and `[Sent-to …]`. Those server blocks proxy to nothing, so every
//!   status in them is NPM's own (a redirect, its 404 page, `444` when the default site drops the
//!   connection, its landing page).

use super::BadLine;
use super::nginx::{LineError, NginxFormat};
use crate::observation::Observation;
use std::sync::LazyLock;

pub const PROXY: &str = r#"[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer""#;
pub const STANDARD: &str = r#"[$time_local] $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "$http_user_agent" "$http_referer""#;

static STANDARD_TEMPLATE: LazyLock<NginxFormat> =
    LazyLock::new(|| NginxFormat::compile(STANDARD).expect("NPM's standard format compiles"));

/// A line of the `standard` format: NPM answered it without an upstream.
pub fn standard<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), BadLine> {
    STANDARD_TEMPLATE.parse(line, obs).map_err(|e| match e {
        LineError::Status => BadLine::BadStatus,
        _ => BadLine::Mismatch,
    })?;
    obs.proxy_answered = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use crate::formats::Format;
    use culprit_kb::GeneratedBy;

    fn judge(line: &str) -> (Option<u16>, Cause, GeneratedBy, String) {
        let line: &'static str = Box::leak(line.to_owned().into_boxed_str());
        let f = Format::sniff(&[line.as_bytes()]).unwrap();
        let mut obs = Observation::default();
        f.parse(line.as_bytes(), &mut obs).unwrap();
        let a = attribute(&obs, &f.context(None)).unwrap();
        (obs.status, a.cause, a.generated_by, f.name)
    }

    /// Lines from tests/corpus/nginx.jsonl (goaccess#2331, #2082, null-burn/nginx-proxy-manager-goaccess#3).
    #[test]
    fn proxy_and_standard_lines() {
        let proxied = r#"[24/Apr/2024:20:28:54 +0000] - 200 200 - GET https my.doamin.se "/v1/users/current/custom/link" [Client 192.168.9.1] [Length 500] [Gzip -] [Sent-to 192.168.1.61] "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" "https://my.domain.se/""#;
        assert_eq!(judge(proxied), (Some(200), Cause::Ok, GeneratedBy::Upstream, "nginx proxy manager (proxy)".into()));
        let redirect = r#"[22/May/2022:00:35:23 -0400] 307 - GET https w.example.ccom "/" [Client 1.1.1.1] [Length 168] [Gzip -] "HetrixTools Uptime Monitoring Bot. https://hetrix.tools/uptime-monitoring-bot.html" "-""#;
        assert_eq!(judge(redirect).1, Cause::ProxyRedirect);
        let dropped = r#"[08/Apr/2021:12:45:59 +0000] 444 - GET https xxx.xxx.xxx.xxx "/" [Client xxx.xxx.xxx.xxx] [Length 0] [Gzip -] "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" "-""#;
        assert_eq!(judge(dropped).2, GeneratedBy::Proxy);
        // A retry the proxy host logged: the last attempt answered.
        let retried = r#"[24/Apr/2024:20:28:54 +0000] - 502, 200 200 - GET https a.example "/" [Client 10.0.0.1] [Length 5] [Gzip -] [Sent-to backend] "curl/8" "-""#;
        assert_eq!(judge(retried).2, GeneratedBy::Upstream);
        let failed = r#"[24/Apr/2024:20:28:54 +0000] - 502 502 - GET https a.example "/" [Client 10.0.0.1] [Length 157] [Gzip -] [Sent-to backend] "curl/8" "-""#;
        assert_eq!(judge(failed).2, GeneratedBy::Proxy);
    }
}
