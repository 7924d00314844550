//! A minimal ZIP writer and reader: stored entries (no compression), CRC-32, UTF-8 names, no
//! ZIP64. Archive packages hold signed PDFs and DER, which do not compress usefully, and every
//! ZIP tool reads stored entries; a hundred lines here are easier to audit for decades than a
//! dependency with deflate, bzip2, zstd and encryption we would never use.
//!
//! The writer emits each entry as soon as it is added (CRC and size are known because the
//! entry's bytes are in hand), so a package streams out with only the central directory kept in
//! memory. The reader is strict: every offset is bounds-checked, every CRC and size compared,
//! and names that could escape a directory when extracted are refused.
//!
//! The reader parses untrusted bytes, so nothing here may index out of bounds, overflow or
//! panic: every offset is computed with checked arithmetic and every slice taken with `get`.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::{collections::HashSet, sync::LazyLock};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// General-purpose flag bit 11: the name is UTF-8 (Vietnamese file names).
const FLAG_UTF8: u16 = 0x0800;
const VERSION: u16 = 20;
/// 1980-01-01 00:00 in MS-DOS format: packages are byte-for-byte reproducible; the manifest
/// carries the real export time.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    #[error("the package is larger than 4 GiB or has more than 65,534 files (ZIP64 is not supported): export fewer dossiers at a time")]
    TooLarge,
    #[error("file name {0:?} is empty, absolute, contains `..` or a backslash, or is longer than 1,024 bytes")]
    BadName(String),
    #[error("{0:?} is in the package twice")]
    Duplicate(String),
    #[error("not a ZIP file: {0}")]
    Malformed(String),
    #[error("{name}: {problem}")]
    Entry { name: String, problem: String },
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP uses it.
pub fn crc32(data: &[u8]) -> u32 {
    /// The CRC of each byte value, computed once.
    static TABLE: LazyLock<[u32; 256]> = LazyLock::new(|| {
        std::array::from_fn(|byte| {
            (0..8).fold(byte as u32, |c, _| {
                if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
    });
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        // A byte always indexes one of the 256 entries.
        let entry = TABLE
            .get(usize::from(crc.to_le_bytes()[0] ^ byte))
            .copied()
            .unwrap_or_default();
        crc = entry ^ (crc >> 8);
    }
    !crc
}

fn check_name(name: &str) -> Result<(), ZipError> {
    let bad = name.is_empty()
        || name.len() > 1024
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(ZipError::BadName(name.chars().take(200).collect()));
    }
    Ok(())
}

struct CentralEntry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

/// Writes a ZIP one entry at a time; each call returns the bytes to send.
#[derive(Default)]
pub struct ZipWriter {
    offset: u64,
    entries: Vec<CentralEntry>,
    names: HashSet<String>,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

impl ZipWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// The local header and data of one file.
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<Vec<u8>, ZipError> {
        check_name(name)?;
        if self.names.contains(name) {
            return Err(ZipError::Duplicate(name.to_owned()));
        }
        if self.entries.len() >= 65_534 {
            return Err(ZipError::TooLarge);
        }
        let size = u32::try_from(data.len()).map_err(|_| ZipError::TooLarge)?;
        let offset = u32::try_from(self.offset).map_err(|_| ZipError::TooLarge)?;
        let name_len = u16::try_from(name.len()).map_err(|_| ZipError::BadName(name.into()))?;
        let crc = crc32(data);
        let mut out = Vec::with_capacity(name.len().saturating_add(data.len()).saturating_add(30));
        u32le(&mut out, LOCAL_HEADER);
        u16le(&mut out, VERSION);
        u16le(&mut out, FLAG_UTF8);
        u16le(&mut out, 0); // stored
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, crc);
        u32le(&mut out, size);
        u32le(&mut out, size);
        u16le(&mut out, name_len);
        u16le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        self.offset = self
            .offset
            .checked_add(out.len() as u64)
            .filter(|end| *end <= u64::from(u32::MAX))
            .ok_or(ZipError::TooLarge)?;
        self.names.insert(name.to_owned());
        self.entries.push(CentralEntry {
            name: name.to_owned(),
            crc,
            size,
            offset,
        });
        Ok(out)
    }

    /// The central directory and its end record.
    pub fn finish(self) -> Result<Vec<u8>, ZipError> {
        let mut out = Vec::new();
        let start = u32::try_from(self.offset).map_err(|_| ZipError::TooLarge)?;
        for entry in &self.entries {
            u32le(&mut out, CENTRAL_HEADER);
            u16le(&mut out, VERSION);
            u16le(&mut out, VERSION);
            u16le(&mut out, FLAG_UTF8);
            u16le(&mut out, 0);
            u16le(&mut out, DOS_TIME);
            u16le(&mut out, DOS_DATE);
            u32le(&mut out, entry.crc);
            u32le(&mut out, entry.size);
            u32le(&mut out, entry.size);
            u16le(&mut out, entry.name.len() as u16);
            u16le(&mut out, 0); // extra
            u16le(&mut out, 0); // comment
            u16le(&mut out, 0); // disk
            u16le(&mut out, 0); // internal attributes
            u32le(&mut out, 0); // external attributes
            u32le(&mut out, entry.offset);
            out.extend_from_slice(entry.name.as_bytes());
        }
        let size = u32::try_from(out.len()).map_err(|_| ZipError::TooLarge)?;
        if u64::from(start).saturating_add(u64::from(size)) > u64::from(u32::MAX) {
            return Err(ZipError::TooLarge);
        }
        let count = self.entries.len() as u16;
        u32le(&mut out, END_OF_CENTRAL_DIRECTORY);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, count);
        u16le(&mut out, count);
        u32le(&mut out, size);
        u32le(&mut out, start);
        u16le(&mut out, 0);
        Ok(out)
    }
}

/// Writes a whole ZIP from `(name, data)` pairs.
pub fn write_all<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, ZipError> {
    let mut writer = ZipWriter::new();
    let mut out = Vec::new();
    for (name, data) in files {
        out.extend(writer.add(name, data)?);
    }
    out.extend(writer.finish()?);
    Ok(out)
}

/// The `N` bytes at `at + offset`.
fn bytes_at<const N: usize>(data: &[u8], at: usize, offset: usize) -> Result<[u8; N], ZipError> {
    let start = at.saturating_add(offset);
    start
        .checked_add(N)
        .and_then(|end| data.get(start..end))
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ZipError::Malformed(format!("truncated at byte {start}")))
}

fn read_u16(data: &[u8], at: usize, offset: usize) -> Result<u16, ZipError> {
    bytes_at(data, at, offset).map(u16::from_le_bytes)
}

fn read_u32(data: &[u8], at: usize, offset: usize) -> Result<u32, ZipError> {
    bytes_at(data, at, offset).map(u32::from_le_bytes)
}

/// The `len` bytes at `at + offset`, if the file has them.
fn slice_at(data: &[u8], at: usize, offset: usize, len: usize) -> Option<&[u8]> {
    let start = at.checked_add(offset)?;
    data.get(start..start.checked_add(len)?)
}

/// Reads every entry of a ZIP of stored files, checking names, sizes and CRCs. Entries come in
/// central-directory order; the slices borrow from `data`.
pub fn read_all(data: &[u8]) -> Result<Vec<(String, &[u8])>, ZipError> {
    // The end record is 22 bytes plus a comment of at most 65,535.
    let lowest = data.len().saturating_sub(22 + 65_535);
    let eocd = (lowest..=data.len().saturating_sub(22))
        .rev()
        .find(|&at| read_u32(data, at, 0).ok() == Some(END_OF_CENTRAL_DIRECTORY))
        .ok_or_else(|| ZipError::Malformed("no end-of-central-directory record".into()))?;
    let count = usize::from(read_u16(data, eocd, 10)?);
    let cd_size = read_u32(data, eocd, 12)? as usize;
    let cd_start = read_u32(data, eocd, 16)? as usize;
    if cd_start.checked_add(cd_size).is_none_or(|end| end > eocd) {
        return Err(ZipError::Malformed(
            "the central directory lies outside the file".into(),
        ));
    }
    let mut entries = Vec::with_capacity(count);
    let mut names = HashSet::new();
    let mut at = cd_start;
    for _ in 0..count {
        if read_u32(data, at, 0)? != CENTRAL_HEADER {
            return Err(ZipError::Malformed(format!(
                "central directory entry expected at byte {at}"
            )));
        }
        let flags = read_u16(data, at, 8)?;
        let method = read_u16(data, at, 10)?;
        let crc = read_u32(data, at, 16)?;
        let compressed = read_u32(data, at, 20)? as usize;
        let size = read_u32(data, at, 24)? as usize;
        let name_len = usize::from(read_u16(data, at, 28)?);
        let extra_len = usize::from(read_u16(data, at, 30)?);
        let comment_len = usize::from(read_u16(data, at, 32)?);
        let local = read_u32(data, at, 42)? as usize;
        let name_bytes = slice_at(data, at, 46, name_len)
            .ok_or_else(|| ZipError::Malformed("truncated file name".into()))?;
        let name = String::from_utf8(name_bytes.to_vec())
            .map_err(|_| ZipError::BadName(String::from_utf8_lossy(name_bytes).into_owned()))?;
        // The next entry; past the end, reading it reports the truncation.
        at = [46, name_len, extra_len, comment_len]
            .iter()
            .fold(at, |at, len| at.saturating_add(*len));
        check_name(&name)?;
        let entry_error = |problem: String| ZipError::Entry {
            name: name.clone(),
            problem,
        };
        if flags & 0x0001 != 0 {
            return Err(entry_error("is encrypted".into()));
        }
        if method != 0 || compressed != size {
            return Err(entry_error(format!(
                "uses compression method {method}; packages store files uncompressed"
            )));
        }
        if read_u32(data, local, 0)? != LOCAL_HEADER {
            return Err(entry_error("its local header is missing".into()));
        }
        let local_name_len = usize::from(read_u16(data, local, 26)?);
        let local_extra_len = usize::from(read_u16(data, local, 28)?);
        if slice_at(data, local, 30, local_name_len) != Some(name_bytes) {
            return Err(entry_error(
                "the local header names a different file".into(),
            ));
        }
        let start = [30, local_name_len, local_extra_len]
            .iter()
            .fold(local, |at, len| at.saturating_add(*len));
        let content = data
            .get(start..start.saturating_add(size))
            .filter(|_| start.checked_add(size).is_some_and(|end| end <= cd_start))
            .ok_or_else(|| entry_error("its data lies outside the file".into()))?;
        let found = crc32(content);
        if found != crc {
            return Err(entry_error(format!(
                "CRC-32 is {found:08x}, the directory says {crc:08x}: the file is damaged"
            )));
        }
        if !names.insert(name.clone()) {
            return Err(ZipError::Duplicate(name));
        }
        entries.push((name, content));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )]

    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn round_trip_and_damage_is_detected() {
        let files: [(&str, &[u8]); 3] = [
            ("manifest.json", b"{}"),
            ("dossiers/a/Phiếu số 1.pdf", b"%PDF-1.7 ..."),
            ("empty", b""),
        ];
        let zip = write_all(files).unwrap();
        let read = read_all(&zip).unwrap();
        assert_eq!(read.len(), 3);
        for ((name, data), (n, d)) in files.iter().zip(&read) {
            assert_eq!(name, n);
            assert_eq!(data, d);
        }
        // A flipped byte in the data fails its CRC.
        let mut damaged = zip.clone();
        let at = zip.windows(3).position(|w| w == b"PDF").unwrap();
        damaged[at] ^= 1;
        assert!(matches!(read_all(&damaged), Err(ZipError::Entry { .. })));
        // Truncation and garbage never panic.
        for cut in 0..zip.len() {
            let _ = read_all(&zip[..cut]);
        }
        assert!(read_all(b"not a zip").is_err());
    }

    #[test]
    fn names_that_escape_are_refused() {
        for name in ["", "/etc/passwd", "../x", "a/../b", "a\\b", "a//b"] {
            assert!(write_all([(name, &b"x"[..])]).is_err(), "{name}");
        }
        assert!(matches!(
            write_all([("a", &b"x"[..]), ("a", &b"y"[..])]),
            Err(ZipError::Duplicate(_))
        ));
    }

    #[test]
    fn unzip_reads_what_we_write() {
        if std::process::Command::new("unzip")
            .arg("-v")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED: unzip is not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.zip");
        std::fs::write(&path, write_all([("a/b.txt", &b"hello"[..])]).unwrap()).unwrap();
        let out = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
