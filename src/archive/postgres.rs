//! The PostgreSQL backend, for production and for several stateless replicas sharing one
//! database. The version check in every state change (`UPDATE … WHERE version = $n`) and the
//! row lock taken by the day-counter upsert make concurrent replicas safe under the default
//! READ COMMITTED isolation.

use std::{sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool, Postgres, Transaction,
};

use super::{sql::impl_sql_archive, BlobStores, Result};
use crate::ledger::LogKey;

#[derive(Debug, Clone)]
pub struct PgArchive {
    pool: PgPool,
    log: Option<Arc<LogKey>>,
    /// Where document bytes go: the `blobs` rows unless a store is set (`with_blob_store`).
    blobs: BlobStores,
}

impl PgArchive {
    /// Connects to `url` (`postgres://…`) and applies the embedded migrations. Several
    /// processes may start at once: sqlx serialises migrations with an advisory lock.
    pub async fn open(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/archive/migrations/postgres")
            .run(&pool)
            .await?;
        Ok(Self {
            pool,
            log: None,
            blobs: BlobStores::default(),
        })
    }

    async fn write_transaction(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

impl_sql_archive!(
    PgArchive,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    " FOR UPDATE"
);

super::fsck::impl_sql_fsck!(PgArchive, sqlx::postgres::PgRow);
