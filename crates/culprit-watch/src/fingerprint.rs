//! A file's identity beyond device and inode: a hash of its first bytes.
//!
//! Device + inode alone fail when a deleted file's inode is reused by a new file (the new file
//! would be taken for the old one and its start skipped); a content hash alone fails when two
//! files start alike (and reads the copy logrotate's `copytruncate` leaves, or a compressed
//! rotation, a second time). `watch` uses both: a file is the one it knows when device, inode
//! *and* fingerprint agree; a file with a new inode whose first bytes are a known file's is a
//! copy of it.
//!
//! A file shorter than [`FP_BYTES`] is fingerprinted on what it has (and read: identity never
//! waits for a file to grow); the fingerprint grows with it. Two fingerprints are compared on
//! the shorter one's length. The hash is FNV-1a 64: stable across versions and platforms, since
//! it is written into checkpoints.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

/// Bytes hashed from the start of a file.
pub const FP_BYTES: usize = 1024;
/// A fingerprint shorter than this is not enough to call a file with another inode a copy.
pub const MIN_COPY_FP: u32 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// Bytes hashed (less than `FP_BYTES` only for a file that was shorter).
    pub len: u32,
    pub hash: u64,
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Fingerprint {
    pub fn of_bytes(bytes: &[u8]) -> Fingerprint {
        let b = &bytes[..bytes.len().min(FP_BYTES)];
        Fingerprint { len: u32::try_from(b.len()).unwrap_or(0), hash: fnv1a(b) }
    }

    /// The first bytes of a plain file, read without moving its position.
    pub fn of_file(file: &File) -> io::Result<Fingerprint> {
        Ok(Fingerprint::of_bytes(&head(file, FP_BYTES)?))
    }

    /// The first bytes of a gzip file once decompressed (so that a compressed rotation is known
    /// for the file it was made from). A truncated archive gives what it could decompress.
    pub fn of_gzip(path: &std::path::Path) -> io::Result<Fingerprint> {
        let mut dec = flate2::read::MultiGzDecoder::new(File::open(path)?);
        let mut buf = vec![0u8; FP_BYTES];
        let mut n = 0;
        while n < FP_BYTES {
            match dec.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if n > 0 && e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
        }
        Ok(Fingerprint::of_bytes(&buf[..n]))
    }

    /// Whether `bytes` (a file's first bytes) start like the file this fingerprint was taken of,
    /// compared on the shorter length: a file that grew still matches, one rewritten does not.
    pub fn matches_head(&self, bytes: &[u8]) -> bool {
        let n = (self.len as usize).min(bytes.len());
        if n == self.len as usize {
            fnv1a(&bytes[..n]) == self.hash
        } else {
            // The file is now shorter than what was hashed: it was truncated (or replaced).
            false
        }
    }

    /// Whether `file` still starts with the bytes this fingerprint was taken of.
    pub fn matches_file(&self, file: &File) -> io::Result<bool> {
        Ok(self.matches_head(&head(file, self.len as usize)?))
    }
}

/// Up to `n` first bytes of a file (positional read: the file's offset does not move).
pub fn head(file: &File, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match file.read_at(&mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_file_keeps_matching_a_rewritten_one_does_not() {
        let fp = Fingerprint::of_bytes(b"10.0.0.1 - - [08/Mar/2026");
        assert_eq!(fp.len, 25);
        assert!(fp.matches_head(b"10.0.0.1 - - [08/Mar/2026:14:00:00 +0000] \"GET / HTTP/1.1\" 200"));
        assert!(!fp.matches_head(b"10.0.0.2 - - [08/Mar/2026:14:00:00 +0000]"));
        assert!(!fp.matches_head(b"10.0.0.1"), "shorter than what was hashed: truncated");
        let empty = Fingerprint::of_bytes(b"");
        assert!(empty.matches_head(b"anything"), "an empty file's fingerprint says nothing");
    }

    #[test]
    fn fnv_is_stable() {
        // Written into checkpoints: must never change.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
