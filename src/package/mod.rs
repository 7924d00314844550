//! Archive packages: a self-contained ZIP per dossier (or per search) that proves itself
//! offline, decades later, with nothing but the trust anchor and the log's public key.
//!
//! Layout (docs/archive.md has the full description):
//!
//! ```text
//! manifest.json                      SHA-256 of every file, Decree 30/2020 metadata
//! log.pub                            the transparency log's note verifier key
//! certs/<sha256 prefix>.der          root, CA chains and TSA certificates from the signatures
//! crls/<n>.crl                       the CRLs the service knew at export time
//! dossiers/<code>/records/NN-<step>.bin | .p7s | .proof.json
//! dossiers/<code>/documents/NN-MM-<file name>
//! dossiers/<code>/result/<result code>.pdf
//! ```
//!
//! The manifest is written last so the package streams out as it is built.

mod verify;
pub mod zip;

use serde::{Deserialize, Serialize};

pub use verify::{verify_package, Report};
use zip::{ZipError, ZipWriter};

pub const FORMAT: &str = "ketqua-archive-package/1";
pub const MANIFEST: &str = "manifest.json";
pub const LOG_KEY_FILE: &str = "log.pub";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The package's copy of the log key; verifiers use their own, trusted copy.
    pub log_key: String,
    /// The root certificate the service trusted at export time (informative: the verifier
    /// brings its own trust anchor).
    pub root_certificate: String,
    pub certificates: Vec<String>,
    pub crls: Vec<String>,
    pub dossiers: Vec<DossierEntry>,
    /// Every other file in the package, with its SHA-256.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    /// Lower-case hex.
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierEntry {
    pub dossier_code: String,
    pub procedure_code: String,
    pub department: String,
    pub applicant_id: String,
    pub state: String,
    pub received_on: String,
    pub records: Vec<RecordEntry>,
    pub documents: Vec<DocumentEntry>,
    pub result: Option<ResultEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    pub sequence: u32,
    pub step: String,
    pub sha256: String,
    /// The StepRecord bytes exactly as signed.
    pub record: String,
    /// The detached CAdES signature (DER) over `record`.
    pub signature: String,
    /// The record's inclusion proof and signed checkpoint ([`ProofFile`]).
    pub proof: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub record_sequence: u32,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultEntry {
    pub result_code: String,
    pub file: String,
    pub sha256: String,
    pub size: u64,
    /// PAdES level, e.g. "B-LT".
    pub level: String,
    /// "valid", "revoked" or "superseded" at export time.
    pub status: String,
    pub status_reason: Option<String>,
    pub superseded_by: Option<String>,
    pub issued_at: Option<String>,
    pub metadata: ArchivalMetadata,
    /// Later versions made by `archive renew` (a document timestamp appended), oldest first.
    /// `file` above stays the PDF as signed and issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renewals: Vec<RenewalEntry>,
}

/// A renewed version of the result: the previous version's exact bytes followed by validation
/// data and a document timestamp, logged as leaf `0x02 || SHA-256(file)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalEntry {
    pub renewal: i64,
    pub file: String,
    pub sha256: String,
    pub previous_sha256: String,
    pub renewed_at: String,
    /// Its inclusion proof, like a record's.
    pub proof: String,
}

/// Decree 30/2020, appendix VI: what an archived electronic document is described by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivalMetadata {
    pub document_type: String,
    pub number_notation: String,
    pub issue_date: String,
    pub issuing_body: String,
    pub subject: String,
    pub language: String,
    pub signer: String,
    pub page_count: i64,
    pub retention: String,
}

/// `records/NN-<step>.proof.json`: the RFC 9162 audit path of the record's leaf
/// (`SHA-256(0x00 || 0x00 || record SHA-256)`) to the signed checkpoint it was appended under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFile {
    pub leaf_index: u64,
    pub leaf_hash: String,
    pub tree_size: u64,
    pub path: Vec<String>,
    /// The C2SP signed note.
    pub checkpoint: String,
}

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
