//! Deliberately faulty HTTP backends: the "pods" behind the lab's proxies.
//!
//! A backend is a real TCP listener on loopback that speaks just enough HTTP/1.1 by hand to misbehave
//! in ways a proper server library never would: reset before headers, close without a response, send
//! bytes that are not HTTP, send 16 KiB of headers, die half-way through the body. What it does is
//! chosen by the request (see [`Behaviour::from_request`]) and recorded per `X-Request-ID`, so the
//! lab's ground truth comes from what the backend actually did, never from the proxy's log.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long the "slow" behaviour waits before answering: longer than every lab proxy's read timeout
/// (1 s), shorter than the driver's patience.
pub const SLOW_DELAY: Duration = Duration::from_millis(1600);
/// How long the "hang" behaviour waits, giving the driver time to hang up first.
pub const HANG_DELAY: Duration = Duration::from_millis(900);
/// Bytes of response headers sent by the oversized-headers behaviour (above nginx's 4 KiB/8 KiB
/// `proxy_buffer_size`, HAProxy's 16 KiB `tune.bufsize` less its rewrite reserve, and Caddy's limits).
const BIG_HEADER_BYTES: usize = 20 * 1024;
/// Largest request body a backend reads (the lab's bodies are far smaller, except the one the
/// proxies must refuse).
const MAX_BODY: usize = 8 << 20;

/// What a backend does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "status")]
pub enum Behaviour {
    /// Answer with this status and the headers a correct application sends with it.
    Status(u16),
    /// 301 to the same URL with the scheme flipped from `X-Forwarded-Proto`: half of a redirect loop.
    RedirectFlip,
    /// 302 from `…/loop-a` to `…/loop-b` and back: a redirect loop on one scheme.
    RedirectLoop,
    /// Read the request, then reset the connection (RST) before any response byte.
    Reset,
    /// Read the request, then close the connection cleanly without answering.
    Close,
    /// Answer with bytes that are not HTTP.
    Garbage,
    /// Answer 200 with ~20 KiB of response headers.
    BigHeaders,
    /// Wait [`SLOW_DELAY`], then answer 200 (the proxy should have given up by then).
    Slow,
    /// Wait [`HANG_DELAY`], then answer 200 (the client hangs up before).
    Hang,
    /// Send 200 headers promising 100 000 bytes, send 1 000, then reset.
    MidBody,
}

impl Behaviour {
    /// The behaviour a request asks for: the last path segment names it (`/legacy/reset`), or
    /// `/status/<code>` ends the path; otherwise POST creates (201), DELETE answers 204, and
    /// anything else is a plain 200.
    pub fn from_request(method: &str, path: &str) -> Behaviour {
        let path = path.split('?').next().unwrap_or(path);
        let mut segments = path.rsplit('/');
        let last = segments.next().unwrap_or("");
        if let (Ok(code), Some("status")) = (last.parse::<u16>(), segments.next())
            && (100..=599).contains(&code)
        {
            return Behaviour::Status(code);
        }
        match last {
            "redirect-flip" => Behaviour::RedirectFlip,
            "loop-a" | "loop-b" => Behaviour::RedirectLoop,
            "reset" => Behaviour::Reset,
            "close" => Behaviour::Close,
            "garbage" => Behaviour::Garbage,
            "big-headers" => Behaviour::BigHeaders,
            "slow" => Behaviour::Slow,
            "hang" => Behaviour::Hang,
            "midbody" => Behaviour::MidBody,
            _ if method == "POST" => Behaviour::Status(201),
            _ if method == "DELETE" => Behaviour::Status(204),
            _ => Behaviour::Status(200),
        }
    }
}

/// What a backend did for one request id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    pub backend: String,
    pub behaviour: Behaviour,
    /// How many times this request id reached the backend (a proxy retrying counts twice).
    pub hits: u32,
}

/// Every record of every backend of one lab run, by request id.
#[derive(Debug, Default, Clone)]
pub struct Records(Arc<Mutex<HashMap<String, Record>>>);

impl Records {
    fn note(&self, request_id: &str, backend: &str, behaviour: Behaviour) {
        let mut map = self.0.lock().expect("records lock");
        map.entry(request_id.to_owned()).and_modify(|r| r.hits += 1).or_insert_with(|| Record {
            backend: backend.to_owned(),
            behaviour,
            hits: 1,
        });
    }

    pub fn get(&self, request_id: &str) -> Option<Record> {
        self.0.lock().expect("records lock").get(request_id).cloned()
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("records lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A running backend. Dropping it stops it.
#[derive(Debug)]
pub struct Backend {
    name: String,
    addr: SocketAddr,
    records: Records,
    /// Set for backends that do one thing whatever the path (the default backend's 404).
    fixed: Option<Behaviour>,
    /// Open connections by number, so a crash can close them (proxies keep idle connections to
    /// backends open).
    open: Arc<Mutex<HashMap<u64, TcpStream>>>,
    running: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Backend {
    /// Listen on a free loopback port.
    pub fn start(name: &str, records: &Records) -> io::Result<Backend> {
        Backend::start_fixed(name, records, None)
    }

    /// Listen on a free loopback port, doing `fixed` for every request when given.
    pub fn start_fixed(name: &str, records: &Records, fixed: Option<Behaviour>) -> io::Result<Backend> {
        let mut backend = Backend {
            name: name.to_owned(),
            addr: "127.0.0.1:0".parse().expect("addr"),
            records: records.clone(),
            fixed,
            open: Arc::default(),
            running: None,
        };
        backend.listen()?;
        Ok(backend)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Die like a crashed pod: stop listening (the port refuses from now on) and close every open
    /// connection, idle keep-alive ones included.
    pub fn crash(&mut self) {
        if let Some((stop, handle)) = self.running.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
        for (_, stream) in self.open.lock().expect("open lock").drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Listen again on the same port after [`Backend::crash`]: the pod came back.
    pub fn recover(&mut self) -> io::Result<()> {
        if self.running.is_none() { self.listen() } else { Ok(()) }
    }

    fn listen(&mut self) -> io::Result<()> {
        let listener = TcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        self.addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (name, records, flag, fixed) = (self.name.clone(), self.records.clone(), stop.clone(), self.fixed);
        let open = self.open.clone();
        let handle = thread::Builder::new().name(format!("backend-{name}")).spawn(move || {
            // Non-blocking accept polled every millisecond: stopping needs no self-connection trick,
            // and dropping the listener closes the port at once.
            let mut connections = 0u64;
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        connections += 1;
                        let number = connections;
                        if let Ok(clone) = stream.try_clone() {
                            open.lock().expect("open lock").insert(number, clone);
                        }
                        let (name, records, open) = (name.clone(), records.clone(), open.clone());
                        let _ = thread::Builder::new().name("backend-conn".into()).spawn(move || {
                            serve_connection(stream, &name, &records, fixed);
                            // The socket closes (FIN, or RST after `reset`) when this last handle goes.
                            open.lock().expect("open lock").remove(&number);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(1)),
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        })?;
        self.running = Some((stop, handle));
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.crash();
    }
}

/// One parsed request head.
struct Request {
    method: String,
    path: String,
    id: String,
    forwarded_proto: Option<String>,
    host: String,
    keep_alive: bool,
}

fn serve_connection(stream: TcpStream, name: &str, records: &Records, fixed: Option<Behaviour>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    // Proxies reuse connections (HAProxy and Caddy keep them alive); serve until one side closes.
    loop {
        let Ok(Some(request)) = read_request(&mut reader) else { return };
        let behaviour = fixed.unwrap_or_else(|| Behaviour::from_request(&request.method, &request.path));
        if !request.id.is_empty() {
            records.note(&request.id, name, behaviour);
        }
        match respond(&mut stream, &request, behaviour) {
            Ok(true) if request.keep_alive => {}
            _ => return,
        }
    }
}

/// Reads one request head and drains its body. `Ok(None)` at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut head = Vec::with_capacity(1024);
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head)?;
        if n == 0 {
            return Ok(None);
        }
        if head[before..] == *b"\r\n" || head[before..] == *b"\n" {
            break;
        }
        if head.len() > 256 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head over 256 KiB"));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut parsed = httparse::Request::new(&mut headers);
    parsed.parse(&head).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let length: usize = header("content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let chunked = header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let connection = header("connection").unwrap_or_default().to_ascii_lowercase();
    let request = Request {
        method: parsed.method.unwrap_or("GET").to_owned(),
        path: parsed.path.unwrap_or("/").to_owned(),
        id: header("x-request-id").unwrap_or_default(),
        forwarded_proto: header("x-forwarded-proto"),
        host: header("host").unwrap_or_else(|| "localhost".into()),
        keep_alive: parsed.version == Some(1) && !connection.contains("close"),
    };
    if chunked {
        drain_chunked(reader)?;
    } else if length > 0 {
        io::copy(&mut reader.by_ref().take(length.min(MAX_BODY) as u64), &mut io::sink())?;
    }
    Ok(Some(request))
}

fn drain_chunked(reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        io::copy(&mut reader.by_ref().take(size as u64 + 2), &mut io::sink())?;
    }
}

/// Acts out `behaviour`. `Ok(true)` when the connection is still usable.
fn respond(stream: &mut TcpStream, request: &Request, behaviour: Behaviour) -> io::Result<bool> {
    match behaviour {
        Behaviour::Status(code) => answer(stream, request, code, &[]),
        Behaviour::RedirectFlip => {
            let to = if request.forwarded_proto.as_deref() == Some("https") { "http" } else { "https" };
            let location = format!("Location: {to}://{}{}\r\n", request.host, request.path);
            answer(stream, request, 301, &[location.as_str()])
        }
        Behaviour::RedirectLoop => {
            let path = request.path.split('?').next().unwrap_or("");
            let to = if path.ends_with("loop-a") { "loop-b" } else { "loop-a" };
            let location = format!("Location: {}{to}\r\n", &path[..path.len() - 6]);
            answer(stream, request, 302, &[location.as_str()])
        }
        Behaviour::Reset => {
            reset(stream);
            Ok(false)
        }
        Behaviour::Close => {
            stream.shutdown(Shutdown::Both)?;
            Ok(false)
        }
        Behaviour::Garbage => {
            stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\r\n")?;
            stream.shutdown(Shutdown::Both)?;
            Ok(false)
        }
        Behaviour::BigHeaders => {
            let big = format!("X-Session-Debug: {}\r\n", "a".repeat(BIG_HEADER_BYTES));
            answer(stream, request, 200, &[big.as_str()])
        }
        Behaviour::Slow => {
            thread::sleep(SLOW_DELAY);
            answer(stream, request, 200, &[])
        }
        Behaviour::Hang => {
            thread::sleep(HANG_DELAY);
            answer(stream, request, 200, &[])
        }
        Behaviour::MidBody => {
            let date = httpdate::fmt_http_date(std::time::SystemTime::now());
            stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Type: application/octet-stream\r\n\
                     Content-Length: 100000\r\n\r\n"
                )
                .as_bytes(),
            )?;
            stream.write_all(&[b'x'; 1000])?;
            stream.flush()?;
            thread::sleep(Duration::from_millis(20));
            reset(stream);
            Ok(false)
        }
    }
}

/// Closes with SO_LINGER 0: the kernel sends RST instead of FIN, as when a process is killed with
/// unread data or crashes.
fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    // Dropping the last handle closes; shutdown would send FIN first.
}

/// Writes a well-formed response with the headers RFC 9110 asks for at `code`.
fn answer(stream: &mut TcpStream, request: &Request, code: u16, extra: &[&str]) -> io::Result<bool> {
    let reason = reason(code);
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let mut head = format!("HTTP/1.1 {code} {reason}\r\nServer: lab-backend\r\nDate: {date}\r\n");
    match code {
        201 => head.push_str("Location: /shop/orders/1001\r\n"),
        401 => head.push_str("WWW-Authenticate: Bearer realm=\"lab\"\r\n"),
        405 => head.push_str("Allow: GET, HEAD\r\n"),
        429 => head.push_str(
            "Retry-After: 30\r\nRateLimit-Policy: \"default\";q=100;w=60\r\nRateLimit: \"default\";r=0;t=30\r\n",
        ),
        503 => head.push_str("Retry-After: 120\r\n"),
        _ => {}
    }
    for line in extra {
        head.push_str(line);
    }
    let body = if matches!(code, 204 | 304) || (100..200).contains(&code) || request.method == "HEAD" {
        String::new()
    } else if code < 400 {
        format!("{{\"ok\":true,\"path\":\"{}\"}}\n", request.path.replace('"', ""))
    } else {
        format!("{{\"error\":\"{}\",\"status\":{code}}}\n", reason.to_ascii_lowercase())
    };
    if !matches!(code, 204 | 304) {
        let _ = write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    if !request.keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if request.method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()?;
    Ok(true)
}

/// The reason phrase, from the knowledge base (every registered code is there).
fn reason(code: u16) -> &'static str {
    culprit_kb::kb().code(code).map_or("Status", |c| c.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviour_comes_from_the_path() {
        let get = |path| Behaviour::from_request("GET", path);
        assert_eq!(get("/shop/status/503"), Behaviour::Status(503));
        assert_eq!(get("/shop/status/503?x=1"), Behaviour::Status(503));
        assert_eq!(get("/legacy/reset"), Behaviour::Reset);
        assert_eq!(get("/shop/items/42"), Behaviour::Status(200));
        assert_eq!(get("/status/999"), Behaviour::Status(200));
        assert_eq!(get("/"), Behaviour::Status(200));
        assert_eq!(Behaviour::from_request("POST", "/shop/orders"), Behaviour::Status(201));
        assert_eq!(Behaviour::from_request("DELETE", "/shop/items/4"), Behaviour::Status(204));
    }
}
