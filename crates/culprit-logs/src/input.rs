//! Inputs: files, directories (recursively), stdin; gzip detected from the content (magic bytes),
//! multi-member archives included; data cut into chunks at line boundaries.

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Target size of a chunk handed to a worker.
pub const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn display(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::File(p) => p.display().to_string(),
        }
    }

    /// Size on disk (compressed for archives), for progress.
    pub fn size_on_disk(&self) -> u64 {
        match self {
            Source::Stdin => 0,
            Source::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
        }
    }
}

/// Problems with the inputs themselves (not with their lines).
#[derive(Debug)]
pub enum InputError {
    NotFound(PathBuf),
    EmptyDirectory(PathBuf),
    Unreadable(PathBuf, io::Error),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            InputError::EmptyDirectory(p) => write!(f, "{}: the directory holds no files to read", p.display()),
            InputError::Unreadable(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

impl std::error::Error for InputError {}

/// Expand the command-line paths: `-` is stdin, directories are walked (sorted, hidden entries
/// skipped).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Source>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => InputError::NotFound(p.clone()),
            _ => InputError::Unreadable(p.clone(), e),
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| InputError::Unreadable(p.clone(), e))?;
            if out.len() == before {
                return Err(InputError::EmptyDirectory(p.clone()));
            }
        } else {
            out.push(Source::File(p.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Source>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let ty = e.file_type()?;
        if ty.is_dir() {
            walk(&e.path(), out)?;
        } else if ty.is_file() || ty.is_symlink() {
            out.push(Source::File(e.path()));
        }
    }
    Ok(())
}

/// Copy stdin to a temporary file, so that it can be read twice in constant memory.
pub fn spool_stdin() -> io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::NamedTempFile::new()?;
    io::copy(&mut io::stdin().lock(), file.as_file_mut())?;
    Ok(file)
}

/// Counts bytes read from the underlying source (compressed bytes for archives), for progress.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open a source for reading, decompressing gzip when the content starts with its magic bytes.
pub fn open(source: &Source, counter: Arc<AtomicU64>) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let raw: Box<dyn Read + Send> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(p) => Box::new(File::open(p)?),
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, Counting { inner: raw, counter });
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip { (Box::new(MultiGzDecoder::new(buffered)), true) } else { (Box::new(buffered), false) })
}

/// A chunk's bytes. Its storage stays initialised between uses, so refilling a recycled buffer
/// does not zero a mebibyte first (that memset cost about 5% of a run).
#[derive(Debug, Clone, Default)]
pub struct ChunkBuf {
    storage: Vec<u8>,
    len: usize,
}

impl ChunkBuf {
    pub fn with_capacity(n: usize) -> Self {
        ChunkBuf { storage: Vec::with_capacity(n), len: 0 }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if self.storage.len() < end {
            self.storage.resize(end, 0);
        }
        self.storage[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }

    /// Room for at least `n` more bytes after the content, initialised once.
    fn spare(&mut self, n: usize) -> &mut [u8] {
        if self.storage.len() < self.len + n {
            self.storage.resize(self.len + n, 0);
        }
        &mut self.storage[self.len..]
    }

    /// Drop the first `n` bytes.
    fn consume(&mut self, n: usize) {
        self.storage.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl std::ops::Deref for ChunkBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.storage[..self.len]
    }
}

/// Cuts a byte stream into chunks that end at a newline; lines longer than `max_line` are skipped
/// (and counted) instead of growing the buffer without bound.
#[derive(Debug)]
pub struct Chunker<R> {
    inner: R,
    carry: Vec<u8>,
    max_line: usize,
    skipping: bool,
    eof: bool,
    /// Lines dropped for being longer than `max_line`.
    pub too_long: u64,
    /// First bytes of the first overlong line, for the report.
    pub too_long_sample: Option<Vec<u8>>,
}

impl<R: Read> Chunker<R> {
    pub fn new(inner: R, max_line: usize) -> Self {
        Chunker { inner, carry: Vec::new(), max_line, skipping: false, eof: false, too_long: 0, too_long_sample: None }
    }

    /// Fill `buf` (cleared first) with the next chunk of whole lines; `Ok(false)` at the end.
    /// A read error (a truncated archive) ends the stream after the data read so far.
    pub fn next_chunk(&mut self, buf: &mut ChunkBuf) -> io::Result<bool> {
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        loop {
            if self.eof {
                if self.skipping {
                    buf.clear();
                }
                return Ok(!buf.is_empty());
            }
            let start = buf.len();
            let want = CHUNK.max(start + 64 * 1024) - start;
            let n = match self.inner.read(&mut buf.spare(want)[..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => {
                    self.eof = true;
                    // The caller still processes what `buf` holds, then reports the error.
                    return Err(e);
                }
            };
            buf.len = start + n;
            if n == 0 {
                self.eof = true;
                continue;
            }
            if self.skipping {
                if let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
                    buf.consume(start + i + 1);
                    self.skipping = false;
                } else {
                    buf.clear();
                    continue;
                }
            }
            if let Some(nl) = memchr::memrchr(b'\n', buf) {
                // After a small read (a pipe), keep filling this chunk.
                if buf.len() >= CHUNK / 2 {
                    self.carry.extend_from_slice(&buf[nl + 1..]);
                    buf.truncate(nl + 1);
                    return Ok(true);
                }
            } else if buf.len() > self.max_line {
                // One line bigger than the cap: drop it up to its newline.
                self.too_long += 1;
                if self.too_long_sample.is_none() {
                    self.too_long_sample = Some(buf[..200.min(buf.len())].to_vec());
                }
                buf.clear();
                self.skipping = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8], max_line: usize) -> (Vec<Vec<u8>>, u64) {
        let mut c = Chunker::new(data, max_line);
        let mut out = Vec::new();
        let mut buf = ChunkBuf::default();
        while c.next_chunk(&mut buf).unwrap() {
            out.push(buf.to_vec());
        }
        (out, c.too_long)
    }

    #[test]
    fn whole_lines_and_last_line_without_newline() {
        let (c, _) = chunks(b"a\nb\nc", 1 << 20);
        assert_eq!(c.concat(), b"a\nb\nc");
        assert!(c.iter().take(c.len() - 1).all(|x| x.ends_with(b"\n")));
    }

    #[test]
    fn overlong_lines_are_dropped_and_counted() {
        let mut data = b"ok1\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 3 * CHUNK));
        data.extend_from_slice(b"\nok2\n");
        let (c, too_long) = chunks(&data, CHUNK);
        assert_eq!(too_long, 1);
        let all = c.concat();
        assert!(all.starts_with(b"ok1\n") && all.ends_with(b"ok2\n"), "{}", all.len());
        assert!(all.len() < 100);
    }

    #[test]
    fn big_input_splits_at_newlines() {
        let line = b"0123456789012345678901234567890123456789\n";
        let data: Vec<u8> = line.iter().copied().cycle().take(line.len() * 100_000).collect();
        let (c, _) = chunks(&data, 1 << 20);
        assert!(c.len() > 2);
        assert!(c.iter().all(|x| x.ends_with(b"\n")));
        assert_eq!(c.concat(), data);
    }
}
