//! RFC 6962 §2.1 written out naively (recursive MTH, PATH, SUBPROOF, and the RFC 9162
//! verification algorithms), using ring directly and none of the module's helpers, so that a
//! shared mistake cannot make both sides agree.

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
