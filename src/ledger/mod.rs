//! The tamper-evident transparency log: an append-only Merkle tree with RFC 6962 / RFC 9162
//! hashing over every signed step record and every issued result, signed checkpoints in the
//! C2SP signed-note format, and inclusion and consistency proofs.
//!
//! This module is pure: no I/O, no async, no database. Storage belongs to the caller, through
//! a "which nodes do you need / here they are" protocol, so that an async SQL backend can fetch
//! every node of a proof in one batched query:
//!
//! 1. Appending: [`Frontier::append`] returns every perfect subtree completed by the new leaf;
//!    the caller writes them (they never change again) together with [`Frontier::to_bytes`].
//! 2. Serving a proof: [`inclusion_proof_nodes`] / [`consistency_proof_nodes`] /
//!    [`root_nodes`] name the stored nodes needed; the caller reads them in one query and
//!    passes them to [`inclusion_proof`] / [`consistency_proof`] / [`root_from`].
//!
//! Every node a proof needs is a *perfect* subtree (a complete, aligned power-of-two block of
//! leaves), so it was stored once and for all when its last leaf was appended. Nodes of the
//! ragged right edge of a tree of a given size are never stored: they are recomputed from the
//! perfect subtrees they decompose into, at most one per bit of the size, which keeps every
//! proof at O(log n) reads whatever the tree size. See docs/ledger.md.

mod checkpoint;
mod error;
mod hash;
mod node;
mod proof;
mod tree;

#[cfg(test)]
mod tests;

pub use checkpoint::{Checkpoint, LogKey, LogVerifier};
pub use error::LedgerError;
pub use hash::{empty_root, leaf_hash, node_hash, Hash};
pub use node::{NodeId, NodeLookup};
pub use proof::{
    consistency_proof, consistency_proof_nodes, inclusion_proof, inclusion_proof_nodes,
    verify_consistency, verify_inclusion,
};
pub use tree::{ensure_within, root_from, root_nodes, Frontier};
