//! The tailer on real files in a temporary directory: every way a log file moves under a reader
//! (rename rotation, copytruncate, compression, creation, deletion, inode reuse, short files, a
//! directory in its place, a damaged archive) and restarts from a checkpoint in each state. Each
//! test counts requests: the number read must be the number written, exactly.

use culprit_logs::Analyzer;
use culprit_logs::engine::Options;
use culprit_watch::checkpoint::FileState;
use culprit_watch::discovery::Spec;
use culprit_watch::fingerprint::Fingerprint;
use culprit_watch::metrics::ErrorKind;
use culprit_watch::tailer::{From, Problems, TailConfig, Tailer};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// An ingress-nginx upstreaminfo line, numbered (its request id and path carry `i`).
fn line(i: u64) -> String {
    format!(
        "10.0.{}.{} - - [08/Mar/2026:14:{:02}:{:02} +0000] \"GET /items/{i} HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\" 310 0.012 \
         [default-shop-80] [] 10.244.0.5:80 512 0.011 200 {i:032x}\n",
        i / 250 % 250,
        i % 250,
        i / 60 % 60,
        i % 60
    )
}

fn append(path: &Path, from: u64, n: u64) -> u64 {
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    let text: String = (from..from + n).map(line).collect();
    f.write_all(text.as_bytes()).unwrap();
    from + n
}

struct H {
    tailer: Tailer,
    an: Analyzer,
    problems: Problems,
}

impl H {
    fn new(specs: Vec<Spec>, from: From, resume: Option<(Vec<FileState>, Vec<FileState>)>) -> H {
        let cfg = TailConfig { specs, from, max_line: 1 << 20, format_wait: Duration::ZERO };
        // Checkpoints are older than anything the tests write next.
        let at = SystemTime::now() - Duration::from_secs(3600);
        H {
            tailer: Tailer::new(cfg, resume.map(|(f, k)| (f, k, at))),
            // As the engine runs it: a live stream's aggregates.
            an: Analyzer::new(Options { live: Some(std::sync::Arc::new(live())), ..Options::default() }),
            problems: Problems::default(),
        }
    }

    fn path(p: &Path) -> H {
        H::new(vec![Spec::Path(p.to_owned())], From::Beginning, None)
    }

    fn step(&mut self) {
        for _ in 0..3 {
            self.tailer.rescan(&mut self.an, &mut self.problems);
            self.tailer.poll(&mut self.an, &mut self.problems, usize::MAX);
        }
    }

    fn requests(&self) -> u64 {
        self.an.stats().parsed
    }

    fn errors(&self, kind: ErrorKind) -> u64 {
        self.problems.counts.get(&kind).copied().unwrap_or(0)
    }

    fn restart(self, specs: Vec<Spec>) -> H {
        let (files, known) = self.tailer.states();
        H::new(specs, From::End, Some((files, known)))
    }
}

fn live() -> culprit_logs::stats::Live {
    culprit_logs::stats::Live {
        horizon_ms: 3 * 3_600_000,
        max_services: culprit_watch::metrics::DEFAULT_MAX_SERVICES,
        duration_buckets: culprit_watch::metrics::DURATION_BUCKETS.to_vec(),
    }
}

fn dir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("access.log");
    (d, p)
}

#[test]
fn rename_rotation_reads_the_old_file_to_its_end() {
    let (d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    assert_eq!(h.requests(), 100);
    // The writer goes on a little, the file is renamed, the writer still writes to it (it has not
    // reopened yet), then a new file takes the path.
    let n = append(&log, n, 50);
    let rotated = d.path().join("access.log.1");
    fs::rename(&log, &rotated).unwrap();
    let n = append(&rotated, n, 20);
    h.step();
    let n = append(&log, n, 30);
    h.step();
    assert_eq!(h.requests(), n);
    assert_eq!(h.tailer.file_count(), 2, "the rotated file stays open for a while");
    assert_eq!(h.tailer.counts()[&log.display().to_string()].lines, n, "one label through the rotation");
}

#[test]
fn copytruncate_reads_what_was_not_read_from_the_copy() {
    for glob in [false, true] {
        let (d, log) = dir();
        let n = append(&log, 0, 100);
        let spec = if glob { Spec::parse(&d.path().join("access.log*")) } else { Spec::Path(log.clone()) };
        let mut h = H::new(vec![spec], From::Beginning, None);
        h.step();
        assert_eq!(h.requests(), 100);
        // 40 lines culprit has not read yet, then logrotate's copytruncate.
        let n = append(&log, n, 40);
        let copy = d.path().join("access.log.1");
        fs::copy(&log, &copy).unwrap();
        if glob {
            // The copy is seen before the truncation: a copy, not a new file.
            h.step();
            assert_eq!(h.requests(), 140);
        }
        OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
        let n = append(&log, n, 25);
        h.step();
        assert_eq!(h.requests(), n, "glob {glob}");
        assert_eq!(h.errors(ErrorKind::Truncated), 0);
    }
}

#[test]
fn a_truncation_without_a_copy_says_what_was_lost() {
    let (_d, log) = dir();
    let n = append(&log, 0, 10);
    let mut h = H::path(&log);
    h.step();
    append(&log, n, 5);
    // Seen growing, then truncated before those lines were read.
    h.tailer.rescan(&mut h.an, &mut h.problems);
    OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    append(&log, 100, 3);
    h.step();
    assert_eq!(h.requests(), 13);
    // The five lines were never read and nobody kept them: said, and counted.
    assert_eq!(h.errors(ErrorKind::Truncated), 1, "{:?}", h.problems.messages);
    assert!(h.problems.messages[0].contains("bytes not read yet"), "{:?}", h.problems.messages);
}

#[test]
fn files_created_and_deleted_while_running() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.log");
    append(&a, 0, 100);
    // A directory, from its end: a.log's 100 lines are history.
    let mut h = H::new(vec![Spec::Dir(d.path().to_owned())], From::End, None);
    h.step();
    assert_eq!(h.requests(), 0);
    append(&a, 100, 10);
    let b = d.path().join("b.log");
    append(&b, 1000, 7);
    h.step();
    assert_eq!(h.requests(), 17, "a new file is read from its start");
    // Deleted with lines not read yet: the open handle still reads them.
    append(&a, 110, 5);
    fs::remove_file(&a).unwrap();
    h.step();
    assert_eq!(h.requests(), 22);
}

#[test]
fn short_files_are_read_and_told_apart() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a.log"), d.path().join("b.log"));
    append(&a, 0, 1);
    append(&b, 1, 1);
    let mut h = H::new(vec![Spec::parse(&d.path().join("*.log"))], From::Beginning, None);
    h.step();
    assert_eq!(h.requests(), 2, "files shorter than the fingerprint are read");
    // They grow past the fingerprint's length.
    append(&a, 2, 20);
    append(&b, 22, 20);
    h.step();
    assert_eq!(h.requests(), 42);
}

#[test]
fn a_checkpoint_resumes_exactly() {
    let (_d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    assert_eq!(h.requests(), 100);
    // A partial line at the end is not behind the offset.
    let mut f = OpenOptions::new().append(true).open(&log).unwrap();
    let half = line(n);
    f.write_all(&half.as_bytes()[..40]).unwrap();
    h.step();
    let mut h = h.restart(vec![Spec::Path(log.clone())]);
    f.write_all(&half.as_bytes()[40..]).unwrap();
    let n = append(&log, n + 1, 50);
    h.step();
    assert_eq!(h.requests(), 51, "the 50 new lines and the one that was half written, once each");
    let _ = n;
}

#[test]
fn rotation_while_stopped_is_followed_from_the_checkpoint() {
    // By rename.
    let (d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    let rotated = d.path().join("access.log.1");
    let n = append(&log, n, 10);
    fs::rename(&log, &rotated).unwrap();
    append(&log, n, 20);
    let mut h = h.restart(vec![Spec::Path(log.clone())]);
    h.step();
    assert_eq!(h.requests(), 30, "10 found in the renamed file by its inode, 20 in the new one");

    // By copytruncate.
    let (d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    let n = append(&log, n, 10);
    fs::copy(&log, d.path().join("access.log.1")).unwrap();
    OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    append(&log, n, 20);
    let mut h = h.restart(vec![Spec::Path(log.clone())]);
    h.step();
    assert_eq!(h.requests(), 30, "10 from the copy, 20 from the truncated file");

    // Renamed and compressed.
    let (d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    let n = append(&log, n, 10);
    let gz = d.path().join("access.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&fs::read(&log).unwrap()).unwrap();
    enc.finish().unwrap();
    fs::remove_file(&log).unwrap();
    append(&log, n, 5);
    let mut h = h.restart(vec![Spec::Path(log.clone())]);
    h.step();
    assert_eq!(h.requests(), 15, "10 from the archive, 5 from the new file");

    // Copytruncated, written to, then renamed (both while stopped): the old content's rest is in
    // the copy, the new content in the renamed file, found by its inode.
    let (d, log) = dir();
    let n = append(&log, 0, 100);
    let mut h = H::path(&log);
    h.step();
    let n = append(&log, n, 10);
    fs::copy(&log, d.path().join("access.log.1")).unwrap();
    OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
    let n = append(&log, n, 20);
    fs::rename(&log, d.path().join("access.log.2")).unwrap();
    append(&log, n, 5);
    let mut h = h.restart(vec![Spec::Path(log.clone())]);
    h.step();
    assert_eq!(h.requests(), 35, "10 from the copy, 20 from the renamed file, 5 from the new one");
    assert_eq!(h.errors(ErrorKind::Truncated), 0);
}

#[test]
fn a_reused_inode_is_a_new_file() {
    let (_d, log) = dir();
    append(&log, 0, 30);
    let meta = fs::metadata(&log).unwrap();
    // The checkpoint knew this device and inode for another file (deleted since; the inode went
    // to this one): same inode, other first bytes.
    let other = Fingerprint::of_bytes(line(999_999).as_bytes());
    let state = FileState {
        path: log.display().to_string(),
        label: log.display().to_string(),
        dev: meta.dev(),
        ino: meta.ino(),
        fp_len: other.len,
        fp_hash: format!("{:016x}", other.hash),
        offset: 20 * line(0).len() as u64,
        gzip: false,
        status: "followed".into(),
    };
    let mut h = H::new(vec![Spec::Path(log.clone())], From::End, Some((vec![state], Vec::new())));
    h.step();
    assert_eq!(h.requests(), 30, "read from its start, not from the old file's offset");
}

#[test]
fn from_end_skips_history() {
    let (_d, log) = dir();
    append(&log, 0, 100);
    let mut h = H::new(vec![Spec::Path(log.clone())], From::End, None);
    h.step();
    assert_eq!(h.requests(), 0);
    append(&log, 100, 10);
    h.step();
    assert_eq!(h.requests(), 10);
}

#[test]
fn a_directory_in_place_of_the_file_is_reported_and_survived() {
    let (_d, log) = dir();
    append(&log, 0, 10);
    let mut h = H::path(&log);
    h.step();
    append(&log, 10, 5);
    fs::remove_file(&log).unwrap();
    fs::create_dir(&log).unwrap();
    h.step();
    assert_eq!(h.requests(), 15, "the old file is read to its end");
    assert_eq!(h.errors(ErrorKind::NotAFile), 1, "{:?}", h.problems.messages);
    h.step();
    assert_eq!(h.errors(ErrorKind::NotAFile), 1, "said once, not at every rescan");
    assert!(h.problems.messages.iter().any(|m| m.contains("is a directory")), "{:?}", h.problems.messages);
    // A file again.
    fs::remove_dir(&log).unwrap();
    append(&log, 15, 4);
    h.step();
    assert_eq!(h.requests(), 19);
}

#[test]
fn a_truncated_gzip_counts_what_it_holds_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let text: String = (0..2000).map(line).collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let path = d.path().join("old.log.gz");
    fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let old = SystemTime::now() - Duration::from_secs(60);
    fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
    let live = d.path().join("access.log");
    append(&live, 5000, 3);
    let mut h = H::new(vec![Spec::Dir(d.path().to_owned())], From::Beginning, None);
    h.step();
    let read = h.requests();
    assert!(read > 3 && read < 2003, "{read}");
    assert_eq!(h.errors(ErrorKind::Gzip), 1, "{:?}", h.problems.messages);
    // The live file is still followed.
    append(&live, 5003, 2);
    h.step();
    assert_eq!(h.requests(), read + 2);
}

#[test]
fn lines_waiting_for_the_format_are_not_behind_the_offset() {
    let (_d, log) = dir();
    fs::write(&log, "starting up\n").unwrap();
    let mut h = H::path(&log);
    h.step();
    let (files, _) = h.tailer.states();
    assert_eq!(files[0].offset, 0, "a line no format reads yet waits: not counted, not checkpointed");
    append(&log, 0, 5);
    h.step();
    let (files, _) = h.tailer.states();
    assert_eq!(files[0].offset, fs::metadata(&log).unwrap().len());
    assert_eq!(h.requests(), 5);
}

#[test]
fn a_format_that_fits_later_is_said_with_the_first_lines_warning() {
    let (_d, log) = dir();
    fs::write(&log, "starting up\n").unwrap();
    let mut h = H::path(&log);
    h.step();
    assert_eq!(h.errors(ErrorKind::Format), 1, "said once its first lines waited (format_wait is 0 here)");
    assert!(h.problems.messages[0].contains("its 1 lines so far wait"), "{:?}", h.problems.messages);
    append(&log, 0, 5);
    h.step();
    assert_eq!(h.errors(ErrorKind::Format), 1);
    assert!(
        h.problems.messages.iter().any(|m| m.contains("read as ingress-nginx upstreaminfo after all")),
        "{:?}",
        h.problems.messages
    );
}

#[test]
fn a_file_no_format_fits_is_said_once_with_the_formats_tried_and_its_lines_counted() {
    let (_d, log) = dir();
    let junk = |from: u64, n: u64| -> String {
        (from..from + n).map(|i| format!("not a request, line {i}\n")).collect::<Vec<_>>().concat()
    };
    fs::write(&log, junk(0, 50)).unwrap();
    let mut h = H::path(&log);
    h.step();
    assert_eq!(h.errors(ErrorKind::Format), 1);
    let said = &h.problems.messages[0];
    assert!(said.contains("unrecognised log format (first line: not a request, line 0)"), "{said}");
    assert!(
        said.contains("its 50 lines so far wait") && said.contains("formats tried: ingress-nginx upstreaminfo"),
        "{said}"
    );
    // More of the same: the sniff's sample is full, its lines are counted as unparsed, nothing is
    // said again.
    OpenOptions::new().append(true).open(&log).unwrap().write_all(junk(50, 350).as_bytes()).unwrap();
    h.step();
    assert_eq!(h.errors(ErrorKind::Format), 1, "{:?}", h.problems.messages);
    assert_eq!(h.problems.messages.len(), 1, "{:?}", h.problems.messages);
    let counts = h.tailer.counts()[&log.display().to_string()];
    assert_eq!((counts.lines, counts.unparsed), (400, 400));
    assert_eq!(h.requests(), 0);
}

/// An ingress controller's container log: hundreds of lines of its own (start-up, reloads) before
/// its first request. They are counted as unparsed, said once, and the requests that follow are
/// read.
#[test]
fn a_controller_log_with_a_long_start_is_read_once_requests_come() {
    let (_d, log) = dir();
    let klog: String = (0..450)
        .map(|i| format!("I0308 13:29:{:02}.123456       7 controller.go:{i}] \"Configuration changes detected, backend reload required\"\n", i % 60))
        .collect::<Vec<_>>()
        .concat();
    fs::write(&log, klog).unwrap();
    let mut h = H::path(&log);
    h.step();
    assert_eq!(h.errors(ErrorKind::Format), 1, "{:?}", h.problems.messages);
    assert!(h.problems.messages[0].contains("the next ones are tried again"), "{:?}", h.problems.messages);
    append(&log, 0, 300);
    h.step();
    assert_eq!(h.requests(), 300);
    assert_eq!(h.errors(ErrorKind::Format), 1);
    assert!(
        h.problems.messages.iter().any(|m| m.contains("read as ingress-nginx upstreaminfo after all")),
        "{:?}",
        h.problems.messages
    );
    let counts = h.tailer.counts()[&log.display().to_string()];
    assert_eq!(counts.lines, 750);
    assert!(counts.unparsed >= 400 && counts.unparsed <= 450, "{counts:?}");
}
