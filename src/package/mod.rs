//! Archive packages: a self-contained ZIP per dossier (or per search) that proves itself
//! offline, decades later, with nothing but the trust anchor and the log's public key.
//!
//! Layout (docs/archive.md has the full description):
//!
//! ```text
//! manifest.json                      SHA-256 of every file, Decree 30/2020 metadata
//! log.pub                            the transparency log's note verifier key
//! certs/<sha256 prefix>.der          root, CA chains and TSA certificates from the signatures
//! crls/<n>.crl                       the CRLs the service knew at export time
//! dossiers/<code>/records/NN-<step>.bin | .p7s | .proof.json
//! dossiers/<code>/documents/NN-MM-<file name>
//! dossiers/<code>/result/<result code>.pdf
//! ```
//!
//! The manifest is written last so the package streams out as it is built.
//!
//! - `manifest`: what the package says about itself;
//! - `builder`: writing one, entry by entry;
//! - `verify`: checking one offline;
//! - `zip`: the minimal stored-ZIP writer and strict reader underneath.

mod builder;
mod manifest;
mod verify;
mod zip;

pub use builder::{safe_file_name, PackageBuilder};
pub use manifest::{
    ArchivalMetadata, DocumentEntry, DossierEntry, FileEntry, Manifest, ProofFile, RecordEntry,
    RenewalEntry, ResultEntry, FORMAT, LOG_KEY_FILE, MANIFEST,
};
pub use verify::{verify_package, Report};
pub use zip::{read_all, write_all, ZipError};
