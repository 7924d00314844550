-- The embedded archive: dossiers, their signed step records (a hash chain per dossier),
-- content-addressed documents, issued results, idempotency keys and the audit trail.
-- Kept to SQL that PostgreSQL also accepts where the two agree, so the second backend's
-- migration differs only in types (BLOB -> BYTEA, AUTOINCREMENT -> identity).

CREATE TABLE dossiers (
    code               TEXT PRIMARY KEY,
    agency_code        TEXT NOT NULL,
    procedure_code     TEXT NOT NULL,
    department         TEXT NOT NULL,
    applicant_id       TEXT NOT NULL,
    applicant_name     TEXT NOT NULL,
    state              TEXT NOT NULL,
    version            INTEGER NOT NULL,
    received_at_ms     INTEGER NOT NULL,
    received_on        TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    finished_on        TEXT,
    result_code        TEXT UNIQUE,
    last_record_sha256 BLOB NOT NULL,
    record_count       INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL
);
CREATE INDEX dossiers_by_applicant ON dossiers (applicant_id);
CREATE INDEX dossiers_by_procedure ON dossiers (procedure_code, received_on);

-- Running numbers of dossier codes, per receiving agency and day of receipt.
CREATE TABLE day_counters (
    agency_code TEXT NOT NULL,
    day         TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day)
);

CREATE TABLE step_records (
    dossier_code  TEXT NOT NULL REFERENCES dossiers (code),
    sequence      INTEGER NOT NULL,
    step          TEXT NOT NULL,
    record        BLOB NOT NULL,
    signature     BLOB NOT NULL,
    record_sha256 BLOB NOT NULL UNIQUE,
    credential_id TEXT NOT NULL,
    time_ms       INTEGER NOT NULL,
    PRIMARY KEY (dossier_code, sequence)
);

-- Document bytes by SHA-256: the same scan attached twice is stored once.
CREATE TABLE blobs (
    sha256  BLOB PRIMARY KEY,
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE dossier_documents (
    dossier_code    TEXT NOT NULL,
    record_sequence INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    sha256          BLOB NOT NULL REFERENCES blobs (sha256),
    size            INTEGER NOT NULL,
    PRIMARY KEY (dossier_code, record_sequence, position),
    FOREIGN KEY (dossier_code, record_sequence) REFERENCES step_records (dossier_code, sequence)
);

CREATE TABLE results (
    dossier_code     TEXT NOT NULL REFERENCES dossiers (code),
    result_index     INTEGER NOT NULL,
    result_code      TEXT UNIQUE,
    name             TEXT NOT NULL,
    media_type       TEXT NOT NULL,
    sha256           BLOB NOT NULL REFERENCES blobs (sha256),
    size             INTEGER NOT NULL,
    signer_signature BLOB NOT NULL,
    seal_signature   BLOB NOT NULL,
    signed_at_ms     INTEGER NOT NULL,
    issued_at_ms     INTEGER,
    status           TEXT NOT NULL,
    PRIMARY KEY (dossier_code, result_index)
);

-- Idempotency: the first answer to a request id is the answer to every retry.
CREATE TABLE requests (
    request_id    TEXT PRIMARY KEY,
    method        TEXT NOT NULL,
    fingerprint   BLOB NOT NULL,
    dossier_code  TEXT NOT NULL,
    sequence      INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms         INTEGER NOT NULL,
    method        TEXT NOT NULL,
    request_id    TEXT,
    credential_id TEXT,
    dossier_code  TEXT,
    outcome       TEXT NOT NULL,
    message       TEXT NOT NULL
);
