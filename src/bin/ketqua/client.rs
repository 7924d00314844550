//! `ketqua client …`: one subcommand per RPC, for scripts and operators.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use clap::Subcommand;
use ketqua::proto::v1::{
    self as pb, dossiers_client::DossiersClient, signing_client::SigningClient,
};

use crate::remote::{department_of_credential, status_error, Remote};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Print a dossier's state and signed history.
    Get {
        code: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Print the server's credentials, one a line: id, role, department, subject (tab-separated).
    Credentials {
        #[command(flatten)]
        remote: Remote,
    },
    /// Sign a PDF (PAdES) with one of the server's credentials; streams files of any size.
    SignDocument {
        #[command(flatten)]
        remote: Remote,
        /// The credential id (see `client credentials`).
        #[arg(long)]
        credential: String,
        /// B-B, B-T, B-LT or B-LTA.
        #[arg(long, default_value = "B-T")]
        level: String,
        /// Draw the signature stamp on the last page.
        #[arg(long)]
        visible: bool,
        /// A certification signature (DocMDP: form filling and signing allowed afterwards).
        #[arg(long)]
        certify: bool,
        #[arg(long, default_value = "")]
        reason: String,
        input: PathBuf,
        output: PathBuf,
    },
}

/// Runs a `ketqua client …` command.
pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Get { code, remote } => {
            let mut client = DossiersClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let dossier = client
                .get(pb::GetRequest {
                    dossier_code: code,
                    include_result_content: false,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            print!("{}", describe(&dossier));
            Ok(())
        }
        ClientCommand::SignDocument {
            remote,
            credential,
            level,
            visible,
            certify,
            reason,
            input,
            output,
        } => {
            let level = pb_level(&level)?;
            let channel = remote
                .connect(department_of_credential(&credential))
                .await?;
            let parameters = pb::SignatureParameters {
                credential_id: credential,
                level: level as i32,
                visible,
                certify,
                reason,
                ..pb::SignatureParameters::default()
            };
            sign_document(&remote, channel, parameters, &input, &output).await
        }
        ClientCommand::Credentials { remote } => {
            let mut client = SigningClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let response = client
                .list_credentials(pb::ListCredentialsRequest::default())
                .await
                .map_err(status_error)?
                .into_inner();
            for c in response.credentials {
                println!(
                    "{}\t{}\t{}\t{}",
                    c.id,
                    role_name(c.role),
                    c.department,
                    c.subject
                );
            }
            Ok(())
        }
    }
}

fn pb_level(text: &str) -> anyhow::Result<pb::PadesLevel> {
    let level: ketqua::pdf::PadesLevel = text
        .parse()
        .map_err(|_| anyhow::anyhow!("level {text:?}: use B-B, B-T, B-LT or B-LTA"))?;
    Ok(match level {
        ketqua::pdf::PadesLevel::BB => pb::PadesLevel::BB,
        ketqua::pdf::PadesLevel::BT => pb::PadesLevel::BT,
        ketqua::pdf::PadesLevel::BLT => pb::PadesLevel::BLt,
        ketqua::pdf::PadesLevel::BLTA => pb::PadesLevel::BLta,
    })
}

/// Streams `input` to Signing.SignDocument in 1 MiB chunks and the answer into `output`
/// (through a temporary file, so a failure never leaves half a PDF behind).
async fn sign_document(
    remote: &Remote,
    channel: tonic::transport::Channel,
    parameters: pb::SignatureParameters,
    input: &Path,
    output: &Path,
) -> anyhow::Result<()> {
    use pb::sign_document_request::Part;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let credential_id = parameters.credential_id.clone();
    let size = tokio::fs::metadata(input)
        .await
        .with_context(|| format!("reading {}", input.display()))?
        .len();
    let mut file = tokio::fs::File::open(input)
        .await
        .with_context(|| format!("opening {}", input.display()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::SignDocumentRequest>(4);
    let first = pb::SignDocumentRequest {
        part: Some(Part::Parameters(pb::SignatureParameters {
            size,
            ..parameters
        })),
    };
    let input_name = input.display().to_string();
    let reader = tokio::spawn(async move {
        if tx.send(first).await.is_err() {
            return Ok(());
        }
        loop {
            let mut chunk = vec![0u8; 1024 * 1024];
            let n = file.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<(), std::io::Error>(());
            }
            chunk.truncate(n);
            let message = pb::SignDocumentRequest {
                part: Some(Part::Chunk(chunk)),
            };
            if tx.send(message).await.is_err() {
                return Ok(());
            }
        }
    });
    let mut client = SigningClient::new(channel)
        .max_decoding_message_size(16 * 1024 * 1024)
        .max_encoding_message_size(16 * 1024 * 1024);
    let mut answer = client
        .sign_document(remote.activated(
            tokio_stream::wrappers::ReceiverStream::new(rx),
            &credential_id,
        )?)
        .await
        .map_err(status_error)?
        .into_inner();
    reader
        .await
        .context("reading the input")?
        .with_context(|| format!("reading {input_name}"))?;
    let partial = output.with_extension("pdf.partial");
    let mut out = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut summary = None;
    let mut written = 0u64;
    while let Some(part) = answer.message().await.map_err(status_error)? {
        match part.part {
            Some(pb::signed_document_part::Part::Summary(s)) => summary = Some(s),
            Some(pb::signed_document_part::Part::Chunk(chunk)) => {
                out.write_all(&chunk).await?;
                written += chunk.len() as u64;
            }
            None => {}
        }
    }
    out.flush().await?;
    drop(out);
    let summary = summary.context("the server sent no summary")?;
    if written != summary.size {
        let _ = tokio::fs::remove_file(&partial).await;
        bail!(
            "the server announced {} bytes but sent {written}",
            summary.size
        );
    }
    tokio::fs::rename(&partial, output)
        .await
        .with_context(|| format!("writing {}", output.display()))?;
    println!(
        "signed {} -> {} ({} bytes, {} appended) by {}",
        input.display(),
        output.display(),
        summary.size,
        summary.appended,
        summary.signer
    );
    Ok(())
}

pub fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Receiver) => "receiver",
        Ok(pb::Role::Appraiser) => "appraiser",
        Ok(pb::Role::Approver) => "approver",
        Ok(pb::Role::Seal) => "seal",
        _ => "unspecified",
    }
}

pub fn step_name(step: i32) -> String {
    pb::Step::try_from(step)
        .map(|s| s.as_str_name().trim_start_matches("STEP_").to_lowercase())
        .unwrap_or_else(|_| format!("step {step}"))
}

fn state_name(state: i32) -> String {
    pb::DossierState::try_from(state)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("DOSSIER_STATE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| format!("state {state}"))
}

/// The human summary `ketqua client get` prints.
pub fn describe(d: &pb::Dossier) -> String {
    let mut out = String::new();
    let timeliness = pb::Timeliness::try_from(d.timeliness)
        .map(|t| {
            t.as_str_name()
                .trim_start_matches("TIMELINESS_")
                .to_lowercase()
        })
        .unwrap_or_default();
    let applicant = d.applicant.clone().unwrap_or_default();
    let _ = writeln!(out, "dossier     {}", d.code);
    let _ = writeln!(
        out,
        "state       {} (national status {})",
        state_name(d.state),
        d.national_status
    );
    let _ = writeln!(out, "procedure   {} {}", d.procedure_code, d.procedure_name);
    let _ = writeln!(out, "department  {}", d.department);
    let _ = writeln!(out, "applicant   {} {}", applicant.id, applicant.name);
    let _ = writeln!(out, "received    {}", d.received_on);
    let _ = writeln!(out, "due         {} ({timeliness})", d.due_date);
    if let Some(result) = &d.result {
        let digest = result.digest.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "result      {} {} sha256:{}",
            if result.result_code.is_empty() {
                "(not yet issued)"
            } else {
                &result.result_code
            },
            digest.name,
            hex::encode(&digest.sha256)
        );
    }
    let allowed: Vec<String> = d.allowed_steps.iter().map(|s| step_name(*s)).collect();
    let _ = writeln!(
        out,
        "next steps  {}",
        if allowed.is_empty() {
            "none (final)".to_owned()
        } else {
            allowed.join(", ")
        }
    );
    let _ = writeln!(out, "history");
    for record in &d.records {
        let r = record.decoded.clone().unwrap_or_default();
        let actor = r.actor.clone().unwrap_or_default();
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(r.time_unix_millis) * 1_000_000,
        )
        .map(|t| t.to_offset(ketqua::flow::VIETNAM))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>2} {:<18} {:<17} {}  {} ({}, {})  sha256:{}{}",
            r.sequence,
            step_name(r.step),
            r.decision,
            at,
            actor.name,
            role_name(actor.role),
            actor.credential_id,
            hex::encode(&record.record_sha256),
            if r.note.is_empty() {
                String::new()
            } else {
                format!("\n     note: {}", r.note)
            }
        );
    }
    out
}
