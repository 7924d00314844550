//! The SQL shared by the SQLite and PostgreSQL backends. Both speak the same statements
//! (`$n` placeholders, `ON CONFLICT`, `RETURNING`); only the connection types and the way a
//! write transaction begins differ, so one macro expands the whole `Archive` implementation
//! for each backend instead of two copies drifting apart.

/// Tables reported by `row_counts`, in dependency order.
pub(super) const TABLES: &[&str] = &[
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
];

/// Expands the `Archive` implementation for `$archive`, a struct with a `write_transaction`
/// method, a `pool` field of database `$db` whose rows are `$row`, and a `log` field holding
/// the log key. `$lock` is what locks the log head row in a transaction (`FOR UPDATE` where
/// the database has it; SQLite's write transaction already excludes every other writer).
macro_rules! impl_sql_archive {
    ($archive:ty, $db:ty, $row:ty, $lock:literal) => {
        impl $archive {
            /// Signs checkpoints with `key`: needed by every call that appends to the log.
            pub fn with_log(mut self, key: std::sync::Arc<$crate::ledger::LogKey>) -> Self {
                self.log = Some(key);
                self
            }

            /// Keeps new document bytes in `store` instead of the `blobs` rows (which then
            /// hold the hash, size and store name only). Rows naming `store` become readable.
            pub fn with_blob_store(
                mut self,
                store: std::sync::Arc<dyn $crate::archive::BlobStore>,
            ) -> Self {
                self.blobs.place_in(store);
                self
            }

            /// Lets rows naming `store` be read (and checked by fsck) without putting new
            /// blobs there: blobs written under an earlier placement stay readable.
            pub fn with_readable_blob_store(
                mut self,
                store: std::sync::Arc<dyn $crate::archive::BlobStore>,
            ) -> Self {
                self.blobs.add_readable(store);
                self
            }
        }

        const _: () = {
            use std::collections::HashMap;

            use sqlx::{Row, Transaction};

            use $crate::archive::{LogKind, LogReceipt, StoredCheckpoint};
            use $crate::archive::blobs::{BlobStore, IN_DATABASE};
            use $crate::ledger::{self, Hash, NodeId};

            use $crate::archive::{
                Archive, ArchiveError, AuditEntry, DossierChange, DossierRow, NewDocument,
                NewDossier, NewRecord, NewRenewal, RenewalCandidate, RequestMark, Result,
                SearchQuery, SigningSession, StoredDocument, StoredRecord, StoredRenewal,
                StoredRequest, StoredResult,
            };
            use $crate::flow::codes::DossierCode;

            async fn insert_request(
                tx: &mut Transaction<'static, $db>,
                request: &RequestMark,
                dossier_code: &str,
                sequence: i64,
            ) -> Result<()> {
                let inserted = sqlx::query(
                    "INSERT INTO requests (request_id, method, fingerprint, dossier_code, sequence, created_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING",
                )
                .bind(&request.request_id)
                .bind(&request.method)
                .bind(&request.fingerprint[..])
                .bind(dossier_code)
                .bind(sequence)
                .bind(request.at_ms)
                .execute(&mut **tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(ArchiveError::RequestRace(request.request_id.clone()));
                }
                Ok(())
            }

            async fn insert_audit(tx: &mut Transaction<'static, $db>, entry: &AuditEntry) -> Result<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at_ms, method, request_id, credential_id, dossier_code, outcome, message)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(entry.at_ms)
                .bind(&entry.method)
                .bind(&entry.request_id)
                .bind(&entry.credential_id)
                .bind(&entry.dossier_code)
                .bind(&entry.outcome)
                .bind(&entry.message)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Stores a document's bytes once (by hash). With an external store the bytes are
            /// written, durably, before the row that names the store: a rollback leaves an
            /// unreferenced blob, a commit never a row without its bytes.
            async fn insert_blob(
                tx: &mut Transaction<'static, $db>,
                store: Option<&dyn BlobStore>,
                document: &NewDocument,
            ) -> Result<()> {
                let existing: Option<String> =
                    sqlx::query_scalar("SELECT stored_in FROM blobs WHERE sha256 = $1")
                        .bind(&document.sha256[..])
                        .fetch_optional(&mut **tx)
                        .await?;
                let Some(store) = store else {
                    if existing.is_none() {
                        sqlx::query(
                            "INSERT INTO blobs (sha256, size, content, stored_in) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (sha256) DO NOTHING",
                        )
                        .bind(&document.sha256[..])
                        .bind(document.content.len() as i64)
                        .bind(&document.content[..])
                        .bind(IN_DATABASE)
                        .execute(&mut **tx)
                        .await?;
                    }
                    return Ok(());
                };
                match existing.as_deref() {
                    // Kept elsewhere already (in the database, say): nothing to write.
                    Some(name) if name != store.name() => return Ok(()),
                    // Put again: a no-op if the bytes are there, and it restores a lost copy.
                    Some(_) => store.put(&document.sha256, &document.content).await?,
                    None => {
                        store.put(&document.sha256, &document.content).await?;
                        sqlx::query(
                            "INSERT INTO blobs (sha256, size, content, stored_in) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (sha256) DO NOTHING",
                        )
                        .bind(&document.sha256[..])
                        .bind(document.content.len() as i64)
                        .bind(&b""[..])
                        .bind(store.name())
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn insert_record(
                tx: &mut Transaction<'static, $db>,
                store: Option<&dyn BlobStore>,
                dossier_code: &str,
                record: &NewRecord,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO step_records (dossier_code, sequence, step, record, signature, record_sha256, credential_id, time_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(dossier_code)
                .bind(record.sequence)
                .bind(&record.step)
                .bind(&record.record[..])
                .bind(&record.signature[..])
                .bind(&record.record_sha256[..])
                .bind(&record.credential_id)
                .bind(record.time_ms)
                .execute(&mut **tx)
                .await?;
                for (position, document) in record.documents.iter().enumerate() {
                    insert_blob(tx, store, document).await?;
                    sqlx::query(
                        "INSERT INTO dossier_documents (dossier_code, record_sequence, position, name, media_type, sha256, size)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(dossier_code)
                    .bind(record.sequence)
                    .bind(position as i64)
                    .bind(&document.name)
                    .bind(&document.media_type)
                    .bind(&document.sha256[..])
                    .bind(document.content.len() as i64)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            fn dossier_from_row(row: &$row) -> Result<DossierRow> {
                Ok(DossierRow {
                    code: row.try_get("code")?,
                    agency_code: row.try_get("agency_code")?,
                    procedure_code: row.try_get("procedure_code")?,
                    department: row.try_get("department")?,
                    applicant_id: row.try_get("applicant_id")?,
                    applicant_name: row.try_get("applicant_name")?,
                    state: row.try_get("state")?,
                    version: row.try_get("version")?,
                    received_at_ms: row.try_get("received_at_ms")?,
                    received_on: row.try_get("received_on")?,
                    due_date: row.try_get("due_date")?,
                    finished_on: row.try_get("finished_on")?,
                    result_code: row.try_get("result_code")?,
                    last_record_sha256: row.try_get("last_record_sha256")?,
                    record_count: row.try_get("record_count")?,
                })
            }

            fn checkpoint_from_row(row: &$row) -> Result<StoredCheckpoint> {
                let size: i64 = row.try_get("size")?;
                Ok(StoredCheckpoint {
                    size: u64::try_from(size)
                        .map_err(|_| ArchiveError::Corrupt(format!("checkpoint size {size}")))?,
                    root: row.try_get("root")?,
                    note: row.try_get("note")?,
                })
            }

            fn as_i64(value: u64) -> Result<i64> {
                i64::try_from(value)
                    .map_err(|_| ArchiveError::Corrupt(format!("log index {value} is too large")))
            }

            /// Reads the stored perfect subtrees a proof needs, in one query.
            async fn fetch_nodes<'c, X>(executor: X, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>>
            where
                X: sqlx::Executor<'c, Database = $db>,
            {
                if ids.is_empty() {
                    return Ok(HashMap::new());
                }
                let keys = ids
                    .iter()
                    .map(|id| {
                        id.flat_key()
                            .ok_or_else(|| ArchiveError::Corrupt(format!("node {id} has no key")))
                    })
                    .collect::<Result<Vec<i64>>>()?;
                let placeholders = (1..=keys.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("SELECT id, hash FROM ledger_nodes WHERE id IN ({placeholders})");
                let mut query = sqlx::query(&sql);
                for key in &keys {
                    query = query.bind(*key);
                }
                let rows = query.fetch_all(executor).await?;
                let mut nodes = HashMap::with_capacity(rows.len());
                for row in rows {
                    let key: i64 = row.try_get("id")?;
                    let hash: Vec<u8> = row.try_get("hash")?;
                    let id = NodeId::from_flat_key(key)
                        .ok_or_else(|| ArchiveError::Corrupt(format!("node key {key}")))?;
                    let hash: Hash = hash
                        .try_into()
                        .map_err(|_| ArchiveError::Corrupt(format!("node {id} is not 32 bytes")))?;
                    nodes.insert(id, hash);
                }
                Ok(nodes)
            }

            /// Appends leaves to the log inside the caller's transaction, signs the checkpoint
            /// of the new size, and proves the first new leaf's inclusion in it.
            async fn append_log(
                tx: &mut Transaction<'static, $db>,
                key: &ledger::LogKey,
                entries: &[(LogKind, [u8; 32])],
                dossier_code: &str,
                at_ms: i64,
            ) -> Result<LogReceipt> {
                let head = sqlx::query(concat!(
                    "SELECT size, frontier FROM ledger_head WHERE id = 1",
                    $lock
                ))
                .fetch_one(&mut **tx)
                .await?;
                let stored_size: i64 = head.try_get("size")?;
                let frontier_bytes: Vec<u8> = head.try_get("frontier")?;
                let mut frontier = ledger::Frontier::from_bytes(&frontier_bytes)?;
                if i64::try_from(frontier.size()).ok() != Some(stored_size) {
                    return Err(ArchiveError::Corrupt(format!(
                        "the log head says size {stored_size} but its frontier has {}",
                        frontier.size()
                    )));
                }
                let first = frontier.size();
                let mut first_leaf_hash = None;
                for (kind, hash) in entries {
                    let index = frontier.size();
                    let data = kind.leaf_data(hash);
                    let leaf = ledger::leaf_hash(&data);
                    first_leaf_hash.get_or_insert(leaf);
                    for (id, node) in frontier.append(leaf)? {
                        let key = id
                            .flat_key()
                            .ok_or_else(|| ArchiveError::Corrupt(format!("node {id} has no key")))?;
                        sqlx::query("INSERT INTO ledger_nodes (id, hash) VALUES ($1, $2)")
                            .bind(key)
                            .bind(&node[..])
                            .execute(&mut **tx)
                            .await?;
                    }
                    sqlx::query(
                        "INSERT INTO ledger_leaves (leaf_index, leaf_data, kind, dossier_code, appended_at_ms)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(as_i64(index)?)
                    .bind(&data)
                    .bind(kind.name())
                    .bind(dossier_code)
                    .bind(at_ms)
                    .execute(&mut **tx)
                    .await?;
                }
                let size = frontier.size();
                let root = frontier.root();
                let updated = sqlx::query(
                    "UPDATE ledger_head SET size = $1, root = $2, frontier = $3 WHERE id = 1 AND size = $4",
                )
                .bind(as_i64(size)?)
                .bind(&root[..])
                .bind(frontier.to_bytes())
                .bind(stored_size)
                .execute(&mut **tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(ArchiveError::Conflict {
                        code: "the transparency log".to_owned(),
                        expected: stored_size,
                    });
                }
                let note = ledger::Checkpoint {
                    origin: key.name().to_owned(),
                    size,
                    root,
                    time_unix: at_ms.div_euclid(1000),
                }
                .sign(key)?;
                sqlx::query(
                    "INSERT INTO ledger_checkpoints (size, root, note, created_at_ms) VALUES ($1, $2, $3, $4)",
                )
                .bind(as_i64(size)?)
                .bind(&root[..])
                .bind(&note)
                .bind(at_ms)
                .execute(&mut **tx)
                .await?;
                let nodes = fetch_nodes(&mut **tx, &ledger::inclusion_proof_nodes(first, size)?).await?;
                Ok(LogReceipt {
                    leaf_index: first,
                    leaf_hash: first_leaf_hash.unwrap_or_else(ledger::empty_root),
                    path: ledger::inclusion_proof(first, size, &nodes)?,
                    checkpoint: StoredCheckpoint {
                        size,
                        root: root.to_vec(),
                        note,
                    },
                })
            }

            fn result_from_row(row: &$row) -> Result<StoredResult> {
                Ok(StoredResult {
                    dossier_code: row.try_get("dossier_code")?,
                    result_code: row.try_get("result_code")?,
                    name: row.try_get("name")?,
                    media_type: row.try_get("media_type")?,
                    sha256: row.try_get("sha256")?,
                    size: row.try_get("size")?,
                    level: row.try_get("level")?,
                    page_count: row.try_get("page_count")?,
                    signer: row.try_get("signer")?,
                    applicant_id: row.try_get("applicant_id")?,
                    procedure_code: row.try_get("procedure_code")?,
                    metadata: row.try_get("metadata")?,
                    signed_at_ms: row.try_get("signed_at_ms")?,
                    issued_at_ms: row.try_get("issued_at_ms")?,
                    status: row.try_get("status")?,
                    status_reason: row.try_get("status_reason")?,
                    superseded_by: row.try_get("superseded_by")?,
                    current_sha256: match row.try_get::<Option<Vec<u8>>, _>("current_sha256")? {
                        Some(current) => current,
                        None => row.try_get("sha256")?,
                    },
                    current_size: match row.try_get::<Option<i64>, _>("current_size")? {
                        Some(size) => size,
                        None => row.try_get("size")?,
                    },
                    renewed_at_ms: row.try_get("renewed_at_ms")?,
                    timestamp_expires_at_ms: row.try_get("timestamp_expires_at_ms")?,
                })
            }

            fn renewal_from_row(row: &$row) -> Result<StoredRenewal> {
                Ok(StoredRenewal {
                    renewal: row.try_get("renewal")?,
                    sha256: row.try_get("sha256")?,
                    previous_sha256: row.try_get("previous_sha256")?,
                    size: row.try_get("size")?,
                    renewed_at_ms: row.try_get("renewed_at_ms")?,
                    timestamp_expires_at_ms: row.try_get("timestamp_expires_at_ms")?,
                })
            }

            fn record_from_row(row: &$row) -> Result<StoredRecord> {
                Ok(StoredRecord {
                    sequence: row.try_get("sequence")?,
                    step: row.try_get("step")?,
                    record: row.try_get("record")?,
                    signature: row.try_get("signature")?,
                    record_sha256: row.try_get("record_sha256")?,
                })
            }

            /// A leaf's audit path to the checkpoint signed by the transaction that appended it.
            async fn receipt_at(archive: &$archive, leaf_index: u64) -> Result<LogReceipt> {
                let row = sqlx::query(
                    "SELECT size, root, note FROM ledger_checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
                )
                .bind(as_i64(leaf_index)?)
                .fetch_optional(&archive.pool)
                .await?;
                let Some(row) = row else {
                    return Err(ArchiveError::Corrupt(format!(
                        "leaf {leaf_index} has no checkpoint"
                    )));
                };
                let checkpoint = checkpoint_from_row(&row)?;
                let (leaf_hash, path) = archive.inclusion_proof(leaf_index, checkpoint.size).await?;
                Ok(LogReceipt {
                    leaf_index,
                    leaf_hash,
                    path,
                    checkpoint,
                })
            }

            impl Archive for $archive {
                async fn find_request(&self, request_id: &str) -> Result<Option<StoredRequest>> {
                    let row = sqlx::query(
                        "SELECT method, fingerprint, dossier_code, sequence FROM requests WHERE request_id = $1",
                    )
                    .bind(request_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| {
                        Ok(StoredRequest {
                            method: row.try_get("method")?,
                            fingerprint: row.try_get("fingerprint")?,
                            dossier_code: row.try_get("dossier_code")?,
                            sequence: row.try_get("sequence")?,
                        })
                    })
                    .transpose()
                }

                async fn create_dossier<F, E>(
                    &self,
                    new: NewDossier,
                    request: RequestMark,
                    mut audit: AuditEntry,
                    build: F,
                ) -> Result<(DossierCode, NewRecord, LogReceipt), E>
                where
                    F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send,
                    E: From<ArchiveError> + Send,
                {
                    let key = self.log.clone().ok_or(ArchiveError::NoLogKey)?;
                    let mut tx = self.write_transaction().await?;
                    let day = new.received_on.to_string();
                    let number: i64 = sqlx::query_scalar(
                        "INSERT INTO day_counters (agency_code, day, last_number) VALUES ($1, $2, 1)
                         ON CONFLICT (agency_code, day) DO UPDATE SET last_number = day_counters.last_number + 1
                         RETURNING last_number",
                    )
                    .bind(new.agency.as_str())
                    .bind(&day)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(ArchiveError::from)?;
                    let code = u32::try_from(number)
                        .ok()
                        .and_then(|n| DossierCode::new(new.agency.clone(), new.received_on, n).ok())
                        .ok_or_else(|| ArchiveError::NumbersExhausted {
                            agency: new.agency.as_str().to_owned(),
                            day: day.clone(),
                        })?;
                    // Dropping `tx` on any error below rolls the counter back: the number is not used up.
                    let record = build(&code)?;
                    let code_text = code.to_string();
                    sqlx::query(
                        "INSERT INTO dossiers (code, agency_code, procedure_code, department, applicant_id, applicant_name,
                                               state, version, received_at_ms, received_on, due_date, last_record_sha256,
                                               record_count, updated_at_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, 1, $8)",
                    )
                    .bind(&code_text)
                    .bind(new.agency.as_str())
                    .bind(&new.procedure_code)
                    .bind(&new.department)
                    .bind(&new.applicant_id)
                    .bind(&new.applicant_name)
                    .bind(&new.state)
                    .bind(new.received_at_ms)
                    .bind(new.received_on.to_string())
                    .bind(&new.due_date)
                    .bind(&record.record_sha256[..])
                    .execute(&mut *tx)
                    .await
                    .map_err(ArchiveError::from)?;
                    insert_record(&mut tx, self.blobs.placement(), &code_text, &record).await?;
                    insert_request(&mut tx, &request, &code_text, record.sequence).await?;
                    let receipt = append_log(
                        &mut tx,
                        &key,
                        &[(LogKind::StepRecord, record.record_sha256)],
                        &code_text,
                        record.time_ms,
                    )
                    .await?;
                    audit.dossier_code = Some(code_text);
                    insert_audit(&mut tx, &audit).await?;
                    tx.commit().await.map_err(ArchiveError::from)?;
                    Ok((code, record, receipt))
                }

                async fn append_step(
                    &self,
                    code: &DossierCode,
                    expected_version: i64,
                    change: DossierChange,
                    record: &NewRecord,
                    request: &RequestMark,
                    audit: &AuditEntry,
                ) -> Result<LogReceipt> {
                    let key = self.log.clone().ok_or(ArchiveError::NoLogKey)?;
                    let code_text = code.to_string();
                    let mut tx = self.write_transaction().await?;
                    let updated = sqlx::query(
                        "UPDATE dossiers SET state = $1, version = version + 1, due_date = COALESCE($2, due_date),
                                finished_on = COALESCE($3, finished_on), last_record_sha256 = $4,
                                record_count = record_count + 1, updated_at_ms = $5,
                                result_code = COALESCE($6, result_code)
                         WHERE code = $7 AND version = $8",
                    )
                    .bind(&change.state)
                    .bind(&change.due_date)
                    .bind(&change.finished_on)
                    .bind(&record.record_sha256[..])
                    .bind(record.time_ms)
                    .bind(change.issue_result.as_ref().map(|r| &r.result_code))
                    .bind(&code_text)
                    .bind(expected_version)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() != 1 {
                        return Err(ArchiveError::Conflict {
                            code: code_text,
                            expected: expected_version,
                        });
                    }
                    insert_record(&mut tx, self.blobs.placement(), &code_text, record).await?;
                    if let Some(result) = &change.result {
                    insert_blob(&mut tx, self.blobs.placement(), &result.document).await?;
                    sqlx::query(
                        "INSERT INTO results (dossier_code, result_index, result_code, name, media_type, sha256, size,
                                              level, page_count, signer, applicant_id, procedure_code, metadata,
                                              signed_at_ms, status)
                         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'valid')",
                    )
                    .bind(&code_text)
                    .bind(&result.result_code)
                    .bind(&result.document.name)
                    .bind(&result.document.media_type)
                    .bind(&result.document.sha256[..])
                    .bind(result.document.content.len() as i64)
                    .bind(&result.level)
                    .bind(result.page_count)
                    .bind(&result.signer)
                    .bind(&result.applicant_id)
                    .bind(&result.procedure_code)
                    .bind(&result.metadata)
                    .bind(result.signed_at_ms)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(issued) = &change.issue_result {
                        let updated = sqlx::query(
                            "UPDATE results SET issued_at_ms = $2
                             WHERE result_code = $1 AND dossier_code = $3 AND issued_at_ms IS NULL",
                        )
                        .bind(&issued.result_code)
                        .bind(issued.issued_at_ms)
                        .bind(&code_text)
                        .execute(&mut *tx)
                        .await?;
                        if updated.rows_affected() != 1 {
                            return Err(ArchiveError::Corrupt(format!(
                                "dossier {code_text} has no signed, unissued result to issue"
                            )));
                        }
                    }
                    if let Some(revocation) = &change.revoke_result {
                        // Guarded like the dossier's version: of two concurrent revocations
                        // exactly one finds the result still valid.
                        let updated = sqlx::query(
                            "UPDATE results SET status = $1, status_reason = $2, superseded_by = $3
                             WHERE result_code = $4 AND dossier_code = $5 AND status = 'valid'
                               AND issued_at_ms IS NOT NULL",
                        )
                        .bind(&revocation.status)
                        .bind(&revocation.reason)
                        .bind(&revocation.superseded_by)
                        .bind(&revocation.result_code)
                        .bind(&code_text)
                        .execute(&mut *tx)
                        .await?;
                        if updated.rows_affected() != 1 {
                            return Err(ArchiveError::Conflict {
                                code: code_text,
                                expected: expected_version,
                            });
                        }
                    }
                    let mut entries = vec![(LogKind::StepRecord, record.record_sha256)];
                    if let Some(issued) = &change.issue_result {
                        entries.push((LogKind::IssuedResult, issued.sha256));
                    }
                    let receipt = append_log(&mut tx, &key, &entries, &code_text, record.time_ms).await?;
                    insert_request(&mut tx, request, &code_text, record.sequence).await?;
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(receipt)
                }

                async fn log_receipt(&self, record_sha256: &[u8]) -> Result<Option<LogReceipt>> {
                    let Some(leaf_index) = self.leaf_of_record(record_sha256).await? else {
                        return Ok(None);
                    };
                    receipt_at(self, leaf_index).await.map(Some)
                }

                async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
                    let row = sqlx::query(
                        "SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1",
                    )
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(checkpoint_from_row).transpose()
                }

                async fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
                    let row = sqlx::query("SELECT size, root, note FROM ledger_checkpoints WHERE size = $1")
                        .bind(as_i64(size)?)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(checkpoint_from_row).transpose()
                }

                async fn leaf_of_record(&self, record_sha256: &[u8]) -> Result<Option<u64>> {
                    let index: Option<i64> = sqlx::query_scalar(
                        "SELECT leaf_index FROM ledger_leaves WHERE leaf_data = $1",
                    )
                    .bind(LogKind::StepRecord.leaf_data(record_sha256))
                    .fetch_optional(&self.pool)
                    .await?;
                    index
                        .map(|i| {
                            u64::try_from(i)
                                .map_err(|_| ArchiveError::Corrupt(format!("leaf index {i}")))
                        })
                        .transpose()
                }

                async fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<(Hash, Vec<Hash>)> {
                    ledger::ensure_within(leaf_index.saturating_add(1), tree_size)?;
                    let mut ids = ledger::inclusion_proof_nodes(leaf_index, tree_size)?;
                    let leaf = NodeId { level: 0, index: leaf_index };
                    ids.push(leaf);
                    let nodes = fetch_nodes(&self.pool, &ids).await?;
                    let leaf_hash = *nodes.get(&leaf).ok_or(ledger::LedgerError::MissingNode(leaf))?;
                    Ok((leaf_hash, ledger::inclusion_proof(leaf_index, tree_size, &nodes)?))
                }

                async fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>> {
                    let nodes = fetch_nodes(&self.pool, &ledger::consistency_proof_nodes(old_size, new_size)?).await?;
                    Ok(ledger::consistency_proof(old_size, new_size, &nodes)?)
                }

                async fn dossier(&self, code: &DossierCode) -> Result<Option<DossierRow>> {
                    let row = sqlx::query("SELECT * FROM dossiers WHERE code = $1")
                        .bind(code.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(dossier_from_row).transpose()
                }

                async fn records(&self, code: &DossierCode) -> Result<Vec<StoredRecord>> {
                    let rows = sqlx::query(
                        "SELECT sequence, step, record, signature, record_sha256 FROM step_records
                         WHERE dossier_code = $1 ORDER BY sequence",
                    )
                    .bind(code.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(record_from_row).collect()
                }

                async fn record(&self, code: &DossierCode, sequence: i64) -> Result<Option<StoredRecord>> {
                    let row = sqlx::query(
                        "SELECT sequence, step, record, signature, record_sha256 FROM step_records
                         WHERE dossier_code = $1 AND sequence = $2",
                    )
                    .bind(code.to_string())
                    .bind(sequence)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(record_from_row).transpose()
                }

                async fn documents(&self, code: &DossierCode) -> Result<Vec<StoredDocument>> {
                    let rows = sqlx::query(
                        "SELECT record_sequence, name, media_type, sha256, size FROM dossier_documents
                         WHERE dossier_code = $1 ORDER BY record_sequence, position",
                    )
                    .bind(code.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            Ok(StoredDocument {
                                record_sequence: row.try_get("record_sequence")?,
                                name: row.try_get("name")?,
                                media_type: row.try_get("media_type")?,
                                sha256: row.try_get("sha256")?,
                                size: row.try_get("size")?,
                            })
                        })
                        .collect()
                }

                async fn result(&self, code: &DossierCode) -> Result<Option<StoredResult>> {
                let row = sqlx::query(
                    "SELECT * FROM results WHERE dossier_code = $1 AND result_index = 1",
                )
                .bind(code.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(result_from_row).transpose()
            }

            async fn blob(&self, sha256: &[u8]) -> Result<Option<Vec<u8>>> {
                    let row = sqlx::query("SELECT size, stored_in, content FROM blobs WHERE sha256 = $1")
                        .bind(sha256)
                        .fetch_optional(&self.pool)
                        .await?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let stored_in: String = row.try_get("stored_in")?;
                    if stored_in == IN_DATABASE {
                        return Ok(Some(row.try_get("content")?));
                    }
                    let size: i64 = row.try_get("size")?;
                    let Some(store) = self.blobs.named(&stored_in) else {
                        return Err(ArchiveError::BlobMissing {
                            sha256: hex::encode(sha256),
                            location: format!("the {stored_in:?} store, which this archive was not given"),
                        });
                    };
                    let Some(content) = store.get(sha256).await? else {
                        return Err(ArchiveError::BlobMissing {
                            sha256: hex::encode(sha256),
                            location: store.describe(),
                        });
                    };
                    // The bytes come from outside the database: check them before use.
                    let problem = if content.len() as i64 != size {
                        Some(format!("{} bytes where the archive stored {size}", content.len()))
                    } else if $crate::crypto::sha256(&content)[..] != sha256[..] {
                        Some("its content does not match its hash".to_owned())
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        return Err(ArchiveError::BlobDamaged {
                            sha256: hex::encode(sha256),
                            location: store.describe(),
                            problem,
                        });
                    }
                    Ok(Some(content))
                }

                async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
                    let mut tx = self.write_transaction().await?;
                    insert_audit(&mut tx, entry).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn row_counts(&self) -> Result<Vec<(String, i64)>> {
                    let mut counts = Vec::with_capacity($crate::archive::sql::TABLES.len());
                    for table in $crate::archive::sql::TABLES {
                        // Table names come from the constant above, never from input.
                        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                            .fetch_one(&self.pool)
                            .await?;
                        counts.push((table.to_string(), count));
                    }
                    Ok(counts)
                }

                async fn result_by_code(&self, result_code: &str) -> Result<Option<StoredResult>> {
                    let row = sqlx::query("SELECT * FROM results WHERE result_code = $1")
                        .bind(result_code)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(result_from_row).transpose()
                }

                async fn dossier_of_record(&self, record_sha256: &[u8]) -> Result<Option<String>> {
                    Ok(sqlx::query_scalar(
                        "SELECT dossier_code FROM step_records WHERE record_sha256 = $1",
                    )
                    .bind(record_sha256)
                    .fetch_optional(&self.pool)
                    .await?)
                }

                async fn search(
                    &self,
                    query: &SearchQuery,
                    limit: i64,
                ) -> Result<Vec<(DossierRow, Option<StoredResult>)>> {
                    // One statement for every combination of criteria: a NULL criterion
                    // matches all rows, so the planner still uses the indexes of the others.
                    let rows = sqlx::query(
                        "SELECT d.code FROM dossiers d
                         WHERE ($1 IS NULL OR d.applicant_id = $1)
                           AND ($2 IS NULL OR d.procedure_code = $2)
                           AND ($3 IS NULL OR d.department = $3)
                           AND ($4 IS NULL OR d.state = $4)
                           AND ($5 IS NULL OR d.received_on >= $5)
                           AND ($6 IS NULL OR d.received_on <= $6)
                           AND ($7 IS NULL OR d.received_at_ms > $7
                                OR (d.received_at_ms = $7 AND d.code > $8))
                         ORDER BY d.received_at_ms, d.code
                         LIMIT $9",
                    )
                    .bind(&query.applicant_id)
                    .bind(&query.procedure_code)
                    .bind(&query.department)
                    .bind(&query.state)
                    .bind(&query.received_from)
                    .bind(&query.received_to)
                    .bind(query.after.as_ref().map(|(ms, _)| *ms))
                    .bind(query.after.as_ref().map(|(_, code)| code.clone()))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut hits = Vec::with_capacity(rows.len());
                    for row in rows {
                        let code: String = row.try_get("code")?;
                        let dossier = sqlx::query("SELECT * FROM dossiers WHERE code = $1")
                            .bind(&code)
                            .fetch_one(&self.pool)
                            .await?;
                        let result = sqlx::query(
                            "SELECT * FROM results WHERE dossier_code = $1 AND result_index = 1",
                        )
                        .bind(&code)
                        .fetch_optional(&self.pool)
                        .await?;
                        hits.push((
                            dossier_from_row(&dossier)?,
                            result.as_ref().map(result_from_row).transpose()?,
                        ));
                    }
                    Ok(hits)
                }

                async fn put_signing_session(&self, session: &SigningSession) -> Result<()> {
                    let mut tx = self.write_transaction().await?;
                    // Expired sessions are swept whenever a new one is stored.
                    sqlx::query("DELETE FROM signing_sessions WHERE expires_at_ms < $1")
                        .bind(session.created_at_ms)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO signing_sessions (session_id, input_sha256, prepared, created_at_ms, expires_at_ms)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&session.session_id)
                    .bind(&session.input_sha256)
                    .bind(&session.prepared)
                    .bind(session.created_at_ms)
                    .bind(session.expires_at_ms)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn take_signing_session(&self, session_id: &str) -> Result<Option<SigningSession>> {
                    let mut tx = self.write_transaction().await?;
                    let row = sqlx::query("SELECT * FROM signing_sessions WHERE session_id = $1")
                        .bind(session_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    sqlx::query("DELETE FROM signing_sessions WHERE session_id = $1")
                        .bind(session_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Some(SigningSession {
                        session_id: row.try_get("session_id")?,
                        input_sha256: row.try_get("input_sha256")?,
                        prepared: row.try_get("prepared")?,
                        created_at_ms: row.try_get("created_at_ms")?,
                        expires_at_ms: row.try_get("expires_at_ms")?,
                    }))
                }

                async fn reusable_results(&self, applicant_id: &str) -> Result<Vec<StoredResult>> {
                    let rows = sqlx::query(
                        "SELECT * FROM results
                         WHERE applicant_id = $1 AND status = 'valid' AND issued_at_ms IS NOT NULL
                         ORDER BY issued_at_ms DESC, result_code",
                    )
                    .bind(applicant_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(result_from_row).collect()
                }

                async fn count_renewal_candidates(&self, horizon_ms: i64) -> Result<u64> {
                    let count: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM results
                         WHERE issued_at_ms IS NOT NULL
                           AND (timestamp_expires_at_ms IS NULL OR timestamp_expires_at_ms <= $1)",
                    )
                    .bind(horizon_ms)
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(u64::try_from(count).unwrap_or(0))
                }

                async fn renewal_candidates(
                    &self,
                    horizon_ms: i64,
                    after: Option<&str>,
                    limit: i64,
                ) -> Result<Vec<RenewalCandidate>> {
                    let rows = sqlx::query(
                        "SELECT result_code, dossier_code, COALESCE(current_sha256, sha256) AS current_sha256,
                                timestamp_expires_at_ms
                         FROM results
                         WHERE issued_at_ms IS NOT NULL
                           AND (timestamp_expires_at_ms IS NULL OR timestamp_expires_at_ms <= $1)
                           AND ($2 IS NULL OR result_code > $2)
                         ORDER BY result_code
                         LIMIT $3",
                    )
                    .bind(horizon_ms)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            Ok(RenewalCandidate {
                                result_code: row.try_get("result_code")?,
                                dossier_code: row.try_get("dossier_code")?,
                                current_sha256: row.try_get("current_sha256")?,
                                timestamp_expires_at_ms: row.try_get("timestamp_expires_at_ms")?,
                            })
                        })
                        .collect()
                }

                async fn note_timestamp_expiry(
                    &self,
                    result_code: &str,
                    current_sha256: &[u8],
                    expires_at_ms: i64,
                ) -> Result<()> {
                    sqlx::query(
                        "UPDATE results SET timestamp_expires_at_ms = $1
                         WHERE result_code = $2 AND COALESCE(current_sha256, sha256) = $3",
                    )
                    .bind(expires_at_ms)
                    .bind(result_code)
                    .bind(current_sha256)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn renew_result(&self, renewal: &NewRenewal, audit: &AuditEntry) -> Result<LogReceipt> {
                    let key = self.log.clone().ok_or(ArchiveError::NoLogKey)?;
                    let mut tx = self.write_transaction().await?;
                    insert_blob(&mut tx, self.blobs.placement(), &renewal.document).await?;
                    // Guarded like a dossier's version: of two sweeps renewing the same version,
                    // exactly one finds it still current.
                    let updated = sqlx::query(
                        "UPDATE results SET current_sha256 = $1, current_size = $2, level = $3,
                                renewed_at_ms = $4, timestamp_expires_at_ms = $5
                         WHERE result_code = $6 AND COALESCE(current_sha256, sha256) = $7
                           AND issued_at_ms IS NOT NULL",
                    )
                    .bind(&renewal.document.sha256[..])
                    .bind(renewal.document.content.len() as i64)
                    .bind(&renewal.level)
                    .bind(renewal.renewed_at_ms)
                    .bind(renewal.timestamp_expires_at_ms)
                    .bind(&renewal.result_code)
                    .bind(&renewal.previous_sha256)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() != 1 {
                        return Err(ArchiveError::Conflict {
                            code: format!("result {}", renewal.result_code),
                            expected: 0,
                        });
                    }
                    sqlx::query(
                        "INSERT INTO result_renewals (result_code, renewal, sha256, previous_sha256, size,
                                                      renewed_at_ms, timestamp_expires_at_ms)
                         SELECT $1, COALESCE(MAX(renewal), 0) + 1, $2, $3, $4, $5, $6
                         FROM result_renewals WHERE result_code = $1",
                    )
                    .bind(&renewal.result_code)
                    .bind(&renewal.document.sha256[..])
                    .bind(&renewal.previous_sha256)
                    .bind(renewal.document.content.len() as i64)
                    .bind(renewal.renewed_at_ms)
                    .bind(renewal.timestamp_expires_at_ms)
                    .execute(&mut *tx)
                    .await?;
                    let receipt = append_log(
                        &mut tx,
                        &key,
                        &[(LogKind::RenewedResult, renewal.document.sha256)],
                        &renewal.dossier_code,
                        renewal.renewed_at_ms,
                    )
                    .await?;
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(receipt)
                }

                async fn renewals(&self, result_code: &str) -> Result<Vec<StoredRenewal>> {
                    let rows = sqlx::query(
                        "SELECT * FROM result_renewals WHERE result_code = $1 ORDER BY renewal",
                    )
                    .bind(result_code)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(renewal_from_row).collect()
                }

                async fn result_log_receipt(&self, kind: LogKind, sha256: &[u8]) -> Result<Option<LogReceipt>> {
                    let index: Option<i64> = sqlx::query_scalar(
                        "SELECT leaf_index FROM ledger_leaves WHERE leaf_data = $1",
                    )
                    .bind(kind.leaf_data(sha256))
                    .fetch_optional(&self.pool)
                    .await?;
                    let Some(index) = index else {
                        return Ok(None);
                    };
                    let leaf_index = u64::try_from(index)
                        .map_err(|_| ArchiveError::Corrupt(format!("leaf index {index}")))?;
                    receipt_at(self, leaf_index).await.map(Some)
                }
            }
        };
    };
}

pub(super) use impl_sql_archive;
