//! Archivists' use cases beyond retrieval: export packages that prove themselves offline
//! (`package`), streamed as they are built so a large export never sits whole in memory.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use super::{
    audit::Call, checks::parse_dossier_code, commands::ResultMetadata, core::Service, error::Error,
    retrieval::SearchInput,
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, LogKind, LogReceipt},
    cms, crypto,
    flow::DossierCode,
    package::{
        self, ArchivalMetadata, DocumentEntry, DossierEntry, Manifest, PackageBuilder, ProofFile,
        RecordEntry, RenewalEntry, ResultEntry,
    },
};

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSelection {
    Dossier(String),
    /// Every dossier a search matches (its cursor and page size are ignored).
    Query(SearchInput),
}

/// A piece of the package, with progress for the client's progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChunk {
    pub data: Vec<u8>,
    pub dossier_count: u32,
    pub dossiers_done: u32,
}

/// One export holds at most this many dossiers: a ZIP without ZIP64 stops at 65,534 files and
/// 4 GiB, and an archivist wanting more should split by date anyway.
pub const MAX_EXPORT_DOSSIERS: usize = 2_000;
/// gRPC messages stay well under the default 4 MiB limit of clients.
const CHUNK_BYTES: usize = 1024 * 1024;

/// A log receipt as the package's `*.proof.json`.
fn proof_file(receipt: &LogReceipt) -> Result<Vec<u8>, Error> {
    let proof = ProofFile {
        leaf_index: receipt.leaf_index,
        leaf_hash: hex::encode(receipt.leaf_hash),
        tree_size: receipt.checkpoint.size,
        path: receipt.path.iter().map(hex::encode).collect(),
        checkpoint: receipt.checkpoint.note.clone(),
    };
    serde_json::to_vec_pretty(&proof).map_err(|e| Error::Internal(format!("proof JSON: {e}")))
}

fn package_error(e: package::ZipError) -> Error {
    match e {
        package::ZipError::TooLarge => Error::ResourceExhausted(e.to_string()),
        other => Error::Internal(format!("writing the package: {other}")),
    }
}

impl<A: Archive> Service<A> {
    /// Resolves a selection to dossier codes, before anything is streamed, so that a wrong code
    /// or query is a precise status rather than a broken stream.
    pub async fn export_codes(
        &self,
        caller: &Caller,
        selection: &ExportSelection,
    ) -> Result<Vec<DossierCode>, Error> {
        // A refusal here is the export's only audit line; a success is audited by the export.
        let call = self.call(caller, "ExportPackage");
        self.audited(&call, self.select_for_export(caller, selection))
            .await
    }

    async fn select_for_export(
        &self,
        caller: &Caller,
        selection: &ExportSelection,
    ) -> Result<Vec<DossierCode>, Error> {
        caller.require_some(Permission::Read)?;
        match selection {
            ExportSelection::Dossier(text) => {
                let code = parse_dossier_code(text)?;
                let row = self.load(&code).await?;
                caller.require(Permission::Read, &row.department)?;
                Ok(vec![code])
            }
            ExportSelection::Query(input) => {
                let mut input = SearchInput {
                    page_size: super::retrieval::MAX_PAGE_SIZE,
                    cursor: String::new(),
                    ..input.clone()
                };
                let mut codes = Vec::new();
                loop {
                    let page = self.search_inner(caller, &input).await?;
                    for (row, _) in &page.hits {
                        codes.push(parse_dossier_code(&row.code).map_err(|e| {
                            Error::Internal(format!("stored dossier code {}: {e}", row.code))
                        })?);
                    }
                    if codes.len() > MAX_EXPORT_DOSSIERS {
                        return Err(Error::ResourceExhausted(format!(
                            "the query matches more than {MAX_EXPORT_DOSSIERS} dossiers; narrow it (e.g. by received_from/received_to) and export in parts"
                        )));
                    }
                    match page.next_cursor {
                        Some(cursor) => input.cursor = cursor,
                        None => break,
                    }
                }
                if codes.is_empty() {
                    return Err(Error::NotFound("no dossier matches the query".to_owned()));
                }
                Ok(codes)
            }
        }
    }

    /// Builds the package of `codes`, sending it through `tx` piece by piece; an error ends the
    /// stream with that error. Audited like every read of personal data.
    pub async fn export_package(
        &self,
        caller: &Caller,
        codes: Vec<DossierCode>,
        tx: mpsc::Sender<Result<ExportChunk, Error>>,
    ) {
        let first = codes.first().map(ToString::to_string).unwrap_or_default();
        let call = Call {
            dossier_code: if codes.len() == 1 { &first } else { "" },
            ..self.call(caller, "ExportPackage")
        };
        let result = self.export_inner(&call, &codes, &tx).await;
        let entry = match &result {
            Ok(bytes) => call.audit("ok", format!("{} dossiers, {bytes} bytes", codes.len())),
            Err(error) => call.audit(error.kind(), error.to_string()),
        };
        if let Err(audit_error) = self.archive.record_audit(&entry).await {
            tracing::error!(%audit_error, "could not write the audit line of an export");
        }
        if let Err(error) = result {
            let _ = tx.send(Err(error)).await;
        }
    }

    async fn export_inner(
        &self,
        call: &Call<'_>,
        codes: &[DossierCode],
        tx: &mpsc::Sender<Result<ExportChunk, Error>>,
    ) -> Result<u64, Error> {
        let count = u32::try_from(codes.len()).unwrap_or(u32::MAX);
        let send = |data: Vec<u8>, done: u32| async move {
            for piece in data.chunks(CHUNK_BYTES) {
                tx.send(Ok(ExportChunk {
                    data: piece.to_vec(),
                    dossier_count: count,
                    dossiers_done: done,
                }))
                .await
                .map_err(|_| Error::Aborted("the client stopped reading the export".to_owned()))?;
            }
            Ok::<(), Error>(())
        };
        let log_pub = std::fs::read(self.keys.dir().join(package::LOG_KEY_FILE)).map_err(|e| {
            Error::FailedPrecondition(format!(
                "the log's public key {} cannot be read: {e}",
                self.keys.dir().join(package::LOG_KEY_FILE).display()
            ))
        })?;
        let mut builder = PackageBuilder::new();
        let mut certificates: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
        let mut manifest = Manifest {
            created_at: call
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            ..Manifest::default()
        };
        for (done, code) in codes.iter().enumerate() {
            // The codes may come from anywhere: every dossier is checked, not only the query.
            call.caller
                .require(Permission::Read, &self.load(code).await?.department)?;
            let entry = self
                .export_dossier(code, &mut builder, &mut certificates, |bytes| {
                    send(bytes, done as u32)
                })
                .await?;
            manifest.dossiers.push(entry);
        }
        // What any verifier needs besides its own trust anchor: the log key, every
        // certificate the signatures name (and the TSA's), the CRLs.
        let mut tail = builder
            .add(package::LOG_KEY_FILE, &log_pub)
            .map_err(package_error)?;
        manifest.log_key = package::LOG_KEY_FILE.to_owned();
        manifest.root_certificate = "certs/root.der".to_owned();
        tail.extend(
            builder
                .add(&manifest.root_certificate, self.keys.root_der())
                .map_err(package_error)?,
        );
        if let Some(tsa) = self.keys.tsa() {
            for der in std::iter::once(tsa.certificate_der())
                .chain(tsa.chain_der().iter().map(Vec::as_slice))
            {
                certificates.insert(crypto::sha256(der), der.to_vec());
            }
        }
        for (sha, der) in &certificates {
            let path = format!("certs/{}.der", hex::encode(&sha[..8]));
            tail.extend(builder.add(&path, der).map_err(package_error)?);
            manifest.certificates.push(path);
        }
        for (n, crl) in self.keys.crls_der().iter().enumerate() {
            let path = format!("crls/{:02}.crl", n + 1);
            tail.extend(builder.add(&path, crl).map_err(package_error)?);
            manifest.crls.push(path);
        }
        let written = builder.len();
        let end = builder.finish(manifest).map_err(package_error)?;
        let total = written + end.len() as u64;
        tail.extend(end);
        send(tail, count).await?;
        Ok(total)
    }

    async fn export_dossier<F, Fut>(
        &self,
        code: &DossierCode,
        builder: &mut PackageBuilder,
        certificates: &mut BTreeMap<[u8; 32], Vec<u8>>,
        send: F,
    ) -> Result<DossierEntry, Error>
    where
        F: Fn(Vec<u8>) -> Fut,
        Fut: std::future::Future<Output = Result<(), Error>>,
    {
        let row = self.load(code).await?;
        let dir = format!("dossiers/{code}");
        let mut entry = DossierEntry {
            dossier_code: row.code.clone(),
            procedure_code: row.procedure_code.clone(),
            department: row.department.clone(),
            applicant_id: row.applicant_id.clone(),
            state: row.state.clone(),
            received_on: row.received_on.clone(),
            ..DossierEntry::default()
        };
        for stored in self.archive.records(code).await? {
            let sequence = u32::try_from(stored.sequence)
                .map_err(|_| Error::Internal(format!("record sequence {}", stored.sequence)))?;
            let stem = format!("{dir}/records/{sequence:02}-{}", stored.step);
            let receipt = self
                .archive
                .log_receipt(&stored.record_sha256)
                .await?
                .ok_or_else(|| {
                    Error::Internal(format!(
                        "record {sequence} of {code} is not in the transparency log"
                    ))
                })?;
            let proof_json = proof_file(&receipt)?;
            // The chain certificates travel inside each CMS; collect them once for the package.
            // A signature that does not parse is exported as it is: verification will say so.
            if let Ok(verified) = cms::verify_detached(&stored.signature, &stored.record) {
                for der in verified.certificates_der {
                    certificates.insert(crypto::sha256(&der), der);
                }
            }
            let record_path = format!("{stem}.bin");
            let signature_path = format!("{stem}.p7s");
            let proof_path = format!("{stem}.proof.json");
            let mut bytes = builder
                .add(&record_path, &stored.record)
                .map_err(package_error)?;
            bytes.extend(
                builder
                    .add(&signature_path, &stored.signature)
                    .map_err(package_error)?,
            );
            bytes.extend(
                builder
                    .add(&proof_path, &proof_json)
                    .map_err(package_error)?,
            );
            send(bytes).await?;
            entry.records.push(RecordEntry {
                sequence,
                step: stored.step.clone(),
                sha256: hex::encode(&stored.record_sha256),
                record: record_path,
                signature: signature_path,
                proof: proof_path,
            });
        }
        let mut position: BTreeMap<i64, u32> = BTreeMap::new();
        for document in self.archive.documents(code).await? {
            let n = position.entry(document.record_sequence).or_default();
            *n += 1;
            let content = self.archive.blob(&document.sha256).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "document {:?} of {code} is missing from the archive",
                    document.name
                ))
            })?;
            let path = format!(
                "{dir}/documents/{:02}-{:02}-{}",
                document.record_sequence,
                n,
                package::safe_file_name(&document.name)
            );
            send(builder.add(&path, &content).map_err(package_error)?).await?;
            // A form attached after its record committed is proven by its own leaf.
            let proof = match self
                .archive
                .result_log_receipt(LogKind::Form, &document.sha256)
                .await?
            {
                Some(receipt) => {
                    let proof = format!("{path}.proof.json");
                    send(
                        builder
                            .add(&proof, &proof_file(&receipt)?)
                            .map_err(package_error)?,
                    )
                    .await?;
                    Some(proof)
                }
                None => None,
            };
            entry.documents.push(DocumentEntry {
                record_sequence: u32::try_from(document.record_sequence).unwrap_or(0),
                name: document.name,
                media_type: document.media_type,
                sha256: hex::encode(&document.sha256),
                file: path,
                proof,
            });
        }
        for result in self.archive.results(code).await? {
            let content = self.archive.blob(&result.sha256).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "the result document of {code} is missing from the archive"
                ))
            })?;
            let path = format!("{dir}/result/{}.pdf", result.result_code);
            send(builder.add(&path, &content).map_err(package_error)?).await?;
            // Each renewed version, with the proof that the log holds it.
            let mut renewals = Vec::new();
            for renewal in self.archive.renewals(&result.result_code).await? {
                let what = format!(
                    "renewal {} of result {}",
                    renewal.renewal, result.result_code
                );
                let content = self.archive.blob(&renewal.sha256).await?.ok_or_else(|| {
                    Error::Internal(format!("{what} is missing from the archive"))
                })?;
                let receipt = self
                    .archive
                    .result_log_receipt(LogKind::RenewedResult, &renewal.sha256)
                    .await?
                    .ok_or_else(|| {
                        Error::Internal(format!("{what} is not in the transparency log"))
                    })?;
                let stem = format!(
                    "{dir}/result/{}.renewal-{:02}",
                    result.result_code, renewal.renewal
                );
                let file = format!("{stem}.pdf");
                let proof = format!("{stem}.proof.json");
                send(builder.add(&file, &content).map_err(package_error)?).await?;
                send(
                    builder
                        .add(&proof, &proof_file(&receipt)?)
                        .map_err(package_error)?,
                )
                .await?;
                renewals.push(RenewalEntry {
                    renewal: renewal.renewal,
                    file,
                    sha256: hex::encode(&renewal.sha256),
                    previous_sha256: hex::encode(&renewal.previous_sha256),
                    renewed_at: crate::flow::rfc3339_millis(renewal.renewed_at_ms),
                    proof,
                });
            }
            let metadata = ResultMetadata::from_json(&result.metadata);
            let result_entry = ResultEntry {
                result_code: result.result_code.clone(),
                file: path,
                sha256: hex::encode(&result.sha256),
                size: content.len() as u64,
                level: result.level.clone(),
                renewals,
                status: result.status.clone(),
                status_reason: result.status_reason.clone(),
                superseded_by: result.superseded_by.clone(),
                issued_at: result.issued_at_ms.and_then(|ms| {
                    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                        .ok()
                        .and_then(|t| {
                            t.format(&time::format_description::well_known::Rfc3339)
                                .ok()
                        })
                }),
                metadata: ArchivalMetadata {
                    document_type: metadata.document_type,
                    number_notation: metadata.number_notation,
                    issue_date: metadata.issue_date,
                    issuing_body: metadata.issuing_body,
                    subject: metadata.subject,
                    language: metadata.language,
                    signer: result.signer.clone(),
                    page_count: result.page_count,
                    retention: metadata.retention,
                },
            };
            if entry.result.is_none() {
                entry.result = Some(result_entry);
            } else {
                entry.more_results.push(result_entry);
            }
        }
        Ok(entry)
    }
}
