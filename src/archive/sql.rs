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
    "requests",
    "audit_log",
];

/// Expands the `Archive` implementation for `$archive`, a struct with a `write_transaction`
/// method and a `pool` field of database `$db` whose rows are `$row`.
macro_rules! impl_sql_archive {
    ($archive:ty, $db:ty, $row:ty) => {
        const _: () = {
            use sqlx::{Row, Transaction};

            use $crate::archive::{
                Archive, ArchiveError, AuditEntry, DossierChange, DossierRow, NewDocument,
                NewDossier, NewRecord, RequestMark, Result, StoredDocument, StoredRecord,
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

            async fn insert_blob(tx: &mut Transaction<'static, $db>, document: &NewDocument) -> Result<()> {
                sqlx::query(
                    "INSERT INTO blobs (sha256, size, content) VALUES ($1, $2, $3)
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&document.sha256[..])
                .bind(document.content.len() as i64)
                .bind(&document.content[..])
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_record(
                tx: &mut Transaction<'static, $db>,
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
                    insert_blob(tx, document).await?;
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

            fn record_from_row(row: &$row) -> Result<StoredRecord> {
                Ok(StoredRecord {
                    sequence: row.try_get("sequence")?,
                    step: row.try_get("step")?,
                    record: row.try_get("record")?,
                    signature: row.try_get("signature")?,
                    record_sha256: row.try_get("record_sha256")?,
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
                ) -> Result<(DossierCode, NewRecord), E>
                where
                    F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send,
                    E: From<ArchiveError> + Send,
                {
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
                    insert_record(&mut tx, &code_text, &record).await?;
                    insert_request(&mut tx, &request, &code_text, record.sequence).await?;
                    audit.dossier_code = Some(code_text);
                    insert_audit(&mut tx, &audit).await?;
                    tx.commit().await.map_err(ArchiveError::from)?;
                    Ok((code, record))
                }

                async fn append_step(
                    &self,
                    code: &DossierCode,
                    expected_version: i64,
                    change: DossierChange,
                    record: &NewRecord,
                    request: &RequestMark,
                    audit: &AuditEntry,
                ) -> Result<()> {
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
                    insert_record(&mut tx, &code_text, record).await?;
                    if let Some(result) = &change.result {
                        insert_blob(&mut tx, &result.document).await?;
                        sqlx::query(
                            "INSERT INTO results (dossier_code, result_index, name, media_type, sha256, size,
                                                  signer_signature, seal_signature, signed_at_ms, status)
                             VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, 'valid')",
                        )
                        .bind(&code_text)
                        .bind(&result.document.name)
                        .bind(&result.document.media_type)
                        .bind(&result.document.sha256[..])
                        .bind(result.document.content.len() as i64)
                        .bind(&result.signer_signature)
                        .bind(&result.seal_signature)
                        .bind(result.signed_at_ms)
                        .execute(&mut *tx)
                        .await?;
                    }
                    if let Some(issued) = &change.issue_result {
                        let updated = sqlx::query(
                            "UPDATE results SET result_code = $1, issued_at_ms = $2
                             WHERE dossier_code = $3 AND result_index = 1 AND result_code IS NULL",
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
                    insert_request(&mut tx, request, &code_text, record.sequence).await?;
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
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
                        "SELECT result_code, name, media_type, sha256, size, signer_signature, seal_signature,
                                signed_at_ms, issued_at_ms, status
                         FROM results WHERE dossier_code = $1 AND result_index = 1",
                    )
                    .bind(code.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|row| {
                        Ok(StoredResult {
                            result_code: row.try_get("result_code")?,
                            name: row.try_get("name")?,
                            media_type: row.try_get("media_type")?,
                            sha256: row.try_get("sha256")?,
                            size: row.try_get("size")?,
                            signer_signature: row.try_get("signer_signature")?,
                            seal_signature: row.try_get("seal_signature")?,
                            signed_at_ms: row.try_get("signed_at_ms")?,
                            issued_at_ms: row.try_get("issued_at_ms")?,
                            status: row.try_get("status")?,
                        })
                    })
                    .transpose()
                }

                async fn blob(&self, sha256: &[u8]) -> Result<Option<Vec<u8>>> {
                    Ok(
                        sqlx::query_scalar("SELECT content FROM blobs WHERE sha256 = $1")
                            .bind(sha256)
                            .fetch_optional(&self.pool)
                            .await?,
                    )
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
            }
        };
    };
}

pub(super) use impl_sql_archive;
