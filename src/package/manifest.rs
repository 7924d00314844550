//! The manifest of an archive package (`manifest.json`) and the proof files beside each
//! record: what a package says about itself, as written by the export and read back by
//! `verify_package`.

use serde::{Deserialize, Serialize};

/// The format named in every manifest.
pub const FORMAT: &str = "ketqua-archive-package/1";
/// The manifest's name in the ZIP; it is the last entry.
pub const MANIFEST: &str = "manifest.json";
/// The package's copy of the log's note verifier key.
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
    /// The dossier's further results (`-KQ2`…), each like `result`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_results: Vec<ResultEntry>,
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
    /// For a document its record does not name — a form signed after its record committed
    /// (the receipt slip) — the proof that the log holds it as a form leaf ([`ProofFile`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
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
