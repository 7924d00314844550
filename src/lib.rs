//! ketqua: the five-step electronic flow of an administrative procedure, with a digital
//! signature at every step, electronic results anyone can verify, and an archive that keeps
//! every signed record retrievable for decades.
//!
//! The modules, from the inside out; each uses only those before it (docs/architecture.md has
//! the map, and `tests/layout.rs` keeps it true):
//!
//! - the domain and its primitives: [`flow`] (the procedure's rules: codes, states, who may
//!   act, deadlines, the catalog), [`crypto`] (DER, OIDs, the one algorithm policy, digests),
//!   [`ledger`] (the transparency log's Merkle tree, proofs and checkpoints);
//! - signatures: [`pki`] (credentials and their validity), [`cms`] (CAdES signatures and RFC
//!   3161 timestamps), [`pdf`] (the PDF syntax, PAdES signing and rendering), [`record`] (the
//!   signed step record);
//! - [`access`] (who may do what: callers known by their client certificates, and their
//!   grants), [`archive`] (storage), [`verify`] (the one verification engine), [`package`] (archive
//!   packages that prove themselves offline);
//! - [`service`] (the use cases), behind the gRPC and HTTP interfaces (private: other programs
//!   reach them through [`server`], the wiring of `ketqua serve`), and [`notify`], which carries
//!   events out to webhook subscribers and the message bus.
//!
//! The `ketqua` binary (`src/bin/ketqua`) is one program built on this library.

#![forbid(unsafe_code)]

pub mod access;
pub mod archive;
pub mod cms;
pub mod crypto;
pub mod flow;
mod grpc;
pub mod ledger;
pub mod notify;
pub mod package;
pub mod pdf;
pub mod pki;
pub mod proto;
pub mod record;
pub mod server;
pub mod service;
pub mod verify;
mod web;

/// The entry points most programs need.
pub use server::{serve, ServeArgs, Settings};
pub use service::{Error, Service};
pub use verify::{verify, Report, TrustConfig, Verdict};

/// Entry points the fuzz targets (`fuzz/`) need that no other program should: they exist only
/// when building with `--cfg fuzzing`, as `cargo fuzz` does.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use crate::web::multipart;
}
