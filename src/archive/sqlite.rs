//! The embedded SQLite backend (WAL journal, one file under the data directory).

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Sqlite, SqlitePool, Transaction,
};

use super::{sql::impl_sql_archive, Result};
use crate::ledger::LogKey;

#[derive(Debug, Clone)]
pub struct SqliteArchive {
    pool: SqlitePool,
    log: Option<Arc<LogKey>>,
}

impl SqliteArchive {
    /// Opens (creating if needed) the database at `url` (`sqlite:path` or `sqlite://path`) and
    /// applies the embedded migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL is durable across application crashes; a power cut may lose the
            // last transactions but never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/archive/migrations/sqlite")
            .run(&pool)
            .await?;
        Ok(Self { pool, log: None })
    }

    /// SQLite allows one writer at a time. `BEGIN IMMEDIATE` takes the write lock up front
    /// (waiting up to the busy timeout) so a transaction never fails half-way when it turns
    /// from reading to writing.
    async fn write_transaction(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl_sql_archive!(SqliteArchive, sqlx::Sqlite, sqlx::sqlite::SqliteRow, "");

super::fsck::impl_sql_fsck!(SqliteArchive, sqlx::sqlite::SqliteRow);
