//! `ketqua client …` for archivists: one subcommand per `Archive` RPC that reads or revokes —
//! search, get-record, find-reusable, revoke, checkpoint, inclusion-proof, consistency-proof —
//! each printing lines for people by default and one JSON document with `--json`.

use anyhow::{bail, Context};
use clap::Subcommand;
use ketqua::proto::v1::{self as pb, archive_client::ArchiveClient};
use serde_json::{json, Value};

use crate::{
    remote::{department_of_credential, new_request_id, status_error, Remote},
    show::describe,
};

#[derive(Debug, Subcommand)]
pub enum LookupCommand {
    /// Dossiers by applicant, procedure, department, state and receipt dates, every page.
    Search {
        #[arg(long, default_value = "")]
        applicant_id: String,
        #[arg(long, default_value = "")]
        procedure: String,
        #[arg(long, default_value = "")]
        department: String,
        /// e.g. returned, received, fees_due.
        #[arg(long)]
        state: Option<String>,
        /// First receipt date, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        from: String,
        /// Last receipt date, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        to: String,
        /// Stop after this many hits [default: all].
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// One dossier by its code, a result code or the SHA-256 (hex) of one of its records.
    GetRecord {
        key: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// The issued, still valid results of an applicant, which a new Receive may cite.
    FindReusable {
        applicant_id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke an issued result (or mark it superseded by --replacement).
    Revoke {
        result_code: String,
        /// An approver of the handling department.
        #[arg(long)]
        credential: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "")]
        replacement: String,
        /// Reuse to retry safely [default: a new one].
        #[arg(long)]
        request_id: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// The transparency log's latest signed checkpoint.
    Checkpoint {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// The audit path of a leaf (by index, or a record's SHA-256 in hex) to a checkpoint.
    InclusionProof {
        leaf: String,
        /// The tree size to prove against [default: the latest].
        #[arg(long, default_value_t = 0)]
        tree_size: u64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// That the log of `old` leaves is a prefix of the log of `new` leaves.
    ConsistencyProof {
        old: u64,
        /// [default: the latest]
        #[arg(default_value_t = 0)]
        new: u64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: Remote,
    },
}

fn print(json_wanted: bool, value: Value, human: impl FnOnce() -> String) {
    if json_wanted {
        println!("{value:#}");
    } else {
        print!("{}", human());
    }
}

fn hex_list(hashes: &[Vec<u8>]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

fn checkpoint_json(c: &pb::Checkpoint) -> Value {
    json!({ "size": c.size, "root_hash": hex::encode(&c.root_hash), "note": c.note })
}

fn state_of(name: &str) -> anyhow::Result<pb::DossierState> {
    let wire = format!("DOSSIER_STATE_{}", name.trim().to_uppercase());
    pb::DossierState::from_str_name(&wire)
        .with_context(|| format!("state {name:?}: use received, appraised, returned, fees_due…"))
}

fn sha256_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(text.trim()).ok()?;
    (bytes.len() == 32).then_some(bytes)
}

pub async fn run(command: LookupCommand) -> anyhow::Result<()> {
    match command {
        LookupCommand::Search {
            applicant_id,
            procedure,
            department,
            state,
            from,
            to,
            limit,
            json,
            remote,
        } => {
            let state = state.as_deref().map(state_of).transpose()?;
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let mut hits = Vec::new();
            let mut cursor = String::new();
            loop {
                let mut stream = client
                    .search(pb::SearchRequest {
                        applicant_id: applicant_id.clone(),
                        procedure_code: procedure.clone(),
                        department: department.clone(),
                        state: state.map_or(0, |s| s as i32),
                        received_from: from.clone(),
                        received_to: to.clone(),
                        page_size: 0,
                        cursor: cursor.clone(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let mut next = String::new();
                while let Some(hit) = stream.message().await.map_err(status_error)? {
                    next = hit.next_cursor.clone();
                    hits.push(hit);
                }
                if next.is_empty() || limit.is_some_and(|l| hits.len() >= l) {
                    break;
                }
                cursor = next;
            }
            if let Some(limit) = limit {
                hits.truncate(limit);
            }
            let value = Value::Array(
                hits.iter()
                    .map(|h| {
                        json!({
                            "dossier_code": h.dossier_code,
                            "state": h.state().as_str_name().trim_start_matches("DOSSIER_STATE_").to_lowercase(),
                            "procedure_code": h.procedure_code,
                            "department": h.department,
                            "applicant_id": h.applicant_id,
                            "received_on": h.received_on,
                            "due_date": h.due_date,
                            "result_code": h.result_code,
                        })
                    })
                    .collect(),
            );
            print(json, value, || {
                let mut out = String::new();
                for h in &hits {
                    out.push_str(&format!(
                        "{}\t{}\t{}\t{}\treceived {}\tdue {}\t{}\n",
                        h.dossier_code,
                        h.state()
                            .as_str_name()
                            .trim_start_matches("DOSSIER_STATE_")
                            .to_lowercase(),
                        h.procedure_code,
                        h.applicant_id,
                        h.received_on,
                        h.due_date,
                        h.result_code
                    ));
                }
                out.push_str(&format!("{} dossiers\n", hits.len()));
                out
            });
            Ok(())
        }
        LookupCommand::GetRecord { key, json, remote } => {
            let key = if let Some(sha) = sha256_hex(&key) {
                pb::get_record_request::Key::RecordSha256(sha)
            } else if key.contains("-KQ") {
                pb::get_record_request::Key::ResultCode(key)
            } else {
                pb::get_record_request::Key::DossierCode(key)
            };
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let archived = client
                .get_record(pb::GetRecordRequest {
                    key: Some(key),
                    include_result_content: false,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            let dossier = archived.dossier.unwrap_or_default();
            let value = json!({
                "dossier_code": dossier.code,
                "state": dossier.state().as_str_name().trim_start_matches("DOSSIER_STATE_").to_lowercase(),
                "procedure_code": dossier.procedure_code,
                "department": dossier.department,
                "received_on": dossier.received_on,
                "due_date": dossier.due_date,
                "records": dossier.records.iter().map(|r| json!({
                    "sequence": r.decoded.as_ref().map_or(0, |d| d.sequence),
                    "step": r.decoded.as_ref().map(|d| d.step().as_str_name().trim_start_matches("STEP_").to_lowercase()),
                    "record_sha256": hex::encode(&r.record_sha256),
                })).collect::<Vec<_>>(),
                "results": dossier.results.iter().map(|r| json!({
                    "result_code": r.result_code, "status": r.status, "issued": r.issued,
                })).collect::<Vec<_>>(),
            });
            print(json, value, || describe(&dossier));
            Ok(())
        }
        LookupCommand::FindReusable {
            applicant_id,
            json,
            remote,
        } => {
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let found = client
                .find_reusable(pb::FindReusableRequest { applicant_id })
                .await
                .map_err(status_error)?
                .into_inner();
            let value = Value::Array(
                found
                    .results
                    .iter()
                    .map(|r| {
                        json!({
                            "result_code": r.result_code,
                            "dossier_code": r.dossier_code,
                            "procedure_code": r.procedure_code,
                            "document_name": r.document_name,
                            "sha256": hex::encode(&r.sha256),
                            "issued_at": r.issued_at,
                        })
                    })
                    .collect(),
            );
            print(json, value, || {
                found
                    .results
                    .iter()
                    .map(|r| {
                        format!(
                            "{}\t{}\tissued {}\t{}\n",
                            r.result_code, r.procedure_code, r.issued_at, r.document_name
                        )
                    })
                    .collect()
            });
            Ok(())
        }
        LookupCommand::Revoke {
            result_code,
            credential,
            reason,
            replacement,
            request_id,
            json,
            remote,
        } => {
            let channel = remote
                .connect(department_of_credential(&credential))
                .await?;
            let receipt = ArchiveClient::new(channel)
                .revoke_result(pb::RevokeResultRequest {
                    request_id: request_id.unwrap_or_else(new_request_id),
                    credential_id: credential,
                    result_code: result_code.clone(),
                    reason,
                    replacement_code: replacement,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            let record = receipt.record.clone().unwrap_or_default();
            let value = json!({
                "result_code": result_code,
                "dossier_code": receipt.dossier_code,
                "record_sha256": hex::encode(&record.record_sha256),
            });
            print(json, value, || {
                format!(
                    "{result_code} revoked (dossier {}, record sha256:{})\n",
                    receipt.dossier_code,
                    hex::encode(&record.record_sha256)
                )
            });
            Ok(())
        }
        LookupCommand::Checkpoint { json, remote } => {
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let checkpoint = client
                .get_checkpoint(pb::GetCheckpointRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            print(json, checkpoint_json(&checkpoint), || {
                checkpoint.note.clone()
            });
            Ok(())
        }
        LookupCommand::InclusionProof {
            leaf,
            tree_size,
            json,
            remote,
        } => {
            let leaf = match (leaf.parse::<u64>(), sha256_hex(&leaf)) {
                (Ok(index), _) => pb::get_inclusion_proof_request::Leaf::LeafIndex(index),
                (_, Some(sha)) => pb::get_inclusion_proof_request::Leaf::RecordSha256(sha),
                _ => bail!("leaf {leaf:?}: a leaf index or a record's SHA-256 in hex"),
            };
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let proof = client
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    leaf: Some(leaf),
                    tree_size,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            let value = json!({
                "leaf_index": proof.leaf_index,
                "tree_size": proof.tree_size,
                "leaf_hash": hex::encode(&proof.leaf_hash),
                "path": hex_list(&proof.path),
                "checkpoint": proof.checkpoint.as_ref().map(checkpoint_json),
            });
            print(json, value, || {
                let mut out = format!(
                    "leaf {} of {} (leaf hash {})\n",
                    proof.leaf_index,
                    proof.tree_size,
                    hex::encode(&proof.leaf_hash)
                );
                for hash in &proof.path {
                    out.push_str(&format!("  {}\n", hex::encode(hash)));
                }
                out
            });
            Ok(())
        }
        LookupCommand::ConsistencyProof {
            old,
            new,
            json,
            remote,
        } => {
            let mut client = ArchiveClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let proof = client
                .get_consistency_proof(pb::GetConsistencyProofRequest {
                    old_size: old,
                    new_size: new,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            let value = json!({
                "old_size": proof.old_size,
                "new_size": proof.new_size,
                "path": hex_list(&proof.path),
                "old_checkpoint": proof.old_checkpoint.as_ref().map(checkpoint_json),
                "new_checkpoint": proof.new_checkpoint.as_ref().map(checkpoint_json),
            });
            print(json, value, || {
                let mut out = format!("{} -> {}\n", proof.old_size, proof.new_size);
                for hash in &proof.path {
                    out.push_str(&format!("  {}\n", hex::encode(hash)));
                }
                out
            });
            Ok(())
        }
    }
}
