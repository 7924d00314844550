//! Group commit: one writer per archive commits the flow's writes. It takes every write
//! waiting at that moment (a batch), runs each inside its own savepoint of one transaction,
//! appends all their leaves to the log at once, signs one checkpoint, commits once, and only
//! then answers each caller with its own receipt and audit path.
//!
//! Why: every step takes the database's write lock and the log's head. One transaction per
//! step serialised them all behind SQLite's busy handler (which sleeps) or PostgreSQL's row
//! locks, and paid a commit (an fsync with `synchronous=FULL`) and a checkpoint signature for
//! each. Batching does not wait for company: while a batch commits the next one gathers, so a
//! lone step is committed at once and a crowd shares the cost (Tessera's batched integration
//! of transparency-log leaves is the model).
//!
//! What each write guarantees is unchanged: the writes of a batch run one after another, each
//! seeing the ones before it, so the version checks, the request marks and the day counters
//! behave exactly as they would in separate transactions — a write that fails rolls back to
//! its savepoint and fails alone, its day number unused. Nothing is answered before the
//! commit: a batch that cannot commit fails every write in it, and none is half-written.
//! Document bytes for a separate blob store are put (durably) by the callers before they
//! queue, in parallel; the writer only records that they are there.

use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use tokio::sync::{mpsc, oneshot, watch};

use super::{
    backend::{fetch_one, insert_rows, params, Column, Dialect, Param},
    queries as q,
    tree::{self, NewLeaf},
    writes::{
        blob_row_content, change_result, insert_document, insert_dossier_row, insert_request,
    },
};
use crate::{
    archive::{
        error::{ArchiveError, Result},
        rows::{
            AuditEntry, DossierChange, LogKind, LogReceipt, NewDocument, NewDossier, NewEvent,
            NewRecord, RequestMark,
        },
    },
    flow::DossierCode,
    ledger::LogKey,
};

/// Writes in one batch at most; more wait for the next.
const MAX_BATCH: usize = 256;
/// Document bytes in one batch at most (the rows hold them in the database placement).
const MAX_BATCH_BYTES: usize = 64 << 20;
/// Writes queued for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// Builds the first record of a dossier once its number is known, inside the batch.
pub(super) type BuildRecord =
    Box<dyn FnOnce(&DossierCode) -> std::result::Result<NewRecord, ArchiveError> + Send>;

/// A write of the flow.
pub(super) enum Write {
    /// Step 1: number the dossier (the day counter), build and store its first record.
    Create {
        new: NewDossier,
        request: RequestMark,
        audit: AuditEntry,
        build: BuildRecord,
    },
    /// A step on an existing dossier, guarded by the version it was read at.
    Append {
        code: DossierCode,
        expected_version: i64,
        change: Box<DossierChange>,
        record: NewRecord,
        request: RequestMark,
        audit: AuditEntry,
    },
    /// A document attached to a committed record: a form the service could only sign once the
    /// record's content was known (the receipt slip names the dossier code). Its own leaf.
    Attach {
        code: DossierCode,
        sequence: i64,
        document: NewDocument,
        at_ms: i64,
    },
}

/// What a committed write returns to its caller: the record it stored (none for an attached
/// document) and the receipt of its first leaf.
pub(super) struct Written {
    pub code: DossierCode,
    pub record: Option<NewRecord>,
    pub log: LogReceipt,
}

struct Job {
    write: Write,
    reply: oneshot::Sender<Result<Written>>,
}

impl Job {
    fn bytes(&self) -> usize {
        let (record, result) = match &self.write {
            Write::Create { .. } => return 0,
            Write::Attach { document, .. } => return document.content.len(),
            Write::Append { record, change, .. } => (record, &change.results),
        };
        record
            .documents
            .iter()
            .map(|d| d.content.len())
            .chain(result.iter().map(|r| r.document.content.len()))
            .sum()
    }
}

/// The handle to an archive's writer, started on the first write and again if it has stopped.
///
/// The writer runs on a thread of its own (a single-threaded runtime), not as a task among the
/// callers': a batch is dozens of statements one after another, each a round trip to the
/// database, and as a task its every resumption waited for a runtime worker that was busy
/// rendering, signing and serving TLS. Under `ketqua bench flow` at 64 dossiers in flight the
/// writer was busy 100 % of the time (`ketqua_writer_commit_seconds`) and set the throughput;
/// its statements take 20–50 µs in SQLite and ~150 µs as round trips (docs/benchmarks.md).
#[derive(Default)]
pub(super) struct GroupCommit {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

/// What the writer needs besides the pool: the log key, and the name of the store holding
/// document bytes (`None`: the rows hold them).
pub(super) struct WriterSetup<D: sqlx::Database> {
    pub pool: sqlx::Pool<D>,
    pub key: Arc<LogKey>,
    pub stored_in: Option<String>,
    /// Told the newest event number after each commit, so this replica's watchers wake.
    pub events: Arc<watch::Sender<i64>>,
}

impl GroupCommit {
    /// Queues `write` and waits for its batch to commit.
    pub(super) async fn submit<D: Dialect>(
        &self,
        setup: impl FnOnce() -> Result<WriterSetup<D>>,
        write: Write,
    ) -> Result<Written> {
        let queue = {
            let mut slot = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_ref().filter(|queue| !queue.is_closed()) {
                Some(queue) => queue.clone(),
                None => {
                    let (queue, jobs) = mpsc::channel(QUEUE);
                    start(setup()?, jobs)?;
                    *slot = Some(queue.clone());
                    queue
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { write, reply })
            .await
            .map_err(|_| ArchiveError::WriterStopped)?;
        answer.await.map_err(|_| ArchiveError::WriterStopped)?
    }
}

/// Starts the writer's thread; it ends when every handle to the queue is gone.
fn start<D: Dialect>(setup: WriterSetup<D>, jobs: mpsc::Receiver<Job>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            ArchiveError::Io(std::io::Error::other(format!("the writer's runtime: {e}")))
        })?;
    std::thread::Builder::new()
        .name("ketqua-writer".to_owned())
        .spawn(move || runtime.block_on(run(setup, jobs)))
        .map_err(|e| {
            ArchiveError::Io(std::io::Error::other(format!("the writer's thread: {e}")))
        })?;
    Ok(())
}

async fn run<D: Dialect>(setup: WriterSetup<D>, mut jobs: mpsc::Receiver<Job>) {
    // The writer's own connection, kept between batches (and taken again after a failed
    // batch, which may have broken it): waiting for the pool behind every reader cost a batch
    // 3–4 ms at 64 dossiers in flight.
    let mut held: Option<PoolConnection<D>> = None;
    while let Some(first) = jobs.recv().await {
        let mut bytes = first.bytes();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match jobs.try_recv() {
                Ok(job) => {
                    bytes += job.bytes();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let conn = match held.take() {
            Some(conn) => Ok(conn),
            None => setup.pool.acquire().await.map_err(ArchiveError::from),
        };
        held = commit(&setup, conn, batch).await;
    }
}

/// A write done inside the batch's transaction, waiting for the commit.
struct Done {
    code: DossierCode,
    record: Option<NewRecord>,
    at_ms: i64,
    /// Its leaves in the log: the step record first, then an issued result; or a form.
    leaves: Vec<(LogKind, [u8; 32])>,
    /// The state change it announces (none for an attached form).
    event: Option<Announced>,
    /// Its audit line, inserted with the batch's record rows (none for an attached form).
    audit: Option<AuditEntry>,
}

/// An event as the writer completes it.
struct Announced {
    event: NewEvent,
    /// The state after the step.
    state: String,
    /// The results the step signed, issued or revoked.
    result_codes: String,
}

impl Announced {
    fn of(event: NewEvent, change: &DossierChange) -> Announced {
        let codes: Vec<&str> = change
            .results
            .iter()
            .map(|r| r.result_code.as_str())
            .chain(change.issue_results.iter().map(|r| r.result_code.as_str()))
            .chain(change.revoke_result.iter().map(|r| r.result_code.as_str()))
            .collect();
        Announced {
            event,
            state: change.state.clone(),
            result_codes: codes.join(","),
        }
    }
}

impl Done {
    fn of_record(
        code: DossierCode,
        record: NewRecord,
        leaves: Vec<(LogKind, [u8; 32])>,
        event: Announced,
        audit: AuditEntry,
    ) -> Done {
        Done {
            code,
            at_ms: record.time_ms,
            record: Some(record),
            leaves,
            event: Some(event),
            audit: Some(audit),
        }
    }
}

/// Commits one batch on `conn` and answers every caller in it; gives the connection back
/// unless the batch failed.
async fn commit<D: Dialect>(
    setup: &WriterSetup<D>,
    conn: Result<PoolConnection<D>>,
    batch: Vec<Job>,
) -> Option<PoolConnection<D>> {
    metrics::histogram!("ketqua_writer_batch_writes").record(batch.len() as f64);
    let mut replies = Vec::with_capacity(batch.len());
    let mut writes = Vec::with_capacity(batch.len());
    for job in batch {
        replies.push(job.reply);
        writes.push(job.write);
    }
    let started = std::time::Instant::now();
    let (committed, conn) = match conn {
        Ok(mut conn) => (commit_writes(setup, &mut conn, writes).await, Some(conn)),
        Err(error) => (Err(error), None),
    };
    metrics::histogram!("ketqua_writer_commit_seconds").record(started.elapsed().as_secs_f64());
    let outcome = if committed.is_ok() {
        "committed"
    } else {
        "failed"
    };
    metrics::counter!("ketqua_writer_batches_total", "outcome" => outcome).increment(1);
    match committed {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // A caller that has gone away (its client cancelled) finds its step committed
                // when it retries with the same request id.
                let _ = reply.send(outcome);
            }
            conn
        }
        Err(error) => {
            let message = error.to_string();
            let unavailable = error.is_unavailable();
            for reply in replies {
                let _ = reply.send(Err(ArchiveError::BatchFailed {
                    message: message.clone(),
                    unavailable,
                }));
            }
            None
        }
    }
}

/// Runs the writes in one transaction; each write's own outcome, or the error that failed
/// them all.
async fn commit_writes<D: Dialect>(
    setup: &WriterSetup<D>,
    conn: &mut D::Connection,
    writes: Vec<Write>,
) -> Result<Vec<Result<Written>>> {
    let mut tx = D::begin_write_on(conn).await?;
    let mut outcomes: Vec<Result<Done>> = Vec::with_capacity(writes.len());
    // A write alone needs no savepoint: if it fails, the whole transaction is rolled back.
    // Otherwise each runs in its own; the errors of the savepoint statements themselves fail
    // the batch. One write's release and the next one's savepoint share a round trip.
    let alone = writes.len() == 1;
    for (index, write) in writes.into_iter().enumerate() {
        if !alone {
            let open = if index == 0 {
                q::SAVEPOINT
            } else {
                q::NEXT_SAVEPOINT
            };
            D::execute_script(&mut tx, open).await?;
        }
        let outcome = apply::<D>(&mut tx, setup.stored_in.as_deref(), write).await;
        if !alone && outcome.is_err() {
            D::execute_script(&mut tx, q::ROLLBACK_TO_SAVEPOINT).await?;
        }
        outcomes.push(outcome);
    }
    if !alone {
        D::execute_script(&mut tx, q::RELEASE_SAVEPOINT).await?;
    }
    let done: Vec<&Done> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let mut receipts = if done.is_empty() {
        tx.rollback().await?;
        Vec::new().into_iter()
    } else {
        insert_records::<D>(&mut tx, setup.stored_in.as_deref(), &done).await?;
        let receipts = append_leaves::<D>(&mut tx, &setup.key, &done).await?;
        let last_event = insert_events::<D>(&mut tx, &done).await?;
        tx.commit().await?;
        setup.events.send_if_modified(|seen| {
            let newer = last_event > *seen;
            *seen = (*seen).max(last_event);
            newer
        });
        receipts.into_iter()
    };
    Ok(outcomes
        .into_iter()
        .map(|outcome| {
            let done = outcome?;
            let log = receipts
                .next()
                .ok_or_else(|| ArchiveError::Corrupt("a write without its receipt".to_owned()))?;
            Ok(Written {
                code: done.code,
                record: done.record,
                log,
            })
        })
        .collect())
}

/// Stores the records of the writes done, their documents (and the documents' blob rows) and
/// their audit lines: one multi-row insert per table for the whole batch, after every write's
/// checks (version, request mark, day number) have run in its savepoint.
///
/// Why after, not in each write: each statement is a round trip, and these were four of a
/// write's eight. Nothing a later write in the batch checks reads these rows (its version is
/// the dossier row's, its mark the requests table, its form's position the documents of a
/// record committed by an earlier call), so the outcome of every write is what it was; only an
/// unexpected error here (a violated constraint) now fails the batch instead of one write.
async fn insert_records<D: Dialect>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    done: &[&Done],
) -> Result<()> {
    let with_records: Vec<(String, &NewRecord)> = done
        .iter()
        .filter_map(|write| Some((write.code.to_string(), write.record.as_ref()?)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut blobs = Vec::new();
    let mut documents = Vec::new();
    let mut records = Vec::new();
    for (code, record) in &with_records {
        records.extend([
            Param::from(code.as_str()),
            Param::from(record.sequence),
            Param::from(&record.step),
            Param::from(&record.record[..]),
            Param::from(&record.signature[..]),
            Param::from(&record.record_sha256[..]),
            Param::from(&record.credential_id),
            Param::from(record.time_ms),
        ]);
        for (position, document) in record.documents.iter().enumerate() {
            let size = document.content.len() as i64;
            if seen.insert(document.sha256) {
                let (content, placement) = blob_row_content(stored_in, document);
                blobs.extend([
                    Param::from(&document.sha256[..]),
                    Param::from(size),
                    Param::from(content),
                    Param::from(placement),
                ]);
            }
            documents.extend([
                Param::from(code.as_str()),
                Param::from(record.sequence),
                Param::from(position as i64),
                Param::from(&document.name),
                Param::from(&document.media_type),
                Param::from(&document.sha256[..]),
                Param::from(size),
            ]);
        }
    }
    insert_rows::<D>(tx, q::INSERT_BLOBS, 4, &blobs, q::INSERT_BLOBS_TAIL).await?;
    insert_rows::<D>(tx, q::INSERT_RECORDS, 8, &records, "").await?;
    insert_rows::<D>(tx, q::INSERT_DOCUMENTS, 7, &documents, "").await?;
    let audits: Vec<Param> = done
        .iter()
        .filter_map(|write| write.audit.as_ref())
        .flat_map(|entry| {
            [
                Param::from(entry.at_ms),
                Param::from(&entry.method),
                Param::from(&entry.request_id),
                Param::from(&entry.credential_id),
                Param::from(&entry.dossier_code),
                Param::from(&entry.outcome),
                Param::from(&entry.message),
                Param::from(&entry.caller),
            ]
        })
        .collect();
    insert_rows::<D>(tx, q::INSERT_AUDITS, 8, &audits, "").await
}

/// Numbers and stores the events of the writes done, after the log's append has taken the
/// head's lock: so the numbers follow the last committed ones, in commit order on every
/// replica. Returns the newest number.
async fn insert_events<D: Dialect>(tx: &mut D::Connection, done: &[&Done]) -> Result<i64> {
    let mut last: i64 = fetch_one::<D>(tx, q::LAST_EVENT, &[]).await?.get("last")?;
    let mut rows = Vec::with_capacity(done.len());
    for write in done {
        let (Some(announced), Some(record)) = (&write.event, &write.record) else {
            continue;
        };
        last += 1;
        rows.push((last, write.code.to_string(), announced, record));
    }
    let params: Vec<Param> = rows
        .iter()
        .flat_map(|(sequence, code, announced, record)| {
            let event = &announced.event;
            [
                Param::from(*sequence),
                Param::from(code),
                Param::from(record.sequence),
                Param::from(&record.step),
                Param::from(&announced.state),
                Param::from(event.national_status),
                Param::from(&event.department),
                Param::from(&event.procedure_code),
                Param::from(record.time_ms),
                Param::from(&record.record_sha256[..]),
                Param::from(&announced.result_codes),
            ]
        })
        .collect();
    insert_rows::<D>(tx, q::INSERT_EVENTS, 11, &params, "").await?;
    metrics::gauge!("ketqua_last_event_sequence").set(last as f64);
    Ok(last)
}

/// Appends the leaves of every write done to the log (one checkpoint) and returns each
/// write's receipt, in order.
async fn append_leaves<D: Dialect>(
    tx: &mut D::Connection,
    key: &LogKey,
    done: &[&Done],
) -> Result<Vec<LogReceipt>> {
    let codes: Vec<String> = done.iter().map(|d| d.code.to_string()).collect();
    let mut leaves = Vec::new();
    let mut first_leaf = Vec::with_capacity(done.len());
    for (write, code) in done.iter().zip(&codes) {
        first_leaf.push(leaves.len() as u64);
        leaves.extend(write.leaves.iter().map(|(kind, hash)| NewLeaf {
            kind: *kind,
            hash: *hash,
            dossier_code: code,
            at_ms: write.at_ms,
        }));
    }
    let at_ms = done.iter().map(|d| d.at_ms).max().unwrap_or(0);
    let appended = tree::append_all::<D>(tx, key, &leaves, at_ms).await?;
    let indexes: Vec<u64> = first_leaf.iter().map(|i| appended.first + i).collect();
    appended.receipts::<D>(tx, &indexes).await
}

/// One write's statements, inside its savepoint.
async fn apply<D: Dialect>(
    tx: &mut D::Connection,
    stored_in: Option<&str>,
    write: Write,
) -> Result<Done> {
    match write {
        Write::Create {
            new,
            request,
            mut audit,
            build,
        } => {
            let day = new.received_on.to_string();
            let counter = params![new.agency.as_str(), &day];
            let number: i64 = fetch_one::<D>(tx, q::NEXT_DOSSIER_NUMBER, &counter)
                .await?
                .get("last_number")?;
            let code = u32::try_from(number)
                .ok()
                .and_then(|n| DossierCode::new(new.agency.clone(), new.received_on, n).ok())
                .ok_or_else(|| ArchiveError::NumbersExhausted {
                    agency: new.agency.as_str().to_owned(),
                    day: day.clone(),
                })?;
            // An error from here on rolls the counter back with the savepoint: the number
            // is not used up.
            let record = build(&code)?;
            let code_text = code.to_string();
            insert_dossier_row::<D>(tx, &new, &code_text, &record).await?;
            insert_request::<D>(tx, &request, &code_text, record.sequence).await?;
            audit.dossier_code = Some(code_text);
            let leaves = vec![(LogKind::StepRecord, record.record_sha256)];
            let announced = Announced {
                event: new.event,
                state: new.state,
                result_codes: String::new(),
            };
            Ok(Done::of_record(code, record, leaves, announced, audit))
        }
        Write::Attach {
            code,
            sequence,
            document,
            at_ms,
        } => {
            let code_text = code.to_string();
            let key = params![&code_text, sequence];
            let position: i64 = fetch_one::<D>(tx, q::NEXT_DOCUMENT_POSITION, &key)
                .await?
                .get("next")?;
            insert_document::<D>(tx, stored_in, &code_text, sequence, position, &document).await?;
            Ok(Done {
                code,
                record: None,
                at_ms,
                leaves: vec![(LogKind::Form, document.sha256)],
                event: None,
                audit: None,
            })
        }
        Write::Append {
            code,
            expected_version,
            change,
            record,
            request,
            audit,
        } => {
            let code_text = code.to_string();
            // The dossier row names its first result; the others follow it.
            let issued_code = change.issue_results.first().map(|r| r.result_code.as_str());
            let advance = params![
                &change.state,
                &change.due_date,
                &change.finished_on,
                &record.record_sha256,
                record.time_ms,
                issued_code,
                &code_text,
                expected_version,
            ];
            if D::execute(tx, q::ADVANCE_DOSSIER, &advance).await? != 1 {
                return Err(ArchiveError::Conflict {
                    code: code_text,
                    expected: expected_version,
                });
            }
            change_result::<D>(tx, stored_in, &code_text, expected_version, &change).await?;
            insert_request::<D>(tx, &request, &code_text, record.sequence).await?;
            let mut leaves = vec![(LogKind::StepRecord, record.record_sha256)];
            for issued in &change.issue_results {
                leaves.push((LogKind::IssuedResult, issued.sha256));
            }
            let announced = Announced::of(change.event.clone(), &change);
            Ok(Done::of_record(code, record, leaves, announced, audit))
        }
    }
}
