//! The gRPC interface: one file per tonic service (`Dossiers`, `Signing`, `Verification`,
//! `Archive`), the conversions between wire messages and domain types, the framing of streamed
//! uploads and downloads, and the mapping of `service::Error` to status codes. No business rule
//! lives here: every call becomes one use case of [`crate::service`].

mod archive;
mod callers;
mod convert;
mod dossiers;
mod signing;
mod status;
mod streams;
mod verification;

pub use archive::{archive_server, ArchiveApi};
pub use dossiers::{dossiers_server, DossiersApi};
pub use signing::{signing_server, SigningApi};
pub use status::panic_response;
pub use verification::{verification_server, VerificationApi};
