//! `ketqua client …`: one subcommand per RPC, for scripts and operators.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Subcommand;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
    signing_client::SigningClient,
};

use crate::{
    remote::{department_of_credential, new_request_id, status_error, Remote},
    show::{describe, describe_progress, role_name, state_name},
};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Print a dossier's state and signed history.
    Get {
        code: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Set a later due date for a dossier in progress, with the reason (the apology's words).
    Extend {
        code: String,
        /// An appraiser or approver of the handling department.
        #[arg(long)]
        credential: String,
        #[arg(long)]
        reason: String,
        /// The new due date, YYYY-MM-DD…
        #[arg(
            long,
            conflicts_with = "working_days",
            required_unless_present = "working_days"
        )]
        until: Option<String>,
        /// …or this many working days from today.
        #[arg(long)]
        working_days: Option<u32>,
        /// Reuse to retry safely [default: a new one].
        #[arg(long)]
        request_id: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Record the fee a dossier waits for (cash at the desk, a bank transfer or a QR payment).
    RecordPayment {
        code: String,
        /// A receiver of the handling department.
        #[arg(long)]
        credential: String,
        /// The amount in đồng: exactly the procedure's fee.
        #[arg(long)]
        amount: u64,
        /// cash, bank-transfer or qr.
        #[arg(long, default_value = "cash")]
        method: String,
        /// The transaction reference (required but for cash).
        #[arg(long, default_value = "")]
        reference: String,
        /// Reuse to retry safely [default: a new one].
        #[arg(long)]
        request_id: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Print a dossier's progress as the public sees it (`Dossiers.Track`, the page /d/<code>).
    Track {
        code: String,
        /// The applicant's identifier: also shows the name and the reasons addressed to them.
        #[arg(long, env = "KETQUA_APPLICANT_ID", default_value = "")]
        applicant_id: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Write a department's tracking register (form 06) for a period, sealed, to a PDF.
    TrackingLog {
        #[arg(long)]
        department: String,
        /// First receipt date, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last receipt date, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// The archive's reads and revocation: search, get-record, find-reusable, revoke,
    /// checkpoint, inclusion-proof, consistency-proof.
    #[command(flatten)]
    Archive(crate::lookup::LookupCommand),
    /// The period's figures (stats) and the event stream (watch).
    #[command(flatten)]
    Reports(crate::reports::ReportCommand),
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
        ClientCommand::Extend {
            code,
            credential,
            reason,
            until,
            working_days,
            request_id,
            remote,
        } => {
            let channel = remote
                .connect(department_of_credential(&credential))
                .await?;
            let receipt = DossiersClient::new(channel)
                .extend(pb::ExtendRequest {
                    request_id: request_id.unwrap_or_else(new_request_id),
                    credential_id: credential,
                    dossier_code: code,
                    reason,
                    new_due_date: until.unwrap_or_default(),
                    working_days: working_days.unwrap_or(0),
                    documents: Vec::new(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            println!("{} due {}", receipt.dossier_code, receipt.due_date);
            Ok(())
        }
        ClientCommand::RecordPayment {
            code,
            credential,
            amount,
            method,
            reference,
            request_id,
            remote,
        } => {
            let method = match method.as_str() {
                "cash" => pb::PaymentMethod::Cash,
                "bank-transfer" => pb::PaymentMethod::BankTransfer,
                "qr" => pb::PaymentMethod::QrPayment,
                other => bail!("method {other:?}: use cash, bank-transfer or qr"),
            };
            let channel = remote
                .connect(department_of_credential(&credential))
                .await?;
            let receipt = DossiersClient::new(channel)
                .record_payment(pb::RecordPaymentRequest {
                    request_id: request_id.unwrap_or_else(new_request_id),
                    credential_id: credential,
                    dossier_code: code,
                    amount_vnd: amount,
                    method: method as i32,
                    reference,
                    note: String::new(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            println!("{} {}", receipt.dossier_code, state_name(receipt.state));
            Ok(())
        }
        ClientCommand::Archive(command) => crate::lookup::run(command).await,
        ClientCommand::Reports(command) => crate::reports::run(command).await,
        ClientCommand::TrackingLog {
            department,
            from,
            to,
            out,
            remote,
        } => {
            let channel = remote.connect(ketqua::pki::ARCHIVIST).await?;
            let form = ArchiveClient::new(channel)
                .get_tracking_log(pb::GetTrackingLogRequest {
                    department,
                    from,
                    to,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            std::fs::write(&out, &form.content)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "{} ({} bytes, sha256:{})",
                out.display(),
                form.content.len(),
                hex::encode(form.digest.unwrap_or_default().sha256)
            );
            Ok(())
        }
        ClientCommand::Track {
            code,
            applicant_id,
            remote,
        } => {
            // Public: no client certificate is needed, but one is presented when configured.
            let mut client = DossiersClient::new(remote.connect(ketqua::pki::ARCHIVIST).await?);
            let progress = client
                .track(pb::TrackRequest {
                    dossier_code: code,
                    applicant_id,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            print!("{}", describe_progress(&progress));
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
