//! Start one proxy of the lab in front of the backends and keep it up (for trying `culprit probe`
//! by hand): `cargo run -p culprit-lab --example serve -- nginx 60`.
fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let kind = culprit_lab::proxy::ProxyKind::parse(&args.next().unwrap_or_else(|| "nginx".into()))
        .expect("nginx, haproxy, caddy, apache or varnish");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir()?;
    let lab = culprit_lab::lab::Lab::start(kind, dir.path())?;
    println!("{} on http://{} for {seconds} s", kind.name(), lab.proxy.addr());
    for b in &lab.backends {
        println!("  backend {} on http://{}", b.name(), b.addr());
    }
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    Ok(())
}
