//! AWS Elastic Load Balancing access logs: space-separated fields, some quoted. Two layouts:
//!
//! Application Load Balancer:
//! ```text
//! type time elb client:port target:port request_processing_time target_processing_time
//! response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request"
//! "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
//! matched_rule_priority request_creation_time "actions_executed" "redirect_url" "error_reason" …
//! ```
//!
//! Classic Load Balancer (the same fields without `type` and after `ssl_protocol`; lines written
//! before 2015 also lack `user_agent`, `ssl_cipher` and `ssl_protocol`):
//! ```text
//! time elb client:port backend:port request_processing_time backend_processing_time
//! response_processing_time elb_status_code backend_status_code received_bytes sent_bytes "request"
//! "user_agent" ssl_cipher ssl_protocol
//! ```
//!
//! `elb_status_code` is what the client got; the target (backend) status is `-` unless the target
//! answered, so a status with a `-` target status is the load balancer's own. Timers of `-1` mean
//! the load balancer never got that far. Fields added by AWS at the end are ignored.

use crate::observation::{Observation, Signal, parse_f64, parse_u16, parse_u64};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAlb;

const TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// The most fields kept (ALB has 34 today; later ones are ignored).
const MAX_FIELDS: usize = 40;

/// The fields, quotes removed, without allocating: `(fields, count)`.
fn fields(line: &[u8]) -> ([&[u8]; MAX_FIELDS], usize) {
    let mut out: [&[u8]; MAX_FIELDS] = [b""; MAX_FIELDS];
    let mut n = 0;
    let mut rest = line;
    while n < MAX_FIELDS {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            break;
        }
        if rest[0] == b'"' {
            let end = memchr::memchr(b'"', &rest[1..]).map_or(rest.len(), |i| i + 1);
            out[n] = &rest[1..end];
            rest = rest.get(end + 1..).unwrap_or_default();
        } else {
            let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            out[n] = &rest[..end];
            rest = &rest[end..];
        }
        n += 1;
    }
    (out, n)
}

/// `"GET https://host:443/path?q HTTP/1.1"` → method, host, target.
fn request<'a>(obs: &mut Observation<'a>, request: &'a [u8]) {
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
}

/// The fields both layouts share, from `time` on (`f[0]` is the time).
struct Common<'a> {
    status: Option<u16>,
    target: &'a [u8],
    target_status: &'a [u8],
    /// Request, target (backend) and response processing times as written (`-1`: not reached).
    timers: [&'a [u8]; 3],
}

fn common<'a>(f: &[&'a [u8]], obs: &mut Observation<'a>) -> Result<Common<'a>, NotAlb> {
    // The client is `ip:port` and the timers are numbers: other timestamp-first lines (Envoy's
    // behind `docker logs -t`) have as many fields.
    let is_timer = |t: &[u8]| t == b"-1" || parse_f64(t).is_some();
    if !has_port(f[2]) || !f[4..7].iter().all(|t| is_timer(t)) {
        return Err(NotAlb);
    }
    obs.time_raw = f[0];
    obs.time_ms = Some(time::parse_iso(f[0]).ok_or(NotAlb)?);
    obs.client = strip_port(f[2]);
    let status = match f[7] {
        // A TCP/SSL listener's line: no HTTP status.
        b"-" => None,
        s => Some(parse_u16(s).ok_or(NotAlb)?),
    };
    obs.status = status;
    let (target, target_status) = (f[3], f[8]);
    obs.upstream.addr = target;
    obs.upstream.status = target_status;
    obs.upstream.response_time = if f[5] == b"-1" { b"-" } else { f[5] };
    obs.upstream.single = true;
    obs.bytes_sent = parse_u64(f[10]);
    request(obs, f[11]);
    let timers = [f[4], f[5], f[6]];
    obs.request_time = match (parse_f64(timers[0]), parse_f64(timers[1]), parse_f64(timers[2])) {
        (Some(a), Some(b), Some(c)) => Some(a + b + c),
        _ => None,
    };
    Ok(Common { status, target, target_status, timers })
}

/// `10.0.0.1:2817`, `[2001:db8::1]:2817`, `2001:db8::1:2817`: an address and a port.
fn has_port(addr: &[u8]) -> bool {
    memchr::memrchr(b':', addr)
        .is_some_and(|i| i > 0 && i + 1 < addr.len() && addr[i + 1..].iter().all(u8::is_ascii_digit))
}

/// `10.0.0.1:2817` → `10.0.0.1` (ELB logs the client's port too).
fn strip_port(addr: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', addr) {
        Some(i) if !addr[..i].contains(&b':') || addr.starts_with(b"[") => {
            let host = &addr[..i];
            host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")).unwrap_or(host)
        }
        _ => addr,
    }
}

/// What the load balancer's own answer says, when the target sent none: a status the load
/// balancer generated, with the signal its documentation gives for it.
fn own_answer(c: &Common<'_>, obs: &mut Observation<'_>) -> Option<Signal> {
    let status = c.status?;
    let no_target = c.target == b"-";
    Some(match status {
        // ALB 460: the client closed the connection before the idle timeout.
        460 => Signal::ClientAborted,
        408 => Signal::ClientTimeout,
        // A malformed request (or one whose headers are over the limits), refused before routing.
        400 => Signal::InvalidRequest,
        413 | 414 => Signal::HeaderTooLarge,
        // No registered or healthy target (Classic: also the surge queue being full).
        503 if no_target => Signal::NoEndpoints,
        // The target accepted the request, then closed or reset the connection.
        502 if !no_target && c.timers[2] == b"-1" => Signal::UpstreamClosedPrematurely,
        // A connection to the target failed (reset, refused, unreachable, TLS): the log says
        // not which.
        502 if !no_target => Signal::UpstreamConnectFailed,
        // The target did not answer within the idle timeout (or the connection took over 10 s).
        504 if !no_target => Signal::UpstreamReadTimeout,
        _ => {
            // Any other status with no target answer: the load balancer's (a redirect or a
            // fixed-response action, a 405 for TRACE, 463, 464…).
            if status >= 300 {
                obs.proxy_answered = true;
            }
            return None;
        }
    })
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotAlb> {
    let (all, n) = fields(line);
    if n < 16 || !TYPES.contains(&all[0]) {
        return Err(NotAlb);
    }
    let f = &all[1..n];
    let c = common(f, obs)?;
    if let Some(arn) = f.get(15) {
        // arn:…:targetgroup/<name>/<id> → <name>
        obs.service = memchr::memmem::find(arn, b"targetgroup/")
            .map(|i| &arn[i + 12..])
            .map_or(arn, |rest| &rest[..memchr::memchr(b'/', rest).unwrap_or(rest.len())]);
    }
    if let Some(trace) = f.get(16) {
        obs.request_id = trace;
    }
    let actions = f.get(21).copied().unwrap_or_default();
    let redirect = f.get(22).copied().filter(|r| *r != b"-").unwrap_or_default();
    let error_reason = f.get(23).copied().filter(|e| *e != b"-").unwrap_or_default();
    let answered = c.target_status != b"-";
    obs.upstream_answered = answered;
    obs.location = redirect;
    let signal = if answered || c.status.is_none() {
        None
    } else if actions.rsplit(|&b| b == b',').next() == Some(b"waf") {
        Some(Signal::WafBlocked)
    } else if error_reason.starts_with(b"Auth") || c.status == Some(561) {
        Some(Signal::AuthFailed)
    } else {
        own_answer(&c, obs)
    };
    if let Some(s) = signal {
        obs.signals.set(s);
    }
    if !error_reason.is_empty() {
        obs.detail = error_reason;
        obs.detail_source = "ALB error_reason";
    } else if signal.is_some() || obs.proxy_answered {
        obs.detail = actions;
        obs.detail_source = "ALB actions_executed";
    }
    Ok(())
}

/// A Classic Load Balancer line.
pub fn parse_classic<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotAlb> {
    // Cheap refusal first: classic lines start with an ISO date.
    if line.len() < 40 || !line[0].is_ascii_digit() || line[4] != b'-' || line[10] != b'T' {
        return Err(NotAlb);
    }
    let (f, n) = fields(line);
    // Through "request": 12 fields; a timestamp and a load balancer name without spaces.
    if !(12..=16).contains(&n) || (!f[11].contains(&b' ') && f[11] != b"-") {
        return Err(NotAlb);
    }
    let c = common(&f[..n], obs)?;
    obs.service = f[1];
    let answered = c.target_status != b"-";
    obs.upstream_answered = answered;
    if !answered && let Some(s) = own_answer(&c, obs) {
        obs.signals.set(s);
        obs.detail = c.target_status;
        obs.detail_source = "ELB backend_status_code";
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

    fn classic(line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse_classic(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx =
            Context { synthesises_upstream_status: false, writer: GeneratedBy::LoadBalancer, ..Context::default() };
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    #[test]
    fn classic_load_balancer_lines() {
        // AWS documentation (awsdocs/elb-classic-load-balancers-user-guide access-log-collection.md).
        let ok = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
        assert_eq!(classic(ok), (Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        parse_classic(ok.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.client, obs.host, obs.target), (&b"192.168.131.39"[..], &b"www.example.com:80"[..], &b"/"[..]));
        // A TCP listener's line has no HTTP status: read, without one.
        let tcp = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;
        let mut obs = Observation::default();
        parse_classic(tcp.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.status, None);
        // logstash-patterns-core spec/patterns/aws_spec.rb: a pre-2015 line without user agent.
        let upload = r#"2015-04-10T08:11:09.865823Z us-west-1-production-media 49.150.87.133:55128 - -1 -1 -1 408 - 1294336 0 "PUT https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw HTTP/1.1""#;
        assert_eq!(classic(upload), (Cause::ClientRequestTimeout, GeneratedBy::LoadBalancer));
        // elastic/beats x-pack/filebeat/module/aws/elb/test/example-http.log: no healthy instance.
        let empty = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 503 - 0 0 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
        assert_eq!(classic(empty), (Cause::NoReadyEndpoints, GeneratedBy::LoadBalancer));
        let idle = ok.replace(" 0.000073 0.001048 0.000057 200 200 ", " 0.000073 -1 -1 504 - ");
        assert_eq!(classic(&idle), (Cause::UpstreamTimeout, GeneratedBy::LoadBalancer));
        let app = ok.replace(" 200 200 ", " 500 500 ");
        assert_eq!(classic(&app), (Cause::AppError, GeneratedBy::Upstream));
        // An ALB line is not a classic one, nor the reverse.
        assert!(parse_classic(DOC_ALB.as_bytes(), &mut Observation::default()).is_err());
        assert!(parse(ok.as_bytes(), &mut Observation::default()).is_err());
    }

    const DOC_ALB: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

    #[test]
    fn alb_answers_without_a_target_status_are_the_load_balancers() {
        // goaccess #797 (cut after trace_id by the reporter): the ALB refused the request.
        let refused = r#"h2 2017-06-04T10:09:08.594592Z app/elbhhhhhFront/7dalllllllla2d31a2b 99.203.0.7:7900007 10.999900.4.77:80 0.000 -1 -1 400 - 702 0 "POST https:/vent?timestamp=1.4965709xxxxx_channel=gp HTTP/2.0" "Dalvik/2.) NewsArticle/3.5.1" ECDHESHA256 T1.2 arn:aws:elasticloadbalancing:us-east-1:25095b3c2 "Root=1-5933dc44-07d638""#;
        assert_eq!(attr(refused), (Cause::MalformedRequest, GeneratedBy::LoadBalancer));
        let redirect = DOC_ALB
            .replace(" 200 200 ", " 301 - ")
            .replace("\"forward\" \"-\"", "\"redirect\" \"https://www.example.com:443/\"");
        assert_eq!(attr(&redirect), (Cause::ProxyRedirect, GeneratedBy::LoadBalancer));
        assert_eq!(attr(DOC_ALB).1, GeneratedBy::Upstream);
    }
}
