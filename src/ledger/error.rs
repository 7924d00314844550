//! What can go wrong in the log, as one error type; nothing in `ledger` panics on its input.

use super::node::NodeId;

/// Everything that can go wrong in the log. Nothing in this module panics on its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A leaf index or tree size beyond the tree (maps to gRPC `OutOfRange`).
    #[error("{requested} is out of range for a tree of size {size}")]
    OutOfRange { requested: u64, size: u64 },
    /// The caller did not supply a node the computation needs: a storage bug or a request for
    /// a size the store has not reached (check with `tree::ensure_within` first).
    #[error("stored {0} is missing")]
    MissingNode(NodeId),
    /// A proof that does not prove what it claims.
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// Bytes or text that are not what they claim to be (frontier, note, key).
    #[error("malformed: {0}")]
    Malformed(String),
    /// No valid signature by the expected key.
    #[error("no valid signature by the log key")]
    BadSignature,
    /// The tree has 2^64 - 1 leaves and cannot take another.
    #[error("the log is full")]
    Full,
    /// The key material was rejected or the system random source failed.
    #[error("key error: {0}")]
    Key(String),
}
