//! The shape of the tree: how any node of an RFC 6962 tree of a given size decomposes into
//! stored perfect subtrees, the frontier used to append, and roots of past sizes.

use super::{
    error::LedgerError,
    hash::{empty_root, node_hash, Hash},
    node::{NodeId, NodeLookup},
};

/// The perfect subtrees that make up the leaf range `[begin, end)`, largest (leftmost) first.
///
/// Only called for ranges that are nodes of some RFC 6962 tree (or the whole tree), where
/// `begin` is a multiple of the power of two at or above `end - begin`. Then each set bit of
/// the length, from the top, is one aligned perfect subtree, and the RFC 6962 hash of the range
/// is those subtrees folded from the right (see [`fold_right`]): the recursion of
/// MTH splits at the largest power of two below the length, which is exactly the top bit.
pub(crate) fn perfect_parts(begin: u64, end: u64) -> Vec<NodeId> {
    let len = end.saturating_sub(begin);
    let mut parts = Vec::with_capacity(len.count_ones() as usize);
    let mut pos = begin;
    for level in (0..64u8).rev() {
        let bit = 1u64 << level;
        if len & bit != 0 {
            parts.push(NodeId {
                level,
                index: pos >> level,
            });
            // pos + bit <= end, so no overflow.
            pos += bit;
        }
    }
    parts
}

/// The RFC 6962 hash of a right-edge node from its perfect parts, largest first:
/// `node_hash(p0, node_hash(p1, … node_hash(p(k-2), p(k-1))))`. `None` for no parts.
pub(crate) fn fold_right(parts: &[Hash]) -> Option<Hash> {
    let (last, rest) = parts.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// Looks up the parts of `[begin, end)` and folds them into the range's hash.
pub(crate) fn range_hash(
    begin: u64,
    end: u64,
    nodes: &impl NodeLookup,
) -> Result<Hash, LedgerError> {
    let parts = perfect_parts(begin, end)
        .into_iter()
        .map(|id| nodes.node(id).ok_or(LedgerError::MissingNode(id)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fold_right(&parts).unwrap_or_else(empty_root))
}

/// The largest power of two strictly below `n` (RFC 6962's split point `k`); `n` must be ≥ 2.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The stored nodes whose hashes give the root of the tree of `tree_size` leaves: one perfect
/// subtree per set bit of the size, largest first. Empty for the empty tree.
pub fn root_nodes(tree_size: u64) -> Vec<NodeId> {
    perfect_parts(0, tree_size)
}

/// The root of the tree of `tree_size` leaves, from the nodes named by [`root_nodes`]. Works
/// for any past size, which is what a consistency check against an old checkpoint needs.
pub fn root_from(tree_size: u64, nodes: &impl NodeLookup) -> Result<Hash, LedgerError> {
    range_hash(0, tree_size, nodes)
}

/// `Ok` when `requested` ≤ `size`, else [`LedgerError::OutOfRange`]: the check a server makes
/// before serving a proof for a tree size a client asked for, against its current size.
pub fn ensure_within(requested: u64, size: u64) -> Result<(), LedgerError> {
    if requested <= size {
        Ok(())
    } else {
        Err(LedgerError::OutOfRange { requested, size })
    }
}

/// The right edge of the tree: the roots of its perfect subtrees, largest first. All that is
/// needed to append and to compute the current root: at most 64 hashes, whatever the size.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Exactly `root_nodes(size)`, with their hashes.
    nodes: Vec<(NodeId, Hash)>,
}

/// Version byte of [`Frontier::to_bytes`], so the format can change without misreading old rows.
const FRONTIER_VERSION: u8 = 1;

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Frontier::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash of the tree (the empty root for no leaves).
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, h)| *h).collect();
        fold_right(&hashes).unwrap_or_else(empty_root)
    }

    /// The perfect subtrees of the right edge, largest first.
    pub fn nodes(&self) -> &[(NodeId, Hash)] {
        &self.nodes
    }

    /// Appends a leaf hash (see [`super::hash::leaf_hash`]); returns every perfect subtree completed
    /// by this append, the leaf itself first (level 0), then upwards. The caller stores all of
    /// them: together they are every node any later proof or root can need. The new leaf's
    /// index is the size before the call.
    ///
    /// Fails only with [`LedgerError::Full`], after 2^64 - 1 leaves; the frontier is then
    /// unchanged.
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, LedgerError> {
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(LedgerError::Full)?;
        let mut completed = Vec::with_capacity(1 + index.trailing_ones() as usize);
        let mut node = (NodeId { level: 0, index }, leaf);
        completed.push(node);
        // Like a binary counter: each trailing one bit of the old size is a perfect subtree of
        // the same level as the one just completed, so the two merge into one a level up.
        while let Some(&(left_id, left_hash)) = self.nodes.last() {
            if left_id.level != node.0.level {
                break;
            }
            self.nodes.pop();
            node = (
                NodeId {
                    level: left_id.level + 1,
                    index: left_id.index >> 1,
                },
                node_hash(&left_hash, &node.1),
            );
            completed.push(node);
        }
        self.nodes.push(node);
        self.size = new_size;
        Ok(completed)
    }

    /// Appends several leaf hashes, returning every completed node in append order. All or
    /// nothing: on [`LedgerError::Full`] the frontier is unchanged.
    pub fn append_all(&mut self, leaves: &[Hash]) -> Result<Vec<(NodeId, Hash)>, LedgerError> {
        let room = u64::MAX - self.size;
        if u64::try_from(leaves.len()).map_or(true, |n| n > room) {
            return Err(LedgerError::Full);
        }
        let mut out = Vec::with_capacity(leaves.len() * 2);
        for leaf in leaves {
            out.extend(self.append(*leaf)?);
        }
        Ok(out)
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored perfect nodes (those named
    /// by [`root_nodes`]`(size)`).
    pub fn from_nodes(size: u64, nodes: &impl NodeLookup) -> Result<Self, LedgerError> {
        let nodes = root_nodes(size)
            .into_iter()
            .map(|id| {
                nodes
                    .node(id)
                    .map(|h| (id, h))
                    .ok_or(LedgerError::MissingNode(id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frontier { size, nodes })
    }

    /// Serialises for storage beside the tree head: version byte 1, the size as 8 bytes big
    /// endian, then the 32-byte hashes of the right edge, largest first (one per set bit of the
    /// size, so the node ids need not be stored).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + 32 * self.nodes.len());
        out.push(FRONTIER_VERSION);
        out.extend_from_slice(&self.size.to_be_bytes());
        for (_, h) in &self.nodes {
            out.extend_from_slice(h);
        }
        out
    }

    /// The inverse of [`Frontier::to_bytes`]; rejects any other version or length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LedgerError> {
        let malformed = |why: &str| LedgerError::Malformed(format!("frontier: {why}"));
        let (&version, rest) = bytes.split_first().ok_or_else(|| malformed("empty"))?;
        if version != FRONTIER_VERSION {
            return Err(malformed(&format!("unknown version {version}")));
        }
        if rest.len() < 8 {
            return Err(malformed("too short for the size"));
        }
        let (size_bytes, hashes) = rest.split_at(8);
        let mut size_arr = [0u8; 8];
        size_arr.copy_from_slice(size_bytes);
        let size = u64::from_be_bytes(size_arr);
        let ids = root_nodes(size);
        if hashes.len() != 32 * ids.len() {
            return Err(malformed(&format!(
                "a tree of {size} leaves has {} edge hashes, found {} bytes",
                ids.len(),
                hashes.len()
            )));
        }
        let nodes = ids
            .into_iter()
            .zip(hashes.chunks_exact(32))
            .map(|(id, chunk)| {
                let mut h = [0u8; 32];
                h.copy_from_slice(chunk);
                (id, h)
            })
            .collect();
        Ok(Frontier { size, nodes })
    }
}
