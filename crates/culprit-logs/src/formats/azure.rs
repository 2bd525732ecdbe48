//! Azure Application Gateway and Azure Front Door access logs, as diagnostic settings export them
//! (one JSON record per line: `category`, `time`, `properties{…}`), and as Log Analytics returns
//! them (the same names with a type suffix, `httpStatus_d`, `serverStatus_s`, `error_info_s`, or
//! in PascalCase). Keys are matched whatever the case, underscores and type suffix.
//!
//! Application Gateway (`ApplicationGatewayAccessLog`; Microsoft's "Application Gateway
//! monitoring data reference"): `httpStatus` is what the client got; `serverRouted` and
//! `serverStatus` (a string) are the backend it chose and what that backend answered (v1 packs
//! them into `requestQuery` as `SERVER-ROUTED=…&SERVER-STATUS=…`); `error_info` says why the
//! gateway failed a request (`ERRORINFO_UPSTREAM_NO_LIVE`, `…_UPSTREAM_TIMED_OUT`, …).
//!
//! Front Door (`FrontdoorAccessLog` classic, `FrontDoorAccessLog` Standard/Premium):
//! `httpStatusCode` (a string; **0 when the request to the origin timed out**, 499 when the client
//! closed), `ErrorInfo` (`NoError`, `OriginTimeout`, `OriginConnectionRefused`, `DNSNameNotResolved`
//! …), the origin it used (`backendHostname` classic, `originName`/`originIp` Standard) and
//! `cacheStatus` (`HIT`, `REMOTE_HIT` served from the cache).

use super::jsonscan::{self, Value};
use crate::observation::{Observation, Signal, parse_f64, parse_u64};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAzure;

/// Which Azure service wrote the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    ApplicationGateway,
    FrontDoor,
}

/// A key folded for comparison: lower case, without underscores and without Log Analytics'
/// type suffix (`error_info_s` → `errorinfo`, `HttpStatus` → `httpstatus`).
fn fold(key: &[u8], out: &mut [u8; 48]) -> usize {
    let key = match key {
        [rest @ .., b'_', b's' | b'd' | b'b' | b'g' | b'l'] if !rest.is_empty() => rest,
        k => k,
    };
    let mut n = 0;
    for &b in key {
        if b == b'_' {
            continue;
        }
        if n == out.len() {
            return 0;
        }
        out[n] = b.to_ascii_lowercase();
        n += 1;
    }
    n
}

#[derive(Default)]
struct Record<'a> {
    category: &'a [u8],
    /// Application Gateway `httpStatus`; Front Door `httpStatusCode`.
    gateway_status: Option<u64>,
    door_status: Option<u64>,
    server_status: &'a [u8],
    server_routed: &'a [u8],
    request_query: &'a [u8],
    error_info: &'a [u8],
    origin: &'a [u8],
    cache: &'a [u8],
    time_taken: Option<f64>,
    time: Option<i64>,
}

fn scan<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Option<Record<'a>> {
    if line.first() != Some(&b'{') || memchr::memmem::find(line, b"ttpStatus").is_none() {
        return None;
    }
    let mut r = Record::default();
    let mut buf = [0u8; 48];
    let ok = jsonscan::scan(line, |_, key, v: Value<'a>| {
        let n = fold(key, &mut buf);
        let t = v.text();
        match &buf[..n] {
            b"category" => r.category = t,
            b"httpstatus" => r.gateway_status = v.as_u64(),
            b"httpstatuscode" => r.door_status = v.as_u64(),
            b"serverstatus" => r.server_status = t,
            b"serverrouted" => r.server_routed = t,
            b"requestquery" => r.request_query = t,
            b"errorinfo" => r.error_info = t,
            b"backendhostname" | b"originname" => r.origin = t,
            b"originip" if r.origin.is_empty() => r.origin = t,
            b"cachestatus" => r.cache = t,
            b"timetaken" => r.time_taken = parse_f64(t),
            b"time" | b"timestamp" | b"timegenerated" => r.time = time::parse_iso(t).or(r.time),
            b"clientip" => obs.client = t,
            b"httpmethod" => obs.method = t,
            b"requesturi" => obs.target = t,
            b"host" | b"hostname" if obs.host.is_empty() => obs.host = t,
            b"originalhost" => obs.host = t,
            b"transactionid" | b"trackingreference" => obs.request_id = t,
            b"sentbytes" | b"responsebytes" => obs.bytes_sent = v.as_u64(),
            b"backendpoolname" | b"routingrulename" | b"routename" => obs.service = t,
            _ => {}
        }
    });
    ok.then_some(r)
}

/// `key=value` out of v1's packed `requestQuery`.
fn query_value<'a>(query: &'a [u8], key: &[u8]) -> &'a [u8] {
    query
        .split(|&b| b == b'&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix(b"=")))
        .unwrap_or_default()
}

fn blank(v: &[u8]) -> bool {
    v.is_empty() || v == b"-" || v == b"N/A"
}

/// An Application Gateway access record.
pub fn parse_gateway<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotAzure> {
    let r = scan(line, obs).ok_or(NotAzure)?;
    let status = r.gateway_status.filter(|_| r.door_status.is_none()).ok_or(NotAzure)?;
    let status = u16::try_from(status).map_err(|_| NotAzure)?;
    if !(r.category.is_empty() || memchr::memmem::find(r.category, b"ApplicationGateway").is_some()) {
        return Err(NotAzure);
    }
    obs.status = Some(status);
    obs.time_ms = r.time;
    // v1 packs the backend's facts into the query string, and times in milliseconds.
    let v1 = !r.request_query.is_empty() && memchr::memmem::find(r.request_query, b"SERVER-").is_some();
    let (server_status, routed) = if v1 && r.server_status.is_empty() {
        (query_value(r.request_query, b"SERVER-STATUS"), query_value(r.request_query, b"SERVER-ROUTED"))
    } else {
        (r.server_status, r.server_routed)
    };
    obs.request_time = r.time_taken.map(|t| if v1 { t / 1000.0 } else { t });
    obs.upstream.addr = routed;
    obs.upstream.status = server_status;
    obs.upstream.single = true;
    let info = r.error_info.strip_prefix(b"ERRORINFO_").unwrap_or(r.error_info);
    let signal = match info {
        b"UPSTREAM_NO_LIVE" => Some(Signal::NoLiveUpstreams),
        b"UPSTREAM_CLOSED_CONNECTION" => Some(Signal::UpstreamClosedPrematurely),
        b"UPSTREAM_TIMED_OUT" => Some(Signal::UpstreamReadTimeout),
        b"CLIENT_CLOSED_REQUEST" => Some(Signal::ClientAborted),
        b"CLIENT_TIMED_OUT" => Some(Signal::ClientTimeout),
        b"HTTPS_NO_CERT" => Some(Signal::AccessDenied),
        b"" | b"NO_ERROR" => None,
        // INVALID_METHOD, INVALID_REQUEST, INVALID_VERSION, INVALID_HOST, REQUEST_URI_INVALID,
        // HTTP_NO_HOST_HEADER, HTTP_TO_HTTPS_PORT…: the client's request was refused.
        _ => Some(Signal::InvalidRequest),
    };
    if let Some(s) = signal {
        obs.signals.set(s);
        obs.detail = r.error_info;
        obs.detail_source = "Application Gateway error_info";
        return Ok(());
    }
    if !blank(server_status) {
        // The backend answered; the gateway passes its status through.
        obs.upstream_answered = parse_u64(server_status) == Some(u64::from(status));
    } else if status >= 300 && blank(routed) {
        // No backend chosen: the gateway's own answer (a redirect rule, a WAF block, a 404 for
        // no listener).
        obs.proxy_answered = true;
    }
    Ok(())
}

/// A Front Door access record.
pub fn parse_front_door<'a>(line: &'a [u8], obs: &mut Observation<'a>) -> Result<(), NotAzure> {
    let r = scan(line, obs).ok_or(NotAzure)?;
    let status = r.door_status.ok_or(NotAzure)?;
    let status = u16::try_from(status).map_err(|_| NotAzure)?;
    obs.status = Some(status);
    obs.time_ms = r.time;
    obs.request_time = r.time_taken;
    // Front Door logs the full URL: keep the host and the path.
    if let Some(i) = memchr::memmem::find(obs.target, b"://") {
        let after = &obs.target[i + 3..];
        let slash = memchr::memchr(b'/', after).unwrap_or(after.len());
        if obs.host.is_empty() {
            obs.host = &after[..slash];
        }
        obs.target = if slash < after.len() { &after[slash..] } else { b"/" };
    }
    if !blank(r.origin) {
        obs.upstream.addr = r.origin;
        obs.upstream.single = true;
    }
    let signal = match r.error_info {
        b"OriginTimeout" | b"ReadTimeout" => Some(Signal::UpstreamReadTimeout),
        b"OriginConnectionRefused" => Some(Signal::UpstreamConnectRefused),
        b"OriginConnectionAborted" => Some(Signal::UpstreamReset),
        b"OriginConnectionError" => Some(Signal::UpstreamConnectFailed),
        b"OriginInvalidResponse" => Some(Signal::UpstreamInvalidResponse),
        b"ResponseHeaderTooBig" => Some(Signal::UpstreamHeaderTooBig),
        b"DNSFailure" | b"DNSTimeout" | b"DNSNameNotResolved" => Some(Signal::UpstreamDnsFailed),
        b"SSLHandshakeError" | b"SSLInvalidRootCA" | b"CertificateError" | b"CertificateNameCheckFailed" => {
            Some(Signal::UpstreamTlsFailed)
        }
        b"ClientDisconnected" => Some(Signal::ClientAborted),
        b"ClientGeoBlocked" | b"RestrictedIP" => Some(Signal::AccessDenied),
        b"InvalidRequest" | b"UnspecifiedClientError" | b"SSLInvalidCipher" => Some(Signal::InvalidRequest),
        // OriginError, OriginInvalidRequest, UnspecifiedError: Front Door failed the request, for
        // a reason it does not narrow down.
        b"OriginError" | b"OriginInvalidRequest" | b"UnspecifiedError" => Some(Signal::ProxyError),
        _ => None,
    };
    if let Some(s) = signal {
        obs.signals.set(s);
        obs.detail = r.error_info;
        obs.detail_source = "Front Door ErrorInfo";
        return Ok(());
    }
    if status == 0 {
        // 0 with no error: the origin request timed out (Microsoft's log reference).
        obs.signals.set(Signal::UpstreamReadTimeout);
        obs.detail = b"httpStatusCode 0: the request to the origin timed out";
        obs.detail_source = "Front Door access log";
    } else if matches!(r.cache, b"HIT" | b"REMOTE_HIT") {
        obs.detail = r.cache;
        obs.detail_source = "Front Door cacheStatus";
        obs.cache_hit = true;
    } else if !blank(r.origin) {
        obs.upstream_answered = true;
    } else if status >= 300 {
        // No origin: Front Door's own answer (a redirect or a rules-engine response).
        obs.proxy_answered = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{Cause, attribute};
    use culprit_kb::GeneratedBy;

    type Parse = for<'a> fn(&'a [u8], &mut Observation<'a>) -> Result<(), NotAzure>;

    fn judge(parse: Parse, flag: &str, line: &str) -> (Cause, GeneratedBy) {
        let mut obs = Observation::default();
        parse(line.as_bytes(), &mut obs).unwrap_or_else(|_| panic!("{line}"));
        let ctx = crate::formats::Format::by_name(flag).unwrap().context(None);
        let a = attribute(&obs, &ctx).unwrap();
        (a.cause, a.generated_by)
    }

    /// Microsoft's v2 example record (Application Gateway monitoring data reference).
    const V2: &str = r#"{"timeStamp":"2021-10-14T22:17:11+00:00","resourceId":"/SUBSCRIPTIONS/{subscriptionId}/RESOURCEGROUPS/{resourceGroupName}/PROVIDERS/MICROSOFT.NETWORK/APPLICATIONGATEWAYS/{applicationGatewayName}","listenerName":"HTTP-Listener","ruleName":"Storage-Static-Rule","backendPoolName":"StaticStorageAccount","backendSettingName":"StorageStatic-HTTPS-Setting","operationName":"ApplicationGatewayAccess","category":"ApplicationGatewayAccessLog","properties":{"instanceId":"appgw_2","clientIP":"185.42.129.24","clientPort":45057,"httpMethod":"GET","originalRequestUriWithArgs":"\/","requestUri":"\/","requestQuery":"","userAgent":"Mozilla\/5.0","httpStatus":200,"httpVersion":"HTTP\/1.1","receivedBytes":184,"sentBytes":466,"clientResponseTime":0,"timeTaken":0.034,"WAFEvaluationTime":"0.000","WAFMode":"Detection","transactionId":"592d1649f75a8d480a3c4dc6a975309d","sslEnabled":"on","serverRouted":"52.239.221.65:443","serverStatus":"200","serverResponseLatency":"0.028","upstreamSourcePort":"21564","originalHost":"20.110.30.194","host":"20.110.30.194","error_info":"ERRORINFO_NO_ERROR","contentType":"application/json"}}"#;

    #[test]
    fn application_gateway() {
        let g = parse_gateway as Parse;
        assert_eq!(judge(g, "azure-appgw", V2), (Cause::Ok, GeneratedBy::Upstream));
        let app = V2
            .replace(r#""httpStatus":200"#, r#""httpStatus":503"#)
            .replace(r#""serverStatus":"200""#, r#""serverStatus":"503""#);
        assert_eq!(judge(g, "azure-appgw", &app), (Cause::AppUnavailable, GeneratedBy::Upstream));
        let dead = V2
            .replace(r#""httpStatus":200"#, r#""httpStatus":502"#)
            .replace(r#""serverStatus":"200""#, r#""serverStatus":"-""#)
            .replace("ERRORINFO_NO_ERROR", "ERRORINFO_UPSTREAM_NO_LIVE");
        assert_eq!(judge(g, "azure-appgw", &dead), (Cause::NoLiveUpstreams, GeneratedBy::LoadBalancer));
        let slow = dead.replace("ERRORINFO_UPSTREAM_NO_LIVE", "ERRORINFO_UPSTREAM_TIMED_OUT").replace(":502,", ":504,");
        assert_eq!(judge(g, "azure-appgw", &slow), (Cause::UpstreamTimeout, GeneratedBy::LoadBalancer));
        let gone =
            dead.replace("ERRORINFO_UPSTREAM_NO_LIVE", "ERRORINFO_CLIENT_CLOSED_REQUEST").replace(":502,", ":499,");
        assert_eq!(judge(g, "azure-appgw", &gone).1, GeneratedBy::Client);
        // v1: the backend's facts in requestQuery, times in milliseconds (elastic/integrations
        // azure application_gateway test file, from Microsoft's v1 example).
        let v1 = r#"{"resourceId":"/SUBSCRIPTIONS/23103928-B2CF-472A-8CDB-0146E2849129/RESOURCEGROUPS/PEERINGTEST/PROVIDERS/MICROSOFT.NETWORK/APPLICATIONGATEWAYS/Application-Gateway-Name","operationName":"ApplicationGatewayAccess","timestamp":"2017-04-26T19:27:38Z","category":"ApplicationGatewayAccessLog","properties":{"instanceId":"ApplicationGatewayRole_IN_0","clientIP":"67.43.156.7","clientPort":46886,"httpMethod":"GET","requestUri":"/phpmyadmin/scripts/setup.php","requestQuery":"X-AzureApplicationGateway-CACHE-HIT=0&SERVER-ROUTED=10.4.0.4&X-AzureApplicationGateway-LOG-ID=874f1f0f-6807-41c9-b7bc-f3cfa74aa0b1&SERVER-STATUS=404","userAgent":"-","httpStatus":404,"httpVersion":"HTTP/1.0","receivedBytes":65,"sentBytes":553,"timeTaken":205,"sslEnabled":"off","host":"www.contoso.com","originalHost":"www.contoso.com"}}"#;
        assert_eq!(judge(g, "azure-appgw", v1), (Cause::AppNotFound, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        parse_gateway(v1.as_bytes(), &mut obs).unwrap();
        assert_eq!(obs.request_time, Some(0.205));
        assert_eq!(obs.time_ms, time::parse_iso(b"2017-04-26T19:27:38Z"));
        // Log Analytics' AzureDiagnostics columns.
        let la = r#"{"TimeGenerated":"2026-07-21T10:01:04Z","Category":"ApplicationGatewayAccessLog","clientIP_s":"203.0.113.5","httpMethod_s":"GET","requestUri_s":"/Catalog/SetListCatalog","httpStatus_d":504,"serverRouted_s":"192.168.50.131:443","serverStatus_s":"-","error_info_s":"ERRORINFO_UPSTREAM_TIMED_OUT","timeTaken_d":180.012}"#;
        assert_eq!(judge(g, "azure-appgw", la), (Cause::UpstreamTimeout, GeneratedBy::LoadBalancer));
        assert!(parse_front_door(V2.as_bytes(), &mut Observation::default()).is_err());
    }

    /// elastic/integrations azure_frontdoor access test file.
    const FD: &str = r#"{"category":"FrontdoorAccessLog","operationName":"Microsoft.Network/FrontDoor/AccessLog/Write","properties":{"ErrorInfo":"NoError","backendHostname":"samplev6erp.azurewebsites.net:443","cacheStatus":"CONFIG_NOCACHE","clientIp":"89.160.20.128","clientPort":"50382","httpMethod":"POST","httpStatusCode":"200","httpStatusDetails":"200","httpVersion":"2.0.0.0","isReceivedFromClient":true,"pop":"SIN","requestBytes":"2545","requestProtocol":"HTTPS","requestUri":"https://erp.testcloud.com:443/StockSetup/GetStockListByCir","responseBytes":"1205","routingRuleName":"erp","rulesEngineMatchNames":[],"securityProtocol":"TLS 1.2","socketIp":"89.160.20.128","timeTaken":"0.384","timeToFirstByte":"0.384","trackingReference":"0k1y5YQAAAAAWd0Uc6UcnR7WN8uo2prYZU0lOMzBFREdFMDIxNwBkYjIxMTMyNi1mZTJmLTQwYWYtOTA4My03MGUyYTJmYWRmZjc=","userAgent":"Mozilla/5.0"},"resourceId":"/SUBSCRIPTIONS/49D1B571-1CBE-402D-B523-AFEE3C19B64E/RESOURCEGROUPS/WAF-RG/PROVIDERS/MICROSOFT.NETWORK/FRONTDOORS/TESTCLOUD","time":"2021-12-15T03:10:11.6479719Z"}"#;

    #[test]
    fn front_door() {
        let f = parse_front_door as Parse;
        assert_eq!(judge(f, "azure-frontdoor", FD), (Cause::Ok, GeneratedBy::Upstream));
        let mut obs = Observation::default();
        parse_front_door(FD.as_bytes(), &mut obs).unwrap();
        assert_eq!((obs.host, obs.target), (&b"erp.testcloud.com:443"[..], &b"/StockSetup/GetStockListByCir"[..]));
        let timeout =
            FD.replace("NoError", "OriginTimeout").replace(r#""httpStatusCode":"200""#, r#""httpStatusCode":"504""#);
        assert_eq!(judge(f, "azure-frontdoor", &timeout), (Cause::UpstreamTimeout, GeneratedBy::Cdn));
        // "If the request to the origin timed out, the value for HttpStatusCode is 0."
        let zero = FD.replace(r#""httpStatusCode":"200""#, r#""httpStatusCode":"0""#);
        assert_eq!(judge(f, "azure-frontdoor", &zero), (Cause::UpstreamTimeout, GeneratedBy::Cdn));
        let refused = timeout.replace("OriginTimeout", "OriginConnectionRefused").replace(":\"504\"", ":\"502\"");
        assert_eq!(judge(f, "azure-frontdoor", &refused), (Cause::UpstreamConnectionRefused, GeneratedBy::Cdn));
        let hit = FD.replace("CONFIG_NOCACHE", "HIT").replace("samplev6erp.azurewebsites.net:443", "N/A");
        assert_eq!(judge(f, "azure-frontdoor", &hit), (Cause::Ok, GeneratedBy::Cdn));
        let gone = FD
            .replace("NoError", "ClientDisconnected")
            .replace(r#""httpStatusCode":"200""#, r#""httpStatusCode":"499""#);
        assert_eq!(judge(f, "azure-frontdoor", &gone).1, GeneratedBy::Client);
        assert!(parse_gateway(FD.as_bytes(), &mut Observation::default()).is_err());
    }
}
