//! CAdES detached signatures: CMS SignedData (RFC 5652) with the ESS signing-certificate-v2
//! attribute (RFC 5035), as used for step records and inside PAdES PDFs; and, in [`tsp`], RFC
//! 3161 timestamp tokens, issued by the built-in authority and verified.
//!
//! Signing is split in two so an official's own token can sign: [`SignedAttributes::new`]
//! gives the bytes to sign, [`assemble`] wraps the returned signature. [`sign_detached`] does
//! both with a key from the key store. [`verify_detached`] checks a signature without judging
//! its certificate; that is `verify`'s job. The DER codec and the accepted algorithms are
//! `crypto`'s.

mod algorithms;
mod attributes;
mod certificate;
mod error;
mod revocation_info;
mod sign;
mod timestamper;
pub mod tsp;
mod verify;

pub use attributes::{SignOptions, SignedAttributes};
pub use error::CmsError;
pub use revocation_info::RevocationInfo;
pub use sign::{assemble, sign_detached, sign_detached_digest};
pub use timestamper::Timestamper;
pub use verify::{verify_detached, verify_detached_digest, VerifiedSignature, MAX_CMS_LEN};

#[cfg(test)]
mod tests;
