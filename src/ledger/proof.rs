//! Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4), built from stored perfect
//! subtrees, and their verification.
//!
//! A proof is a list of RFC 6962 tree nodes, each a leaf range `[begin, end)`. The ranges are
//! worked out from the sizes alone; each is then decomposed into the perfect subtrees that are
//! stored ([`perfect_parts`]). Only a node on the ragged right edge decomposes into more than
//! one, and a proof holds at most one such node, so a proof needs at most about 2·log2(n)
//! stored nodes.

use super::tree::{perfect_parts, range_hash, split_point};
use super::{
    error::LedgerError,
    hash::{empty_root, node_hash, Hash},
    node::{NodeId, NodeLookup},
};

/// RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, in proof order (deepest first).
fn inclusion_ranges(leaf_index: u64, tree_size: u64) -> Result<Vec<(u64, u64)>, LedgerError> {
    if leaf_index >= tree_size {
        return Err(LedgerError::OutOfRange {
            requested: leaf_index,
            size: tree_size,
        });
    }
    // Walk down from the root; each step records the sibling of the subtree holding the leaf.
    let (mut begin, mut end) = (0u64, tree_size);
    let mut ranges = Vec::new();
    while end - begin > 1 {
        let k = split_point(end - begin);
        if leaf_index < begin + k {
            ranges.push((begin + k, end));
            end = begin + k;
        } else {
            ranges.push((begin, begin + k));
            begin += k;
        }
    }
    ranges.reverse();
    Ok(ranges)
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true) as leaf ranges, in proof order.
fn consistency_ranges(old_size: u64, new_size: u64) -> Result<Vec<(u64, u64)>, LedgerError> {
    if old_size > new_size {
        return Err(LedgerError::OutOfRange {
            requested: old_size,
            size: new_size,
        });
    }
    // Consistency with the empty tree needs no proof (RFC 9162 defines proofs for 0 < m), and
    // a tree is consistent with itself by an empty proof.
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    let (mut begin, mut end) = (0u64, new_size);
    let mut m = old_size;
    let mut whole_old_tree = true; // the `b` flag of SUBPROOF
    let mut ranges = Vec::new();
    loop {
        let n = end - begin;
        if m == n {
            // MTH(D[m]) is needed unless it is the old root itself, which the verifier has.
            if !whole_old_tree {
                ranges.push((begin, end));
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            ranges.push((begin + k, end));
            end = begin + k;
        } else {
            ranges.push((begin, begin + k));
            begin += k;
            m -= k;
            whole_old_tree = false;
        }
    }
    ranges.reverse();
    Ok(ranges)
}

fn nodes_of(ranges: &[(u64, u64)]) -> Vec<NodeId> {
    ranges
        .iter()
        .flat_map(|&(b, e)| perfect_parts(b, e))
        .collect()
}

fn hashes_of(ranges: &[(u64, u64)], nodes: &impl NodeLookup) -> Result<Vec<Hash>, LedgerError> {
    ranges
        .iter()
        .map(|&(b, e)| range_hash(b, e, nodes))
        .collect()
}

/// The stored nodes the inclusion proof of `leaf_index` in the tree of `tree_size` needs (all
/// perfect subtrees within the first `tree_size` leaves). Fetch them in one query.
pub fn inclusion_proof_nodes(leaf_index: u64, tree_size: u64) -> Result<Vec<NodeId>, LedgerError> {
    Ok(nodes_of(&inclusion_ranges(leaf_index, tree_size)?))
}

/// The RFC 9162 §2.1.3 inclusion proof (audit path) of `leaf_index` in the tree of
/// `tree_size` leaves; right-edge nodes are computed from the stored perfect subtrees.
pub fn inclusion_proof(
    leaf_index: u64,
    tree_size: u64,
    nodes: &impl NodeLookup,
) -> Result<Vec<Hash>, LedgerError> {
    hashes_of(&inclusion_ranges(leaf_index, tree_size)?, nodes)
}

/// The stored nodes the consistency proof from `old_size` to `new_size` needs.
pub fn consistency_proof_nodes(old_size: u64, new_size: u64) -> Result<Vec<NodeId>, LedgerError> {
    Ok(nodes_of(&consistency_ranges(old_size, new_size)?))
}

/// The RFC 9162 §2.1.4 consistency proof between the trees of `old_size` and `new_size`
/// leaves. Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    nodes: &impl NodeLookup,
) -> Result<Vec<Hash>, LedgerError> {
    hashes_of(&consistency_ranges(old_size, new_size)?, nodes)
}

fn invalid(why: &str) -> LedgerError {
    LedgerError::InvalidProof(why.to_string())
}

/// Verifies an inclusion proof: the RFC 9162 §2.1.3.2 algorithm.
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    if leaf_index >= tree_size {
        return Err(LedgerError::OutOfRange {
            requested: leaf_index,
            size: tree_size,
        });
    }
    let mut fnode = leaf_index;
    let mut snode = tree_size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(invalid("inclusion proof is too long"));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                // A left child with no right sibling at this level: climb until it is a right
                // child (or the root of the subtree), as the right edge was promoted.
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(invalid("inclusion proof is too short"));
    }
    if &r != root {
        return Err(invalid("inclusion proof does not lead to the root"));
    }
    Ok(())
}

/// Verifies a consistency proof: the RFC 9162 §2.1.4.2 algorithm, plus the two cases it leaves
/// out: equal sizes (empty proof, equal roots) and an empty old tree (empty proof, the old
/// root must be the empty root).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LedgerError> {
    if old_size > new_size {
        return Err(LedgerError::OutOfRange {
            requested: old_size,
            size: new_size,
        });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(invalid("expected an empty consistency proof"));
        }
        if old_size == 0 && old_root != &empty_root() {
            return Err(invalid("the root of the empty tree is wrong"));
        }
        if old_size == new_size && old_root != new_root {
            return Err(invalid("equal sizes with different roots"));
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(invalid("empty consistency proof"));
    }
    // 2. If the old size is a power of two, the old root is itself the first node of the path.
    let path: Vec<Hash> = if old_size.is_power_of_two() {
        std::iter::once(*old_root)
            .chain(proof.iter().copied())
            .collect()
    } else {
        proof.to_vec()
    };
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (first, rest) = path
        .split_first()
        .ok_or_else(|| invalid("empty consistency proof"))?;
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return Err(invalid("consistency proof is too long"));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(invalid("consistency proof is too short"));
    }
    if &fr != old_root {
        return Err(invalid("consistency proof does not lead to the old root"));
    }
    if &sr != new_root {
        return Err(invalid("consistency proof does not lead to the new root"));
    }
    Ok(())
}
