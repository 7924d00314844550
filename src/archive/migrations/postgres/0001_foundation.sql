-- The archive on PostgreSQL: the same tables as the SQLite migration (see there), with
-- BYTEA for bytes, BIGINT for every integer (the code reads them all as i64) and an
-- identity column for the audit trail.

CREATE TABLE dossiers (
    code               TEXT PRIMARY KEY,
    agency_code        TEXT NOT NULL,
    procedure_code     TEXT NOT NULL,
    department         TEXT NOT NULL,
    applicant_id       TEXT NOT NULL,
    applicant_name     TEXT NOT NULL,
    state              TEXT NOT NULL,
    version            BIGINT NOT NULL,
    received_at_ms     BIGINT NOT NULL,
    received_on        TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    finished_on        TEXT,
    result_code        TEXT UNIQUE,
    last_record_sha256 BYTEA NOT NULL,
    record_count       BIGINT NOT NULL,
    updated_at_ms      BIGINT NOT NULL
);
CREATE INDEX dossiers_by_applicant ON dossiers (applicant_id);
CREATE INDEX dossiers_by_procedure ON dossiers (procedure_code, received_on);

-- Running numbers of dossier codes, per receiving agency and day of receipt.
CREATE TABLE day_counters (
    agency_code TEXT NOT NULL,
    day         TEXT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (agency_code, day)
);

CREATE TABLE step_records (
    dossier_code  TEXT NOT NULL REFERENCES dossiers (code),
    sequence      BIGINT NOT NULL,
    step          TEXT NOT NULL,
    record        BYTEA NOT NULL,
    signature     BYTEA NOT NULL,
    record_sha256 BYTEA NOT NULL UNIQUE,
    credential_id TEXT NOT NULL,
    time_ms       BIGINT NOT NULL,
    PRIMARY KEY (dossier_code, sequence)
);

-- Document bytes by SHA-256: the same scan attached twice is stored once.
CREATE TABLE blobs (
    sha256  BYTEA PRIMARY KEY,
    size    BIGINT NOT NULL,
    content BYTEA NOT NULL
);

CREATE TABLE dossier_documents (
    dossier_code    TEXT NOT NULL,
    record_sequence BIGINT NOT NULL,
    position        BIGINT NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    sha256          BYTEA NOT NULL REFERENCES blobs (sha256),
    size            BIGINT NOT NULL,
    PRIMARY KEY (dossier_code, record_sequence, position),
    FOREIGN KEY (dossier_code, record_sequence) REFERENCES step_records (dossier_code, sequence)
);

-- Issued results: the signed PDF (PAdES, signer then seal) under its result code, with the
-- archival metadata of Decree 30/2020 (appendix VI) as JSON, and its status for reuse.
CREATE TABLE results (
    dossier_code   TEXT NOT NULL REFERENCES dossiers (code),
    result_index   BIGINT NOT NULL,
    result_code    TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    sha256         BYTEA NOT NULL REFERENCES blobs (sha256),
    size           BIGINT NOT NULL,
    level          TEXT NOT NULL,
    page_count     BIGINT NOT NULL,
    signer         TEXT NOT NULL,
    applicant_id   TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    metadata       TEXT NOT NULL,
    signed_at_ms   BIGINT NOT NULL,
    issued_at_ms   BIGINT,
    status         TEXT NOT NULL,
    status_reason  TEXT,
    superseded_by  TEXT,
    PRIMARY KEY (dossier_code, result_index)
);
CREATE INDEX results_by_applicant ON results (applicant_id, status);
CREATE INDEX results_by_sha256 ON results (sha256);

-- External signatures between PrepareSignature and CompleteSignature: the prepared revision,
-- bound to the document's hash, usable once and only until it expires.
CREATE TABLE signing_sessions (
    session_id     TEXT PRIMARY KEY,
    input_sha256   BYTEA NOT NULL,
    prepared       TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL
);

-- Idempotency: the first answer to a request id is the answer to every retry.
CREATE TABLE requests (
    request_id    TEXT PRIMARY KEY,
    method        TEXT NOT NULL,
    fingerprint   BYTEA NOT NULL,
    dossier_code  TEXT NOT NULL,
    sequence      BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms         BIGINT NOT NULL,
    method        TEXT NOT NULL,
    request_id    TEXT,
    credential_id TEXT,
    dossier_code  TEXT,
    outcome       TEXT NOT NULL,
    message       TEXT NOT NULL
);

-- The transparency log (src/ledger, docs/ledger.md): every step record and every issued
-- result is a leaf. Only perfect subtrees are stored (by NodeId::flat_key), never updated.
CREATE TABLE ledger_leaves (
    leaf_index     BIGINT PRIMARY KEY,
    leaf_data      BYTEA NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    dossier_code   TEXT NOT NULL,
    appended_at_ms BIGINT NOT NULL
);

CREATE TABLE ledger_nodes (
    id   BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

-- One row: the tree's size, root and right edge. Appends lock it (FOR UPDATE on PostgreSQL,
-- the write lock on SQLite), so replicas sharing the database keep one log.
CREATE TABLE ledger_head (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    size     BIGINT NOT NULL,
    root     BYTEA NOT NULL,
    frontier BYTEA NOT NULL
);
INSERT INTO ledger_head (id, size, root, frontier) VALUES (
    1, 0,
    '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'::bytea,
    '\x010000000000000000'::bytea
);

-- A signed checkpoint (C2SP signed note) for every size the log reached.
CREATE TABLE ledger_checkpoints (
    size          BIGINT PRIMARY KEY,
    root          BYTEA NOT NULL,
    note          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
