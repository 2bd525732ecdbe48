//! What the user asked for: the request and how to send it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpVersion {
    /// HTTP/2 when TLS ALPN offers it, else HTTP/1.1.
    #[default]
    Auto,
    Http1,
    /// HTTP/2 (prior knowledge on http://).
    Http2,
}

/// `--resolve host:port:addr` or `--connect-to host:port:addr:port`: where a host:port really goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub host: String,
    /// `None` matches any port.
    pub port: Option<u16>,
    pub to: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub method: http::Method,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Total time for one exchange.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub http_version: HttpVersion,
    /// Skip certificate verification (`-k`).
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM).
    pub cacert: Option<PathBuf>,
    /// Follow redirects (the default) up to `max_redirects` hops.
    pub follow: bool,
    pub max_redirects: usize,
    /// Body bytes kept per response.
    pub max_body: usize,
    pub overrides: Vec<Override>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            method: http::Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            http_version: HttpVersion::Auto,
            insecure: false,
            cacert: None,
            follow: true,
            max_redirects: 10,
            max_body: 1 << 20,
            overrides: Vec::new(),
        }
    }
}

impl Options {
    /// Where to connect for `url`, when an override names its host and port.
    pub fn connect_to(&self, url: &url::Url) -> Option<SocketAddr> {
        let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default();
        self.overrides
            .iter()
            .find(|o| o.host.eq_ignore_ascii_case(host) && (o.port.is_none() || o.port == port))
            .map(|o| o.to)
    }
}

/// Parses `host:port:addr` (`--resolve`, curl's syntax; addr may be `[v6]`) or
/// `host:port:addr:port` (`--connect-to`).
pub fn parse_override(spec: &str, with_port: bool) -> Result<Override, String> {
    let (host, rest) = spec.split_once(':').ok_or_else(|| format!("'{spec}': expected host:port:address"))?;
    let (port, rest) = rest.split_once(':').ok_or_else(|| format!("'{spec}': expected host:port:address"))?;
    let port = if port.is_empty() || port == "*" {
        None
    } else {
        Some(port.parse::<u16>().map_err(|_| format!("'{spec}': '{port}' is not a port"))?)
    };
    let to = if with_port {
        rest.parse::<SocketAddr>().map_err(|_| format!("'{spec}': '{rest}' is not address:port"))?
    } else {
        let ip = rest.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = ip.parse().map_err(|_| format!("'{spec}': '{rest}' is not an IP address"))?;
        SocketAddr::new(ip, port.ok_or_else(|| format!("'{spec}': --resolve needs a port"))?)
    };
    Ok(Override { host: host.to_owned(), port, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides() {
        let o = parse_override("api.example.com:443:127.0.0.1", false).unwrap();
        assert_eq!((o.port, o.to), (Some(443), "127.0.0.1:443".parse().unwrap()));
        let o = parse_override("api.example.com:443:[::1]", false).unwrap();
        assert_eq!(o.to, "[::1]:443".parse().unwrap());
        let o = parse_override("api.example.com:443:127.0.0.1:8443", true).unwrap();
        assert_eq!(o.to, "127.0.0.1:8443".parse().unwrap());
        assert!(parse_override("nohost", false).is_err());
        assert!(parse_override("a:b:127.0.0.1", false).is_err());
        let opts = Options { overrides: vec![o], ..Options::default() };
        assert!(opts.connect_to(&"https://api.example.com/x".parse().unwrap()).is_some());
        assert!(opts.connect_to(&"http://api.example.com/x".parse().unwrap()).is_none());
    }
}
