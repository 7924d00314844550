//! Long-term renewal of issued results: what a sweep examines, the new version it stores, and
//! the versions stored so far.

use super::flow::NewDocument;

/// An issued result a renewal sweep has to examine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalCandidate {
    pub result_code: String,
    pub dossier_code: String,
    pub current_sha256: Vec<u8>,
    pub timestamp_expires_at_ms: Option<i64>,
}

/// A new version of an issued result: the current version with a fresh document timestamp
/// appended (PAdES B-LTA).
#[derive(Debug, Clone)]
pub struct NewRenewal {
    pub result_code: String,
    pub dossier_code: String,
    /// The version this one extends; the renewal is refused if it is no longer current.
    pub previous_sha256: Vec<u8>,
    pub document: NewDocument,
    pub level: String,
    pub renewed_at_ms: i64,
    pub timestamp_expires_at_ms: i64,
}

/// A stored renewal, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRenewal {
    pub renewal: i64,
    pub sha256: Vec<u8>,
    pub previous_sha256: Vec<u8>,
    pub size: i64,
    pub renewed_at_ms: i64,
    pub timestamp_expires_at_ms: i64,
}
