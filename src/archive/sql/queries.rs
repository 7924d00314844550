//! Every SQL statement the archive runs, by name, grouped by the contract that runs it. Both
//! databases speak the same text (`$n` placeholders, `ON CONFLICT`, `RETURNING`); the one
//! statement that differs, reading the log head for an append, is chosen by the `Dialect`.
//!
//! Each statement's placeholders are listed in the comment above it, in order.

// --- The flow's writes -------------------------------------------------------------------

/// `$1` request id.
pub const FIND_REQUEST: &str =
    "SELECT method, fingerprint, dossier_code, sequence FROM requests WHERE request_id = $1";

/// `$1` request id, `$2` method, `$3` fingerprint, `$4` dossier code, `$5` sequence, `$6` time.
/// Inserts nothing if another call committed the id first.
pub const INSERT_REQUEST: &str = "
    INSERT INTO requests (request_id, method, fingerprint, dossier_code, sequence, created_at_ms)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING";

/// `$1` time, `$2` method, `$3` request id, `$4` credential, `$5` dossier, `$6` outcome,
/// `$7` message, `$8` caller.
pub const INSERT_AUDIT: &str = "
    INSERT INTO audit_log (at_ms, method, request_id, credential_id, dossier_code, outcome, message, caller)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Rows of `INSERT_AUDIT`'s eight columns, for `backend::insert_rows`.
pub const INSERT_AUDITS: &str = "
    INSERT INTO audit_log (at_ms, method, request_id, credential_id, dossier_code, outcome, message, caller)
    VALUES ";

/// `$1` agency, `$2` day: the day's next running number, taking the counter's row lock.
pub const NEXT_DOSSIER_NUMBER: &str = "
    INSERT INTO day_counters (agency_code, day, last_number) VALUES ($1, $2, 1)
    ON CONFLICT (agency_code, day) DO UPDATE SET last_number = day_counters.last_number + 1
    RETURNING last_number";

/// `$1` code, `$2` agency, `$3` procedure, `$4` department, `$5` applicant id, `$6` applicant
/// name, `$7` state, `$8` received at (also the update time), `$9` received on, `$10` due
/// date, `$11` the first record's SHA-256, `$12` channel, `$13` contact phone, `$14` contact
/// e-mail.
pub const INSERT_DOSSIER: &str = "
    INSERT INTO dossiers (code, agency_code, procedure_code, department, applicant_id,
                          applicant_name, state, version, received_at_ms, received_on, due_date,
                          last_record_sha256, record_count, updated_at_ms, channel,
                          contact_phone, contact_email)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, 1, $8, $12, $13, $14)";

/// `$1` state, `$2` new due date or NULL, `$3` finished on or NULL, `$4` the record's
/// SHA-256, `$5` time, `$6` issued result code or NULL, `$7` code, `$8` expected version.
/// Changes nothing if the dossier is no longer at that version.
pub const ADVANCE_DOSSIER: &str = "
    UPDATE dossiers SET state = $1, version = version + 1, due_date = COALESCE($2, due_date),
           finished_on = COALESCE($3, finished_on), last_record_sha256 = $4,
           record_count = record_count + 1, updated_at_ms = $5,
           result_code = COALESCE($6, result_code)
    WHERE code = $7 AND version = $8";

/// Rows of (dossier, sequence, step, record bytes, signature, record SHA-256, credential,
/// time), for `backend::insert_rows`.
pub const INSERT_RECORDS: &str = "
    INSERT INTO step_records (dossier_code, sequence, step, record, signature, record_sha256,
                              credential_id, time_ms)
    VALUES ";

/// Rows of `INSERT_DOCUMENT`'s seven columns, for `backend::insert_rows`.
pub const INSERT_DOCUMENTS: &str = "
    INSERT INTO dossier_documents (dossier_code, record_sequence, position, name, media_type,
                                   sha256, size)
    VALUES ";

/// `$1` dossier, `$2` record sequence, `$3` position, `$4` name, `$5` media type,
/// `$6` SHA-256, `$7` size.
pub const INSERT_DOCUMENT: &str = "
    INSERT INTO dossier_documents (dossier_code, record_sequence, position, name, media_type,
                                   sha256, size)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// `$1` dossier, `$2` record sequence: the position after the record's last document.
pub const NEXT_DOCUMENT_POSITION: &str = "
    SELECT COALESCE(MAX(position) + 1, 0) AS next FROM dossier_documents
    WHERE dossier_code = $1 AND record_sequence = $2";

/// `$1` SHA-256: where a blob's bytes are kept, if the blob is stored.
pub const BLOB_PLACEMENT: &str = "SELECT stored_in FROM blobs WHERE sha256 = $1";

/// Rows of `INSERT_BLOB`'s four columns, for `backend::insert_rows`, with
/// [`INSERT_BLOBS_TAIL`] after them.
pub const INSERT_BLOBS: &str = "INSERT INTO blobs (sha256, size, content, stored_in) VALUES ";
pub const INSERT_BLOBS_TAIL: &str = " ON CONFLICT (sha256) DO NOTHING";

/// `$1` SHA-256, `$2` size, `$3` content (empty if kept in a store), `$4` where it is kept.
pub const INSERT_BLOB: &str = "
    INSERT INTO blobs (sha256, size, content, stored_in) VALUES ($1, $2, $3, $4)
    ON CONFLICT (sha256) DO NOTHING";

/// `$1` dossier, `$2` result code, `$3` name, `$4` media type, `$5` SHA-256, `$6` size,
/// `$7` level, `$8` page count, `$9` signer, `$10` applicant id, `$11` procedure,
/// `$12` metadata, `$13` signed at.
pub const INSERT_RESULT: &str = "
    INSERT INTO results (dossier_code, result_index, result_code, name, media_type, sha256, size,
                         level, page_count, signer, applicant_id, procedure_code, metadata,
                         signed_at_ms, status)
    VALUES ($1, $14, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'valid')";

/// `$1` result code, `$2` issued at, `$3` dossier: only a signed, unissued result.
pub const ISSUE_RESULT: &str = "
    UPDATE results SET issued_at_ms = $2
    WHERE result_code = $1 AND dossier_code = $3 AND issued_at_ms IS NULL";

/// `$1` status, `$2` reason, `$3` superseded by, `$4` result code, `$5` dossier: only a
/// valid, issued result, so of two concurrent revocations exactly one wins.
pub const REVOKE_RESULT: &str = "
    UPDATE results SET status = $1, status_reason = $2, superseded_by = $3
    WHERE result_code = $4 AND dossier_code = $5 AND status = 'valid'
      AND issued_at_ms IS NOT NULL";

// --- The transparency log ----------------------------------------------------------------

/// The log head, for an append on SQLite (the write transaction holds the only write lock).
pub const READ_HEAD: &str = "SELECT size, frontier FROM ledger_head WHERE id = 1";

/// The log head, for an append on PostgreSQL: the row lock orders concurrent replicas.
pub const READ_HEAD_FOR_UPDATE: &str =
    "SELECT size, frontier FROM ledger_head WHERE id = 1 FOR UPDATE";

/// Rows of (node key (`NodeId::flat_key`), hash), for `backend::insert_rows`.
pub const INSERT_NODES: &str = "INSERT INTO ledger_nodes (id, hash) VALUES ";

/// Rows of (leaf index, leaf data, kind, dossier, time), for `backend::insert_rows`.
pub const INSERT_LEAVES: &str = "
    INSERT INTO ledger_leaves (leaf_index, leaf_data, kind, dossier_code, appended_at_ms)
    VALUES ";

/// `$1` new size, `$2` root, `$3` frontier, `$4` the size read: changes nothing if another
/// append moved the head meanwhile.
pub const ADVANCE_HEAD: &str =
    "UPDATE ledger_head SET size = $1, root = $2, frontier = $3 WHERE id = 1 AND size = $4";

/// `$1` size, `$2` root, `$3` signed note, `$4` time.
pub const INSERT_CHECKPOINT: &str =
    "INSERT INTO ledger_checkpoints (size, root, note, created_at_ms) VALUES ($1, $2, $3, $4)";

/// Followed by `$1, …, $n` and `)`: the stored nodes a proof needs, in one query.
pub const NODES_IN: &str = "SELECT id, hash FROM ledger_nodes WHERE id IN (";

/// `$1` leaf data.
pub const LEAF_INDEX: &str = "SELECT leaf_index FROM ledger_leaves WHERE leaf_data = $1";

/// `$1` leaf index: the checkpoint signed by the transaction that appended the leaf.
pub const FIRST_CHECKPOINT_AFTER: &str =
    "SELECT size, root, note FROM ledger_checkpoints WHERE size > $1 ORDER BY size LIMIT 1";

pub const LATEST_CHECKPOINT: &str =
    "SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1";

/// `$1` size.
pub const CHECKPOINT_OF_SIZE: &str =
    "SELECT size, root, note FROM ledger_checkpoints WHERE size = $1";

// --- Retrieval ---------------------------------------------------------------------------

/// `$1` code.
pub const DOSSIER: &str = "SELECT * FROM dossiers WHERE code = $1";

/// `$1` dossier.
pub const RECORDS: &str = "
    SELECT sequence, step, record, signature, record_sha256 FROM step_records
    WHERE dossier_code = $1 ORDER BY sequence";

/// `$1` dossier, `$2` sequence.
pub const RECORD: &str = "
    SELECT sequence, step, record, signature, record_sha256 FROM step_records
    WHERE dossier_code = $1 AND sequence = $2";

/// `$1` dossier.
pub const DOCUMENTS: &str = "
    SELECT record_sequence, name, media_type, sha256, size FROM dossier_documents
    WHERE dossier_code = $1 ORDER BY record_sequence, position";

/// `$1` dossier.
pub const RESULT_OF_DOSSIER: &str =
    "SELECT * FROM results WHERE dossier_code = $1 AND result_index = 1";

/// `$1` dossier: all its results, `-KQ1` first.
pub const RESULTS_OF_DOSSIER: &str =
    "SELECT * FROM results WHERE dossier_code = $1 ORDER BY result_index";

/// `$1` result code.
pub const RESULT_BY_CODE: &str = "SELECT * FROM results WHERE result_code = $1";

/// `$1` SHA-256.
pub const BLOB: &str = "SELECT size, stored_in, content FROM blobs WHERE sha256 = $1";

/// `$1` the record's SHA-256.
pub const DOSSIER_OF_RECORD: &str =
    "SELECT dossier_code FROM step_records WHERE record_sha256 = $1";

/// `$1` applicant id, `$2` procedure, `$3` department, `$4` state, `$5` received from,
/// `$6` received to, `$7`/`$8` the cursor (received at, code), `$9` limit. One statement for
/// every combination of criteria: a NULL criterion matches all rows, so the planner still uses
/// the indexes of the others.
pub const SEARCH: &str = "
    SELECT d.code FROM dossiers d
    WHERE ($1 IS NULL OR d.applicant_id = $1)
      AND ($2 IS NULL OR d.procedure_code = $2)
      AND ($3 IS NULL OR d.department = $3)
      AND ($4 IS NULL OR d.state = $4)
      AND ($5 IS NULL OR d.received_on >= $5)
      AND ($6 IS NULL OR d.received_on <= $6)
      AND ($7 IS NULL OR d.received_at_ms > $7
           OR (d.received_at_ms = $7 AND d.code > $8))
    ORDER BY d.received_at_ms, d.code
    LIMIT $9";

/// `$1` first day, `$2` last day, `$3` the day in-progress dossiers are judged on, `$4`
/// department or NULL, `$5` procedure or NULL, `$6` end of the period (ms). The dossiers a
/// period handled are three disjoint sets, each found through its own index (receipt date,
/// unfinished, finished date) rather than by scanning every dossier ever received: received
/// in the period; received before it and unfinished; received before it and finished in or
/// after it.
pub const COUNT_DOSSIERS: &str = "
    WITH handled AS (
        SELECT * FROM dossiers WHERE received_on >= $1 AND received_on <= $2
        UNION ALL
        SELECT * FROM dossiers WHERE received_on < $1 AND finished_on IS NULL
        UNION ALL
        SELECT * FROM dossiers WHERE received_on < $1 AND finished_on >= $1
    )
    SELECT
      COALESCE(SUM(CASE WHEN received_on < $1 THEN 1 ELSE 0 END), 0) AS carried_over,
      COALESCE(SUM(CASE WHEN received_on >= $1 THEN 1 ELSE 0 END), 0) AS received_new,
      COALESCE(SUM(CASE WHEN received_on >= $1 AND channel = 'online' THEN 1 ELSE 0 END), 0)
        AS received_online,
      COALESCE(SUM(CASE WHEN received_on >= $1 AND channel = 'post' THEN 1 ELSE 0 END), 0)
        AS received_by_post,
      COALESCE(SUM(CASE WHEN state = 'returned' AND finished_on <= $2 AND finished_on < due_date
                        THEN 1 ELSE 0 END), 0) AS resolved_early,
      COALESCE(SUM(CASE WHEN state = 'returned' AND finished_on <= $2 AND finished_on = due_date
                        THEN 1 ELSE 0 END), 0) AS resolved_on_time,
      COALESCE(SUM(CASE WHEN state = 'returned' AND finished_on <= $2 AND finished_on > due_date
                        THEN 1 ELSE 0 END), 0) AS resolved_late,
      COALESCE(SUM(CASE WHEN state = 'returned' AND finished_on <= $2 AND result_code IS NOT NULL
                        THEN 1 ELSE 0 END), 0) AS electronic_results,
      COALESCE(SUM(CASE WHEN state = 'refused' AND finished_on <= $2 THEN 1 ELSE 0 END), 0)
        AS refused,
      COALESCE(SUM(CASE WHEN state = 'withdrawn' AND finished_on <= $2 THEN 1 ELSE 0 END), 0)
        AS withdrawn,
      COALESCE(SUM(CASE WHEN state = 'stopped' AND finished_on <= $2 THEN 1 ELSE 0 END), 0)
        AS stopped,
      COALESCE(SUM(CASE WHEN (finished_on IS NULL OR finished_on > $2) AND due_date >= $3
                        THEN 1 ELSE 0 END), 0) AS in_progress_on_time,
      COALESCE(SUM(CASE WHEN (finished_on IS NULL OR finished_on > $2) AND due_date < $3
                        THEN 1 ELSE 0 END), 0) AS in_progress_overdue,
      COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM step_records r
                                     WHERE r.dossier_code = handled.code AND r.step = 'extend'
                                       AND r.time_ms <= $6)
                        THEN 1 ELSE 0 END), 0) AS extended
    FROM handled
    WHERE ($4 IS NULL OR department = $4) AND ($5 IS NULL OR procedure_code = $5)";

/// `$1` applicant id.
pub const REUSABLE_RESULTS: &str = "
    SELECT * FROM results
    WHERE applicant_id = $1 AND status = 'valid' AND issued_at_ms IS NOT NULL
    ORDER BY issued_at_ms DESC, result_code";

// --- Signing sessions --------------------------------------------------------------------

/// `$1` now.
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM signing_sessions WHERE expires_at_ms < $1";

/// `$1` session id, `$2` input SHA-256, `$3` prepared revision, `$4` created at,
/// `$5` expires at.
pub const INSERT_SESSION: &str = "
    INSERT INTO signing_sessions (session_id, input_sha256, prepared, created_at_ms,
                                  expires_at_ms)
    VALUES ($1, $2, $3, $4, $5)";

/// `$1` session id.
pub const SESSION: &str = "SELECT * FROM signing_sessions WHERE session_id = $1";

/// `$1` session id.
pub const DELETE_SESSION: &str = "DELETE FROM signing_sessions WHERE session_id = $1";

// --- Renewals ----------------------------------------------------------------------------

/// `$1` horizon.
pub const COUNT_RENEWAL_CANDIDATES: &str = "
    SELECT COUNT(*) FROM results
    WHERE issued_at_ms IS NOT NULL
      AND (timestamp_expires_at_ms IS NULL OR timestamp_expires_at_ms <= $1)";

/// `$1` horizon, `$2` the last result code of the previous page or NULL, `$3` limit.
pub const RENEWAL_CANDIDATES: &str = "
    SELECT result_code, dossier_code, COALESCE(current_sha256, sha256) AS current_sha256,
           timestamp_expires_at_ms
    FROM results
    WHERE issued_at_ms IS NOT NULL
      AND (timestamp_expires_at_ms IS NULL OR timestamp_expires_at_ms <= $1)
      AND ($2 IS NULL OR result_code > $2)
    ORDER BY result_code
    LIMIT $3";

/// `$1` expires at, `$2` result code, `$3` the version examined: ignored once it is no
/// longer current.
pub const NOTE_TIMESTAMP_EXPIRY: &str = "
    UPDATE results SET timestamp_expires_at_ms = $1
    WHERE result_code = $2 AND COALESCE(current_sha256, sha256) = $3";

/// `$1` new SHA-256, `$2` size, `$3` level, `$4` renewed at, `$5` expires at, `$6` result
/// code, `$7` the version renewed. Guarded like a dossier's version: of two sweeps renewing
/// the same version, exactly one finds it still current.
pub const RENEW_RESULT: &str = "
    UPDATE results SET current_sha256 = $1, current_size = $2, level = $3,
           renewed_at_ms = $4, timestamp_expires_at_ms = $5
    WHERE result_code = $6 AND COALESCE(current_sha256, sha256) = $7
      AND issued_at_ms IS NOT NULL";

/// `$1` result code, `$2` SHA-256, `$3` previous SHA-256, `$4` size, `$5` renewed at,
/// `$6` expires at: numbered after the result's last renewal.
pub const INSERT_RENEWAL: &str = "
    INSERT INTO result_renewals (result_code, renewal, sha256, previous_sha256, size,
                                 renewed_at_ms, timestamp_expires_at_ms)
    SELECT $1, COALESCE(MAX(renewal), 0) + 1, $2, $3, $4, $5, $6
    FROM result_renewals WHERE result_code = $1";

/// `$1` result code.
pub const RENEWALS: &str = "SELECT * FROM result_renewals WHERE result_code = $1 ORDER BY renewal";

// --- fsck and operators ------------------------------------------------------------------

/// `$1` credential: when it was locked.
pub const CREDENTIAL_LOCK: &str =
    "SELECT locked_at_ms FROM credential_locks WHERE credential_id = $1";

/// `$1` credential, `$2` time.
pub const INSERT_ACTIVATION_FAILURE: &str =
    "INSERT INTO activation_failures (credential_id, at_ms) VALUES ($1, $2)";

/// `$1` credential, `$2` the start of the window (exclusive).
pub const COUNT_ACTIVATION_FAILURES: &str =
    "SELECT COUNT(*) FROM activation_failures WHERE credential_id = $1 AND at_ms > $2";

/// `$1` credential, `$2` the start of the window: failures too old to count.
pub const DELETE_OLD_ACTIVATION_FAILURES: &str =
    "DELETE FROM activation_failures WHERE credential_id = $1 AND at_ms <= $2";

/// `$1` credential, `$2` time, `$3` failures counted.
pub const LOCK_CREDENTIAL: &str = "
    INSERT INTO credential_locks (credential_id, locked_at_ms, failures) VALUES ($1, $2, $3)
    ON CONFLICT (credential_id) DO NOTHING";

/// `$1` credential, `$2` the TOTP time step of a code just checked: a row changes only if the
/// step is newer than every step accepted before.
pub const USE_TOTP_STEP: &str = "
    INSERT INTO totp_steps (credential_id, time_step) VALUES ($1, $2)
    ON CONFLICT (credential_id) DO UPDATE SET time_step = excluded.time_step
    WHERE totp_steps.time_step < excluded.time_step";

/// `$1` credential.
pub const UNLOCK_CREDENTIAL: &str = "DELETE FROM credential_locks WHERE credential_id = $1";

/// `$1` credential.
pub const DELETE_ACTIVATION_FAILURES: &str =
    "DELETE FROM activation_failures WHERE credential_id = $1";

/// Tables reported by `row_counts`, in dependency order.
pub const TABLES: &[&str] = &[
    "dossiers",
    "day_counters",
    "step_records",
    "blobs",
    "dossier_documents",
    "results",
    "result_renewals",
    "signing_sessions",
    "requests",
    "audit_log",
    "ledger_leaves",
    "ledger_nodes",
    "ledger_checkpoints",
    "activation_failures",
    "credential_locks",
    "totp_steps",
    "events",
];

/// How many blobs each store holds, by the rows.
pub const BLOB_PLACEMENTS: &str =
    "SELECT stored_in, COUNT(*) AS blobs FROM blobs GROUP BY stored_in ORDER BY stored_in";

/// Every blob's key and placement, without the bytes (they are read one at a time).
pub const BLOB_KEYS: &str = "SELECT sha256, stored_in FROM blobs ORDER BY sha256";

/// `$1` SHA-256.
pub const BLOB_ROW: &str = "SELECT size, content FROM blobs WHERE sha256 = $1";

/// `$1` the last code of the previous page or NULL, `$2` limit.
pub const CHAIN_HEADS: &str = "
    SELECT code, last_record_sha256, record_count FROM dossiers
    WHERE ($1 IS NULL OR code > $1) ORDER BY code LIMIT $2";

/// `$1` dossier.
pub const RESULT_VERSIONS: &str =
    "SELECT result_code, sha256, current_sha256 FROM results WHERE dossier_code = $1";

/// Every hash a leaf may log: step records, results as issued, renewed versions.
pub const LOGGABLE_HASHES: &str = "
    SELECT record_sha256 FROM step_records
    UNION ALL SELECT sha256 FROM results
    UNION ALL SELECT sha256 FROM result_renewals
    UNION ALL SELECT sha256 FROM dossier_documents";

pub const HEAD: &str = "SELECT size, root, frontier FROM ledger_head WHERE id = 1";

pub const LEAVES: &str =
    "SELECT leaf_index, leaf_data, kind FROM ledger_leaves ORDER BY leaf_index";

pub const NODES: &str = "SELECT id, hash FROM ledger_nodes";

pub const CHECKPOINTS: &str = "SELECT size, root, note FROM ledger_checkpoints ORDER BY size";

/// One write of a group commit: each runs inside its own savepoint, so that a write that
/// fails is undone alone and the batch goes on.
pub const SAVEPOINT: &str = "SAVEPOINT flow_write";
pub const RELEASE_SAVEPOINT: &str = "RELEASE SAVEPOINT flow_write";
pub const ROLLBACK_TO_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT flow_write";
/// The end of one write's savepoint and the start of the next's, in one round trip.
pub const NEXT_SAVEPOINT: &str = "RELEASE SAVEPOINT flow_write; SAVEPOINT flow_write";

// --- Events and their deliveries ---------------------------------------------------------

/// The newest event's number, 0 before the first: read under the log head's lock, so the
/// numbers a batch gives follow the last committed one.
pub const LAST_EVENT: &str = "SELECT COALESCE(MAX(sequence), 0) AS last FROM events";

/// Rows of (sequence, dossier, record sequence, step, state, national status, department,
/// procedure, time, record SHA-256, result codes (comma-separated)), for
/// `backend::insert_rows`.
pub const INSERT_EVENTS: &str = "
    INSERT INTO events (sequence, dossier_code, record_sequence, step, state, national_status,
                        department, procedure_code, at_ms, record_sha256, result_codes)
    VALUES ";

/// The columns of a `StoredEvent`: the event and what its dossier row adds.
macro_rules! event_columns {
    () => {
        "e.sequence, e.dossier_code, e.record_sequence, e.step, e.state, e.national_status,
         e.department, e.procedure_code, e.at_ms, e.record_sha256, e.result_codes, d.channel,
         d.contact_phone, d.contact_email"
    };
}

/// `$1` after this number, `$2` limit: the next events in order.
pub const EVENTS_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events e JOIN dossiers d ON d.code = e.dossier_code
     WHERE e.sequence > $1 ORDER BY e.sequence LIMIT $2"
);

/// `$1` subscriber, `$2` where a new subscriber starts: creates its cursor if it has none.
pub const INSERT_WEBHOOK_CURSOR: &str = "
    INSERT INTO webhook_cursors (subscriber, sequence) VALUES ($1, $2)
    ON CONFLICT (subscriber) DO NOTHING";

/// `$1` subscriber.
pub const WEBHOOK_CURSOR: &str = "SELECT sequence FROM webhook_cursors WHERE subscriber = $1";

/// `$1` new cursor, `$2` subscriber, `$3` the cursor as read: changes nothing if another
/// replica planned the same events first.
pub const ADVANCE_WEBHOOK_CURSOR: &str = "
    UPDATE webhook_cursors SET sequence = $1 WHERE subscriber = $2 AND sequence = $3";

/// `$1` subscriber, `$2` sequence, `$3` dossier, `$4` due at.
pub const INSERT_DELIVERY: &str = "
    INSERT INTO webhook_deliveries (subscriber, sequence, dossier_code, state, attempts,
                                    next_attempt_ms, lease_until_ms, last_error)
    VALUES ($1, $2, $3, 'pending', 0, $4, 0, '')
    ON CONFLICT (subscriber, sequence) DO NOTHING";

/// The columns of a `Delivery`, with its event's.
macro_rules! delivery_columns {
    () => {
        concat!(
            "w.subscriber, w.state AS delivery_state, w.attempts, w.next_attempt_ms,
             w.last_error, w.delivered_at_ms, ",
            event_columns!()
        )
    };
}

/// `$1` subscriber, `$2` now, `$3` limit: the deliveries that may be attempted now, the
/// oldest open one of each dossier only (so a dossier's events arrive in order): pending and
/// due, or claimed by a replica whose lease has run out.
pub const DUE_DELIVERIES: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM webhook_deliveries w
     JOIN events e ON e.sequence = w.sequence
     JOIN dossiers d ON d.code = e.dossier_code
     WHERE w.subscriber = $1 AND w.state IN ('pending', 'sending')
       AND ((w.state = 'pending' AND w.next_attempt_ms <= $2)
            OR (w.state = 'sending' AND w.lease_until_ms <= $2))
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                       WHERE o.subscriber = w.subscriber AND o.dossier_code = w.dossier_code
                         AND o.sequence < w.sequence AND o.state IN ('pending', 'sending'))
     ORDER BY w.sequence LIMIT $3"
);

/// `$1` lease end, `$2` subscriber, `$3` sequence, `$4` now: claims a delivery for one
/// attempt; changes nothing if another replica claimed it first.
pub const CLAIM_DELIVERY: &str = "
    UPDATE webhook_deliveries SET state = 'sending', lease_until_ms = $1, attempts = attempts + 1
    WHERE subscriber = $2 AND sequence = $3
      AND ((state = 'pending' AND next_attempt_ms <= $4)
           OR (state = 'sending' AND lease_until_ms <= $4))";

/// `$1` state, `$2` next attempt, `$3` last error, `$4` delivered at or NULL, `$5`
/// subscriber, `$6` sequence: the end of an attempt.
pub const FINISH_DELIVERY: &str = "
    UPDATE webhook_deliveries SET state = $1, next_attempt_ms = $2, last_error = $3,
           delivered_at_ms = $4, lease_until_ms = 0
    WHERE subscriber = $5 AND sequence = $6 AND state = 'sending'";

/// `$1` now, `$2` subscriber: the subscriber answered again, so the deliveries waiting out a
/// backoff are due now instead of after it (a subscriber back from an outage gets its backlog
/// at once, not over the next hour). The redundant `IN` lets SQLite use the partial index of
/// open deliveries (it matches an index's `WHERE` by its terms).
pub const EXPEDITE_RETRIES: &str = "
    UPDATE webhook_deliveries SET next_attempt_ms = $1
    WHERE subscriber = $2 AND state IN ('pending', 'sending') AND state = 'pending'
      AND attempts > 0 AND next_attempt_ms > $1";

/// `$1` subscriber or NULL, `$2` state or NULL, `$3` after this sequence, `$4` limit: the
/// deliveries an operator lists.
pub const LIST_DELIVERIES: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM webhook_deliveries w
     JOIN events e ON e.sequence = w.sequence
     JOIN dossiers d ON d.code = e.dossier_code
     WHERE ($1 IS NULL OR w.subscriber = $1) AND ($2 IS NULL OR w.state = $2)
       AND w.sequence > $3
     ORDER BY w.sequence, w.subscriber LIMIT $4"
);

/// `$1` now, `$2` subscriber, `$3` sequence or NULL for every dead delivery of the
/// subscriber: owed again, from the first attempt.
pub const REPLAY_DELIVERIES: &str = "
    UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_ms = $1,
           last_error = '', lease_until_ms = 0
    WHERE subscriber = $2 AND (($3 IS NULL AND state = 'dead') OR sequence = $3)
      AND state <> 'sending'";

/// Each subscriber's open and dead deliveries, with its cursor: counted through the indexes of
/// open rows and of states, never over the delivered history (read every few seconds).
pub const DELIVERY_BACKLOG: &str = "
    SELECT c.subscriber, c.sequence AS cursor,
           (SELECT COUNT(*) FROM webhook_deliveries w
            WHERE w.subscriber = c.subscriber AND w.state IN ('pending', 'sending')) AS open,
           (SELECT COUNT(*) FROM webhook_deliveries w
            WHERE w.subscriber = c.subscriber AND w.state = 'dead') AS dead
    FROM webhook_cursors c ORDER BY c.subscriber";

/// `$1` publisher, `$2` where a new publisher starts.
pub const INSERT_BUS_CURSOR: &str = "
    INSERT INTO bus_cursors (publisher, sequence) VALUES ($1, $2)
    ON CONFLICT (publisher) DO NOTHING";

/// `$1` publisher.
pub const BUS_CURSOR: &str = "SELECT sequence FROM bus_cursors WHERE publisher = $1";

/// `$1` new cursor, `$2` publisher, `$3` the cursor as read.
pub const ADVANCE_BUS_CURSOR: &str = "
    UPDATE bus_cursors SET sequence = $1 WHERE publisher = $2 AND sequence = $3";
