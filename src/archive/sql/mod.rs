//! The SQL archive, shared by SQLite and PostgreSQL: both speak the same statements
//! (`queries`), read rows through the same mappers (`mappers`), and run the same writes, each
//! generic over the database (`backend`). Only how a write transaction begins and how the log
//! head is locked differ; `sqlite.rs` and `postgres.rs` supply them as a `Dialect`.
//!
//! One file per contract: `flow` (the writes), `events` (the outbox and its deliveries), `log`, `retrieval`, `sessions`, `renewals`,
//! `integrity` (fsck's storage checks); `writer`, the group commit the flow's writes go through, and `writes`, their statements.

mod activation;
mod archive;
mod backend;
mod events;
mod flow;
mod integrity;
mod log;
mod mappers;
mod queries;
mod renewals;
mod retrieval;
mod sessions;
mod tree;
mod writer;
mod writes;

pub use archive::SqlArchive;
pub use backend::{Dialect, RowsAffected};
pub use queries::{READ_HEAD, READ_HEAD_FOR_UPDATE};
