-- Caller authentication (docs/security.md): every audit line names who called — the client
-- certificate's subject and SHA-256, "anonymous" for a public call, "insecure" on a plaintext
-- development server. NULL on lines written before callers were known.
ALTER TABLE audit_log ADD COLUMN caller TEXT;
