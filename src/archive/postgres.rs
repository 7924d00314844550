//! The PostgreSQL backend, for production and for several stateless replicas sharing one
//! database. The version check in every state change (`UPDATE … WHERE version = $n`) and the
//! row lock taken by the day-counter upsert make concurrent replicas safe under the default
//! READ COMMITTED isolation; appends to the log lock its head row.

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgQueryResult},
    Connection as _, Pool, Postgres, Transaction,
};

use super::{
    error::Result,
    sql::{Dialect, RowsAffected, SqlArchive, READ_HEAD_FOR_UPDATE},
};

/// The archive in a PostgreSQL database.
pub type PgArchive = SqlArchive<Postgres>;

impl SqlArchive<Postgres> {
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
        Ok(Self::new(pool))
    }
}

impl Dialect for Postgres {
    /// `FOR UPDATE` orders concurrent appends from replicas sharing the database.
    const READ_HEAD_FOR_APPEND: &'static str = READ_HEAD_FOR_UPDATE;

    async fn begin_write(pool: &Pool<Postgres>) -> Result<Transaction<'static, Postgres>> {
        Ok(pool.begin().await?)
    }

    async fn begin_write_on(conn: &mut PgConnection) -> Result<Transaction<'_, Postgres>> {
        Ok(conn.begin().await?)
    }
}

impl RowsAffected for PgQueryResult {
    fn rows_affected(&self) -> u64 {
        PgQueryResult::rows_affected(self)
    }
}
