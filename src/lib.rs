//! ketqua: the five-step electronic flow of an administrative procedure, with a digital
//! signature at every step, electronic results anyone can verify, and an archive that keeps
//! every signed record retrievable for decades.
//!
//! Modules, from the inside out (each depends only on those before it; see
//! docs/architecture.md): [`flow`] (pure domain rules), [`pki`] (credentials), [`cms`]
//! (CAdES signatures), [`pdf`], [`record`] (signed step records), [`archive`] (storage),
//! [`service`] (use cases), then the edges: [`api`] (gRPC), [`web`] (HTTP), [`config`],
//! [`server`] and [`cli`].

pub mod api;
pub mod api_verification;
pub mod archive;
pub mod archive_cli;
pub mod bench;
pub mod bench_verify;
pub mod cli;
pub mod cms;
pub mod config;
pub mod crypto;
pub mod flow;
pub mod fsck;
pub mod ledger;
pub mod package;
pub mod pdf;
pub mod pki;
pub mod record;
pub mod server;
pub mod service;
pub mod verify;
pub mod verify_cmd;
pub mod web;
pub mod web_verify;

/// Code generated from `proto/ketqua/v1`: the public API and the step record format.
pub mod proto {
    pub mod v1 {
        tonic::include_proto!("ketqua.v1");
    }

    /// The encoded descriptors of our protos, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/ketqua_descriptor.bin"));
}
