-- Document bytes may live outside the database (src/archive/blobs.rs, docs/archive.md): the
-- row keeps the hash (for the foreign keys of dossier_documents and results) and the size,
-- and names the store that holds the bytes: 'database' (the bytes are in `content`, as for
-- every row written before this migration) or a store's name such as 'files' (`content` is
-- empty).
ALTER TABLE blobs ADD COLUMN stored_in TEXT NOT NULL DEFAULT 'database';
