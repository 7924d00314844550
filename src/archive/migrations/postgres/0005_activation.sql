-- Activation factors (docs/security.md, "Sole control"): an official's credential may need a
-- PIN before the service signs with it. Failed attempts are kept for the lockout window; a
-- credential with too many is locked until an administrator unlocks it. In the database, so
-- every replica sees the same count and the same lock.
CREATE TABLE activation_failures (
    credential_id TEXT NOT NULL,
    at_ms         BIGINT NOT NULL
);
CREATE INDEX activation_failures_by_credential ON activation_failures (credential_id, at_ms);

CREATE TABLE credential_locks (
    credential_id TEXT PRIMARY KEY,
    locked_at_ms  BIGINT NOT NULL,
    failures      BIGINT NOT NULL
);
