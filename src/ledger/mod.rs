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
mod proof;
mod tree;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use ring::digest;

pub use checkpoint::{Checkpoint, LogKey, LogVerifier};
pub use proof::{
    consistency_proof, consistency_proof_nodes, inclusion_proof, inclusion_proof_nodes,
    verify_consistency, verify_inclusion,
};
pub use tree::{ensure_within, root_from, root_nodes, Frontier};

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || data) (RFC 6962 §2.1). The prefix keeps a leaf from
/// ever being confused with an interior node (second-preimage resistance).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0x00]);
    ctx.update(data);
    to_hash(ctx.finish())
}

/// The hash of an interior node: SHA-256(0x01 || left || right) (RFC 6962 §2.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0x01]);
    ctx.update(left);
    ctx.update(right);
    to_hash(ctx.finish())
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    to_hash(digest::digest(&digest::SHA256, b""))
}

fn to_hash(d: digest::Digest) -> Hash {
    let mut h = [0u8; 32];
    // SHA-256 digests are always 32 bytes.
    h.copy_from_slice(d.as_ref());
    h
}

/// A perfect subtree: level 0 = leaves; covers leaves `[index << level, (index + 1) << level)`.
///
/// These are the only nodes ever stored: once its last leaf is appended, a perfect subtree's
/// hash never changes, whatever the tree grows to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// The first leaf this subtree covers, or `None` if that is beyond `u64`.
    pub fn first_leaf(&self) -> Option<u64> {
        shl_checked(self.index, self.level)
    }

    /// One past the last leaf this subtree covers, or `None` if that is beyond `u64`: the
    /// smallest tree size in which this node is complete (and so stored).
    pub fn end_leaf(&self) -> Option<u64> {
        self.index
            .checked_add(1)
            .and_then(|i| shl_checked(i, self.level))
    }

    /// A single-integer storage key: the node's position in an in-order walk of an infinite
    /// tree (leaves at even numbers, a level-`l` node at `(index << (l + 1)) + (1 << l) - 1`).
    /// Unique and dense, so SQL can key the node table on one integer column and fetch a
    /// proof with `WHERE id IN (...)` or `= ANY($1)`. `None` when it does not fit in an `i64`
    /// (only for trees of more than 2^61 leaves).
    pub fn flat_key(&self) -> Option<i64> {
        let level = u32::from(self.level);
        if level >= 62 {
            return None;
        }
        let base = shl_checked(self.index, self.level.checked_add(1)?)?;
        let key = base.checked_add((1u64 << level) - 1)?;
        i64::try_from(key).ok()
    }

    /// The inverse of [`NodeId::flat_key`].
    pub fn from_flat_key(key: i64) -> Option<NodeId> {
        let key = u64::try_from(key).ok()?;
        // The level is the number of trailing one bits.
        let level = key.trailing_ones();
        if level >= 62 {
            return None;
        }
        Some(NodeId {
            level: level as u8,
            index: key >> (level + 1),
        })
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node (level {}, index {})", self.level, self.index)
    }
}

fn shl_checked(value: u64, shift: u8) -> Option<u64> {
    if shift >= 64 {
        return if value == 0 { Some(0) } else { None };
    }
    let shifted = value << shift;
    if shifted >> shift == value {
        Some(shifted)
    } else {
        None
    }
}

/// Where proofs and roots find stored nodes: a map filled from one batched query, or a closure.
pub trait NodeLookup {
    /// The stored hash of a perfect subtree, if the caller has it.
    fn node(&self, id: NodeId) -> Option<Hash>;
}

impl<S: BuildHasher> NodeLookup for HashMap<NodeId, Hash, S> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

impl NodeLookup for BTreeMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

impl<F: Fn(NodeId) -> Option<Hash>> NodeLookup for F {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self(id)
    }
}

/// Everything that can go wrong in the log. Nothing in this module panics on its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A leaf index or tree size beyond the tree (maps to gRPC `OutOfRange`).
    #[error("{requested} is out of range for a tree of size {size}")]
    OutOfRange { requested: u64, size: u64 },
    /// The caller did not supply a node the computation needs: a storage bug or a request for
    /// a size the store has not reached (check with [`ensure_within`] first).
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
