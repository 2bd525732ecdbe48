//! Amazon CloudFront access logs: standard logs (tab-separated, one request per line after the
//! `#Version:`/`#Fields:` header; the legacy layout's 33 fields in a fixed order, fewer in older
//! files), real-time logs (tab-separated, an epoch timestamp first, the fields in CloudFront's
//! canonical order, possibly a subset of them) and standard logging v2's JSON records (the same
//! field names as keys).
//!
//! Who answered is in three fields (AWS "Standard logging reference"):
//! - `x-edge-result-type` / `x-edge-response-result-type`: `Hit`, `RefreshHit`, `OriginShieldHit`
//!   (served from the cache), `Miss` (the origin answered), `Redirect` (CloudFront's own
//!   HTTP→HTTPS redirect), `LimitExceeded`, `CapacityExceeded`, `LambdaExecutionError`,
//!   `FunctionGeneratedResponse`, `Error`;
//! - `x-edge-detailed-result-type`: for `Error`, why (`OriginDnsError`, `OriginConnectError`,
//!   `OriginCommError`, `ClientHungUpRequest`…).
//!
//! A status `000` means the viewer closed the connection before the response was sent.

use super::jsonscan::{self, Value};
use crate::observation::{Observation, Signal, parse_f64, parse_u16, parse_u64};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCloudFront;

/// The most tab-separated fields kept (real-time logs have ~45 today).
const MAX_FIELDS: usize = 64;

/// Legacy standard-log positions (0-based).
mod std_log {
    pub const BYTES: usize = 3;
    pub const CLIENT: usize = 4;
    pub const METHOD: usize = 5;
    pub const DISTRIBUTION: usize = 6;
    pub const URI: usize = 7;
    pub const STATUS: usize = 8;
    pub const RESULT: usize = 13;
    pub const REQUEST_ID: usize = 14;
    pub const HOST_HEADER: usize = 15;
    pub const TIME_TAKEN: usize = 18;
    pub const RESPONSE_RESULT: usize = 22;
    pub const DETAILED: usize = 28;
}

/// Real-time log positions when every field is selected (0-based).
mod realtime {
    pub const CLIENT: usize = 1;
    pub const STATUS: usize = 3;
    pub const BYTES: usize = 4;
    pub const METHOD: usize = 5;
    pub const HOST: usize = 7;
    pub const URI: usize = 8;
    pub const REQUEST_ID: usize = 11;
    pub const TIME_TAKEN: usize = 13;
    pub const RESPONSE_RESULT: usize = 20;
    pub const RESULT: usize = 24;
    pub const DETAILED: usize = 32;
    /// Fields through `x-edge-detailed-result-type`.
    pub const FULL: usize = 33;
}

fn tab_fields(line: &[u8]) -> ([&[u8]; MAX_FIELDS], usize) {
    let mut out: [&[u8]; MAX_FIELDS] = [b""; MAX_FIELDS];
    let mut n = 0;
    for f in line.split(|&b| b == b'\t') {
        if n == MAX_FIELDS {
            break;
        }
        out[n] = f;
        n += 1;
    }
    (out, n)
}

/// `2019-12-04` and `21:02:31`.
fn is_date(f: &[u8]) -> bool {
    f.len() == 10 && f[4] == b'-' && f[7] == b'-' && f[..4].iter().all(u8::is_ascii_digit)
}
fn is_clock(f: &[u8]) -> bool {
    f.len() == 8 && f[2] == b':' && f[5] == b':'
}

/// `1606412399.872`: epoch seconds with milliseconds.
fn is_epoch(f: &[u8]) -> bool {
    f.len() >= 12 && f[10] == b'.' && f[..10].iter().all(u8::is_ascii_digit) && f[11..].iter().all(u8::is_ascii_digit)
}

/// A status field: three digits (`000` included).
fn status_field(f: &[u8]) -> Option<u16> {
    (f.len() == 3).then(|| parse_u16(f)).flatten().filter(|&s| s == 0 || (100..600).contains(&s))
}

fn is_method(f: &[u8]) -> bool {
    (3..=7).contains(&f.len()) && f.iter().all(u8::is_ascii_uppercase)
}

/// The values the result-type fields take, and the error details of the detailed type.
const RESULT_TYPES: &[&[u8]] = &[
    b"Hit",
    b"RefreshHit",
    b"Miss",
    b"LimitExceeded",
    b"CapacityExceeded",
    b"Error",
    b"Redirect",
    b"OriginShieldHit",
    b"MissGeneratedResponse",
    b"FunctionGeneratedResponse",
    b"LambdaExecutionError",
];
/// The values `x-edge-detailed-result-type` takes only for an `Error` (they say why).
const ERROR_DETAILS: &[&[u8]] = &[
    b"AbortedOrigin",
    b"ClientCommError",
    b"ClientGeoBlocked",
    b"ClientHungUpRequest",
    b"InvalidRequest",
    b"InvalidRequestBlocked",
    b"InvalidRequestCertificate",
    b"InvalidRequestHeader",
    b"InvalidRequestMethod",
    b"OriginCommError",
    b"OriginConnectError",
    b"OriginContentRangeLengthError",
    b"OriginDnsError",
    b"OriginError",
    b"OriginHeaderTooBigError",
    b"OriginInvalidResponseError",
    b"OriginReadError",
    b"OriginWriteError",
    b"OriginZeroSizeObjectError",
    b"SlowReaderOriginError",
];

/// An IPv4 or IPv6 address (`c-ip`).
fn is_ip(f: &[u8]) -> bool {
    f.len() >= 3
        && f.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':'))
        && f.iter().any(|b| matches!(b, b'.' | b':'))
}

/// The three result fields: `x-edge-result-type`, `x-edge-response-result-type`,
/// `x-edge-detailed-result-type` (each empty when not logged).
#[derive(Debug, Default, Clone, Copy)]
struct Results<'a> {
    result: &'a [u8],
    response: &'a [u8],
    detailed: &'a [u8],
}

pub fn parse<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotCloudFront> {
    if line.first() == Some(&b'{') {
        return parse_json(line, obs);
    }
    if memchr::memchr(b'\t', line).is_none_or(|i| i < 10) {
        return Err(NotCloudFront);
    }
    let (f, n) = tab_fields(line);
    let results = if is_date(f[0]) && n > std_log::RESULT && is_clock(f[1]) {
        standard(&f[..n], obs)?
    } else if is_epoch(f[0]) && n >= 4 {
        real_time(&f[..n], obs)?
    } else {
        return Err(NotCloudFront);
    };
    judge(results, obs);
    Ok(())
}

fn dash(f: &[u8]) -> &[u8] {
    if f == b"-" { b"" } else { f }
}

fn standard<'a>(f: &[&'a [u8]], obs: &mut Observation<'a>) -> Result<Results<'a>, NotCloudFront> {
    use std_log as s;
    let status = status_field(f[s::STATUS]).ok_or(NotCloudFront)?;
    if !is_method(f[s::METHOD]) || !f[s::URI].starts_with(b"/") {
        return Err(NotCloudFront);
    }
    let results = Results {
        result: f[s::RESULT],
        response: f.get(s::RESPONSE_RESULT).copied().unwrap_or_default(),
        detailed: f.get(s::DETAILED).copied().unwrap_or_default(),
    };
    if !RESULT_TYPES.contains(&results.result) {
        return Err(NotCloudFront);
    }
    // `date` and `time` are two fields; the time is the response's completion, in UTC.
    let (date, clock) = (f[0], f[1]);
    let d = |a: usize, b: usize| parse_u16(&date[a..b]).map(u32::from);
    let c = |a: usize| parse_u16(&clock[a..a + 2]).map(i64::from);
    let (Some(y), Some(mo), Some(da), Some(h), Some(mi), Some(se)) = (d(0, 4), d(5, 7), d(8, 10), c(0), c(3), c(6))
    else {
        return Err(NotCloudFront);
    };
    obs.time_ms = Some((time::days_from_civil(i64::from(y), mo, da) * 86_400 + h * 3600 + mi * 60 + se) * 1000);
    obs.status = Some(status);
    obs.client = f[s::CLIENT];
    obs.method = f[s::METHOD];
    obs.target = f[s::URI];
    obs.host = dash(f.get(s::HOST_HEADER).copied().unwrap_or_default());
    // The distribution (its CloudFront domain) is the service; the edge location varies by viewer.
    obs.service = f[s::DISTRIBUTION];
    obs.request_id = f[s::REQUEST_ID];
    obs.bytes_sent = parse_u64(f[s::BYTES]);
    obs.request_time = f.get(s::TIME_TAKEN).and_then(|t| parse_f64(t));
    Ok(results)
}

fn real_time<'a>(f: &[&'a [u8]], obs: &mut Observation<'a>) -> Result<Results<'a>, NotCloudFront> {
    use realtime as r;
    obs.time_ms = time::parse_epoch(f[0]);
    let full = f.len() >= r::FULL && status_field(f[r::STATUS]).is_some() && is_method(f[r::METHOD]);
    if full {
        obs.status = status_field(f[r::STATUS]);
        obs.client = f[r::CLIENT];
        obs.method = f[r::METHOD];
        obs.host = f[r::HOST];
        obs.target = f[r::URI];
        obs.service = f[r::HOST];
        obs.request_id = f[r::REQUEST_ID];
        obs.bytes_sent = parse_u64(f[r::BYTES]);
        obs.request_time = parse_f64(f[r::TIME_TAKEN]);
        return Ok(Results { result: f[r::RESULT], response: f[r::RESPONSE_RESULT], detailed: f[r::DETAILED] });
    }
    // A subset of the fields, still in the canonical order: read them by shape. `sc-status` is
    // the first field of exactly three digits (`c-ip` and `time-to-first-byte` before it never
    // are); the result fields come in the order response, result, detailed.
    let mut results = Results::default();
    let mut found = 0;
    for (i, &v) in f.iter().enumerate().skip(1) {
        if i == r::CLIENT && is_ip(v) {
            obs.client = v;
        } else if obs.status.is_none()
            && let Some(s) = status_field(v)
        {
            obs.status = Some(s);
        } else if obs.method.is_empty() && is_method(v) {
            obs.method = v;
        } else if obs.target.is_empty() && v.starts_with(b"/") {
            obs.target = v;
        } else if ERROR_DETAILS.contains(&v) {
            results.detailed = v;
        } else if RESULT_TYPES.contains(&v) {
            match found {
                0 => results.response = v,
                1 => results.result = v,
                _ => results.detailed = v,
            }
            found += 1;
        }
    }
    if obs.status.is_none() || (found == 0 && results.detailed.is_empty()) {
        return Err(NotCloudFront);
    }
    if results.result.is_empty() {
        results.result = results.response;
    }
    Ok(results)
}

/// Standard logging v2 in JSON: the standard fields' names as keys, values as strings.
fn parse_json<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotCloudFront> {
    if memchr::memmem::find(line, b"\"sc-status\"").is_none() {
        return Err(NotCloudFront);
    }
    let mut results = Results::default();
    let (mut date, mut clock, mut status, mut typed) = (&b""[..], &b""[..], None, false);
    let ok = jsonscan::scan(line, |depth, key, v: Value<'a>| {
        if depth != 0 {
            return;
        }
        let t = v.text();
        match key {
            b"date" => date = t,
            b"time" => clock = t,
            b"timestamp" => obs.time_ms = time::parse_epoch(t).or_else(|| time::parse_iso(t)),
            b"sc-status" => status = status_field(t).or_else(|| v.as_u64().and_then(|s| u16::try_from(s).ok())),
            b"c-ip" => obs.client = t,
            b"cs-method" => obs.method = t,
            b"cs-uri-stem" => obs.target = t,
            b"x-host-header" | b"cs-host" => obs.host = t,
            b"cs(Host)" => obs.service = t,
            b"x-edge-request-id" => obs.request_id = t,
            b"sc-bytes" => obs.bytes_sent = v.as_u64(),
            b"time-taken" => obs.request_time = parse_f64(t),
            b"x-edge-result-type" => (results.result, typed) = (t, true),
            b"x-edge-response-result-type" => (results.response, typed) = (t, true),
            b"x-edge-detailed-result-type" => (results.detailed, typed) = (t, true),
            _ => {}
        }
    });
    let status = status.ok_or(NotCloudFront)?;
    if !ok || !typed {
        return Err(NotCloudFront);
    }
    if obs.time_ms.is_none() && !date.is_empty() {
        let mut stamp = [0u8; 19];
        if date.len() == 10 && clock.len() == 8 {
            stamp[..10].copy_from_slice(date);
            stamp[10] = b'T';
            stamp[11..].copy_from_slice(clock);
            obs.time_ms = time::parse_iso(&stamp);
        }
    }
    obs.status = Some(status);
    judge(results, obs);
    Ok(())
}

/// Who answered, from the result fields.
fn judge<'a>(r: Results<'a>, obs: &mut Observation<'a>) {
    let status = obs.status.unwrap_or(0);
    let detailed = dash(r.detailed);
    // The type just before the response left, else the final one.
    let kind = if dash(r.response).is_empty() { r.result } else { r.response };
    obs.detail_source = "CloudFront x-edge-detailed-result-type";
    obs.detail = if detailed.is_empty() { kind } else { detailed };
    let signal = match detailed {
        b"OriginDnsError" => Some(Signal::UpstreamDnsFailed),
        // Refused, unreachable or a TLS failure: the log does not say which.
        b"OriginConnectError" => Some(Signal::UpstreamConnectFailed),
        // "Timed out while connecting to the origin, or reading data from it."
        b"OriginCommError" => Some(Signal::UpstreamReadTimeout),
        b"OriginReadError" if status == 504 => Some(Signal::UpstreamReadTimeout),
        b"OriginReadError" | b"OriginWriteError" => Some(Signal::UpstreamClosedPrematurely),
        b"OriginHeaderTooBigError" => Some(Signal::UpstreamHeaderTooBig),
        b"OriginInvalidResponseError"
        | b"OriginError"
        | b"OriginContentRangeLengthError"
        | b"OriginZeroSizeObjectError" => Some(Signal::UpstreamInvalidResponse),
        b"ClientHungUpRequest" | b"ClientCommError" => Some(Signal::ClientAborted),
        b"ClientGeoBlocked" | b"InvalidRequestBlocked" => Some(Signal::AccessDenied),
        b"InvalidRequest" | b"InvalidRequestHeader" | b"InvalidRequestCertificate" => Some(Signal::InvalidRequest),
        // "The server encountered an issue with the origin" / "slow to read the message that
        // caused the origin error": CloudFront answered, for a reason the log does not give.
        b"AbortedOrigin" | b"SlowReaderOriginError" => Some(Signal::ProxyError),
        _ => None,
    };
    if let Some(s) = signal {
        obs.signals.set(s);
        return;
    }
    match kind {
        b"Hit" | b"RefreshHit" | b"OriginShieldHit" => obs.cache_hit = true,
        b"Miss" if r.result == b"Error" && status < 400 => {
            // "If x-edge-result-type is Error and this field is not, the client disconnected
            // before finishing the download": the origin's status, cut short by the viewer.
            obs.upstream_answered = true;
        }
        b"Miss" => obs.upstream_answered = true,
        b"CapacityExceeded" | b"LimitExceeded" => obs.signals.set(Signal::Overloaded),
        b"LambdaExecutionError" => obs.signals.set(Signal::ProxyError),
        // CloudFront's own redirect, a function's or Lambda@Edge's generated response.
        b"Redirect" | b"FunctionGeneratedResponse" | b"MissGeneratedResponse" => obs.proxy_answered = true,
        // `Error` without a detail: an error response served from the cache, or the origin's, or
        // CloudFront's — the line does not say.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    fn judge_line(line: &str) -> (Option<u16>, Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx = crate::formats::Format::by_name("cloudfront").unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (obs.status, a.cause, a.generated_by)
    }

    /// The AWS documentation's example file (standard-logs-reference), with its header.
    const DOC: &str = "#Version: 1.0
#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end
2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-
2019-12-13\t22:36:27\tSEA19-C1\t900\t192.0.2.200\tGET\td111111abcdef8.cloudfront.net\t/favicon.ico\t502\thttp://www.example.com/\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tError\t1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==\twww.example.com\thttp\t675\t0.102\t-\t-\t-\tError\tHTTP/1.1\t-\t-\t25260\t0.102\tOriginDnsError\ttext/html\t507\t-\t-";

    #[test]
    fn standard_log_lines() {
        let mut lines = DOC.lines();
        for header in [lines.next().unwrap(), lines.next().unwrap()] {
            assert!(parse(header.as_bytes(), &mut Observation::default()).is_err(), "{header}");
            assert!(crate::formats::is_known_other(header.as_bytes()), "a file's header is expected: {header}");
        }
        let hit = lines.next().unwrap();
        assert_eq!(judge_line(hit), (Some(200), Cause::Ok, GeneratedBy::Cdn));
        let mut obs = Observation::default();
        parse(hit.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.method, obs.target, obs.client), (&b"GET"[..], &b"/index.html"[..], &b"192.0.2.100"[..]));
        assert_eq!(obs.time_ms, time::parse_iso(b"2019-12-04T21:02:31Z"));
        let dns = lines.next().unwrap();
        assert_eq!(judge_line(dns), (Some(502), Cause::UpstreamDnsFailed, GeneratedBy::Cdn));
        let miss = hit.replace("\tHit\t", "\tMiss\t").replace("\t200\t", "\t503\t");
        assert_eq!(judge_line(&miss), (Some(503), Cause::AppUnavailable, GeneratedBy::Upstream));
        let gone = miss.replace("\t503\t", "\t000\t");
        assert_eq!(judge_line(&gone).2, GeneratedBy::Client);
        let refused = dns.replace("OriginDnsError", "OriginConnectError");
        assert_eq!(judge_line(&refused).2, GeneratedBy::Cdn);
        let timeout = dns.replace("OriginDnsError", "OriginCommError").replace("\t502\t", "\t504\t");
        assert_eq!(judge_line(&timeout), (Some(504), Cause::UpstreamTimeout, GeneratedBy::Cdn));
        let redirect = hit.replace("\tHit\t", "\tRedirect\t").replace("\t200\t", "\t301\t");
        assert_eq!(judge_line(&redirect), (Some(301), Cause::ProxyRedirect, GeneratedBy::Cdn));
        // An older file: the first 19 fields only.
        let old: Vec<&str> = hit.split('\t').take(19).collect();
        assert_eq!(judge_line(&old.join("\t")).2, GeneratedBy::Cdn);
    }

    #[test]
    fn real_time_lines() {
        // Every field, in the canonical order (Datadog's CloudFront real-time parsing rule).
        let full = "1606412399.872\t203.0.113.7\t0.031\t503\t512\tGET\thttps\td111111abcdef8.cloudfront.net\t/api/orders\t210\tIAD89-C1\tabc123==\twww.example.com\t0.031\tHTTP/2.0\tIPv4\tcurl/8.0\t-\t-\t-\tError\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tError\t-\t-\ttext/html\t512\t-\t-\t51234\tOriginConnectError\tUS";
        assert_eq!(judge_line(full), (Some(503), Cause::UpstreamConnectionRefused, GeneratedBy::Cdn));
        let miss = full.replace("\tError\t", "\tMiss\t").replace("OriginConnectError", "Miss");
        assert_eq!(judge_line(&miss), (Some(503), Cause::AppUnavailable, GeneratedBy::Upstream));
        // A subset: timestamp, c-ip, sc-status, cs-method, cs-uri-stem, x-edge-result-type,
        // x-edge-detailed-result-type.
        let subset = "1606412399.872\t203.0.113.7\t502\tGET\t/api\tError\tOriginDnsError";
        assert_eq!(judge_line(subset), (Some(502), Cause::UpstreamDnsFailed, GeneratedBy::Cdn));
        assert!(parse(b"1606412399.872\t203.0.113.7\t0.031\thello", &mut Observation::default()).is_err());
    }

    #[test]
    fn v2_json_records() {
        let line = r#"{"date":"2024-11-20","time":"12:00:01","x-edge-location":"FRA56-P1","sc-bytes":"1234","c-ip":"198.51.100.7","cs-method":"GET","cs-uri-stem":"/img/a.png","sc-status":"200","x-edge-result-type":"Hit","x-edge-response-result-type":"Hit","x-edge-detailed-result-type":"Hit","time-taken":"0.002"}"#;
        assert_eq!(judge_line(line), (Some(200), Cause::Ok, GeneratedBy::Cdn));
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.time_ms, time::parse_iso(b"2024-11-20T12:00:01Z"));
        assert!(parse(br#"{"status":200}"#, &mut Observation::default()).is_err());
    }
}
