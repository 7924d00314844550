//! ketqua: the five-step electronic flow of an administrative procedure, with a digital
//! signature at every step, electronic results anyone can verify, and an archive that keeps
//! every signed record retrievable for decades.
//!
//! Modules, from the inside out (each depends only on those before it; see
//! docs/architecture.md): [`flow`] (pure domain rules), [`pki`] (credentials), [`cms`]
//! (CAdES signatures), [`pdf`], [`record`] (signed step records), [`archive`] (storage),
//! [`service`] (use cases), then the edges: [`api`] (gRPC), [`web`] (HTTP), [`config`],
//! [`server`] and [`cli`].

pub mod archive;
pub mod cms;
pub mod crypto;
pub mod flow;
pub mod grpc;
pub mod ledger;
pub mod package;
pub mod pdf;
pub mod pki;
pub mod proto;
pub mod record;
pub mod server;
pub mod service;
pub mod verify;
pub mod web;

/// Entry points the fuzz targets (`fuzz/`) need that no other program should: they exist only
/// when building with `--cfg fuzzing`, as `cargo fuzz` does.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use crate::web::multipart;
}
