//! The real proxies: nginx (configured like ingress-nginx), HAProxy, Caddy, Apache httpd
//! (mod_proxy) and Varnish (in front of the nginx, with varnishncsa writing its log), started from
//! the configuration templates in `lab/` with every file inside one temporary directory, and
//! stopped by pid when dropped, also when a test fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Which proxy a lab run puts in front of the backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    Nginx,
    Haproxy,
    Caddy,
    Apache,
    /// Varnish in front of the nginx: two layers.
    Varnish,
}

/// The varnishncsa format the lab writes: the default (Apache's `combined`, with the whole URL in
/// `%r`) plus how Varnish handled the request and the request id.
pub const VARNISHNCSA_FORMAT: &str =
    r#"%h %l %u %t "%r" %s %b "%{Referer}i" "%{User-agent}i" %{Varnish:handling}x "%{X-Request-ID}i""#;

/// The Apache `LogFormat` of `lab/apache.conf`, as `culprit logs --apache-format` takes it.
pub const APACHE_LOG_FORMAT: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{remote}p %{BALANCER_NAME}e %{BALANCER_WORKER_NAME}e "%{X-Request-ID}i""#;

impl ProxyKind {
    pub const ALL: [ProxyKind; 5] =
        [ProxyKind::Nginx, ProxyKind::Haproxy, ProxyKind::Caddy, ProxyKind::Apache, ProxyKind::Varnish];

    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Nginx => "nginx",
            ProxyKind::Haproxy => "haproxy",
            ProxyKind::Caddy => "caddy",
            ProxyKind::Apache => "apache",
            ProxyKind::Varnish => "varnish",
        }
    }

    pub fn parse(name: &str) -> Option<ProxyKind> {
        ProxyKind::ALL.into_iter().find(|p| p.name() == name)
    }

    fn program(self) -> &'static str {
        match self {
            ProxyKind::Nginx => "nginx",
            ProxyKind::Haproxy => "haproxy",
            ProxyKind::Caddy => "caddy",
            // Debian installs it in /usr/sbin, often not on a user's PATH.
            ProxyKind::Apache => sbin("apache2"),
            ProxyKind::Varnish => sbin("varnishd"),
        }
    }

    /// What `culprit logs` needs to be told to read this proxy's log: nothing, except Apache's own
    /// `LogFormat` (Apache has no default format with a backend or a request id in it).
    pub fn culprit_format_args(self) -> Vec<String> {
        match self {
            ProxyKind::Apache => vec!["--apache-format".into(), APACHE_LOG_FORMAT.into()],
            _ => Vec::new(),
        }
    }

    /// The configuration template (from `lab/`), compiled in so the lab runs from any directory.
    fn template(self) -> (&'static str, &'static str) {
        match self {
            ProxyKind::Nginx => ("nginx.conf", include_str!("../../../lab/nginx.conf")),
            ProxyKind::Haproxy => ("haproxy.cfg", include_str!("../../../lab/haproxy.cfg")),
            ProxyKind::Caddy => ("Caddyfile", include_str!("../../../lab/Caddyfile")),
            ProxyKind::Apache => ("apache.conf", include_str!("../../../lab/apache.conf")),
            ProxyKind::Varnish => ("varnish.vcl", include_str!("../../../lab/varnish.vcl")),
        }
    }
}

/// `name` from /usr/sbin when it is there and not on PATH.
fn sbin(name: &'static str) -> &'static str {
    let on_path = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()));
    match name {
        "apache2" if !on_path && Path::new("/usr/sbin/apache2").is_file() => "/usr/sbin/apache2",
        "varnishd" if !on_path && Path::new("/usr/sbin/varnishd").is_file() => "/usr/sbin/varnishd",
        _ => name,
    }
}

/// The files a proxy writes its logs to.
#[derive(Debug, Clone, Default)]
pub struct ProxyLogs {
    pub access: PathBuf,
    /// nginx: the error log at `warn` (what ingress-nginx ships); Caddy: its JSON error/runtime log.
    pub error: Option<PathBuf>,
    /// nginx only: the same error log at `info`, where client hang-ups get their message.
    pub error_info: Option<PathBuf>,
    /// Varnish only: the logs of the nginx behind it (access, error at warn).
    pub inner: Option<(PathBuf, PathBuf)>,
}

/// A running proxy: its processes (Varnish: nginx, varnishd, varnishncsa), stopped in reverse
/// order.
#[derive(Debug)]
pub struct Proxy {
    kind: ProxyKind,
    children: Vec<(String, Child)>,
    addr: SocketAddr,
    logs: ProxyLogs,
}

impl Proxy {
    /// Renders the template with `vars` (`@@NAME@@` placeholders; `DIR` and `PORT` are added) into
    /// `dir`, starts the proxy and waits until it accepts connections.
    pub fn start(kind: ProxyKind, dir: &Path, vars: &BTreeMap<&str, String>) -> anyhow::Result<Proxy> {
        Self::start_with(kind, dir, kind.template(), vars, &[])
    }

    /// [`Self::start`] with a configuration template of the caller's (`(file name, text)`, same
    /// placeholders) and extra environment variables for the proxy process (e.g. `TZ`, which
    /// nginx keeps and writes its local times in).
    pub fn start_with(
        kind: ProxyKind,
        dir: &Path,
        (file, template): (&str, &str),
        vars: &BTreeMap<&str, String>,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Proxy> {
        let port = free_port()?;
        let mut vars = vars.clone();
        vars.insert("DIR", dir.display().to_string());
        vars.insert("PORT", port.to_string());
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let mut proxy = Proxy { kind, children: Vec::new(), addr, logs: ProxyLogs::default() };
        if kind == ProxyKind::Varnish {
            // The nginx behind Varnish, in its own directory, then Varnish and its logger.
            let inner_dir = dir.join("nginx");
            fs::create_dir_all(&inner_dir)?;
            let inner = Proxy::start(ProxyKind::Nginx, &inner_dir, &vars)?;
            vars.insert("NGINX_PORT", inner.addr.port().to_string());
            proxy.logs.inner = Some((inner.logs.access.clone(), inner.logs.error.clone().unwrap_or_default()));
            proxy.adopt(inner);
        }
        let config = render(template, &vars)?;
        let config_path = dir.join(file);
        fs::write(&config_path, config).with_context(|| format!("writing {}", config_path.display()))?;
        fs::create_dir_all(dir.join("tmp"))?;
        fs::create_dir_all(dir.join("htdocs"))?;

        // A kept directory may hold an earlier run's logs, and proxies append.
        for file in ["access.log", "error-warn.log", "error-info.log", "caddy.log", "error.log", "varnish.log"] {
            let _ = fs::remove_file(dir.join(file));
        }
        let mut command = Command::new(kind.program());
        let logs = match kind {
            ProxyKind::Nginx => {
                command.arg("-p").arg(dir).arg("-c").arg(&config_path).arg("-e").arg(dir.join("startup.log"));
                ProxyLogs {
                    access: dir.join("access.log"),
                    error: Some(dir.join("error-warn.log")),
                    error_info: Some(dir.join("error-info.log")),
                    inner: None,
                }
            }
            // HAProxy logs each request to stdout (`log stdout format raw`), as in a container.
            ProxyKind::Haproxy => {
                command.arg("-db").arg("-f").arg(&config_path);
                ProxyLogs { access: dir.join("haproxy.stdout"), ..ProxyLogs::default() }
            }
            ProxyKind::Caddy => {
                command.args(["run", "--adapter", "caddyfile", "--config"]).arg(&config_path);
                // Caddy keeps state under $HOME/XDG dirs: keep it inside the lab directory.
                command
                    .env("HOME", dir)
                    .env("XDG_DATA_HOME", dir.join("data"))
                    .env("XDG_CONFIG_HOME", dir.join("config"));
                ProxyLogs { access: dir.join("access.log"), error: Some(dir.join("caddy.log")), ..ProxyLogs::default() }
            }
            // In the foreground, with the whole configuration in one file (no Debian envvars).
            ProxyKind::Apache => {
                command.arg("-f").arg(&config_path).arg("-DFOREGROUND");
                ProxyLogs { access: dir.join("access.log"), error: Some(dir.join("error.log")), ..ProxyLogs::default() }
            }
            // In the foreground, its working directory (and shared log) in the lab directory, no
            // privilege separation (the lab directory is the invoking user's).
            ProxyKind::Varnish => {
                command
                    .arg("-F")
                    .arg("-n")
                    .arg(dir.join("varnish"))
                    .arg("-a")
                    .arg(addr.to_string())
                    .arg("-f")
                    .arg(&config_path)
                    .args(["-s", "malloc,32m", "-j", "none"]);
                ProxyLogs { access: dir.join("varnish.log"), inner: proxy.logs.inner.clone(), ..ProxyLogs::default() }
            }
        };
        command.envs(env.iter().copied());
        let name = kind.name();
        let stdout = fs::File::create(dir.join(format!("{name}.stdout")))?;
        let stderr = fs::File::create(dir.join(format!("{name}.stderr")))?;
        let child = command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {} (is it installed? scripts/test installs it)", kind.program()))?;
        proxy.children.push((name.to_owned(), child));
        proxy.logs = logs;
        proxy.wait_ready(dir)?;
        if kind == ProxyKind::Varnish {
            proxy.start_varnishncsa(dir)?;
        }
        Ok(proxy)
    }

    /// varnishncsa attached to the running varnishd, writing the lab's format to `varnish.log`.
    fn start_varnishncsa(&mut self, dir: &Path) -> anyhow::Result<()> {
        let log = dir.join("varnish.log");
        let stderr = fs::File::create(dir.join("varnishncsa.stderr"))?;
        let child = Command::new("varnishncsa")
            .arg("-n")
            .arg(dir.join("varnish"))
            .arg("-w")
            .arg(&log)
            .arg("-F")
            .arg(VARNISHNCSA_FORMAT)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .context("starting varnishncsa (is varnish installed? scripts/test installs it)")?;
        self.children.push(("varnishncsa".into(), child));
        // It opens its file once attached to varnishd's log: traffic before that would be lost.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !log.exists() {
            if Instant::now() > deadline {
                bail!("varnishncsa did not open {} within 10 s", log.display());
            }
            thread::sleep(Duration::from_millis(50));
        }
        thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// Takes over another proxy's processes (they stop with this one, after it).
    fn adopt(&mut self, mut other: Proxy) {
        self.children.append(&mut other.children);
    }

    pub fn kind(&self) -> ProxyKind {
        self.kind
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn logs(&self) -> &ProxyLogs {
        &self.logs
    }

    fn wait_ready(&mut self, dir: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            let exited = self.children.last_mut().and_then(|(_, c)| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let name = self.kind.name();
                let mut why = String::new();
                for file in [format!("{name}.stderr"), format!("{name}.stdout"), "startup.log".into()] {
                    if let Ok(text) = fs::read_to_string(dir.join(&file))
                        && !text.trim().is_empty()
                    {
                        let _ = write!(why, "\n--- {file}\n{}", text.trim_end());
                    }
                }
                let state = exited.map_or("did not open its port within 15 s".to_owned(), |s| format!("exited ({s})"));
                bail!("{name} {state} on {}{why}", self.addr);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the proxy's processes, the last started first: SIGTERM, then SIGKILL after 5 s. Log
    /// files are complete afterwards.
    pub fn stop(&mut self) {
        while let Some((_, mut child)) = self.children.pop() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut done = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    done = true;
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            if !done {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Replaces every `@@NAME@@`; a placeholder without a value is an error, not an empty string.
fn render(template: &str, vars: &BTreeMap<&str, String>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("@@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("@@").context("unclosed @@ placeholder in a lab template")?;
        let name = &after[..end];
        let value = vars.get(name).with_context(|| format!("lab template placeholder @@{name}@@ has no value"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A loopback port nothing listens on right now (bound, then released).
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr().map(|a| a.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_placeholders_and_refuses_missing_ones() {
        let vars = BTreeMap::from([("PORT", "8080".to_owned())]);
        assert_eq!(render("listen @@PORT@@;", &vars).unwrap(), "listen 8080;");
        assert!(render("listen @@NOPE@@;", &vars).is_err());
        assert!(render("listen @@PORT", &vars).is_err());
    }
}
