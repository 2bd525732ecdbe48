//! AWS Application Load Balancer access logs: space-separated fields, some quoted.
//!
//! ```text
//! type time elb client:port target:port request_processing_time target_processing_time
//! response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request"
//! "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
//! matched_rule_priority request_creation_time "actions_executed" "redirect_url" "error_reason" …
//! ```
//!
//! `elb_status_code` is what the client got; `target_status_code` is `-` unless the target answered,
//! so a 5xx with a `-` target status is the load balancer's own. Timers of `-1` mean the ALB never
//! got that far. Fields added by AWS at the end are ignored.

use crate::observation::{Observation, Signal, parse_f64, parse_u16, parse_u64};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAlb;

const TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// The fields, quotes removed.
fn fields(line: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(32);
    let mut rest = line;
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            break;
        }
        if rest[0] == b'"' {
            let end = memchr::memchr(b'"', &rest[1..]).map_or(rest.len(), |i| i + 1);
            out.push(&rest[1..end]);
            rest = rest.get(end + 1..).unwrap_or_default();
        } else {
            let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotAlb> {
    let f = fields(line);
    if f.len() < 16 || !TYPES.contains(&f[0]) {
        return Err(NotAlb);
    }
    obs.time_ms = Some(time::parse_iso(f[1]).ok_or(NotAlb)?);
    obs.client = f[3];
    obs.status = Some(parse_u16(f[8]).ok_or(NotAlb)?);
    let target = f[4];
    let target_status = f[9];
    obs.upstream.addr = target;
    obs.upstream.status = target_status;
    obs.upstream.response_time = if f[6] == b"-1" { b"-" } else { f[6] };
    obs.bytes_sent = parse_u64(f[11]);
    let request = f[12];
    if let Some(sp) = memchr::memchr(b' ', request) {
        obs.method = &request[..sp];
        let url = &request[sp + 1..];
        let url = memchr::memrchr(b' ', url).map_or(url, |e| &url[..e]);
        // "https://host:443/path?q" → host and path.
        let after = memchr::memmem::find(url, b"://").map_or(url, |i| &url[i + 3..]);
        let slash = memchr::memchr(b'/', after).unwrap_or(after.len());
        obs.host = &after[..slash];
        obs.target = if slash < after.len() { &after[slash..] } else { b"/" };
    }
    if let Some(arn) = f.get(16) {
        // arn:…:targetgroup/<name>/<id> → <name>
        obs.service = memchr::memmem::find(arn, b"targetgroup/")
            .map(|i| &arn[i + 12..])
            .map_or(arn, |rest| &rest[..memchr::memchr(b'/', rest).unwrap_or(rest.len())]);
    }
    if let Some(trace) = f.get(17) {
        obs.request_id = trace;
    }
    let processing = |i: usize| f.get(i).and_then(|v| parse_f64(v));
    obs.request_time = match (processing(5), processing(6), processing(7)) {
        (Some(a), Some(b), Some(c)) => Some(a + b + c),
        _ => None,
    };
    let actions = f.get(22).copied().unwrap_or_default();
    let error_reason = f.get(24).copied().filter(|e| *e != b"-").unwrap_or_default();
    let status = obs.status.unwrap_or(0);
    let answered = target_status != b"-";
    obs.upstream_answered = answered;
    let signal = if status == 460 {
        Some(Signal::ClientAborted)
    } else if actions.rsplit(|&b| b == b',').next() == Some(b"waf") && !answered {
        Some(Signal::WafBlocked)
    } else if error_reason.starts_with(b"Auth") {
        Some(Signal::AuthFailed)
    } else if !answered && status == 503 && target == b"-" {
        Some(Signal::NoEndpoints)
    } else if !answered && status == 502 && target != b"-" && f[7] == b"-1" {
        // The target accepted the request, then closed or reset the connection.
        Some(Signal::UpstreamClosedPrematurely)
    } else {
        None
    };
    if let Some(s) = signal {
        obs.signals.set(s);
    }
    if !error_reason.is_empty() {
        obs.detail = error_reason;
        obs.detail_source = "ALB error_reason";
    } else if signal.is_some() {
        obs.detail = actions;
        obs.detail_source = "ALB actions_executed";
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, Context, attribute};
    use culprit_kb::GeneratedBy;

    fn attr(line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx =
            Context { synthesises_upstream_status: false, writer: GeneratedBy::LoadBalancer, ..Context::default() };
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    #[test]
    fn documented_and_real_lines() {
        let ok = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
        assert_eq!(attr(ok).0, Cause::Ok);
        let draining = r#"h2 2023-01-07T09:22:52.872365Z app/k8s-apidev-95472999b0/xxxxxxxxxx 202.102.17.226:24502 10.0.2.61:1325 -1 -1 -1 504 - 49 202 "GET https://example-api.cn:443/prefix-jiameng-api/ HTTP/2.0" "curl/7.79.1" ECDHE-RSA-XXXX-GCM-SHA256 TLSv1.2 arn:aws-cn:elasticloadbalancing:cn-northwest-1:xxxxxxx:targetgroup/k8s-dev-jiamenga-edb70a94b9/081fxxxxxxxx "Root=1-63b939e2-312611fa7a64f07e63d24099" "exxample-api.cn" "arn:aws-cn:acm:cn-northwest-1:xxxxxxx:certificate/e38c0d37-5c2f-4988-81c0-xxxxxxxx" 1 2023-01-07T09:22:42.870000Z "forward" "-" "-" "10.0.2.61:1325" "-" "-" "-""#;
        assert_eq!(attr(draining), (Cause::UpstreamTimeout, GeneratedBy::LoadBalancer));
        let lambda = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-""#;
        assert_eq!(attr(lambda).1, GeneratedBy::LoadBalancer);
        let app = ok.replace(" 200 200 ", " 500 500 ");
        assert_eq!(attr(&app), (Cause::AppError, GeneratedBy::Upstream));
        let empty = ok.replace(" 200 200 ", " 503 - ").replace(" 10.0.0.1:80 0.086 0.048 0.037", " - -1 -1 -1");
        assert_eq!(attr(&empty).0, Cause::NoReadyEndpoints);
        let waf = ok.replace(" 200 200 ", " 403 - ").replace("\"authenticate,forward\"", "\"waf\"");
        assert_eq!(attr(&waf).0, Cause::WafBlocked);
        let gone = ok.replace(" 200 200 ", " 460 - ");
        assert_eq!(attr(&gone).0, Cause::ClientClosedRequest);
    }
}
