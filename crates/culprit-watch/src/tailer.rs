//! Following files as they grow, rotate, are truncated, replaced and deleted, feeding their
//! complete lines to the [`Analyzer`].
//!
//! How each case is handled (the ways other tailers lose data, shared/reference/live.md):
//! - **identity**: device + inode *and* a [fingerprint](crate::fingerprint) of the first bytes;
//!   a file shorter than the fingerprint is read all the same.
//! - **rotation by rename**: the open handle is kept and read to its end after its path moved or
//!   vanished; the file is closed once it has been idle at its end for a grace period. The new file
//!   at the path is a new file, read from its start.
//! - **copytruncate**: the size dropped below what was read (or the first bytes changed): the
//!   copy logrotate made in the same directory (same first bytes) gives what was not read yet,
//!   then the file is read again from its start. A copy is never read on its own.
//! - **compressed rotation**: a `.gz` whose decompressed first bytes are a file already read is
//!   that file: only what it holds past the offset read is read.
//! - **created, deleted**: found at the next rescan; a deleted file is read to its end.
//! - **restart**: the checkpoint's offsets, matched by device + inode + fingerprint; a file that
//!   was rotated away while culprit was stopped is looked for in its directory (same inode, or a
//!   copy with its first bytes) and read on from its offset.
//! - **offsets are what was counted**: the offset saved for a file ends at the last complete line
//!   the engine counted; lines still waiting for the format sniff are not behind it.

use crate::checkpoint::FileState;
use crate::discovery::Spec;
use crate::fingerprint::{self, FP_BYTES, Fingerprint, MIN_COPY_FP};
use crate::metrics::{ErrorKind, MAX_FILE_SERIES};
use culprit_logs::Analyzer;
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long a file whose path is gone (renamed out of the patterns, deleted) stays open after it
/// was last seen growing, for a writer that has not reopened its log yet.
pub const ROTATED_GRACE: Duration = Duration::from_secs(10);
/// A gzip file is read once its size has not changed for this long (a compressor may still be
/// writing it).
pub const GZIP_SETTLE: Duration = Duration::from_secs(2);
/// How often a followed file's first bytes are compared with its fingerprint (a truncation
/// followed by fast writes past the old offset does not shrink the file).
pub const FP_CHECK: Duration = Duration::from_secs(1);
/// Default of [`TailConfig::format_wait`]: long enough for a writer to finish its first burst,
/// short enough that a wrong format is said while someone is still looking at the terminal.
pub const FORMAT_WAIT: Duration = Duration::from_secs(5);
/// Known files (retired, copies) remembered.
pub const MAX_KNOWN: usize = 512;
/// Bytes read per call.
const READ_BUF: usize = 1 << 20;

/// Where a tailer starts files it has no offset for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    Beginning,
    End,
}

#[derive(Debug, Clone)]
pub struct TailConfig {
    pub specs: Vec<Spec>,
    /// For files present at the first start (no checkpoint), or older than the checkpoint.
    pub from: From,
    pub max_line: usize,
    /// How long a file's first lines wait, at its end, for a format that fits them before
    /// culprit says that none does yet ([`FORMAT_WAIT`]).
    pub format_wait: Duration,
}

/// A problem met and survived: counted by kind, described for stderr.
#[derive(Debug, Default)]
pub struct Problems {
    pub counts: BTreeMap<ErrorKind, u64>,
    pub messages: Vec<String>,
}

impl Problems {
    pub fn report(&mut self, kind: ErrorKind, message: String) {
        *self.counts.entry(kind).or_default() += 1;
        self.messages.push(message);
    }
}

/// The per-file self-metrics (`culprit_watch_lines_total` and its siblings), by label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub lines: u64,
    pub unparsed: u64,
    pub bytes: u64,
}

/// What has been said about an input's format: whether none fits its first lines (said once,
/// with the formats tried), and, when one fits after all, that too.
#[derive(Debug, Default)]
pub struct FormatWatch {
    /// Since when its lines have been waiting at its end with no format that fits them.
    waiting_since: Option<Instant>,
    /// The problem was said (counted once under `kind="format"`).
    warned: bool,
    /// Nothing more to say about it.
    done: bool,
}

impl FormatWatch {
    /// Look at `input` after a read; `idle`: everything there was read (the writer paused).
    pub fn check(
        &mut self,
        an: &Analyzer,
        input: usize,
        name: &str,
        idle: bool,
        wait: Duration,
        problems: &mut Problems,
    ) {
        if self.done {
            return;
        }
        let summary = an.input_summary(input);
        if let Some(err) = &summary.error {
            // Its first lines (the sniff's sample) fit no format: counted as unparsed, and the
            // next lines are tried again (a live stream).
            if !self.warned {
                self.warned = true;
                problems.report(
                    ErrorKind::Format,
                    format!(
                        "{name}: {err}: the lines so far are counted as unparsed, the next ones are tried again; {}",
                        culprit_logs::pipeline::formats_hint()
                    ),
                );
            }
            return;
        }
        if an.pending_lines(input) == 0 {
            self.waiting_since = None;
            if summary.format.is_some() {
                self.done = true;
                if self.warned {
                    let format = summary.format.as_deref().unwrap_or_default();
                    problems.messages.push(format!("{name}: read as {format} after all: its lines are counted"));
                }
            }
            return;
        }
        if !idle || self.warned {
            return;
        }
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        if since.elapsed() < wait {
            return;
        }
        if let Some(problem) = an.waiting_problem(input) {
            self.warned = true;
            problems.report(
                ErrorKind::Format,
                format!(
                    "{name}: {problem}: its {} lines so far wait for a format that fits (up to {}), then \
                     are counted as unparsed if none does; {}",
                    an.pending_lines(input),
                    culprit_logs::pipeline::SNIFF_LINES,
                    culprit_logs::pipeline::formats_hint()
                ),
            );
        }
    }
}

enum Reader {
    Plain(File),
    Gzip(Box<flate2::read::MultiGzDecoder<File>>),
}

struct Tracked {
    /// The `file` label.
    label: String,
    path: PathBuf,
    dev: u64,
    ino: u64,
    reader: Reader,
    /// For checks on a plain file: the same file as `reader`.
    meta_file: File,
    fp: Fingerprint,
    /// End of the last complete line handed to the analyzer.
    offset: u64,
    /// Bytes taken from the file.
    read_pos: u64,
    partial: Vec<u8>,
    /// Dropping an over-long line up to its newline (its first bytes as a sample).
    skipping: Option<Vec<u8>>,
    input: usize,
    /// Offset of the first line the analyzer holds back (its input's format is not known yet).
    uncounted_from: Option<u64>,
    /// Its path still names it (per the last rescan).
    present: bool,
    /// When it last grew (or was opened).
    last_growth: Instant,
    last_fp_check: Instant,
    /// Size at the last look, for what a truncation lost.
    last_size: u64,
    /// Counts already added to the per-label counters.
    seen_lines: u64,
    seen_unparsed: u64,
    seen_offset: u64,
    gzip_done: bool,
    format: FormatWatch,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked").field("path", &self.path).field("offset", &self.offset).finish_non_exhaustive()
    }
}

impl Tracked {
    fn counted_offset(&self) -> u64 {
        self.uncounted_from.unwrap_or(self.offset)
    }

    fn state(&self, status: &str) -> FileState {
        FileState {
            path: self.path.display().to_string(),
            label: self.label.clone(),
            dev: self.dev,
            ino: self.ino,
            fp_len: self.fp.len,
            fp_hash: format!("{:016x}", self.fp.hash),
            offset: self.counted_offset(),
            gzip: matches!(self.reader, Reader::Gzip(_)),
            status: status.into(),
        }
    }

    fn is_gzip(&self) -> bool {
        matches!(self.reader, Reader::Gzip(_))
    }

    /// Hand one complete line to the analyzer, noting where lines start to be held back.
    fn push(&mut self, an: &mut Analyzer, line: &[u8]) {
        let before = an.pending_lines(self.input);
        an.push_line(self.input, line, None);
        let after = an.pending_lines(self.input);
        if after == 0 {
            self.uncounted_from = None;
        } else if before == 0 {
            self.uncounted_from = Some(self.offset);
        }
    }

    /// Take bytes read from the file: complete lines go to the analyzer, the rest waits.
    fn consume(&mut self, an: &mut Analyzer, data: &[u8], max_line: usize) {
        let base = self.read_pos;
        self.read_pos += data.len() as u64;
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', &data[start..]) {
            let end = start + i;
            if let Some(sample) = self.skipping.take() {
                an.skip_too_long(self.input, 1, Some(sample));
            } else if self.partial.is_empty() {
                self.push(an, &data[start..end]);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&data[start..end]);
                self.push(an, &line);
                line.clear();
                self.partial = line;
            }
            self.offset = base + end as u64 + 1;
            start = end + 1;
        }
        let rest = &data[start..];
        if self.skipping.is_none() {
            if self.partial.len() + rest.len() > max_line {
                let mut sample = std::mem::take(&mut self.partial);
                sample.extend_from_slice(&rest[..rest.len().min(300)]);
                sample.truncate(300);
                self.skipping = Some(sample);
            } else {
                self.partial.extend_from_slice(rest);
            }
        }
    }

    /// Read what is there, up to `budget` bytes. `Ok(true)` at the end of the file.
    fn read_some(
        &mut self,
        an: &mut Analyzer,
        buf: &mut [u8],
        budget: usize,
        max_line: usize,
    ) -> io::Result<(usize, bool)> {
        let mut total = 0;
        while total < budget {
            let n = match &mut self.reader {
                Reader::Plain(f) => f.read(buf),
                Reader::Gzip(g) => g.read(buf),
            };
            let n = match n {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok((total, true));
            }
            self.consume(an, &buf[..n], max_line);
            total += n;
        }
        Ok((total, false))
    }
}

/// A file met before: read to its end and closed, or a copy of one that is not to be read.
#[derive(Debug, Clone)]
struct Known {
    state: FileState,
    fp: Fingerprint,
}

fn fp_of_state(s: &FileState) -> Fingerprint {
    Fingerprint { len: s.fp_len, hash: u64::from_str_radix(&s.fp_hash, 16).unwrap_or(0) }
}

#[derive(Debug)]
pub struct Tailer {
    cfg: TailConfig,
    files: Vec<Tracked>,
    known: Vec<Known>,
    /// Checkpoint entries not matched to a file yet.
    resume: Vec<FileState>,
    /// When the checkpoint was written (files modified since are read from their start).
    resumed_at: Option<SystemTime>,
    first_scan_done: bool,
    /// The last problem reported per path (each is reported when it starts, not at every rescan).
    reported: HashMap<PathBuf, String>,
    counts: BTreeMap<String, FileCounts>,
    buf: Vec<u8>,
}

/// The label of a new file: its path, or `other` past the cap on distinct labels.
fn label_for(counts: &BTreeMap<String, FileCounts>, path: &Path) -> String {
    let label = path.display().to_string();
    if counts.contains_key(&label) || counts.len() < MAX_FILE_SERIES { label } else { "other".into() }
}

impl Tailer {
    /// `resume`: the checkpoint's followed and known files, with when it was written.
    pub fn new(cfg: TailConfig, resume: Option<(Vec<FileState>, Vec<FileState>, SystemTime)>) -> Tailer {
        let (resume, known, resumed_at) = match resume {
            Some((files, known, at)) => (files, known, Some(at)),
            None => (Vec::new(), Vec::new(), None),
        };
        Tailer {
            cfg,
            files: Vec::new(),
            known: known.into_iter().map(|s| Known { fp: fp_of_state(&s), state: s }).collect(),
            resume,
            resumed_at,
            first_scan_done: false,
            reported: HashMap::new(),
            counts: BTreeMap::new(),
            buf: vec![0; READ_BUF],
        }
    }

    /// Per-file counters restored from a checkpoint.
    pub fn restore_counts(&mut self, counts: impl IntoIterator<Item = (String, FileCounts)>) {
        self.counts.extend(counts);
    }

    pub fn counts(&self) -> &BTreeMap<String, FileCounts> {
        &self.counts
    }

    /// Files open now.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Directories to ask for change notifications: the specs' roots and every followed file's.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.cfg.specs.iter().map(Spec::watch_root).collect();
        for t in &self.files {
            if let Some(d) = t.path.parent() {
                dirs.push(d.to_owned());
            }
        }
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// The followed and known files, for a checkpoint.
    pub fn states(&self) -> (Vec<FileState>, Vec<FileState>) {
        let files = self.files.iter().map(|t| t.state("followed")).collect();
        let known = self.known.iter().map(|k| k.state.clone()).chain(self.resume.iter().cloned()).collect();
        (files, known)
    }

    fn problem(&mut self, problems: &mut Problems, path: &Path, kind: ErrorKind, message: String) {
        if self.reported.get(path) != Some(&message) {
            self.reported.insert(path.to_owned(), message.clone());
            problems.report(kind, message);
        }
    }

    fn remember(&mut self, state: FileState, fp: Fingerprint) {
        self.known.retain(|k| (k.state.dev, k.state.ino) != (state.dev, state.ino));
        self.known.push(Known { state, fp });
        if self.known.len() > MAX_KNOWN {
            self.known.remove(0);
        }
    }

    /// Look for files again: new ones are opened, moved ones noted, vanished ones read to their end.
    pub fn rescan(&mut self, an: &mut Analyzer, problems: &mut Problems) {
        let mut paths = Vec::new();
        for spec in &self.cfg.specs {
            spec.expand(&mut paths);
        }
        paths.dedup();
        for t in &mut self.files {
            t.present = false;
        }
        for path in paths {
            self.look_at(&path, an, problems);
        }
        if !self.first_scan_done {
            self.first_scan_done = true;
            self.find_resumed_elsewhere(an, problems);
        }
        // Files whose path is gone and that stopped growing: read to their end, closed.
        let mut i = 0;
        while i < self.files.len() {
            let t = &self.files[i];
            let drained = t.partial.is_empty() || t.is_gzip();
            if (!t.present && t.last_growth.elapsed() >= ROTATED_GRACE && drained) || t.gzip_done {
                let t = self.files.remove(i);
                an.try_lock(t.input, None);
                let status = "retired";
                let state = t.state(status);
                self.remember(state, t.fp);
            } else {
                i += 1;
            }
        }
    }

    fn look_at(&mut self, path: &Path, an: &mut Analyzer, problems: &mut Problems) {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.reported.remove(path).is_none() && !self.first_scan_done && !self.is_glob_result(path) {
                    // A path given by name that does not exist yet: said once, then waited for.
                    let msg = format!("{}: not there yet; it is looked for again at every rescan", path.display());
                    self.reported.insert(path.to_owned(), msg.clone());
                    problems.messages.push(msg);
                }
                return;
            }
            Err(e) => {
                self.problem(problems, path, ErrorKind::Read, format!("{}: {e}", path.display()));
                return;
            }
        };
        if !meta.is_file() {
            if let Some(t) = self.files.iter_mut().find(|t| t.path == path) {
                // Its old file is still open: read to its end.
                t.present = false;
            }
            let what = if meta.is_dir() { "a directory" } else { "not a regular file" };
            self.problem(
                problems,
                path,
                ErrorKind::NotAFile,
                format!("{}: is {what}, not a log file: skipped", path.display()),
            );
            return;
        }
        let (dev, ino) = (meta.dev(), meta.ino());
        if let Some(t) = self.files.iter_mut().find(|t| (t.dev, t.ino) == (dev, ino)) {
            t.present = true;
            path.clone_into(&mut t.path);
            // What a truncation before the next read would lose.
            t.last_size = t.last_size.max(meta.len());
            return;
        }
        if let Some(k) = self.known.iter().find(|k| (k.state.dev, k.state.ino) == (dev, ino)).cloned() {
            // Met before: a copy, or a file read to its end — unless it grew since (a writer that
            // reopened late) and still starts the same.
            let grew = k.state.status == "retired" && !k.state.gzip && meta.len() > k.state.offset;
            if !grew {
                return;
            }
            let Some(file) = self.open(path, problems) else { return };
            if k.fp.matches_file(&file).unwrap_or(false) {
                self.known.retain(|x| (x.state.dev, x.state.ino) != (dev, ino));
                self.follow(path, &meta, file, false, k.state.offset, Some(k.state.label), an, problems);
            }
            return;
        }
        let gzip = is_gzip(path);
        if gzip && meta.modified().ok().and_then(|m| m.elapsed().ok()).is_none_or(|age| age < GZIP_SETTLE) {
            return; // maybe still being written: next rescan
        }
        let Some(file) = self.open(path, problems) else { return };
        self.reported.remove(path);
        let fp = if gzip { Fingerprint::of_gzip(path) } else { Fingerprint::of_file(&file) };
        let fp = match fp {
            Ok(fp) => fp,
            Err(e) => {
                let kind = if gzip { ErrorKind::Gzip } else { ErrorKind::Read };
                self.problem(problems, path, kind, format!("{}: {e}", path.display()));
                return;
            }
        };
        // The checkpoint knows this inode.
        if let Some(i) = self.resume.iter().position(|r| (r.dev, r.ino) == (dev, ino)) {
            let r = self.resume.remove(i);
            let old = fp_of_state(&r);
            let same = old.matches_file(&file).unwrap_or(false) || (gzip && fp.len >= old.len.min(fp.len));
            if same && (gzip || meta.len() >= r.offset) {
                self.follow(path, &meta, file, gzip, r.offset, Some(r.label), an, problems);
            } else {
                // Truncated or replaced (inode reused) while culprit was stopped: what the old
                // content held past the offset is in its copy, if logrotate left one.
                let label = r.label.clone();
                self.read_rest_from_copy(&r, Some((dev, ino)), an, problems);
                self.follow(path, &meta, file, gzip, 0, Some(label), an, problems);
            }
            return;
        }
        if fp.len >= MIN_COPY_FP {
            let dir = path.parent();
            let same_dir = |p: &Path| p.parent() == dir;
            let head =
                if gzip { gz_head(path, FP_BYTES) } else { fingerprint::head(&file, FP_BYTES).unwrap_or_default() };
            let starts_like = |other: &Fingerprint| other.len >= MIN_COPY_FP && other.matches_head(&head);
            // A copy of a file being followed (copytruncate's copy, a compressed copy of a file
            // still there): its lines are read from the original.
            if let Some(orig) = self.files.iter().find(|t| same_dir(&t.path) && starts_like(&t.fp)) {
                let state = FileState {
                    path: path.display().to_string(),
                    label: orig.label.clone(),
                    dev,
                    ino,
                    fp_len: fp.len,
                    fp_hash: format!("{:016x}", fp.hash),
                    offset: 0,
                    gzip,
                    status: "copy".into(),
                };
                self.remember(state, fp);
                return;
            }
            // The rest of a file read before and gone (rotated and compressed): read on from
            // where it was left.
            let left = self
                .known
                .iter()
                .position(|k| k.state.status == "retired" && same_dir(Path::new(&k.state.path)) && starts_like(&k.fp));
            if let Some(i) = left {
                let k = self.known.remove(i);
                self.follow(path, &meta, file, gzip, k.state.offset, Some(k.state.label), an, problems);
                return;
            }
            if let Some(i) =
                self.resume.iter().position(|r| same_dir(Path::new(&r.path)) && starts_like(&fp_of_state(r)))
            {
                let r = self.resume.remove(i);
                self.follow(path, &meta, file, gzip, r.offset, Some(r.label), an, problems);
                return;
            }
        }
        let start = if self.starts_at_end(&meta) { if gzip { u64::MAX } else { meta.len() } } else { 0 };
        if gzip && start == u64::MAX {
            // Already there at the start, and --from end: history, not read.
            let state = FileState {
                path: path.display().to_string(),
                label: path.display().to_string(),
                dev,
                ino,
                fp_len: fp.len,
                fp_hash: format!("{:016x}", fp.hash),
                offset: u64::MAX,
                gzip,
                status: "retired".into(),
            };
            self.remember(state, fp);
            return;
        }
        self.follow(path, &meta, file, gzip, start, None, an, problems);
    }

    fn is_glob_result(&self, path: &Path) -> bool {
        !self.cfg.specs.iter().any(|s| matches!(s, Spec::Path(p) if p == path))
    }

    /// Whether a file without an offset starts at its end: `--from end` for files already there
    /// at the first start (or, after a restart, not modified since the checkpoint); files that
    /// appear later are read whole.
    fn starts_at_end(&self, meta: &Metadata) -> bool {
        if self.cfg.from == From::Beginning {
            return false;
        }
        match self.resumed_at {
            Some(at) => meta.modified().is_ok_and(|m| m <= at),
            None => !self.first_scan_done,
        }
    }

    fn open(&mut self, path: &Path, problems: &mut Problems) -> Option<File> {
        match File::open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                self.problem(
                    problems,
                    path,
                    ErrorKind::Read,
                    format!("{}: {e}: skipped until it can be read", path.display()),
                );
                None
            }
        }
    }

    /// Start following a file at `offset` (bytes of its content; decompressed for gzip).
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &mut self,
        path: &Path,
        meta: &Metadata,
        file: File,
        gzip: bool,
        offset: u64,
        label: Option<String>,
        an: &mut Analyzer,
        problems: &mut Problems,
    ) {
        let label = label.unwrap_or_else(|| label_for(&self.counts, path));
        let setup = (|| -> io::Result<(Reader, File, Fingerprint)> {
            let meta_file = file.try_clone()?;
            if gzip {
                let fp = Fingerprint::of_gzip(path)?;
                let mut dec = flate2::read::MultiGzDecoder::new(file);
                if offset > 0 {
                    io::copy(&mut (&mut dec).take(offset), &mut io::sink())?;
                }
                Ok((Reader::Gzip(Box::new(dec)), meta_file, fp))
            } else {
                let fp = Fingerprint::of_file(&file)?;
                let mut file = file;
                file.seek(SeekFrom::Start(offset))?;
                Ok((Reader::Plain(file), meta_file, fp))
            }
        })();
        let (reader, meta_file, fp) = match setup {
            Ok(x) => x,
            Err(e) => {
                let kind = if gzip { ErrorKind::Gzip } else { ErrorKind::Read };
                self.problem(problems, path, kind, format!("{}: {e}", path.display()));
                return;
            }
        };
        let input = an.add_input(path.display().to_string());
        if gzip {
            an.note_gzip(input);
        }
        self.counts.entry(label.clone()).or_default();
        self.files.push(Tracked {
            label,
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
            reader,
            meta_file,
            fp,
            offset,
            read_pos: offset,
            partial: Vec::new(),
            skipping: None,
            input,
            uncounted_from: None,
            present: true,
            last_growth: Instant::now(),
            last_fp_check: Instant::now(),
            last_size: meta.len(),
            seen_lines: 0,
            seen_unparsed: 0,
            seen_offset: offset,
            gzip_done: false,
            format: FormatWatch::default(),
        });
    }

    /// After the first scan: checkpointed files not found at their path were rotated away while
    /// culprit was stopped: found in their directory by inode, or by their first bytes (a
    /// compressed or copied rotation), and read on from their offset.
    fn find_resumed_elsewhere(&mut self, an: &mut Analyzer, problems: &mut Problems) {
        let lost = std::mem::take(&mut self.resume);
        for r in lost {
            if r.status != "followed" {
                self.remember(r.clone(), fp_of_state(&r));
                continue;
            }
            let dir = Path::new(&r.path).parent().map(Path::to_owned).unwrap_or_default();
            let by_inode = siblings(&dir).into_iter().find(|(_, m)| (m.dev(), m.ino()) == (r.dev, r.ino));
            // Renamed away and truncated (copytruncate) or rewritten too: its old content is in
            // a copy, its new content is read from its start below.
            let mut rewritten = None;
            if let Some((path, meta)) = by_inode {
                if let Ok(file) = File::open(&path) {
                    if fp_of_state(&r).matches_file(&file).unwrap_or(false) && meta.len() >= r.offset {
                        self.follow(&path, &meta, file, r.gzip, r.offset, Some(r.label.clone()), an, problems);
                        if let Some(t) = self.files.last_mut() {
                            t.present = false;
                        }
                        continue;
                    }
                    if !r.gzip {
                        rewritten = Some((path, meta, file));
                    }
                }
            }
            let found = self.read_rest_from_copy(&r, Some((r.dev, r.ino)), an, problems);
            if let Some((path, meta, file)) = rewritten {
                self.follow(&path, &meta, file, false, 0, Some(r.label.clone()), an, problems);
                if let Some(t) = self.files.last_mut() {
                    t.present = false;
                }
            }
            if !found {
                problems.report(
                    ErrorKind::Truncated,
                    format!(
                        "{}: followed up to byte {} at the last checkpoint, gone since: what it held after that could not be read",
                        r.path, r.offset
                    ),
                );
            }
        }
    }

    /// Read what a file held past `r.offset` from a copy of it in its directory (same first bytes,
    /// another inode, at least that long): copytruncate's copy, or a compressed rotation. The copy
    /// is then known, never read on its own. Returns whether one was found.
    fn read_rest_from_copy(
        &mut self,
        r: &FileState,
        exclude: Option<(u64, u64)>,
        an: &mut Analyzer,
        problems: &mut Problems,
    ) -> bool {
        let fp = fp_of_state(r);
        if fp.len < MIN_COPY_FP {
            return false;
        }
        let dir = Path::new(&r.path).parent().map(Path::to_owned).unwrap_or_default();
        for (path, meta) in siblings(&dir) {
            let id = (meta.dev(), meta.ino());
            if Some(id) == exclude || (id == (r.dev, r.ino)) || self.files.iter().any(|t| (t.dev, t.ino) == id) {
                continue;
            }
            let gzip = is_gzip(&path);
            let matches = if gzip {
                gz_matches(&path, &fp)
            } else {
                meta.len() >= r.offset && File::open(&path).ok().is_some_and(|f| fp.matches_file(&f).unwrap_or(false))
            };
            if !matches {
                continue;
            }
            let Ok(file) = File::open(&path) else { continue };
            self.follow(&path, &meta, file, gzip, r.offset, Some(r.label.clone()), an, problems);
            // Read it now, to its end, and close it: a copy does not grow.
            if let Some(mut t) = self.files.pop() {
                let mut buf = std::mem::take(&mut self.buf);
                let result = loop {
                    match t.read_some(an, &mut buf, usize::MAX, self.cfg.max_line) {
                        Ok((_, true)) => break Ok(()),
                        Ok((_, false)) => {}
                        Err(e) => break Err(e),
                    }
                };
                self.buf = buf;
                if let Err(e) = result {
                    let kind = if gzip { ErrorKind::Gzip } else { ErrorKind::Read };
                    problems.report(kind, format!("{}: {e} (the lines before it are counted)", path.display()));
                }
                // A last line without its newline is complete: the copy will not grow.
                if !t.partial.is_empty() {
                    let line = std::mem::take(&mut t.partial);
                    t.push(an, &line);
                    t.offset = t.read_pos;
                }
                an.try_lock(t.input, None);
                account(&mut self.counts, &mut t, an);
                let mut state = t.state("copy");
                state.offset = t.offset;
                self.remember(state, t.fp);
            }
            return true;
        }
        false
    }

    /// Read whatever the followed files have now, at most about `budget` bytes in all. Returns
    /// the bytes read.
    pub fn poll(&mut self, an: &mut Analyzer, problems: &mut Problems, budget: usize) -> usize {
        let mut total = 0;
        let mut i = 0;
        while i < self.files.len() {
            if total >= budget {
                break;
            }
            total += self.poll_one(i, an, problems, budget - total);
            i += 1;
        }
        total
    }

    fn poll_one(&mut self, i: usize, an: &mut Analyzer, problems: &mut Problems, budget: usize) -> usize {
        let max_line = self.cfg.max_line;
        if !self.files[i].is_gzip() {
            self.check_truncation(i, an, problems);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let t = &mut self.files[i];
        let result = t.read_some(an, &mut buf, budget, max_line);
        self.buf = buf;
        let t = &mut self.files[i];
        let n = match result {
            Ok((n, at_end)) => {
                if n > 0 {
                    t.last_growth = Instant::now();
                }
                if at_end {
                    if t.is_gzip() {
                        t.gzip_done = true;
                        if !t.partial.is_empty() {
                            let line = std::mem::take(&mut t.partial);
                            t.push(an, &line);
                            t.offset = t.read_pos;
                        }
                    }
                    if an.pending_lines(t.input) > 0 && an.try_lock(t.input, None) {
                        t.uncounted_from = None;
                    }
                }
                n
            }
            Err(e) => {
                let gzip = t.is_gzip();
                let path = t.path.clone();
                if gzip {
                    t.gzip_done = true;
                    problems.report(
                        ErrorKind::Gzip,
                        format!("{}: {e}: read up to the damage, the lines before it are counted", path.display()),
                    );
                } else {
                    self.problem(problems, &path, ErrorKind::Read, format!("{}: {e}", path.display()));
                }
                0
            }
        };
        account(&mut self.counts, &mut self.files[i], an);
        let t = &mut self.files[i];
        let name = t.path.display().to_string();
        t.format.check(an, t.input, &name, n < budget, self.cfg.format_wait, problems);
        n
    }

    /// A plain file whose size dropped below what was read, or whose first bytes changed, was
    /// truncated (copytruncate) or rewritten: the copy gives the rest, then it is read again from
    /// its start.
    fn check_truncation(&mut self, i: usize, an: &mut Analyzer, problems: &mut Problems) {
        let t = &mut self.files[i];
        let size = match t.meta_file.metadata() {
            Ok(m) => m.len(),
            Err(_) => return,
        };
        let mut truncated = size < t.read_pos;
        if !truncated && t.last_fp_check.elapsed() >= FP_CHECK {
            t.last_fp_check = Instant::now();
            match t.fp.matches_file(&t.meta_file) {
                Ok(true) => {
                    if (t.fp.len as usize) < FP_BYTES && size > u64::from(t.fp.len) {
                        if let Ok(fp) = Fingerprint::of_file(&t.meta_file) {
                            t.fp = fp;
                        }
                    }
                }
                Ok(false) => truncated = t.fp.len > 0,
                Err(_) => {}
            }
        }
        let last_size = t.last_size;
        t.last_size = size;
        if !truncated {
            return;
        }
        let before = t.state("followed");
        let (read_to, path) = (t.offset, t.path.clone());
        let (dev, ino) = (t.dev, t.ino);
        let found = self.read_rest_from_copy(&before, Some((dev, ino)), an, problems);
        let t = &mut self.files[i];
        if !found && last_size > read_to {
            problems.report(
                ErrorKind::Truncated,
                format!(
                    "{}: truncated with {} bytes not read yet and no copy of it found beside it: they are lost",
                    path.display(),
                    last_size - read_to
                ),
            );
        } else if found {
            problems
                .messages
                .push(format!("{}: truncated (copytruncate): the rest was read from its copy", path.display()));
        }
        // Its counters were advanced by the copy's reading under the same label; start again.
        if let Reader::Plain(f) = &mut t.reader {
            let _ = f.seek(SeekFrom::Start(0));
        }
        t.offset = 0;
        t.read_pos = 0;
        t.seen_offset = 0;
        t.partial.clear();
        t.skipping = None;
        if t.uncounted_from.is_some() {
            t.uncounted_from = Some(0);
        }
        t.fp = Fingerprint::of_file(&t.meta_file).unwrap_or_default();
        t.last_size = size;
    }
}

/// Add what a file's reading counted since the last look to its label's counters.
fn account(counts: &mut BTreeMap<String, FileCounts>, t: &mut Tracked, an: &Analyzer) {
    let (lines, unparsed) = an.input_counts(t.input);
    let c = counts.entry(t.label.clone()).or_default();
    c.lines += lines - t.seen_lines;
    c.unparsed += unparsed - t.seen_unparsed;
    let offset = t.counted_offset();
    c.bytes += offset.saturating_sub(t.seen_offset);
    t.seen_lines = lines;
    t.seen_unparsed = unparsed;
    t.seen_offset = offset;
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [0x1f, 0x8b]
}

fn gz_head(path: &Path, len: usize) -> Vec<u8> {
    let Ok(file) = File::open(path) else { return Vec::new() };
    let mut dec = flate2::read::MultiGzDecoder::new(file);
    let mut head = vec![0u8; len];
    let mut n = 0;
    while n < head.len() {
        match dec.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    head.truncate(n);
    head
}

fn gz_matches(path: &Path, fp: &Fingerprint) -> bool {
    fp.matches_head(&gz_head(path, fp.len as usize))
}

/// Regular files in a directory (not hidden).
fn siblings(dir: &Path) -> Vec<(PathBuf, Metadata)> {
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Metadata)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let p = e.path();
            let m = std::fs::metadata(&p).ok()?;
            m.is_file().then_some((p, m))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
