//! The transparency log as the archive stores it: what a leaf stands for, signed checkpoints,
//! and the receipt proving a leaf's inclusion under one of them.

use crate::ledger;

/// What a log leaf stands for. The kind byte is part of the leaf data, so a step record and a
/// result can never be confused from the leaf alone; it is fixed forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// Leaf data `0x00 || SHA-256(step record bytes)`.
    StepRecord,
    /// Leaf data `0x01 || SHA-256(issued result PDF)`.
    IssuedResult,
    /// Leaf data `0x02 || SHA-256(renewed result PDF)`: a version with a fresh document
    /// timestamp appended by `archive renew`.
    RenewedResult,
    /// Leaf data `0x03 || SHA-256(form PDF)`: a signed form attached to its step's record
    /// after the record committed (the receipt slip, which names the dossier code).
    Form,
}

impl LogKind {
    pub fn leaf_data(self, hash: &[u8]) -> Vec<u8> {
        let mut data = Vec::with_capacity(33);
        data.push(match self {
            LogKind::StepRecord => 0x00,
            LogKind::IssuedResult => 0x01,
            LogKind::RenewedResult => 0x02,
            LogKind::Form => 0x03,
        });
        data.extend_from_slice(hash);
        data
    }

    pub fn name(self) -> &'static str {
        match self {
            LogKind::StepRecord => "step_record",
            LogKind::IssuedResult => "issued_result",
            LogKind::RenewedResult => "renewed_result",
            LogKind::Form => "form",
        }
    }

    /// The kind a leaf's first byte names.
    pub fn of_leaf_data(data: &[u8]) -> Option<LogKind> {
        match data.first() {
            Some(0x00) => Some(LogKind::StepRecord),
            Some(0x01) => Some(LogKind::IssuedResult),
            Some(0x02) => Some(LogKind::RenewedResult),
            Some(0x03) => Some(LogKind::Form),
            _ => None,
        }
    }
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Vec<u8>,
    pub note: String,
}

/// Where a record is in the log, with its audit path to a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReceipt {
    pub leaf_index: u64,
    pub leaf_hash: ledger::Hash,
    pub path: Vec<ledger::Hash>,
    pub checkpoint: StoredCheckpoint,
}
