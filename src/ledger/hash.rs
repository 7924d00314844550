//! The hashing of RFC 6962 §2.1: leaves and interior nodes with distinct one-byte prefixes,
//! so that a leaf can never be passed off as a node (second-preimage resistance).

use ring::digest;

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
