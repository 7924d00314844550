-- Long-term validity (docs/archive.md, "Renewal"): `archive renew` appends a fresh document
-- timestamp (PAdES B-LTA) to an issued result before its newest timestamp's TSA certificate
-- expires. The issued file is never replaced: each renewal is a new file that begins with the
-- previous version's exact bytes, so every version stays recognised and provable.
--
-- `results.sha256` stays the hash the Sign record signed and the log's issued-result leaf
-- names; `current_sha256` is the newest version (NULL: never renewed), served to readers.
-- `timestamp_expires_at_ms` caches when the newest timestamp's TSA certificate expires, so a
-- sweep reads only the results that are due (NULL: not yet examined).
ALTER TABLE results ADD COLUMN current_sha256 BLOB;
ALTER TABLE results ADD COLUMN current_size INTEGER;
ALTER TABLE results ADD COLUMN renewed_at_ms INTEGER;
ALTER TABLE results ADD COLUMN timestamp_expires_at_ms INTEGER;
CREATE INDEX results_by_timestamp_expiry ON results (timestamp_expires_at_ms);

-- One row per renewal, in order; each new version is also a leaf of the transparency log
-- (kind renewed_result, leaf data 0x02 || SHA-256 of the new version).
CREATE TABLE result_renewals (
    result_code             TEXT NOT NULL REFERENCES results (result_code),
    renewal                 INTEGER NOT NULL,
    sha256                  BLOB NOT NULL UNIQUE REFERENCES blobs (sha256),
    previous_sha256         BLOB NOT NULL,
    size                    INTEGER NOT NULL,
    renewed_at_ms           INTEGER NOT NULL,
    timestamp_expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (result_code, renewal)
);
