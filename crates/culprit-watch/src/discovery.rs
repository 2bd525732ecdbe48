//! What to follow: files, directories (read recursively, hidden entries skipped) and glob
//! patterns (`*`, `?`, `[abc]`, `[!abc]` in any path component:
//! `/var/log/containers/*ingress-nginx*.log`, `/var/log/pods/*/controller/*.log`), expanded anew at
//! every rescan so files created later are found.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// A file's path (it may not exist yet: it is looked for at every rescan; a directory found
    /// there later is reported, not walked).
    Path(PathBuf),
    /// A directory, walked at every rescan.
    Dir(PathBuf),
    /// A pattern with wildcards.
    Glob(PathBuf),
}

impl Spec {
    pub fn parse(path: &Path) -> Spec {
        if path.to_string_lossy().contains(['*', '?', '[']) {
            Spec::Glob(path.to_owned())
        } else if path.is_dir() {
            Spec::Dir(path.to_owned())
        } else {
            Spec::Path(path.to_owned())
        }
    }

    /// The directory to watch for changes: the path's own (a directory) or its parent, a glob's
    /// deepest directory without wildcards.
    pub fn watch_root(&self) -> PathBuf {
        match self {
            Spec::Dir(p) => p.clone(),
            Spec::Path(p) => {
                p.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| ".".into(), Path::to_owned)
            }
            Spec::Glob(p) => {
                let mut root = PathBuf::new();
                for c in p.components() {
                    if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
                        break;
                    }
                    root.push(c);
                }
                if root.as_os_str().is_empty() { ".".into() } else { root }
            }
        }
    }

    /// The paths it names now (files, or anything that is not a directory: a caller reports those).
    pub fn expand(&self, out: &mut Vec<PathBuf>) {
        match self {
            Spec::Path(p) => out.push(p.clone()),
            Spec::Dir(p) => walk(p, out),
            Spec::Glob(p) => {
                let mut current = vec![PathBuf::new()];
                let components: Vec<Component<'_>> = p.components().collect();
                for (i, c) in components.iter().enumerate() {
                    let last = i + 1 == components.len();
                    let text = c.as_os_str().to_string_lossy();
                    if !text.contains(['*', '?', '[']) {
                        for d in &mut current {
                            d.push(c);
                        }
                        continue;
                    }
                    let mut next = Vec::new();
                    for dir in &current {
                        let base = if dir.as_os_str().is_empty() { Path::new(".") } else { dir.as_path() };
                        let Ok(entries) = std::fs::read_dir(base) else { continue };
                        let mut names: Vec<String> =
                            entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
                        names.sort();
                        for name in names {
                            // A leading dot is matched only by a pattern that starts with one.
                            if name.starts_with('.') && !text.starts_with('.') {
                                continue;
                            }
                            if matches(text.as_bytes(), name.as_bytes()) {
                                let path = dir.join(&name);
                                if last || path.is_dir() {
                                    next.push(path);
                                }
                            }
                        }
                    }
                    current = next;
                }
                for p in current {
                    if p.is_dir() { walk(&p, out) } else { out.push(p) }
                }
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Unreadable: named so the caller reports it.
        out.push(dir.to_owned());
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Shell-style match of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]`.
pub fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| matches(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && matches(rest, &name[1..]),
        Some((b'[', rest)) => {
            let Some(close) = rest.iter().skip(1).position(|&b| b == b']').map(|i| i + 1) else {
                return name.first() == Some(&b'[') && matches(rest, &name[1..]);
            };
            let Some((&c, name_rest)) = name.split_first() else { return false };
            let (negate, set) = match rest[..close].split_first() {
                Some((b'!' | b'^', set)) => (true, set),
                _ => (false, &rest[..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= (set[i]..=set[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && matches(&rest[close + 1..], name_rest)
        }
        Some((&p, rest)) => name.first() == Some(&p) && matches(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_components() {
        assert!(matches(b"*ingress-nginx*.log", b"ingress-nginx-controller-abc_ingress-nginx_controller-123.log"));
        assert!(!matches(b"*ingress-nginx*.log", b"coredns-abc.log"));
        assert!(matches(b"access.log.[0-9]", b"access.log.1"));
        assert!(!matches(b"access.log.[!0-9]", b"access.log.1"));
        assert!(matches(b"a?c", b"abc"));
        assert!(!matches(b"a?c", b"ac"));
        assert!(matches(b"*", b""));
    }

    #[test]
    fn globs_expand_across_directories() {
        let dir = tempfile::tempdir().unwrap();
        for p in
            ["pods/a/controller/0.log", "pods/b/controller/0.log", "pods/b/other/0.log", "pods/c/controller/.x.log"]
        {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x\n").unwrap();
        }
        let spec = Spec::parse(&dir.path().join("pods/*/controller/*.log"));
        let mut out = Vec::new();
        spec.expand(&mut out);
        let names: Vec<String> =
            out.iter().map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string()).collect();
        assert_eq!(names, ["pods/a/controller/0.log", "pods/b/controller/0.log"]);
        assert_eq!(spec.watch_root(), dir.path().join("pods"));
    }
}
