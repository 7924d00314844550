//! Writing a package: entries streamed out one by one, the manifest (with every file's hash)
//! last, and file names made safe to extract.

use super::{
    manifest::{FileEntry, Manifest, FORMAT, MANIFEST},
    zip::{ZipError, ZipWriter},
};

/// Builds a package entry by entry, remembering each file's hash for the manifest.
#[derive(Default)]
pub struct PackageBuilder {
    zip: ZipWriter,
    files: Vec<FileEntry>,
}

impl PackageBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes of one file's entry, to send on.
    pub fn add(&mut self, path: &str, data: &[u8]) -> Result<Vec<u8>, ZipError> {
        let bytes = self.zip.add(path, data)?;
        self.files.push(FileEntry {
            path: path.to_owned(),
            sha256: hex::encode(crate::crypto::sha256(data)),
            size: data.len() as u64,
        });
        Ok(bytes)
    }

    pub fn len(&self) -> u64 {
        self.zip.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zip.is_empty()
    }

    /// Writes the manifest (with the files added so far) and the central directory.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<Vec<u8>, ZipError> {
        manifest.format = FORMAT.to_owned();
        manifest.files = std::mem::take(&mut self.files);
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| ZipError::Malformed(format!("manifest: {e}")))?;
        let mut out = self.zip.add(MANIFEST, &json)?;
        out.extend(self.zip.finish()?);
        Ok(out)
    }
}

/// A file name safe inside the ZIP: the characters of `name` that are letters, digits (any
/// script: Vietnamese names stay readable), `.`, `-` or `_`, others as `_`, at most 80.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}
