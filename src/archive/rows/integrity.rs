//! What `fsck` reads and reports. The archive checks what is storage (blobs wherever their
//! bytes are kept, the Merkle tree, the head and the checkpoints); the service checks what
//! needs records and signatures understood, reading each dossier as a [`StoredChain`]. Both
//! write their differences into one [`FsckReport`].

use super::retrieval::StoredRecord;

/// One difference between what is stored and what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub table: &'static str,
    /// The row, e.g. `dossier_code=…, sequence=3`.
    pub key: String,
    pub problem: String,
    pub expected: Option<String>,
    pub found: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]: {}", self.table, self.key, self.problem)?;
        if let Some(expected) = &self.expected {
            write!(f, "; expected {expected}")?;
        }
        if let Some(found) = &self.found {
            write!(f, ", found {found}")?;
        }
        Ok(())
    }
}

/// What fsck looked at and what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    pub blobs: u64,
    /// Blobs found in an external store that no row references, per store (described as in
    /// `BlobStore::describe`). Not problems: a transaction that rolls back after writing a
    /// document leaves one; the bytes are never served, since nothing names them.
    pub unreferenced: Vec<(String, u64)>,
    pub dossiers: u64,
    pub records: u64,
    pub leaves: u64,
    pub checkpoints: u64,
    pub problems: Vec<Finding>,
}

impl FsckReport {
    /// Notes a difference, in the order the checks find them.
    pub fn push(
        &mut self,
        table: &'static str,
        key: String,
        problem: impl Into<String>,
        expected: Option<String>,
        found: Option<String>,
    ) {
        self.problems.push(Finding {
            table,
            key,
            problem: problem.into(),
            expected,
            found,
        });
    }
}

/// One dossier as stored, for fsck: its row's summary of the chain, the records themselves
/// (in sequence order, nothing decoded) and the version columns of its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChain {
    pub code: String,
    pub last_record_sha256: Vec<u8>,
    pub record_count: i64,
    pub records: Vec<StoredRecord>,
    pub results: Vec<ResultVersions>,
}

/// A result's hash as signed and issued, and its current version's (`None` until renewed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultVersions {
    pub result_code: String,
    pub sha256: Vec<u8>,
    pub current_sha256: Option<Vec<u8>>,
}
