//! `ketqua client …`: one subcommand per RPC, for scripts and operators.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use clap::Subcommand;
use ketqua::proto::v1::{
    self as pb, archive_client::ArchiveClient, dossiers_client::DossiersClient,
    signing_client::SigningClient,
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

fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system's random source");
    format!("cli-{}", hex::encode(bytes))
}

fn timeliness_name(t: i32) -> String {
    pb::Timeliness::try_from(t)
        .map(|t| {
            t.as_str_name()
                .trim_start_matches("TIMELINESS_")
                .to_lowercase()
        })
        .unwrap_or_default()
}

fn describe_deadlines(
    out: &mut String,
    extensions: &[pb::Extension],
    waits: &[pb::SupplementWait],
) {
    for e in extensions {
        let _ = writeln!(
            out,
            "extended    on {}: {} -> {} ({})",
            e.extended_on, e.previous_due_date, e.new_due_date, e.reason
        );
    }
    for w in waits {
        let _ = writeln!(
            out,
            "waited      {} days for papers from {}{}",
            w.days,
            w.requested_on,
            if w.received_on.is_empty() {
                " (still waiting)".to_owned()
            } else {
                format!(" to {}", w.received_on)
            }
        );
    }
}

fn describe_fee(out: &mut String, fee: Option<&pb::FeeStatus>) {
    if let Some(fee) = fee {
        let _ = writeln!(
            out,
            "fee         {} {} đồng, due {} ({})",
            fee.name,
            fee.amount_vnd,
            fee.due,
            if fee.paid { "paid" } else { "not yet paid" }
        );
    }
}

/// The human summary `ketqua client track` prints.
pub fn describe_progress(p: &pb::Progress) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "dossier     {}", p.dossier_code);
    let _ = writeln!(
        out,
        "state       {} ({}, national status {})",
        state_name(p.state),
        p.state_name,
        p.national_status
    );
    if p.applicant_verified {
        let _ = writeln!(out, "applicant   {}", p.applicant_name);
    }
    let _ = writeln!(out, "procedure   {} {}", p.procedure_code, p.procedure_name);
    let _ = writeln!(out, "department  {}", p.department_name);
    let _ = writeln!(out, "received    {}", p.received_on);
    let _ = writeln!(
        out,
        "due         {} ({})",
        p.due_date,
        timeliness_name(p.timeliness)
    );
    describe_deadlines(&mut out, &p.extensions, &p.supplement_waits);
    describe_fee(&mut out, p.fee.as_ref());
    for r in &p.results {
        let _ = writeln!(
            out,
            "result      {} {} issued {} ({})",
            r.result_code, r.status, r.issued_on, r.verify_path
        );
    }
    let _ = writeln!(out, "steps");
    for s in &p.steps {
        let _ = writeln!(
            out,
            "  {}  {:<18} {}{}",
            s.at,
            step_name(s.step),
            s.department,
            if s.note.is_empty() {
                String::new()
            } else {
                format!("\n     note: {}", s.note)
            }
        );
    }
    out
}

/// The human summary `ketqua client get` prints.
pub fn describe(d: &pb::Dossier) -> String {
    let mut out = String::new();
    let timeliness = timeliness_name(d.timeliness);
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
    describe_deadlines(&mut out, &d.extensions, &d.supplement_waits);
    describe_fee(&mut out, d.fee.as_ref());
    let results: Vec<&pb::ResultDocument> = if d.results.is_empty() {
        d.result.iter().collect()
    } else {
        d.results.iter().collect()
    };
    for result in results {
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
