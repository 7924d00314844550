//! What the shared SQL needs from a database driver, and the little that differs between the
//! two. [`Backend`] runs a statement with its parameters and [`Columns`] reads a row's typed
//! columns: both are written once over sqlx's traits, for any database that binds and decodes
//! the archive's three column types (integers, text, bytes). [`Dialect`] and
//! [`RowsAffected`] are the per-database glue that `sqlite.rs` and `postgres.rs` supply.

use std::future::Future;

use sqlx::{
    query::Query, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row,
    Transaction, Type,
};

use crate::archive::error::{ArchiveError, Result};

/// A value for one `$n` placeholder; `None` binds NULL. Every column the archive writes is an
/// integer, text or bytes.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param<'_> {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Param::Text(value.as_deref())
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(value: &'a [u8]) -> Self {
        Param::Bytes(Some(value))
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Param::Bytes(Some(value))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Param<'a> {
    fn from(value: &'a [u8; N]) -> Self {
        Param::Bytes(Some(value))
    }
}

/// A statement's parameters in placeholder order: `params![a, b, c]` binds `$1, $2, $3`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        [$($crate::archive::sql::backend::Param::from($value)),*]
    };
}
pub(crate) use params;

/// Running statements, for any sqlx database whose rows have the archive's [`Columns`].
/// Implemented once, below; the rest of the SQL code is generic over it.
pub trait Backend: Database<Row: Columns, QueryResult: RowsAffected> {
    /// `sql` with `params` bound to its placeholders.
    fn query<'a>(sql: &'a str, params: &'a [Param<'a>]) -> Query<'a, Self, Self::Arguments<'a>>;

    /// Runs a statement; how many rows it changed.
    fn execute<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<u64>> + Send + 'a;

    /// Runs a query; every row it returns.
    fn fetch_all<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Vec<Self::Row>>> + Send + 'a;

    /// Runs statements without parameters, separated by `;`, in one round trip (sqlx's
    /// `raw_sql`: the simple query protocol on PostgreSQL).
    fn execute_script<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
    ) -> impl Future<Output = Result<()>> + Send + 'a;
}

impl<DB> Backend for DB
where
    DB: Database<Row: Columns, QueryResult: RowsAffected>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    fn query<'a>(sql: &'a str, params: &'a [Param<'a>]) -> Query<'a, DB, DB::Arguments<'a>> {
        params
            .iter()
            .fold(sqlx::query(sql), |query, param| match *param {
                Param::Int(value) => query.bind(value),
                Param::Text(value) => query.bind(value),
                Param::Bytes(value) => query.bind(value),
            })
    }

    async fn execute<'a>(
        conn: &'a mut DB::Connection,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> Result<u64> {
        let done = Self::query(sql, params).execute(conn).await?;
        Ok(done.rows_affected())
    }

    async fn fetch_all<'a>(
        conn: &'a mut DB::Connection,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> Result<Vec<DB::Row>> {
        Ok(Self::query(sql, params).fetch_all(conn).await?)
    }

    async fn execute_script<'a>(conn: &'a mut DB::Connection, sql: &'a str) -> Result<()> {
        conn.execute(sqlx::raw_sql(sql)).await?;
        Ok(())
    }
}

/// Rows in one multi-row `INSERT` at most: 64 × the widest table's 11 columns stays far below
/// either database's limit of parameters.
const ROWS_PER_INSERT: usize = 64;

/// Inserts rows of `columns` parameters each (`params` holds them one row after another) with
/// `insert` (`INSERT INTO t (a, b) VALUES `) and `tail` after the rows (e.g. an `ON CONFLICT`
/// clause, or nothing), as few statements as possible: every statement
/// is a round trip to the database (for SQLite, to its worker thread and back), and a group
/// commit inserts dozens of log nodes, leaves and events. Chunks are powers of two, so a table
/// needs at most seven statement texts (each prepared once per connection).
pub async fn insert_rows<B: Backend>(
    conn: &mut B::Connection,
    insert: &str,
    columns: usize,
    params: &[Param<'_>],
    tail: &str,
) -> Result<()> {
    if columns == 0 || params.len() % columns != 0 {
        return Err(ArchiveError::Corrupt(format!(
            "{} parameters are not rows of {columns}",
            params.len()
        )));
    }
    let mut rest = params;
    while !rest.is_empty() {
        let chunk = chunk_rows(rest.len() / columns);
        let (now, later) = rest.split_at(chunk * columns);
        let mut sql = multi_row_sql(insert, columns, chunk);
        sql.push_str(tail);
        B::execute(conn, &sql, now).await?;
        rest = later;
    }
    Ok(())
}

/// How many of `rows` (at least one) the next statement inserts: the largest power of two not
/// above them, at most [`ROWS_PER_INSERT`].
fn chunk_rows(rows: usize) -> usize {
    1 << rows.clamp(1, ROWS_PER_INSERT).ilog2()
}

/// `insert` followed by `rows` groups of `columns` numbered placeholders.
fn multi_row_sql(insert: &str, columns: usize, rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(insert.len() + rows * columns * 6);
    sql.push_str(insert);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", row * columns + column + 1);
        }
        sql.push(')');
    }
    sql
}

/// The only row of a query that returns at most one.
pub async fn fetch_optional<B: Backend>(
    conn: &mut B::Connection,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Option<B::Row>> {
    Ok(B::fetch_all(conn, sql, params).await?.into_iter().next())
}

/// The row of a query that returns exactly one; none is sqlx's `RowNotFound`.
pub async fn fetch_one<B: Backend>(
    conn: &mut B::Connection,
    sql: &str,
    params: &[Param<'_>],
) -> Result<B::Row> {
    fetch_optional::<B>(conn, sql, params)
        .await?
        .ok_or(ArchiveError::Database(sqlx::Error::RowNotFound))
}

/// The row of a query that returns at most one, mapped by `map`.
pub async fn fetch_optional_as<B: Backend, T>(
    conn: &mut B::Connection,
    sql: &str,
    params: &[Param<'_>],
    map: fn(&B::Row) -> Result<T>,
) -> Result<Option<T>> {
    fetch_optional::<B>(conn, sql, params)
        .await?
        .as_ref()
        .map(map)
        .transpose()
}

/// Every row of a query, mapped by `map`.
pub async fn fetch_all_as<B: Backend, T>(
    conn: &mut B::Connection,
    sql: &str,
    params: &[Param<'_>],
    map: fn(&B::Row) -> Result<T>,
) -> Result<Vec<T>> {
    B::fetch_all(conn, sql, params)
        .await?
        .iter()
        .map(map)
        .collect()
}

/// Reads one column of type `T`.
pub trait Column<T> {
    /// The column called `name`.
    fn get(&self, name: &str) -> Result<T>;

    /// The first column, for scalars without a portable name (`SELECT COUNT(*)`).
    fn first(&self) -> Result<T>;
}

impl<R, T> Column<T> for R
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
{
    fn get(&self, name: &str) -> Result<T> {
        Ok(self.try_get(name)?)
    }

    fn first(&self) -> Result<T> {
        Ok(self.try_get(0)?)
    }
}

/// A row with every column type the archive reads.
pub trait Columns:
    Column<i64>
    + Column<Option<i64>>
    + Column<String>
    + Column<Option<String>>
    + Column<Vec<u8>>
    + Column<Option<Vec<u8>>>
{
}

impl<R> Columns for R where
    R: Column<i64>
        + Column<Option<i64>>
        + Column<String>
        + Column<Option<String>>
        + Column<Vec<u8>>
        + Column<Option<Vec<u8>>>
{
}

/// How many rows a statement changed: sqlx's result types have no common trait for it.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

/// What differs between the databases: how a transaction that will write begins, and how the
/// log head is read for an append.
pub trait Dialect: Backend + Sync {
    /// Reads the log head's size and frontier, locking the row until the transaction ends
    /// where the database has row locks (`FOR UPDATE`); SQLite's write transaction already
    /// excludes every other writer.
    const READ_HEAD_FOR_APPEND: &'static str;

    /// Begins a transaction that will write.
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>>> + Send;

    /// Begins a transaction that will write on a connection the caller holds (the group
    /// commit's writer keeps one, so it never queues for the pool behind the readers).
    fn begin_write_on(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<Transaction<'_, Self>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::{chunk_rows, multi_row_sql, ROWS_PER_INSERT};

    #[test]
    fn rows_go_in_power_of_two_chunks() {
        let chunks = |mut rows: usize| {
            let mut sizes = Vec::new();
            while rows > 0 {
                let chunk = chunk_rows(rows);
                sizes.push(chunk);
                rows -= chunk;
            }
            sizes
        };
        assert_eq!(chunks(1), [1]);
        assert_eq!(chunks(7), [4, 2, 1]);
        assert_eq!(chunks(64), [64]);
        assert_eq!(chunks(200), [64, 64, 64, 8]);
        assert_eq!(ROWS_PER_INSERT.count_ones(), 1, "a power of two");
    }

    #[test]
    fn multi_row_placeholders_are_numbered_row_after_row() {
        assert_eq!(
            multi_row_sql("INSERT INTO t (a, b) VALUES ", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(multi_row_sql("I ", 1, 1), "I ($1)");
    }
}
