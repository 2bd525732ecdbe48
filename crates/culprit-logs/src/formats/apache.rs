//! Apache httpd `LogFormat` strings (and varnishncsa's `-F` strings, the same language), for
//! `--apache-format`: each directive becomes a variable of the template compiler the nginx formats
//! use (`formats::nginx`), so an Apache line is read as fast as an nginx one.
//!
//! `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{remote}p %{BALANCER_WORKER_NAME}e`
//! reads the client, the time, the request, the status, the body size, the duration (µs), the
//! client's port (the error-log join pairs each request with its own connection's entries) and
//! the backend mod_proxy chose (`-`: Apache answered without one). Directives culprit has no use
//! for are read and skipped. Sources: Apache's mod_log_config documentation ("Custom Log
//! Formats"), varnishncsa(1).

use super::nginx::FormatError;

/// The nginx-syntax template an Apache `LogFormat` string stands for.
pub fn translate(format: &str) -> Result<String, FormatError> {
    let format = unwrap_directive(format.trim());
    let mut out = String::with_capacity(format.len() * 2);
    let mut chars = format.chars().peekable();
    // Whether the last thing written was a variable (a directive with no literal after it yet).
    let mut after_directive = false;
    while let Some(c) = chars.next() {
        match c {
            // httpd.conf escapes inside the quoted format, pasted as they are.
            '\\' => {
                match chars.next() {
                    Some('"') => out.push('"'),
                    Some('t') => out.push('\t'),
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
                after_directive = false;
            }
            '$' => {
                return Err(FormatError(
                    "a literal $ in an Apache format cannot be read (it would start a variable)".into(),
                ));
            }
            '%' => {
                // Modifiers: `%>s`, `%<s`, `%400,501{User-agent}i`, `%!200,304{Referer}i`.
                while chars.peek().is_some_and(|c| matches!(c, '<' | '>' | '!' | ',' | '0'..='9')) {
                    chars.next();
                }
                let arg = if chars.peek() == Some(&'{') {
                    chars.next();
                    let arg: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    Some(arg)
                } else {
                    None
                };
                let Some(mut letter) = chars.next() else {
                    return Err(FormatError("the format ends with an unfinished % directive".into()));
                };
                if letter == '%' {
                    out.push('%');
                    after_directive = false;
                    continue;
                }
                let mut name = String::from(letter);
                if letter == '^' {
                    // `%^ti` / `%^to`: request and response trailers.
                    name.extend(chars.by_ref().take(2));
                    letter = '^';
                }
                let Some(var) = variable(letter, &name, arg.as_deref()) else {
                    return Err(FormatError(format!("%{name} is not an Apache log directive")));
                };
                if after_directive {
                    // `%U%q`: the query right after the path adds nothing culprit reads; any
                    // other pair of directives with nothing between them cannot be told apart.
                    if letter == 'q' {
                        continue;
                    }
                    return Err(FormatError(format!(
                        "%{name} directly follows another directive: nothing separates them"
                    )));
                }
                // `%t` writes its own brackets: `[10/Oct/2000:13:55:36 -0700]`.
                let bracketed = letter == 't' && arg.is_none();
                out.push_str(if bracketed { "[${" } else { "${" });
                out.push_str(&var);
                out.push_str(if bracketed { "}]" } else { "}" });
                after_directive = !bracketed;
            }
            c => {
                out.push(c);
                after_directive = false;
            }
        }
    }
    Ok(out)
}

/// `LogFormat "…" nickname` as written in httpd.conf → the format string alone.
fn unwrap_directive(format: &str) -> &str {
    let f = format.strip_prefix("LogFormat").map_or(format, str::trim_start);
    let Some(inner) = f.strip_prefix('"') else { return f };
    // The closing quote is the last unescaped one.
    let bytes = inner.as_bytes();
    let end = (0..bytes.len()).rev().find(|&i| bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\'));
    end.map_or(inner, |e| &inner[..e])
}

/// The template variable for one directive (`None`: not a directive).
fn variable(letter: char, name: &str, arg: Option<&str>) -> Option<String> {
    let lower = arg.map(str::to_ascii_lowercase);
    let v = match (letter, lower.as_deref()) {
        ('a', Some("c")) => "realip_remote_addr",
        ('a' | 'h', _) => "remote_addr",
        ('A', _) => "server_addr",
        ('b' | 'B', _) => "body_bytes_sent",
        ('O', _) => "bytes_sent",
        ('I' | 'S', _) => "apache_bytes_in",
        ('D', _) | ('T', Some("us")) => "apache_time_us",
        ('T', Some("ms")) => "duration_ms",
        ('T', _) => "request_time",
        ('e', Some("balancer_worker_name")) => "apache_balancer_worker",
        ('e', Some("balancer_name")) => "apache_balancer_name",
        ('e', Some("unique_id")) => "request_id",
        ('i', Some("referer")) => "http_referer",
        ('i', Some("user-agent")) => "http_user_agent",
        ('i', Some("host")) => "http_host",
        ('i', Some("x-request-id" | "request-id" | "x-correlation-id")) => "http_x_request_id",
        ('i', Some("x-forwarded-for")) => "http_x_forwarded_for",
        ('i', Some(header)) => return Some(format!("http_{}", header.replace('-', "_"))),
        ('m', _) => "request_method",
        ('U', _) => "uri",
        ('q', _) => "apache_query",
        ('r', _) => "request",
        ('s', _) => "status",
        ('t', None) => "time_local",
        // `%{%d/%b/%Y:%H:%M:%S %z}t` is %t's own layout; epoch seconds read as such.
        ('t', Some(f)) if f.contains("%d/%b/%y:%h:%m:%s") => "time_local",
        ('t', Some("sec")) => "msec",
        ('p', Some("remote")) => "apache_client_port",
        ('p', _) => "server_port",
        ('v' | 'V', _) => "server_name",
        ('x', Some("varnish:handling" | "varnish:hitmiss")) => "varnish_handling",
        // Read and skipped: the rest of the environment, notes, headers out, cookies, the log
        // id, pids, the handler, connection status, file name, keep-alive count, protocol…
        ('e' | 'n' | 'o' | 'C' | 'L' | 'P' | 'R' | 'X' | 'f' | 'F' | 'k' | 'l' | 'u' | 'H' | 'x' | 't' | '^', _) => {
            return Some(format!("apache_{}", name.replace('^', "trailer_")));
        }
        _ => return None,
    };
    Some(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Observation;
    use crate::formats::Format;

    #[test]
    fn translates_common_formats() {
        assert_eq!(
            translate(r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#).unwrap(),
            r#"${remote_addr} ${apache_l} ${apache_u} [${time_local}] "${request}" ${status} ${body_bytes_sent} "${http_referer}" "${http_user_agent}""#
        );
        assert_eq!(translate("LogFormat \"%v:%p %h\" vhost").unwrap(), "${server_name}:${server_port} ${remote_addr}");
        assert_eq!(translate("%m %U%q %H %>s").unwrap(), "${request_method} ${uri} ${apache_H} ${status}");
        assert!(translate("%s%b").is_err());
        assert!(translate("%J").is_err());
        assert!(translate("%h $x %s").is_err());
    }

    #[test]
    fn reads_an_apache_line() {
        // The lab's Apache format (lab/apache.conf) and a line Apache 2.4.71 wrote with it.
        let f = Format::apache_custom(
            r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{remote}p %{BALANCER_WORKER_NAME}e "%{X-Request-ID}i""#,
        )
        .unwrap();
        let line = br#"127.0.0.1 - - [29/Nov/2026:14:16:47 +0000] "GET /live/status/503 HTTP/1.1" 503 5 "-" "curl/7.88.1" 1032 37374 http://127.0.0.1:18601 "id-15222""#;
        let mut o = Observation::default();
        f.parse(line, &mut o).unwrap();
        assert_eq!((o.status, o.client_port, o.upstream.addr), (Some(503), &b"37374"[..], &b"127.0.0.1:18601"[..]));
        assert_eq!((o.request_id, o.request_time), (&b"id-15222"[..], Some(0.001_032)));
        assert_eq!(o.time_ms, crate::time::parse_clf(b"29/Nov/2026:14:16:47 +0000"));
        let own = br#"127.0.0.1 - - [29/Nov/2026:14:16:49 +0000] "GET /nothere HTTP/1.1" 404 236 "-" "curl/7.88.1" 114 37496 - "id-22026""#;
        let mut o = Observation::default();
        f.parse(own, &mut o).unwrap();
        assert!(o.proxy_answered);
        let a = crate::attribute::attribute(&o, &f.context(None)).unwrap();
        assert_eq!((a.cause, a.generated_by), (crate::attribute::Cause::NoRoute, culprit_kb::GeneratedBy::Proxy));
    }
}
