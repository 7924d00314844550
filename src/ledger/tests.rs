//! Tests against an independent reference: RFC 6962 §2.1 written out naively here (recursive
//! MTH, PATH, SUBPROOF, and the RFC 9162 verification algorithms), using ring directly and none
//! of the module's helpers, so that a shared mistake cannot make both sides agree.

use std::collections::HashMap;

use super::*;

mod reference {
    use ring::digest::{digest, SHA256};
    use std::collections::HashMap;

    pub type H = [u8; 32];

    fn sha(data: &[u8]) -> H {
        let mut h = [0u8; 32];
        h.copy_from_slice(digest(&SHA256, data).as_ref());
        h
    }

    pub fn leaf(data: &[u8]) -> H {
        let mut v = vec![0u8];
        v.extend_from_slice(data);
        sha(&v)
    }

    pub fn inner(l: &H, r: &H) -> H {
        let mut v = vec![1u8];
        v.extend_from_slice(l);
        v.extend_from_slice(r);
        sha(&v)
    }

    /// k: the largest power of two smaller than n (RFC 6962 §2.1), found by counting up.
    fn k_of(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// The leaves D[0..N] of a test log, and a memo of MTH over its sub-ranges (MTH of a range
    /// does not depend on the tree size around it, which makes the exhaustive tests fast).
    pub struct Tree {
        pub data: Vec<Vec<u8>>,
        memo: std::cell::RefCell<HashMap<(usize, usize), H>>,
    }

    impl Tree {
        pub fn new(data: Vec<Vec<u8>>) -> Self {
            Tree {
                data,
                memo: Default::default(),
            }
        }

        /// MTH(D[a:b]), naively recursive.
        pub fn mth(&self, a: usize, b: usize) -> H {
            if let Some(h) = self.memo.borrow().get(&(a, b)) {
                return *h;
            }
            let n = b - a;
            let h = match n {
                0 => sha(b""),
                1 => leaf(&self.data[a]),
                _ => {
                    let k = k_of(n);
                    inner(&self.mth(a, a + k), &self.mth(a + k, b))
                }
            };
            self.memo.borrow_mut().insert((a, b), h);
            h
        }

        /// PATH(m, D[a:b]) from RFC 6962 §2.1.1.
        pub fn path(&self, m: usize, a: usize, b: usize) -> Vec<H> {
            let n = b - a;
            if n == 1 {
                return vec![];
            }
            let k = k_of(n);
            if m < k {
                let mut p = self.path(m, a, a + k);
                p.push(self.mth(a + k, b));
                p
            } else {
                let mut p = self.path(m - k, a + k, b);
                p.push(self.mth(a, a + k));
                p
            }
        }

        /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) from RFC 6962 §2.1.2.
        pub fn proof(&self, m: usize, n: usize) -> Vec<H> {
            self.subproof(m, 0, n, true)
        }

        fn subproof(&self, m: usize, a: usize, b: usize, whole: bool) -> Vec<H> {
            let n = b - a;
            if m == n {
                return if whole { vec![] } else { vec![self.mth(a, b)] };
            }
            let k = k_of(n);
            if m <= k {
                let mut p = self.subproof(m, a, a + k, whole);
                p.push(self.mth(a + k, b));
                p
            } else {
                let mut p = self.subproof(m - k, a + k, b, false);
                p.push(self.mth(a, a + k));
                p
            }
        }
    }

    /// RFC 9162 §2.1.3.2, step by step.
    pub fn verify_inclusion(index: u64, size: u64, leaf: &H, path: &[H], root: &H) -> bool {
        if index >= size {
            return false;
        }
        let (mut f, mut s) = (index, size - 1);
        let mut r = *leaf;
        for p in path {
            if s == 0 {
                return false;
            }
            if f % 2 == 1 || f == s {
                r = inner(p, &r);
                if f % 2 == 0 {
                    loop {
                        f /= 2;
                        s /= 2;
                        if f % 2 == 1 || f == 0 {
                            break;
                        }
                    }
                }
            } else {
                r = inner(&r, p);
            }
            f /= 2;
            s /= 2;
        }
        s == 0 && r == *root
    }

    /// RFC 9162 §2.1.4.2, step by step (for 0 < first < second).
    pub fn verify_consistency(first: u64, second: u64, h1: &H, h2: &H, path: &[H]) -> bool {
        if path.is_empty() || first == 0 || first >= second {
            return false;
        }
        let mut path = path.to_vec();
        if first.count_ones() == 1 {
            path.insert(0, *h1);
        }
        let (mut f, mut s) = (first - 1, second - 1);
        while f % 2 == 1 {
            f /= 2;
            s /= 2;
        }
        let (mut fr, mut sr) = (path[0], path[0]);
        for c in &path[1..] {
            if s == 0 {
                return false;
            }
            if f % 2 == 1 || f == s {
                fr = inner(c, &fr);
                sr = inner(c, &sr);
                if f % 2 == 0 {
                    while f % 2 == 0 && f != 0 {
                        f /= 2;
                        s /= 2;
                    }
                }
            } else {
                sr = inner(&sr, c);
            }
            f /= 2;
            s /= 2;
        }
        fr == *h1 && sr == *h2 && s == 0
    }
}

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

// ---- checkpoints ---------------------------------------------------------------------------

fn sample_checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "ketqua.dev/log".into(),
        size: 300,
        root: leaf_hash(b"root"),
        time_unix: 1_767_225_600,
    }
}

#[test]
fn checkpoint_sign_open_round_trip() {
    let (key, pkcs8) = LogKey::generate("ketqua.dev/log").unwrap();
    let cp = sample_checkpoint();
    let note = cp.sign(&key).unwrap();
    let body = cp.body().unwrap();
    assert!(note.starts_with(&body));
    assert_eq!(body.lines().count(), 4);
    assert!(body.ends_with("\ntime 1767225600\n"));
    assert!(note[body.len()..].starts_with("\n\u{2014} ketqua.dev/log "));
    assert_eq!(Checkpoint::open(&note, &key.verifier()).unwrap(), cp);
    // The stored PKCS#8 gives back the same key.
    let again = LogKey::from_pkcs8("ketqua.dev/log", &pkcs8).unwrap();
    assert_eq!(again.verifier(), key.verifier());
    assert_eq!(
        Checkpoint::open(&cp.sign(&again).unwrap(), &key.verifier()).unwrap(),
        cp
    );
    // Empty tree, negative time: still one canonical text each.
    let empty = Checkpoint {
        size: 0,
        root: empty_root(),
        time_unix: -1,
        ..cp
    };
    assert_eq!(
        Checkpoint::open(&empty.sign(&key).unwrap(), &key.verifier()).unwrap(),
        empty
    );
}

#[test]
fn checkpoint_tampering_and_other_keys_are_rejected() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let note = sample_checkpoint().sign(&key).unwrap();
    let bytes = note.as_bytes();
    // Flip each byte of the note (staying valid UTF-8 by only touching ASCII bytes).
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii() || bytes[i] == b'\n' {
            continue;
        }
        let mut b = bytes.to_vec();
        b[i] ^= 0x01;
        if let Ok(s) = String::from_utf8(b) {
            assert!(Checkpoint::open(&s, &v).is_err(), "byte {i} changed: {s:?}");
        }
    }
    // A key with the same name but other material, and another name.
    let (other, _) = LogKey::generate("ketqua.dev/log").unwrap();
    assert_eq!(
        Checkpoint::open(&note, &other.verifier()),
        Err(LedgerError::BadSignature)
    );
    let (renamed, _) = LogKey::generate("other.example/log").unwrap();
    assert_eq!(
        Checkpoint::open(&note, &renamed.verifier()),
        Err(LedgerError::BadSignature)
    );
    // A forged line claiming our name and key id, with another key's signature.
    let other_note = sample_checkpoint().sign(&other).unwrap();
    let (head, blob_b64) = other_note.trim_end().rsplit_once(' ').unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut blob = base64::Engine::decode(&b64, blob_b64).unwrap();
    blob[..4].copy_from_slice(&v.key_id);
    let forged = format!("{head} {}\n", base64::Engine::encode(&b64, blob));
    assert_eq!(
        Checkpoint::open(&forged, &v),
        Err(LedgerError::BadSignature)
    );
    // Cosignatures by other keys are ignored, in any order.
    let (witness, _) = LogKey::generate("witness.example").unwrap();
    let body = sample_checkpoint().body().unwrap();
    let witness_line = sample_checkpoint().sign(&witness).unwrap()[body.len() + 1..].to_string();
    let cosigned = format!("{note}{witness_line}");
    assert_eq!(
        Checkpoint::open(&cosigned, &v).unwrap(),
        sample_checkpoint()
    );
    let witness_first = format!("{body}\n{witness_line}{}", &note[body.len() + 1..]);
    assert_eq!(
        Checkpoint::open(&witness_first, &v).unwrap(),
        sample_checkpoint()
    );
    assert_eq!(
        Checkpoint::open(&sample_checkpoint().sign(&witness).unwrap(), &v),
        Err(LedgerError::BadSignature)
    );
}

#[test]
fn malformed_notes_are_rejected_without_panic() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let sign_text = |text: &str| -> String {
        // A correctly signed note over arbitrary text: only the body parser can object.
        format!("{text}\n{}", key.signature_line(text))
    };
    let bad_bodies = [
        "ketqua.dev/log\n300\n",
        "ketqua.dev/log\n300\nAAAA\ntime 1\n",
        "ketqua.dev/log\n0300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n+300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 01\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime  1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nTime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\ntime 1\n",
        "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\nextra\n",
        "\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
        "ketqua.dev/log\n18446744073709551616\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n",
    ];
    // The good one parses, so each failure below is the one change made.
    let good = "ketqua.dev/log\n300\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 1\n";
    assert_eq!(Checkpoint::open(&sign_text(good), &v).unwrap().size, 300);
    for body in bad_bodies {
        assert!(
            matches!(
                Checkpoint::open(&sign_text(body), &v),
                Err(LedgerError::Malformed(_))
            ),
            "{body:?}"
        );
    }
    let note = sample_checkpoint().sign(&key).unwrap();
    let body = sample_checkpoint().body().unwrap();
    let sig_line = &note[body.len() + 1..];
    let bad_notes = [
        String::new(),
        "\n".into(),
        "\n\n".into(),
        body.clone(),
        format!("{body}\n"),
        note.trim_end().to_string(),
        note.replace('\u{2014}', "-"),
        note.replace("\u{2014} ", "\u{2014}"),
        format!("{body}{sig_line}"),
        format!("{body}\n\n{sig_line}"),
        format!("{note}\n"),
        format!("{note}garbage\n"),
        format!("{body}\n\u{2014} ketqua.dev/log\n"),
        format!("{body}\n\u{2014} ketqua.dev/log !!!!\n"),
        format!("{body}\n\u{2014} ketqua.dev/log AAAA\n"),
        format!("{body}\n\u{2014}  {}", &sig_line[4..]),
        note.replace("300", "3\u{0}0"),
        note.replace('\n', "\r\n"),
        format!("{body}\n{}", sig_line.repeat(101)),
    ];
    for n in &bad_notes {
        assert!(Checkpoint::open(n, &v).is_err(), "{n:?}");
    }
    // Every prefix of a good note, at character boundaries, fails cleanly.
    for (i, _) in note.char_indices() {
        assert!(Checkpoint::open(&note[..i], &v).is_err());
    }
    // A bad origin cannot be signed into a note.
    for origin in ["", "a\nb", "tab\there"] {
        let cp = Checkpoint {
            origin: origin.into(),
            ..sample_checkpoint()
        };
        assert!(cp.sign(&key).is_err(), "{origin:?}");
    }
}

#[test]
fn vkey_round_trip_and_rejects_manglings() {
    let (key, _) = LogKey::generate("ketqua.dev/log").unwrap();
    let v = key.verifier();
    let vkey = v.to_vkey();
    assert!(vkey.starts_with(&format!("ketqua.dev/log+{}+A", hex::encode(v.key_id))));
    assert_eq!(LogVerifier::from_vkey(&vkey).unwrap(), v);
    assert_eq!(LogVerifier::from_vkey(&format!("{vkey}\n")).unwrap(), v);
    // As the Go reference's tests do: every strict substring and every single-byte bump fails.
    let b = vkey.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if (i, j) != (0, b.len()) {
                if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                    assert!(LogVerifier::from_vkey(s).is_err(), "{s:?}");
                }
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        if let Ok(s) = String::from_utf8(m) {
            assert!(LogVerifier::from_vkey(&s).is_err(), "{s:?}");
        }
    }
    assert!(LogKey::generate("bad name").is_err());
    assert!(LogKey::generate("bad+name").is_err());
    assert!(LogKey::generate("").is_err());
    assert!(LogKey::from_pkcs8("ketqua.dev/log", b"not a key").is_err());
}

/// Known answers from the Go reference implementation of signed notes
/// (golang.org/x/mod/sumdb/note, note_test.go): its key "PeterNeumann", given there as the
/// private key "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
/// (0x01 || Ed25519 seed), must give the same key id (the first 4 bytes of
/// SHA-256(name || "\n" || 0x01 || public key)), the same vkey, and, Ed25519 being
/// deterministic, the very same signature line.
#[test]
fn signed_note_known_answer_from_the_go_reference() {
    use base64::Engine;
    let skey = base64::engine::general_purpose::STANDARD
        .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .unwrap();
    assert_eq!(skey[0], 0x01);
    let key = LogKey::from_seed("PeterNeumann", &skey[1..]).unwrap();
    assert_eq!(
        key.verifier().to_vkey(),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    );
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    assert_eq!(
        key.signature_line(text),
        "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let v = LogVerifier::from_vkey(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    .unwrap();
    assert_eq!(v, key.verifier());
}
