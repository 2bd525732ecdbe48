//! Requests that get no answer, each on loopback: refused, a connect that times out, a name that
//! does not resolve, a server that closes, resets, answers garbage or stalls. Each failure has a
//! kind, a diagnosis in words from the knowledge base (the layer it points to, causes, checks),
//! and none of them claims a request was sent when it was not.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use culprit_kb::kb;
use culprit_probe::exchange::{FailureKind, Phase};
use culprit_probe::probe::ProbeReport;
use culprit_probe::{Options, run};

fn probe(url: &str, options: &Options) -> ProbeReport {
    run(url, options, &[]).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn kind(r: &ProbeReport) -> FailureKind {
    r.outcome.failure.as_ref().unwrap_or_else(|| panic!("no failure: {:?}", r.outcome)).kind
}

/// A server that answers each connection with `reply` (after reading the request), then closes.
fn one_shot(reply: &'static [u8], reset: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
            if reset {
                // Linger 0: close sends RST instead of FIN.
                let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
            }
        }
    });
    port
}

#[test]
fn every_failure_kind_has_a_failure_mode_in_the_knowledge_base() {
    for k in FailureKind::ALL {
        let mode = kb().failure(k.id()).unwrap_or_else(|| panic!("failures.toml has no {}", k.id()));
        let json = serde_json::to_value(k).unwrap();
        assert_eq!(json, k.id(), "serialized name = knowledge-base id");
        assert!(!mode.says.is_empty());
    }
    assert_eq!(kb().failures.len(), FailureKind::ALL.len(), "failures.toml names a kind the probe never gives");
}

#[test]
fn connection_refused() {
    let r = probe("http://127.0.0.1:1/", &Options::default());
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!(
        (f.phase, f.kind, f.address.as_deref()),
        (Phase::Connect, FailureKind::ConnectRefused, Some("127.0.0.1:1"))
    );
    let d = r.outcome.diagnosis.as_ref().unwrap();
    assert!(d.says.starts_with("Nothing accepted the connection to 127.0.0.1:1"), "{}", d.says);
    assert!(d.says.contains("No request was sent"), "{}", d.says);
    assert_eq!(r.outcome.causes[0].id, "server_not_listening");
    assert_eq!(r.outcome.summary, "no answer: connection refused (TCP connect)");
    // Without evidence of Kubernetes, no kubectl step.
    assert!(r.outcome.checks.iter().all(|c| !c.command.contains("kubectl")), "{:?}", r.outcome.checks);
    assert_eq!(r.outcome.checks[0].command, "nc -vz -w 5 127.0.0.1 1");
    assert!(r.hops[0].timings.send_ms.is_none(), "nothing was sent");
}

/// A listener whose accept queue is full drops new SYNs: the connect times out, on loopback.
#[test]
fn connect_timeout() {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue (never accepted).
    let mut held = Vec::new();
    for _ in 0..4 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        let _ = s.connect(&addr.into());
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(100));
    let options = Options { connect_timeout: Duration::from_millis(300), ..Options::default() };
    let r = probe(&format!("http://{addr}/"), &options);
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.kind, f.timed_out), (FailureKind::ConnectTimeout, true), "{:?}", r.outcome);
    assert_eq!(r.outcome.causes[0].id, "network_path_blocked");
    assert!(r.outcome.diagnosis.as_ref().unwrap().says.contains("drops the packets"));
    drop(socket);
}

/// A 70-character label cannot be a DNS name: the resolver refuses it locally, without a query
/// leaving the machine.
#[test]
fn name_that_does_not_resolve() {
    let host = format!("{}.example", "a".repeat(70));
    let r = probe(&format!("http://{host}/"), &Options::default());
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.phase, f.kind), (Phase::Dns, FailureKind::DnsFailed), "{:?}", r.outcome);
    let d = r.outcome.diagnosis.as_ref().unwrap();
    assert!(d.says.starts_with(&format!("{host} does not resolve")), "{}", d.says);
    assert_eq!(
        (r.outcome.causes[0].id.as_str(), r.outcome.checks[0].id.as_str()),
        ("dns_name_not_resolved", "dns_resolve")
    );
    assert!(r.outcome.checks[0].command.contains(&format!("getent ahosts {host}")));
}

#[test]
fn closed_reset_garbage_and_slow() {
    let closed = one_shot(b"", false);
    let r = probe(&format!("http://127.0.0.1:{closed}/"), &Options::default());
    assert_eq!(kind(&r), FailureKind::ConnectionClosed, "{:?}", r.outcome);
    assert!(r.hops[0].timings.send_ms.is_some(), "the request was sent");

    let reset = one_shot(b"", true);
    let r = probe(&format!("http://127.0.0.1:{reset}/"), &Options::default());
    assert_eq!(kind(&r), FailureKind::ConnectionReset, "{:?}", r.outcome);

    let garbage = one_shot(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", false);
    let r = probe(&format!("http://127.0.0.1:{garbage}/"), &Options::default());
    assert_eq!(kind(&r), FailureKind::InvalidResponse, "{:?}", r.outcome);
    assert_eq!(r.outcome.causes[0].id, "upstream_invalid_response");

    let cut = one_shot(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", false);
    let r = probe(&format!("http://127.0.0.1:{cut}/"), &Options::default());
    assert_eq!((r.outcome.status, kind(&r)), (Some(200), FailureKind::BodyCut), "{:?}", r.outcome);
    assert_eq!(r.outcome.causes[0].id, "upstream_died_mid_response", "a 200 cut short is about the cut");

    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let options = Options { timeout: Duration::from_millis(300), ..Options::default() };
    let r = probe(&format!("http://127.0.0.1:{port}/"), &options);
    let f = r.outcome.failure.as_ref().unwrap();
    assert_eq!((f.kind, f.timed_out), (FailureKind::ResponseTimeout, true), "{:?}", r.outcome);
    // What sits at a bare address is not known: the failure mode's usual layer, unconfirmed.
    let d = r.outcome.diagnosis.as_ref().unwrap();
    assert_eq!((d.layer, d.layer_evidence.as_deref()), (culprit_kb::Layer::App, None));
}

/// A reason phrase the server chose is kept: it is part of who wrote the answer.
#[test]
fn own_reason_phrase() {
    let port = one_shot(b"HTTP/1.1 503 Backend fetch failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false);
    let r = probe(&format!("http://127.0.0.1:{port}/"), &Options::default());
    assert_eq!(r.hops[0].response.as_ref().unwrap().reason, "Backend fetch failed");
    assert!(r.outcome.summary.starts_with("503 Backend fetch failed"), "{}", r.outcome.summary);
}
