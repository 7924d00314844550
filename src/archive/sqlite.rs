//! The embedded SQLite backend (WAL journal, one file under the data directory): how it opens,
//! and the `Dialect` of the shared SQL archive.

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
        SqliteQueryResult, SqliteSynchronous,
    },
    Connection as _, Pool, Sqlite, Transaction,
};

use super::{
    error::Result,
    sql::{Dialect, RowsAffected, SqlArchive, READ_HEAD},
};

/// The archive in one SQLite file.
pub type SqliteArchive = SqlArchive<Sqlite>;

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// The process being killed (`kill -9`, a crash): SQLite's WAL with `synchronous=NORMAL`,
    /// no fsync at commit. A power cut may lose the last commits, never corrupts the file.
    #[default]
    Crash,
    /// Also a power cut: `synchronous=FULL`, one fsync of the WAL per commit — per group
    /// commit, so a batch of steps shares it. (PostgreSQL's is the server's own setting,
    /// `synchronous_commit`, whose default already survives power loss.)
    PowerLoss,
}

impl std::str::FromStr for Durability {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "crash" => Ok(Self::Crash),
            "power-loss" => Ok(Self::PowerLoss),
            other => Err(format!("{other:?}: use crash or power-loss")),
        }
    }
}

impl SqlArchive<Sqlite> {
    /// Opens (creating if needed) the database at `url` (`sqlite:path` or `sqlite://path`) and
    /// applies the embedded migrations; commits survive a crash of the process.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, Durability::Crash).await
    }

    /// [`SqlArchive::open`] with commits as durable as `durability` says.
    pub async fn open_with(url: &str, durability: Durability) -> Result<Self> {
        let synchronous = match durability {
            Durability::Crash => SqliteSynchronous::Normal,
            Durability::PowerLoss => SqliteSynchronous::Full,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Savepoint sub-journals (the group commit opens one per write of a batch) and
            // temporary sort trees in memory, not in a temporary file created and unlinked
            // under /var/tmp for every batch (`etilqs_…`, seen with strace): a file system
            // round trip for nothing, and on ext4 every recently unlinked inode is one the
            // allocator scans past when a blob file is created (`recently_deleted` was 10 % of
            // the server's CPU after many deletions, perf). What they hold is bounded: a
            // batch's changed pages, a sort.
            .pragma("temp_store", "MEMORY");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection to a file in this process cannot go stale, and the check sqlx
            // makes before lending one out is a round trip to the connection's worker thread:
            // one for every read of every step.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/archive/migrations/sqlite")
            .run(&pool)
            .await?;
        Ok(Self::new(pool))
    }
}

impl Dialect for Sqlite {
    /// SQLite's write transaction is the only writer: the head needs no row lock.
    const READ_HEAD_FOR_APPEND: &'static str = READ_HEAD;

    /// SQLite allows one writer at a time. `BEGIN IMMEDIATE` takes the write lock up front
    /// (waiting up to the busy timeout) so a transaction never fails half-way when it turns
    /// from reading to writing.
    async fn begin_write(pool: &Pool<Sqlite>) -> Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn begin_write_on(conn: &mut SqliteConnection) -> Result<Transaction<'_, Sqlite>> {
        Ok(conn.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl RowsAffected for SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        SqliteQueryResult::rows_affected(self)
    }
}

#[cfg(test)]
mod tests {
    //! Blob placement through the archive's contracts, on the embedded backend (the SQL is the
    //! same for PostgreSQL; the integration tests run both).

    use std::{path::Path, sync::Arc};

    use super::*;
    use crate::{
        archive::{
            blobs::{BlobStore, FileBlobStore, FILES},
            contracts::{FlowStore, IntegrityStore, RetrievalStore},
            error::ArchiveError,
            rows::{AuditEntry, FsckReport, NewDocument, NewDossier, NewRecord, RequestMark},
        },
        ledger::LogKey,
    };

    async fn open(dir: &Path) -> SqliteArchive {
        let url = format!("sqlite://{}", dir.join("ketqua.db").display());
        let (key, _) = LogKey::generate("test.local/log").unwrap();
        SqliteArchive::open(&url)
            .await
            .unwrap()
            .with_log(Arc::new(key))
    }

    /// Receives a dossier attaching `content`; `request_id` must be new unless a race is wanted.
    async fn receive(
        archive: &SqliteArchive,
        request_id: &str,
        content: &[u8],
    ) -> Result<[u8; 32], ArchiveError> {
        let sha256 = crate::crypto::sha256(content);
        let new = NewDossier {
            agency: "000.00.12.H47".parse().unwrap(),
            received_on: time::macros::date!(2026 - 11 - 22),
            procedure_code: "2.000488".into(),
            department: "stp".into(),
            applicant_id: "001099012345".into(),
            applicant_name: "Nguyễn Văn An".into(),
            state: "received".into(),
            received_at_ms: 1,
            due_date: "2026-11-30".into(),
            channel: "desk".into(),
            contact_phone: None,
            contact_email: None,
            event: Default::default(),
        };
        let request = RequestMark {
            request_id: request_id.into(),
            method: "Receive".into(),
            fingerprint: [0; 32],
            at_ms: 1,
        };
        let document = NewDocument {
            name: "scan".into(),
            media_type: "application/pdf".into(),
            sha256,
            content: content.to_vec(),
        };
        // The archive never interprets a record: any bytes do, as long as each is unique.
        archive
            .create_dossier(
                new,
                vec![document],
                request,
                AuditEntry::default(),
                |code| {
                    let record = code.to_string().into_bytes();
                    Ok::<_, ArchiveError>(NewRecord {
                        sequence: 1,
                        step: "receive".into(),
                        record_sha256: crate::crypto::sha256(&record),
                        record,
                        signature: vec![1],
                        credential_id: "stp-receiver".into(),
                        time_ms: 1,
                        documents: Vec::new(),
                    })
                },
            )
            .await?;
        Ok(sha256)
    }

    /// fsck's blob checks, the part of fsck this module's tests are about.
    async fn fsck_blobs(archive: &SqliteArchive) -> Result<FsckReport, ArchiveError> {
        let mut report = FsckReport::default();
        archive.check_blobs(&mut report).await?;
        Ok(report)
    }

    async fn placement(archive: &SqliteArchive, sha256: &[u8]) -> (String, Vec<u8>) {
        let row = sqlx::query("SELECT stored_in, content FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_one(&archive.pool)
            .await
            .unwrap();
        use sqlx::Row;
        (row.get("stored_in"), row.get("content"))
    }

    #[tokio::test]
    async fn by_default_blobs_stay_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let archive = open(dir.path()).await;
        let sha = receive(&archive, "r1", b"a scan").await.unwrap();
        assert_eq!(
            placement(&archive, &sha).await,
            ("database".to_owned(), b"a scan".to_vec())
        );
        assert_eq!(archive.blob(&sha).await.unwrap(), Some(b"a scan".to_vec()));
        assert_eq!(archive.blob(&[0; 32]).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_blob_store_holds_the_bytes_and_the_row_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let files = Arc::new(FileBlobStore::new(dir.path().join("blobs")));
        let archive = open(dir.path()).await.with_blob_store(files.clone());
        let sha = receive(&archive, "r1", b"a scan").await.unwrap();
        assert_eq!(
            placement(&archive, &sha).await,
            (FILES.to_owned(), Vec::new())
        );
        let path = files.path_of(&sha).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a scan");
        assert_eq!(archive.blob(&sha).await.unwrap(), Some(b"a scan".to_vec()));
        // The same scan attached again is one row and one file.
        receive(&archive, "r2", b"a scan").await.unwrap();
        assert_eq!(files.list().await.unwrap(), vec![sha]);

        // A lost file is an error naming the blob and the store, never "no such blob".
        std::fs::remove_file(&path).unwrap();
        let error = archive.blob(&sha).await.unwrap_err();
        assert!(
            matches!(error, ArchiveError::BlobMissing { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&hex::encode(sha)), "{text}");
        assert!(text.contains(&files.describe()), "{text}");
        // Attaching the same scan again restores it.
        receive(&archive, "r3", b"a scan").await.unwrap();
        assert_eq!(archive.blob(&sha).await.unwrap(), Some(b"a scan".to_vec()));

        // Bytes that are not the blob's are refused.
        std::fs::write(&path, b"a scan!").unwrap();
        let error = archive.blob(&sha).await.unwrap_err();
        assert!(
            matches!(error, ArchiveError::BlobDamaged { .. }),
            "{error:?}"
        );
        std::fs::write(&path, b"a scaN").unwrap();
        let error = archive.blob(&sha).await.unwrap_err().to_string();
        assert!(error.contains("does not match its hash"), "{error}");
        std::fs::write(&path, b"a scan").unwrap();

        // Another archive on the same database without the store cannot read it…
        let without = open(dir.path()).await;
        let error = without.blob(&sha).await.unwrap_err().to_string();
        assert!(
            error.contains("the \"files\" store, which this archive was not given"),
            "{error}"
        );
        // …but with the store readable it can, while putting new blobs in the database.
        let switched = without.with_readable_blob_store(files.clone());
        assert_eq!(switched.blob(&sha).await.unwrap(), Some(b"a scan".to_vec()));
        let other = receive(&switched, "r4", b"another scan").await.unwrap();
        assert_eq!(placement(&switched, &other).await.0, "database");
        assert_eq!(files.list().await.unwrap(), vec![sha]);
        // A blob already in the database stays there when the store is the placement again.
        receive(&archive, "r5", b"another scan").await.unwrap();
        assert_eq!(placement(&archive, &other).await.0, "database");
        assert_eq!(files.list().await.unwrap(), vec![sha]);
    }

    #[tokio::test]
    async fn a_rolled_back_transaction_leaves_only_an_unreferenced_blob() {
        let dir = tempfile::tempdir().unwrap();
        let files = Arc::new(FileBlobStore::new(dir.path().join("blobs")));
        let archive = open(dir.path()).await.with_blob_store(files.clone());
        receive(&archive, "same", b"first").await.unwrap();
        // The request mark is inserted after the documents: a reused request id rolls back
        // a transaction whose blob was already written.
        let error = receive(&archive, "same", b"second").await.unwrap_err();
        assert!(matches!(error, ArchiveError::RequestRace(_)), "{error:?}");
        let second = crate::crypto::sha256(b"second");
        assert_eq!(archive.blob(&second).await.unwrap(), None);
        assert!(files.path_of(&second).unwrap().exists());

        let report = fsck_blobs(&archive).await.unwrap();
        assert_eq!(report.blobs, 1);
        assert_eq!(report.unreferenced, vec![(files.describe(), 1)]);
        assert!(
            report.problems.iter().all(|p| p.table != "blobs"),
            "{:?}",
            report.problems
        );
        // Without the store, fsck refuses rather than skipping those blobs.
        let error = fsck_blobs(&open(dir.path()).await).await.unwrap_err();
        assert!(
            matches!(&error, ArchiveError::BlobStoreNotConfigured { store, blobs: 1 } if store == FILES),
            "{error:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_waiting_together_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let archive = open(dir.path()).await;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let archive = archive.clone();
            // Writes 40…49 reuse the request ids of 0…9: of each pair exactly one commits.
            let request_id = format!("r{}", i % 40);
            tasks.push(tokio::spawn(async move {
                receive(&archive, &request_id, format!("scan {i}").as_bytes()).await
            }));
        }
        let (mut committed, mut raced) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => committed += 1,
                Err(ArchiveError::RequestRace(_)) => raced += 1,
                Err(error) => panic!("{error:?}"),
            }
        }
        assert_eq!((committed, raced), (40, 10));
        let count = |table: &str, counts: &[(String, i64)]| {
            counts.iter().find(|(t, _)| t == table).map(|(_, n)| *n)
        };
        let counts = archive.row_counts().await.unwrap();
        assert_eq!(count("dossiers", &counts), Some(40));
        assert_eq!(count("ledger_leaves", &counts), Some(40));
        // The writes shared commits: fewer checkpoints than writes…
        let checkpoints = count("ledger_checkpoints", &counts).unwrap();
        assert!((1..40).contains(&checkpoints), "{checkpoints} checkpoints");
        // …and the day's numbers have no gap: a write undone gave its number back.
        let (last,): (i64,) = sqlx::query_as("SELECT last_number FROM day_counters")
            .fetch_one(&archive.pool)
            .await
            .unwrap();
        assert_eq!(last, 40);
    }

    /// The group commit's savepoint sub-journals must not become a file created and unlinked
    /// for every batch (the reason is at `open_with`): every connection the pool lends keeps
    /// its temporary storage in memory.
    #[tokio::test]
    async fn temporary_storage_stays_in_memory_on_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let archive = open(dir.path()).await;
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = archive.pool.acquire().await.unwrap();
            // PRAGMA temp_store: 0 DEFAULT (a file), 1 FILE, 2 MEMORY.
            let (store,): (i64,) = sqlx::query_as("PRAGMA temp_store")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(store, 2);
            held.push(conn);
        }
    }

    #[tokio::test]
    async fn power_loss_durability_syncs_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ketqua.db").display());
        for (durability, expected) in [(Durability::Crash, 1), (Durability::PowerLoss, 2)] {
            let archive = SqliteArchive::open_with(&url, durability).await.unwrap();
            // PRAGMA synchronous: 1 NORMAL, 2 FULL.
            let (level,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                .fetch_one(&archive.pool)
                .await
                .unwrap();
            assert_eq!(level, expected, "{durability:?}");
        }
        assert_eq!("power-loss".parse(), Ok(Durability::PowerLoss));
        assert!("fsync"
            .parse::<Durability>()
            .unwrap_err()
            .contains("power-loss"));
    }
}
