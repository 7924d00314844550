//! The tree, its stored nodes and its proofs against the naive reference, for every size and
//! leaf of a 300-leaf log, and every kind of tampering refused.

use std::collections::HashMap;

use super::reference;
use crate::ledger::{
    error::LedgerError,
    hash::{empty_root, leaf_hash, Hash},
    node::NodeId,
    proof::{
        consistency_proof, consistency_proof_nodes, inclusion_proof, inclusion_proof_nodes,
        verify_consistency, verify_inclusion,
    },
    tree::{ensure_within, root_from, root_nodes, Frontier},
};

const N: usize = 300;

/// A log of N leaves built with the module (frontier appends), its stored nodes, and the
/// reference over the same data.
struct Fixture {
    reference: reference::Tree,
    leaves: Vec<Hash>,
    store: HashMap<NodeId, Hash>,
    /// The frontier after each size 0..=N.
    frontiers: Vec<Frontier>,
}

fn fixture() -> Fixture {
    let data: Vec<Vec<u8>> = (0..N).map(|i| format!("record {i}").into_bytes()).collect();
    let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
    let mut store = HashMap::new();
    let mut f = Frontier::new();
    let mut frontiers = vec![f.clone()];
    for leaf in &leaves {
        for (id, h) in f.append(*leaf).unwrap() {
            assert!(store.insert(id, h).is_none(), "{id} completed twice");
        }
        frontiers.push(f.clone());
    }
    Fixture {
        reference: reference::Tree::new(data),
        leaves,
        store,
        frontiers,
    }
}

/// A lookup that fails the test if a proof for `size` reads a node that is not complete at that
/// size: such a node would not exist yet in a store that had only reached `size`.
fn within(store: &HashMap<NodeId, Hash>, size: u64) -> impl Fn(NodeId) -> Option<Hash> + '_ {
    move |id: NodeId| {
        assert!(
            id.end_leaf().unwrap() <= size,
            "{id} is not complete in a tree of {size}"
        );
        store.get(&id).copied()
    }
}

fn log2_ceil(n: u64) -> usize {
    (64 - n.saturating_sub(1).leading_zeros()) as usize
}

#[test]
fn hashing_known_answers() {
    // RFC 6962 test vectors (the Certificate Transparency reference leaves): roots at sizes 0..=8.
    let data: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    assert_eq!(hex::encode(empty_root()), roots[0]);
    let mut f = Frontier::new();
    let mut store = HashMap::new();
    for (i, d) in data.iter().enumerate() {
        store.extend(f.append(leaf_hash(d)).unwrap());
        assert_eq!(hex::encode(f.root()), roots[i + 1], "size {}", i + 1);
    }
    let hexes = |p: Vec<Hash>| p.into_iter().map(hex::encode).collect::<Vec<_>>();
    // Published audit paths and a consistency proof for the same tree.
    assert_eq!(
        hexes(inclusion_proof(0, 8, &store).unwrap()),
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
    );
    assert_eq!(
        hexes(inclusion_proof(5, 8, &store).unwrap()),
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
    );
    assert_eq!(
        hexes(consistency_proof(2, 5, &store).unwrap()),
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]
    );
}

#[test]
fn frontier_roots_and_past_roots_match_the_reference() {
    let fx = fixture();
    for (size, f) in fx.frontiers.iter().enumerate() {
        let want = fx.reference.mth(0, size);
        assert_eq!(f.size(), size as u64);
        assert_eq!(f.root(), want, "frontier root at size {size}");
        let s = size as u64;
        assert_eq!(root_from(s, &within(&fx.store, s)).unwrap(), want);
        assert_eq!(root_nodes(s).len(), s.count_ones() as usize);
        assert_eq!(&Frontier::from_nodes(s, &fx.store).unwrap(), f);
    }
}

#[test]
fn append_stores_every_perfect_subtree_exactly_once() {
    let fx = fixture();
    // A tree of n leaves has exactly one perfect subtree per aligned power-of-two block.
    let expected: usize = (0..=8).map(|l| N >> l).sum();
    assert_eq!(fx.store.len(), expected);
    for (id, h) in &fx.store {
        let (a, b) = (
            id.first_leaf().unwrap() as usize,
            id.end_leaf().unwrap() as usize,
        );
        assert_eq!(*h, fx.reference.mth(a, b), "{id}");
    }
    for (i, leaf) in fx.leaves.iter().enumerate() {
        assert_eq!(fx.store[&NodeId::new(0, i as u64)], *leaf);
    }
}

#[test]
fn inclusion_proofs_match_the_reference_for_every_size_and_leaf() {
    let fx = fixture();
    for size in 1..=N {
        let s = size as u64;
        let root = fx.reference.mth(0, size);
        for index in 0..size {
            let i = index as u64;
            let ids = inclusion_proof_nodes(i, s).unwrap();
            assert!(
                ids.len() <= 2 * log2_ceil(s) + 2,
                "{} nodes for ({i}, {s})",
                ids.len()
            );
            let proof = inclusion_proof(i, s, &within(&fx.store, s)).unwrap();
            assert_eq!(proof, fx.reference.path(index, 0, size), "({i}, {s})");
            let leaf = fx.leaves[index];
            verify_inclusion(i, s, &leaf, &proof, &root).unwrap();
            assert!(reference::verify_inclusion(i, s, &leaf, &proof, &root));
        }
    }
}

#[test]
fn consistency_proofs_match_the_reference_for_every_pair() {
    let fx = fixture();
    for new in 1..=N {
        let n = new as u64;
        let new_root = fx.reference.mth(0, new);
        for old in 1..=new {
            let m = old as u64;
            let old_root = fx.reference.mth(0, old);
            let ids = consistency_proof_nodes(m, n).unwrap();
            assert!(
                ids.len() <= 2 * log2_ceil(n) + 2,
                "{} nodes for ({m}, {n})",
                ids.len()
            );
            let proof = consistency_proof(m, n, &within(&fx.store, n)).unwrap();
            assert_eq!(proof, fx.reference.proof(old, new), "({m}, {n})");
            verify_consistency(m, n, &old_root, &new_root, &proof).unwrap();
            if m < n {
                assert!(reference::verify_consistency(
                    m, n, &old_root, &new_root, &proof
                ));
            } else {
                assert!(proof.is_empty());
            }
        }
    }
}

/// Every single change to a valid proof or its claims must be caught, for a spread of shapes.
#[test]
fn tampered_inclusion_proofs_are_rejected() {
    let fx = fixture();
    for (i, s) in [
        (0u64, 1u64),
        (0, 2),
        (1, 2),
        (5, 8),
        (6, 7),
        (12, 13),
        (99, 300),
        (299, 300),
        (256, 257),
    ] {
        let root = fx.reference.mth(0, s as usize);
        let leaf = fx.leaves[i as usize];
        let proof = inclusion_proof(i, s, &fx.store).unwrap();
        verify_inclusion(i, s, &leaf, &proof, &root).unwrap();
        for k in 0..proof.len() {
            let mut bad = proof.clone();
            bad[k][k % 32] ^= 1;
            assert!(verify_inclusion(i, s, &leaf, &bad, &root).is_err());
        }
        let mut bad_root = root;
        bad_root[0] ^= 0x80;
        assert!(verify_inclusion(i, s, &leaf, &proof, &bad_root).is_err());
        let mut bad_leaf = leaf;
        bad_leaf[31] ^= 1;
        assert!(verify_inclusion(i, s, &bad_leaf, &proof, &root).is_err());
        for other in [i.wrapping_sub(1), i + 1, i ^ 1] {
            if other != i && other < s {
                assert!(verify_inclusion(other, s, &leaf, &proof, &root).is_err());
            }
        }
        // The size is bound through the root: a proof for one size never verifies against
        // another size's root. (Against the *same* root, a proof may also verify for another
        // size of the same shape; the signed checkpoint is what ties a root to its size.)
        for other_size in [s - 1, s + 1, s * 2] {
            if other_size > i && other_size != s && other_size as usize <= N {
                let other_root = fx.reference.mth(0, other_size as usize);
                assert!(verify_inclusion(i, other_size, &leaf, &proof, &other_root).is_err());
            }
        }
        let mut longer = proof.clone();
        longer.push(root);
        assert!(verify_inclusion(i, s, &leaf, &longer, &root).is_err());
        if !proof.is_empty() {
            assert!(verify_inclusion(i, s, &leaf, &proof[1..], &root).is_err());
            assert!(verify_inclusion(i, s, &leaf, &proof[..proof.len() - 1], &root).is_err());
        }
        assert!(matches!(
            verify_inclusion(s, s, &leaf, &proof, &root),
            Err(LedgerError::OutOfRange { .. })
        ));
    }
}

#[test]
fn tampered_consistency_proofs_are_rejected() {
    let fx = fixture();
    for (m, n) in [
        (1u64, 2u64),
        (1, 300),
        (2, 5),
        (4, 8),
        (6, 8),
        (7, 300),
        (128, 129),
        (255, 256),
        (256, 300),
        (299, 300),
    ] {
        let (r1, r2) = (
            fx.reference.mth(0, m as usize),
            fx.reference.mth(0, n as usize),
        );
        let proof = consistency_proof(m, n, &fx.store).unwrap();
        verify_consistency(m, n, &r1, &r2, &proof).unwrap();
        for k in 0..proof.len() {
            let mut bad = proof.clone();
            bad[k][(k * 7) % 32] ^= 4;
            assert!(
                verify_consistency(m, n, &r1, &r2, &bad).is_err(),
                "({m},{n}) #{k}"
            );
        }
        let mut bad = r1;
        bad[3] ^= 1;
        assert!(verify_consistency(m, n, &bad, &r2, &proof).is_err());
        let mut bad = r2;
        bad[3] ^= 1;
        assert!(verify_consistency(m, n, &r1, &bad, &proof).is_err());
        assert!(verify_consistency(m, n, &r2, &r1, &proof).is_err());
        for (m2, n2) in [(m + 1, n), (m, n + 1), (m.saturating_sub(1), n), (m, n - 1)] {
            if (m2, n2) != (m, n) && m2 <= n2 && m2 > 0 && n2 as usize <= N {
                // As for inclusion: sizes are bound through the roots of those sizes.
                let (o1, o2) = (
                    fx.reference.mth(0, m2 as usize),
                    fx.reference.mth(0, n2 as usize),
                );
                assert!(
                    verify_consistency(m2, n2, &o1, &o2, &proof).is_err(),
                    "({m},{n}) claimed as ({m2},{n2})"
                );
            }
        }
        let mut longer = proof.clone();
        longer.push(r2);
        assert!(verify_consistency(m, n, &r1, &r2, &longer).is_err());
        assert!(verify_consistency(m, n, &r1, &r2, &proof[..proof.len() - 1]).is_err());
        assert!(verify_consistency(m, n, &r1, &r2, &[]).is_err());
    }
    // The edge cases RFC 9162 leaves to implementations.
    let r = fx.reference.mth(0, 10);
    verify_consistency(10, 10, &r, &r, &[]).unwrap();
    assert!(verify_consistency(10, 10, &r, &empty_root(), &[]).is_err());
    assert!(verify_consistency(10, 10, &r, &r, &[r]).is_err());
    verify_consistency(0, 10, &empty_root(), &r, &[]).unwrap();
    assert!(verify_consistency(0, 10, &r, &r, &[]).is_err());
    assert!(verify_consistency(0, 10, &empty_root(), &r, &[r]).is_err());
    assert!(consistency_proof(0, 10, &fx.store).unwrap().is_empty());
    assert!(consistency_proof(10, 10, &fx.store).unwrap().is_empty());
}

#[test]
fn out_of_range_requests_are_refused() {
    let fx = fixture();
    let oor = |r: Result<Vec<Hash>, LedgerError>| matches!(r, Err(LedgerError::OutOfRange { .. }));
    assert!(oor(inclusion_proof(0, 0, &fx.store)));
    assert!(oor(inclusion_proof(5, 5, &fx.store)));
    assert!(oor(inclusion_proof(u64::MAX, 3, &fx.store)));
    assert!(inclusion_proof_nodes(7, 7).is_err());
    assert!(oor(consistency_proof(6, 5, &fx.store)));
    assert!(consistency_proof_nodes(u64::MAX, 0).is_err());
    assert_eq!(
        ensure_within(301, 300),
        Err(LedgerError::OutOfRange {
            requested: 301,
            size: 300
        })
    );
    ensure_within(300, 300).unwrap();
    // A size the store has not reached is a missing node, never a wrong answer or a panic.
    assert!(matches!(
        inclusion_proof(3, 301, &fx.store),
        Err(LedgerError::MissingNode(_))
    ));
    assert!(matches!(
        root_from(1000, &fx.store),
        Err(LedgerError::MissingNode(_))
    ));
    assert!(matches!(
        Frontier::from_nodes(1000, &fx.store),
        Err(LedgerError::MissingNode(_))
    ));
}

#[test]
fn huge_sizes_do_not_overflow() {
    // Node lists for the largest trees are computed without arithmetic overflow.
    let max = u64::MAX;
    assert_eq!(root_nodes(max).len(), 64);
    let ids = inclusion_proof_nodes(max - 1, max).unwrap();
    assert!(ids.len() <= 2 * 64 + 2);
    let ids = inclusion_proof_nodes(0, max).unwrap();
    assert!(ids.len() <= 2 * 64 + 2);
    let ids = consistency_proof_nodes(max / 3, max).unwrap();
    assert!(ids.len() <= 2 * 64 + 2);
    let ids = consistency_proof_nodes(1, max).unwrap();
    assert!(ids.len() <= 2 * 64 + 2);
    // A full log refuses the next leaf and stays as it was.
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&max.to_be_bytes());
    bytes.extend(std::iter::repeat_n(7u8, 64 * 32));
    let mut full = Frontier::from_bytes(&bytes).unwrap();
    let before = full.clone();
    assert_eq!(full.append([0; 32]), Err(LedgerError::Full));
    assert_eq!(full.append_all(&[[0; 32]]), Err(LedgerError::Full));
    assert_eq!(full, before);
}

#[test]
fn frontier_bytes_round_trip_and_reject_garbage() {
    let fx = fixture();
    for f in &fx.frontiers {
        let bytes = f.to_bytes();
        assert_eq!(bytes.len(), 9 + 32 * f.size().count_ones() as usize);
        assert_eq!(&Frontier::from_bytes(&bytes).unwrap(), f);
    }
    let good = fx.frontiers[N].to_bytes();
    assert!(Frontier::from_bytes(&[]).is_err());
    assert!(Frontier::from_bytes(&[1]).is_err());
    assert!(Frontier::from_bytes(&good[..good.len() - 1]).is_err());
    assert!(Frontier::from_bytes(&[&good[..], &[0]].concat()).is_err());
    let mut wrong_version = good.clone();
    wrong_version[0] = 2;
    assert!(Frontier::from_bytes(&wrong_version).is_err());
    let mut wrong_size = good.clone();
    wrong_size[8] ^= 1; // 300 → 301: one more edge hash expected
    assert!(Frontier::from_bytes(&wrong_size).is_err());
    // Arbitrary bytes never panic.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for len in 0..200 {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = Frontier::from_bytes(&junk);
    }
}

#[test]
fn append_all_equals_one_by_one() {
    let fx = fixture();
    let mut f = fx.frontiers[5].clone();
    let nodes = f.append_all(&fx.leaves[5..40]).unwrap();
    assert_eq!(f, fx.frontiers[40]);
    for (id, h) in nodes {
        assert_eq!(fx.store[&id], h);
    }
}

#[test]
fn flat_keys_are_unique_and_invertible() {
    let fx = fixture();
    let mut seen = std::collections::HashSet::new();
    for id in fx.store.keys() {
        let key = id.flat_key().unwrap();
        assert!(seen.insert(key));
        assert_eq!(NodeId::from_flat_key(key), Some(*id));
    }
    assert_eq!(NodeId::new(0, 0).flat_key(), Some(0));
    assert_eq!(NodeId::new(1, 0).flat_key(), Some(1));
    assert_eq!(NodeId::new(0, 1).flat_key(), Some(2));
    assert_eq!(NodeId::new(2, 0).flat_key(), Some(3));
    assert_eq!(NodeId::new(63, 0).flat_key(), None);
    assert_eq!(NodeId::new(0, u64::MAX).flat_key(), None);
    assert_eq!(NodeId::from_flat_key(-1), None);
    assert_eq!(NodeId::from_flat_key(i64::MAX), None);
}
