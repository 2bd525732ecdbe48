//! Real nginx as people run it (issue 12's "Done when"): the packages' `main` format, combined with
//! an extra field, and the common log format, written side by side by one nginx running in a time
//! zone other than UTC (its error log in local time, without a zone), with one dead and one live
//! upstream, for a few seconds: a capture too short for a baseline. Every line must be read, the
//! 502s attributed to `upstream_connection_refused` through the error-log join, and the failing
//! service reported.
//!
//! nginx missing fails the test (scripts/test installs it).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use culprit_lab::proxy::{Proxy, ProxyKind, free_port};
use culprit_logs::report::LogReport;

const CONFIG: &str = r#"
daemon off;
master_process on;
worker_processes 1;
pid @@DIR@@/nginx.pid;
error_log @@DIR@@/error-warn.log warn;
events { worker_connections 256; }
http {
    client_body_temp_path @@DIR@@/tmp/client_body;
    proxy_temp_path @@DIR@@/tmp/proxy;
    fastcgi_temp_path @@DIR@@/tmp/fastcgi;
    uwsgi_temp_path @@DIR@@/tmp/uwsgi;
    scgi_temp_path @@DIR@@/tmp/scgi;
    # The `main` format of nginx's own packages, verbatim.
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';
    log_format  timed '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
    log_format  clf   '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent';
    access_log @@DIR@@/access.log main;
    access_log @@DIR@@/access-timed.log timed;
    access_log @@DIR@@/access-clf.log clf;
    upstream shop {
        server 127.0.0.1:@@LIVE@@;
        # Never marked down: every other request keeps meeting it.
        server 127.0.0.1:@@DEAD@@ max_fails=0;
    }
    server {
        listen 127.0.0.1:@@PORT@@;
        location / {
            proxy_pass http://shop;
            # Each request goes to one server, so half of them meet the dead one.
            proxy_next_upstream off;
        }
    }
}
"#;

/// A live backend: answers every request with a small 200, until the test ends.
fn live_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            });
        }
    });
    port
}

fn get(port: u16, path: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn report(args: &[&str]) -> LogReport {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_culprit"))
        .arg("logs")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn real_nginx_everyday_formats_in_another_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let vars = BTreeMap::from([("LIVE", live_backend().to_string()), ("DEAD", free_port().unwrap().to_string())]);
    // POSIX TZ without a zone database: one hour east of UTC, no daylight saving.
    let mut nginx = Proxy::start_with(ProxyKind::Nginx, dir.path(), ("nginx.conf", CONFIG), &vars, &[("TZ", "XYZ-1")])
        .expect("nginx starts (scripts/test installs it)");
    let port = nginx.addr().port();
    let statuses: Vec<u16> = (0..80).map(|i| get(port, &format!("/api/items/{i}"))).collect();
    nginx.stop();
    let bad = statuses.iter().filter(|&&s| s == 502).count() as u64;
    assert!(bad >= 30 && statuses.iter().all(|&s| s == 200 || s == 502), "{statuses:?}");

    let access = std::fs::read_to_string(dir.path().join("access.log")).unwrap();
    assert!(access.contains(" +0100]"), "nginx wrote local times: {access:.200}");
    let error_log = dir.path().join("error-warn.log");
    let error_log = error_log.to_str().unwrap();
    for (file, format) in [
        ("access.log", "nginx main"),
        ("access-timed.log", "nginx combined + extra fields"),
        ("access-clf.log", "common log format"),
    ] {
        let path = dir.path().join(file);
        let r = report(&[path.to_str().unwrap(), "--error-log", error_log]);
        assert_eq!(r.inputs[0].format.as_deref(), Some(format), "{file}");
        assert_eq!(r.requests, 80, "{file}: every line read");
        assert_eq!(r.unparsed.count, 0, "{file}: {:?}", r.unparsed);
        let j = r.join.as_ref().expect("error-log lines read");
        assert_eq!(j.used, bad, "{file}: each 502 joined to its own message: {j:?}");
        assert_eq!(j.assumed_utc, 0, "{file}: the access line's +0100 was used");
        let inc = r.incidents.first().unwrap_or_else(|| panic!("{file}: the outage is reported: {r:#?}"));
        let c = &inc.causes[0];
        assert_eq!((c.status, c.cause.as_str()), (502, "upstream_connection_refused"), "{file}");
        assert!(c.confidence != culprit_kb::Confidence::Low, "{file}: decided by the join");
        assert_eq!(c.errors, bad, "{file}");
        // These formats log no upstream: the joined error-log entries name it.
        let dead = format!("127.0.0.1:{}", vars["DEAD"]);
        assert_eq!(inc.upstreams.first().map(|u| (u.key.as_str(), u.count)), Some((dead.as_str(), bad)), "{file}");
        assert_eq!(r.environment.kind, "hosts", "{file}");
    }
    // What a person sees.
    let main = dir.path().join("access.log");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_culprit"))
        .args(["logs", main.to_str().unwrap(), "--error-log", error_log])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(text.contains("no earlier baseline"), "{text}");
    assert!(!text.lines().any(|l| l.trim_start().starts_with("kubectl ")), "{text}");
    // The error log names the upstream the access format does not log: it fills the next steps.
    let port = &vars["DEAD"];
    assert!(text.contains(&format!("ss -ltnp 'sport = :{port}'")), "{text}");
}
