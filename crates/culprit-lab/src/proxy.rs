//! The real proxies: nginx (configured like ingress-nginx), HAProxy and Caddy, started from the
//! configuration templates in `lab/` with every file inside one temporary directory, and stopped by
//! pid when dropped, also when a test fails.

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
}

impl ProxyKind {
    pub const ALL: [ProxyKind; 3] = [ProxyKind::Nginx, ProxyKind::Haproxy, ProxyKind::Caddy];

    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Nginx => "nginx",
            ProxyKind::Haproxy => "haproxy",
            ProxyKind::Caddy => "caddy",
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
        }
    }

    /// The configuration template (from `lab/`), compiled in so the lab runs from any directory.
    fn template(self) -> (&'static str, &'static str) {
        match self {
            ProxyKind::Nginx => ("nginx.conf", include_str!("../../../lab/nginx.conf")),
            ProxyKind::Haproxy => ("haproxy.cfg", include_str!("../../../lab/haproxy.cfg")),
            ProxyKind::Caddy => ("Caddyfile", include_str!("../../../lab/Caddyfile")),
        }
    }
}

/// The files a proxy writes its logs to.
#[derive(Debug, Clone)]
pub struct ProxyLogs {
    pub access: PathBuf,
    /// nginx: the error log at `warn` (what ingress-nginx ships); Caddy: its JSON error/runtime log.
    pub error: Option<PathBuf>,
    /// nginx only: the same error log at `info`, where client hang-ups get their message.
    pub error_info: Option<PathBuf>,
}

/// A running proxy process.
#[derive(Debug)]
pub struct Proxy {
    kind: ProxyKind,
    child: Option<Child>,
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
        let config = render(template, &vars)?;
        let config_path = dir.join(file);
        fs::write(&config_path, config).with_context(|| format!("writing {}", config_path.display()))?;
        fs::create_dir_all(dir.join("tmp"))?;

        // A kept directory may hold an earlier run's logs, and proxies append.
        for file in ["access.log", "error-warn.log", "error-info.log", "caddy.log"] {
            let _ = fs::remove_file(dir.join(file));
        }
        let stdout = fs::File::create(dir.join(format!("{}.stdout", kind.name())))?;
        let stderr = fs::File::create(dir.join(format!("{}.stderr", kind.name())))?;
        let mut command = Command::new(kind.program());
        let logs = match kind {
            ProxyKind::Nginx => {
                command.arg("-p").arg(dir).arg("-c").arg(&config_path).arg("-e").arg(dir.join("startup.log"));
                ProxyLogs {
                    access: dir.join("access.log"),
                    error: Some(dir.join("error-warn.log")),
                    error_info: Some(dir.join("error-info.log")),
                }
            }
            // HAProxy logs each request to stdout (`log stdout format raw`), as in a container.
            ProxyKind::Haproxy => {
                command.arg("-db").arg("-f").arg(&config_path);
                ProxyLogs { access: dir.join("haproxy.stdout"), error: None, error_info: None }
            }
            ProxyKind::Caddy => {
                command.args(["run", "--adapter", "caddyfile", "--config"]).arg(&config_path);
                // Caddy keeps state under $HOME/XDG dirs: keep it inside the lab directory.
                command
                    .env("HOME", dir)
                    .env("XDG_DATA_HOME", dir.join("data"))
                    .env("XDG_CONFIG_HOME", dir.join("config"));
                ProxyLogs { access: dir.join("access.log"), error: Some(dir.join("caddy.log")), error_info: None }
            }
        };
        command.envs(env.iter().copied());
        let child = command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {} (is it installed? scripts/test installs it)", kind.program()))?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let mut proxy = Proxy { kind, child: Some(child), addr, logs };
        proxy.wait_ready(dir)?;
        Ok(proxy)
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
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
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

    /// Stops the proxy: SIGTERM, then SIGKILL after 5 s. Log files are complete afterwards.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
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
