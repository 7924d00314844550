//! Stored nodes: a perfect subtree's identity (level and index, and the single integer key SQL
//! stores it under), and where proofs find the hashes of the nodes they name.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    hash::BuildHasher,
};

use super::hash::Hash;

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
