-- What other systems are told (docs/events.md): how each dossier arrived and whom to notify,
-- the outbox of events written in the transaction of their step, and the delivery state of
-- webhooks and of the message-bus publisher, shared by every replica.

-- How the dossier reached the receiving desk ('desk', 'online', 'post'); dossiers received
-- before this migration came to the desk. The applicant's phone or e-mail for notifications,
-- kept only when they agreed; never shown on public pages.
ALTER TABLE dossiers ADD COLUMN channel TEXT NOT NULL DEFAULT 'desk';
ALTER TABLE dossiers ADD COLUMN contact_phone TEXT;
ALTER TABLE dossiers ADD COLUMN contact_email TEXT;

-- Statistics by period (docs/events.md "Statistics"): the dossiers a period handled are
-- found by receipt date, or as unfinished or finished since (NULLs are in the index too).
CREATE INDEX dossiers_by_receipt ON dossiers (received_on);
CREATE INDEX dossiers_by_finish ON dossiers (finished_on);

-- One row per state change, numbered in commit order: the numbers are given under the log
-- head's lock, so a reader that sees number n has every number below it.
CREATE TABLE events (
    sequence        INTEGER PRIMARY KEY,
    dossier_code    TEXT NOT NULL,
    record_sequence INTEGER NOT NULL,
    step            TEXT NOT NULL,
    state           TEXT NOT NULL,
    national_status INTEGER NOT NULL,
    department      TEXT NOT NULL,
    procedure_code  TEXT NOT NULL,
    at_ms           INTEGER NOT NULL,
    record_sha256   BLOB NOT NULL,
    result_codes    TEXT NOT NULL
);
CREATE INDEX events_by_dossier ON events (dossier_code, sequence);

-- How far each webhook subscriber's deliveries have been planned.
CREATE TABLE webhook_cursors (
    subscriber TEXT PRIMARY KEY,
    sequence   INTEGER NOT NULL
);

-- Each event owed to a subscriber: 'pending' (due at next_attempt_ms), 'sending' (claimed by
-- a replica until lease_until_ms), 'delivered' or 'dead' (given up; replayed by an operator).
CREATE TABLE webhook_deliveries (
    subscriber      TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    dossier_code    TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms  INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    delivered_at_ms INTEGER,
    PRIMARY KEY (subscriber, sequence)
);
-- The open deliveries alone, so finding what is due never walks the delivered history.
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (subscriber, sequence)
    WHERE state IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_by_state ON webhook_deliveries (subscriber, state, sequence);
CREATE INDEX webhook_deliveries_by_dossier ON webhook_deliveries (subscriber, dossier_code, sequence);

-- How far the message-bus publisher has published (acknowledged by the bus).
CREATE TABLE bus_cursors (
    publisher TEXT PRIMARY KEY,
    sequence  INTEGER NOT NULL
);
