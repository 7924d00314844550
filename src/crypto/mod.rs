//! The bottom of the cryptographic layers, knowing nothing of the domain: the DER codec
//! ([`der`]), every object identifier the crate uses ([`oid`]), the one algorithm policy (which
//! key, signature and digest algorithms are accepted where, and the `ring` algorithm behind
//! each) and SHA-256. `pki`, `cms` and `verify` build on it and ask it; it asks nothing above.

mod algorithms;
pub mod der;
mod digest;
mod identifier;
pub mod oid;

pub use algorithms::{
    CertificateSignatureAlgorithm, DigestAlgorithm, KeyAlgorithm, SignatureAlgorithm, Signing,
    CERTIFICATE_SIGNATURE_ALGORITHMS, CMS_DIGESTS, MIN_RSA_BITS, TIMESTAMP_IMPRINT_DIGESTS,
};
pub use digest::{sha256, Sha256};
pub use identifier::AlgorithmError;
