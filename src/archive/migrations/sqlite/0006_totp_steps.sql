-- TOTP activation factors (RFC 6238, docs/security.md "Sole control"): the newest time step
-- whose code each credential accepted. A code is accepted once (RFC 6238 §5.2): a second use
-- of the same code, or of an older one, is refused on every replica.
CREATE TABLE totp_steps (
    credential_id TEXT PRIMARY KEY,
    time_step     BIGINT NOT NULL
);
