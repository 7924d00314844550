//! Reading dossiers back: `Get` (state, deadline, every signed record, the result), one dossier
//! by any of its keys, search by cursor, and the results an applicant may cite instead of
//! uploading copies.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

use super::{
    answers::DossierView,
    audit::Call,
    checks::{parse_date, parse_dossier_code, stored_state},
    core::Service,
    error::Error,
    input::ApplicantInput,
    progress::{DeadlineHistory, FeeStatus},
};
use crate::{
    access::{Caller, Departments, Permission},
    archive::{Archive, DossierRow, SearchQuery, StoredDocument, StoredRecord, StoredResult},
    flow::{timeliness, vietnam_date, DossierCode, Fee, ProcedureCode, ResultCode, State},
    proto::v1 as pb,
    record,
};

/// How to find one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    DossierCode(String),
    ResultCode(String),
    RecordSha256(Vec<u8>),
}

/// Search criteria as the caller gives them; validated here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchInput {
    pub applicant_id: String,
    pub procedure_code: String,
    pub department: String,
    pub state: Option<State>,
    pub received_from: String,
    pub received_to: String,
    pub page_size: u32,
    pub cursor: String,
}

/// One page of search hits and the cursor of the next page, if there may be one.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub hits: Vec<(DossierRow, Option<StoredResult>)>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Cursors are opaque to callers: "v1:<received_at_ms>:<dossier code>", base64url.
fn encode_cursor(row: &DossierRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}:{}", row.received_at_ms, row.code))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), Error> {
    let malformed = || {
        Error::InvalidArgument(
            "cursor is malformed: pass back the next_cursor of a previous page unchanged"
                .to_owned(),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(ms), Some(code)) => {
            let ms = ms.parse().map_err(|_| malformed())?;
            parse_dossier_code(code).map_err(|_| malformed())?;
            Ok((ms, code.to_owned()))
        }
        _ => Err(malformed()),
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn date_bound(name: &str, text: &str) -> Result<Option<String>, Error> {
    match optional(text) {
        None => Ok(None),
        Some(text) => {
            time::Date::parse(&text, &time::format_description::well_known::Iso8601::DATE)
                .map(|d| Some(d.to_string()))
                .map_err(|_| {
                    Error::InvalidArgument(format!("{name} {text:?} is not a date like 2026-11-22"))
                })
        }
    }
}

impl<A: Archive> Service<A> {
    pub async fn get(
        &self,
        caller: &Caller,
        dossier_code: &str,
        include_result_content: bool,
    ) -> Result<DossierView, Error> {
        let call = Call {
            dossier_code,
            ..self.call(caller, "Get")
        };
        // Reads of personal data are audited too, successful or not.
        self.audited_read(
            &call,
            self.get_inner(&call, dossier_code, include_result_content),
        )
        .await
    }

    pub(super) async fn get_inner(
        &self,
        call: &Call<'_>,
        dossier_code: &str,
        include_result_content: bool,
    ) -> Result<DossierView, Error> {
        call.caller.require_some(Permission::Read)?;
        let code = parse_dossier_code(dossier_code)?;
        let row = self.load(&code).await?;
        call.caller.require(Permission::Read, &row.department)?;
        let state = stored_state(&row)?;
        let procedure_name = self.procedure_name(&row.procedure_code);
        let due = parse_date(&row.due_date)?;
        let finished = row.finished_on.as_deref().map(parse_date).transpose()?;
        let today = vietnam_date((self.clock)());
        let records = self.decoded_records(&code).await?;
        let mut results = Vec::new();
        for result in self.archive.results(&code).await? {
            let content = if include_result_content {
                // The newest version: after a renewal, the one with the longest-lived proof.
                self.archive
                    .blob(&result.current_sha256)
                    .await?
                    .ok_or_else(|| {
                        Error::Internal(format!(
                            "result {} of {code} is missing from the archive",
                            result.result_code
                        ))
                    })?
            } else {
                Vec::new()
            };
            results.push((result, content));
        }
        let result = results.first().map(|(r, _)| r.clone());
        let result_content = results
            .first()
            .filter(|_| include_result_content)
            .map(|(_, content)| content.clone());
        Ok(DossierView {
            timeliness: timeliness(due, today, finished, state.awaits_applicant()),
            history: DeadlineHistory::of(&records, today),
            fee: self
                .fee_of(&row.procedure_code)
                .map(|fee| FeeStatus::of(fee, &records)),
            allowed_steps: state.allowed_steps(),
            documents: self.archive.documents(&code).await?,
            procedure_name,
            state,
            row,
            records,
            result,
            result_content,
            results,
        })
    }
}

impl<A: Archive> Service<A> {
    /// One of a dossier's documents and its bytes, for a caller who may read the dossier.
    pub async fn get_document(
        &self,
        caller: &Caller,
        dossier_code: &str,
        sha256: &[u8],
    ) -> Result<(StoredDocument, Vec<u8>), Error> {
        let call = Call {
            dossier_code,
            ..self.call(caller, "GetDocument")
        };
        self.audited_read(&call, async {
            call.caller.require_some(Permission::Read)?;
            let code = parse_dossier_code(dossier_code)?;
            if sha256.len() != 32 {
                return Err(Error::InvalidArgument(format!(
                    "sha256 must be 32 bytes, not {}",
                    sha256.len()
                )));
            }
            let row = self.load(&code).await?;
            call.caller.require(Permission::Read, &row.department)?;
            let document = self
                .archive
                .documents(&code)
                .await?
                .into_iter()
                .find(|d| d.sha256 == sha256)
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "dossier {code} has no document with SHA-256 {}",
                        hex::encode(sha256)
                    ))
                })?;
            let content = self.archive.blob(&document.sha256).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "document {} of {code} is missing from the archive",
                    document.name
                ))
            })?;
            Ok((document, content))
        })
        .await
    }

    /// The procedure's fee in the catalog, if it has one (and the catalog still has it).
    pub(super) fn fee_of(&self, procedure_code: &str) -> Option<&Fee> {
        procedure_code
            .parse::<ProcedureCode>()
            .ok()
            .and_then(|c| self.catalog.procedure(&c))
            .and_then(|p| p.fee.as_ref())
    }

    /// The procedure's name in the catalog; empty for a code the catalog no longer has.
    pub(super) fn procedure_name(&self, procedure_code: &str) -> String {
        procedure_code
            .parse::<ProcedureCode>()
            .ok()
            .and_then(|c| self.catalog.procedure(&c))
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    /// A dossier's records in order, each with its decoded form.
    pub(super) async fn decoded_records(
        &self,
        code: &DossierCode,
    ) -> Result<Vec<(StoredRecord, pb::StepRecord)>, Error> {
        self.archive
            .records(code)
            .await?
            .into_iter()
            .map(|stored| {
                let decoded = record::decode(&stored.record).map_err(|e| {
                    Error::Internal(format!(
                        "record {} of dossier {code} cannot be decoded: {e}",
                        stored.sequence
                    ))
                })?;
                Ok((stored, decoded))
            })
            .collect()
    }

    /// A dossier by dossier code, result code or the hash of one of its records.
    pub async fn get_record(
        &self,
        caller: &Caller,
        key: RecordKey,
        include_result_content: bool,
    ) -> Result<DossierView, Error> {
        // Anonymous callers learn nothing, not even whether a result code exists.
        caller.require_some(Permission::Read)?;
        let code = match key {
            RecordKey::DossierCode(code) => code,
            RecordKey::ResultCode(text) => {
                let result: ResultCode = text
                    .parse()
                    .map_err(|e: crate::flow::CodeError| Error::InvalidArgument(e.to_string()))?;
                self.archive
                    .result_by_code(&result.to_string())
                    .await?
                    .map(|r| r.dossier_code)
                    .ok_or_else(|| Error::NotFound(format!("result {result} does not exist")))?
            }
            RecordKey::RecordSha256(hash) => {
                if hash.len() != 32 {
                    return Err(Error::InvalidArgument(format!(
                        "record_sha256 must be 32 bytes, not {}",
                        hash.len()
                    )));
                }
                self.archive
                    .dossier_of_record(&hash)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!(
                            "no step record has SHA-256 {}",
                            hex::encode(&hash)
                        ))
                    })?
            }
        };
        self.get(caller, &code, include_result_content).await
    }

    pub async fn search(&self, caller: &Caller, input: &SearchInput) -> Result<SearchPage, Error> {
        let call = self.call(caller, "Search");
        let result = self.search_inner(caller, input).await;
        let entry = match &result {
            Ok(page) => call.audit("ok", format!("{} hits", page.hits.len())),
            Err(error) => call.audit(error.kind(), error.to_string()),
        };
        if let Err(audit_error) = self.archive.record_audit(&entry).await {
            tracing::error!(%audit_error, "could not write the audit line of a search");
        }
        result
    }

    /// One page of dossiers of the departments `caller` may read: a search names one of them,
    /// or sees only them.
    pub(super) async fn search_inner(
        &self,
        caller: &Caller,
        input: &SearchInput,
    ) -> Result<SearchPage, Error> {
        caller.require_some(Permission::Read)?;
        let readable = caller.departments_for(Permission::Read);
        let mut department = optional(&input.department);
        match (&department, &readable) {
            (Some(asked), _) => caller.require(Permission::Read, asked)?,
            // One department: let the database filter.
            (None, Departments::Only(only)) if only.len() == 1 => {
                department = only.iter().next().cloned();
            }
            (None, _) => {}
        }
        let page_size = match input.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n > MAX_PAGE_SIZE => {
                return Err(Error::InvalidArgument(format!(
                    "page_size {n} is more than the maximum {MAX_PAGE_SIZE}"
                )))
            }
            n => n,
        };
        let query = SearchQuery {
            applicant_id: optional(&input.applicant_id),
            procedure_code: optional(&input.procedure_code),
            department,
            state: input.state.map(|s| s.as_str().to_owned()),
            received_from: date_bound("received_from", &input.received_from)?,
            received_to: date_bound("received_to", &input.received_to)?,
            after: match optional(&input.cursor) {
                Some(cursor) => Some(decode_cursor(&cursor)?),
                None => None,
            },
        };
        // One row more than asked tells whether another page follows.
        let mut hits = self
            .archive
            .search(&query, i64::from(page_size) + 1)
            .await?;
        let more = hits.len() > page_size as usize;
        hits.truncate(page_size as usize);
        // The cursor continues after the last row read, even one the caller may not see, so
        // a page may hold fewer hits than asked while more follow.
        let next_cursor = match (more, hits.last()) {
            (true, Some((row, _))) => Some(encode_cursor(row)),
            _ => None,
        };
        hits.retain(|(row, _)| readable.contains(&row.department));
        Ok(SearchPage { hits, next_cursor })
    }

    /// The issued, still valid results of an applicant.
    /// The issued, still valid results of an applicant, of the departments `caller` may read.
    pub async fn find_reusable(
        &self,
        caller: &Caller,
        applicant_id: &str,
    ) -> Result<Vec<StoredResult>, Error> {
        let call = self.call(caller, "FindReusable");
        self.audited_read(&call, async {
            caller.require_some(Permission::Read)?;
            let applicant = ApplicantInput {
                id: applicant_id.to_owned(),
                name: "-".to_owned(),
            }
            .validate()?;
            let mut readable = Vec::new();
            for result in self.archive.reusable_results(&applicant.id).await? {
                let code = parse_dossier_code(&result.dossier_code)?;
                if caller.may(Permission::Read, &self.load(&code).await?.department) {
                    readable.push(result);
                }
            }
            Ok(readable)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let row = DossierRow {
            code: "000.00.12.H47-261122-0042".into(),
            agency_code: String::new(),
            procedure_code: String::new(),
            department: String::new(),
            applicant_id: String::new(),
            applicant_name: String::new(),
            state: String::new(),
            version: 1,
            received_at_ms: 1_795_000_000_000,
            received_on: String::new(),
            due_date: String::new(),
            finished_on: None,
            result_code: None,
            last_record_sha256: Vec::new(),
            record_count: 1,
            channel: "desk".into(),
            contact_phone: None,
            contact_email: None,
        };
        let cursor = encode_cursor(&row);
        assert_eq!(
            decode_cursor(&cursor).unwrap(),
            (row.received_at_ms, row.code.clone())
        );
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("v2:1:x"),
            &URL_SAFE_NO_PAD.encode("v1:x:000.00.12.H47-261122-0042"),
            &URL_SAFE_NO_PAD.encode("v1:1:nope"),
        ] {
            assert!(
                matches!(decode_cursor(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
    }
}

/// Which leaf of the log a proof is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeafKey {
    Index(u64),
    Record(Vec<u8>),
}

/// An inclusion proof with the checkpoint it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inclusion {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub leaf_hash: crate::ledger::Hash,
    pub path: Vec<crate::ledger::Hash>,
    /// The signed checkpoint of `tree_size`, when one was signed at that size.
    pub checkpoint: Option<crate::archive::StoredCheckpoint>,
}

/// A consistency proof with the checkpoints at both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consistency {
    pub old_size: u64,
    pub new_size: u64,
    pub path: Vec<crate::ledger::Hash>,
    pub old_checkpoint: Option<crate::archive::StoredCheckpoint>,
    pub new_checkpoint: Option<crate::archive::StoredCheckpoint>,
}

impl<A: Archive> Service<A> {
    /// The newest signed checkpoint of the transparency log.
    pub async fn checkpoint(&self) -> Result<crate::archive::StoredCheckpoint, Error> {
        self.archive.latest_checkpoint().await?.ok_or_else(|| {
            Error::NotFound("the log is empty: nothing has been signed yet".to_owned())
        })
    }

    async fn log_size(&self) -> Result<u64, Error> {
        Ok(self
            .archive
            .latest_checkpoint()
            .await?
            .map_or(0, |c| c.size))
    }

    /// The audit path of a leaf to `tree_size` (0: the newest checkpoint).
    pub async fn inclusion_proof(&self, leaf: LeafKey, tree_size: u64) -> Result<Inclusion, Error> {
        let latest = self.log_size().await?;
        let tree_size = if tree_size == 0 { latest } else { tree_size };
        if tree_size > latest {
            return Err(Error::OutOfRange(format!(
                "tree size {tree_size} is beyond the log, which has {latest} leaves"
            )));
        }
        let leaf_index = match leaf {
            LeafKey::Index(index) => index,
            LeafKey::Record(hash) => {
                if hash.len() != 32 {
                    return Err(Error::InvalidArgument(format!(
                        "record_sha256 must be 32 bytes, not {}",
                        hash.len()
                    )));
                }
                self.archive.leaf_of_record(&hash).await?.ok_or_else(|| {
                    Error::NotFound(format!(
                        "no step record with SHA-256 {} is in the log",
                        hex::encode(&hash)
                    ))
                })?
            }
        };
        if leaf_index >= tree_size {
            return Err(Error::OutOfRange(format!(
                "leaf {leaf_index} is not in the tree of size {tree_size}"
            )));
        }
        let (leaf_hash, path) = self.archive.inclusion_proof(leaf_index, tree_size).await?;
        Ok(Inclusion {
            leaf_index,
            tree_size,
            leaf_hash,
            path,
            checkpoint: self.archive.checkpoint(tree_size).await?,
        })
    }

    /// The proof that the log at `old_size` is a prefix of the log at `new_size` (0: newest).
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Consistency, Error> {
        let latest = self.log_size().await?;
        let new_size = if new_size == 0 { latest } else { new_size };
        if new_size > latest {
            return Err(Error::OutOfRange(format!(
                "tree size {new_size} is beyond the log, which has {latest} leaves"
            )));
        }
        if old_size > new_size {
            return Err(Error::InvalidArgument(format!(
                "old_size {old_size} is larger than new_size {new_size}"
            )));
        }
        let path = self.archive.consistency_proof(old_size, new_size).await?;
        Ok(Consistency {
            old_size,
            new_size,
            path,
            old_checkpoint: self.archive.checkpoint(old_size).await?,
            new_checkpoint: self.archive.checkpoint(new_size).await?,
        })
    }
}
