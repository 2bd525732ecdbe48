//! The state directory (`--state DIR`): where each file was read up to, and the value of every
//! counter at that point, in one JSON file written atomically (a temporary file, fsync, rename,
//! fsync of the directory). Offsets and counters are written together from one consistent moment
//! of the engine, so a restart resumes exactly: lines after the offset are read again and counted
//! once, lines before it are in the counters already.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const SCHEMA: &str = "culprit.watch.state/1";
pub const FILE_NAME: &str = "checkpoint.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema: String,
    /// When it was written (UTC, RFC 3339).
    pub written: String,
    /// Files being followed.
    pub files: Vec<FileState>,
    /// Files read to their end and closed (rotated away), and copies of followed files (left by
    /// copytruncate or compression) that are not to be read on their own.
    pub known: Vec<FileState>,
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileState {
    /// Where the file was last seen.
    pub path: String,
    /// Its `file` label (the path it was first found at).
    pub label: String,
    pub dev: u64,
    pub ino: u64,
    pub fp_len: u32,
    /// FNV-1a 64 of the first `fp_len` bytes, hex.
    pub fp_hash: String,
    /// Bytes read and counted (decompressed bytes for gzip).
    pub offset: u64,
    pub gzip: bool,
    /// `followed`, `retired` (read to its end, closed) or `copy` (a copy of a followed file).
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counters {
    pub responses: Vec<ResponseCount>,
    pub durations: Vec<DurationCount>,
    pub incidents: Vec<IncidentGauge>,
    pub files: Vec<FileCount>,
    pub checkpoints: u64,
    pub services_folded: u64,
    /// By error kind id.
    pub errors: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCount {
    pub service: String,
    pub status: u16,
    pub generated_by: String,
    pub cause: String,
    pub owner: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationCount {
    pub service: String,
    /// Per bucket (not cumulative), the last one for +Inf.
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentGauge {
    pub service: String,
    pub status: u16,
    pub cause: String,
    pub owner: String,
    pub open: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCount {
    pub file: String,
    pub lines: u64,
    pub unparsed: u64,
    pub bytes: u64,
}

pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Read the state. `Ok(None)`: there is none yet (a first run). `Err`: it exists but cannot be
/// used (unreadable, not JSON, another schema) — the caller applies its policy.
pub fn load(dir: &Path) -> Result<Option<State>, String> {
    let path = path_in(dir);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let state: State = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if state.schema != SCHEMA {
        return Err(format!("{}: schema {:?}, expected {SCHEMA:?}", path.display(), state.schema));
    }
    Ok(Some(state))
}

/// Keep an unusable state file for a person to look at, out of the way of the next checkpoint.
pub fn set_aside(dir: &Path) -> Option<PathBuf> {
    let from = path_in(dir);
    let to = dir.join(format!("{FILE_NAME}.corrupt"));
    fs::rename(&from, &to).ok().map(|()| to)
}

/// Write the state atomically: a reader (or a restart after a crash at any instant) sees the old
/// file or the new one, never a mix.
pub fn write(dir: &Path, state: &State) -> io::Result<()> {
    let tmp = dir.join(format!(".{FILE_NAME}.tmp"));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        let mut w = io::BufWriter::new(&mut f);
        serde_json::to_writer(&mut w, state)?;
        w.write_all(b"\n")?;
        w.flush()?;
        drop(w);
        f.sync_all()?;
        fs::rename(&tmp, path_in(dir))?;
        // The rename itself must reach the disk.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            schema: SCHEMA.into(),
            written: "2026-03-08T14:00:00Z".into(),
            files: vec![FileState {
                path: "/var/log/a.log".into(),
                label: "/var/log/a.log".into(),
                dev: 1,
                ino: 2,
                fp_len: 3,
                fp_hash: "ff".into(),
                offset: 4,
                gzip: false,
                status: "followed".into(),
            }],
            known: Vec::new(),
            counters: Counters { checkpoints: 7, ..Counters::default() },
        }
    }

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        write(dir.path(), &state()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(state()));
        assert!(!dir.path().join(format!(".{FILE_NAME}.tmp")).exists());
        fs::write(path_in(dir.path()), b"{\"schema\": \"culprit.watch.state/1\", \"files\": [").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.contains("checkpoint.json"), "{err}");
        assert!(set_aside(dir.path()).is_some());
        assert_eq!(load(dir.path()).unwrap(), None);
    }
}
