//! The built-in RFC 3161 timestamp authority, and verification of timestamp tokens.
//!
//! [`LocalTsa`] issues tokens with the key store's TSA credential: in-process through the
//! [`Timestamper`](super::Timestamper) trait (PAdES B-T/B-LTA, step records) and over HTTP
//! through [`LocalTsa::respond`], which speaks the RFC 3161 `TimeStampReq`/`TimeStampResp` wire
//! format so that `openssl ts`, pyHanko or any other standard client can use it.
//!
//! A token is a CMS SignedData (version 3) whose encapsulated content is the DER `TSTInfo`
//! (eContentType id-ct-TSTInfo), with signed attributes content-type, message-digest and ESS
//! signing-certificate-v2 (RFC 5816), signed with SHA-256. No network is needed at signing time.

mod authority;
mod failure;
mod messages;
mod token;

pub use authority::{LocalTsa, DEFAULT_POLICY};
pub use messages::{request, token_from_response};
pub use token::{verify_token, TimestampInfo};

#[cfg(test)]
mod tests;
