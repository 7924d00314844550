//! The `ketqua` command line: the server, the PKI tools, the demo and a small gRPC client.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tonic::transport::Channel;

use crate::{
    config::ServeArgs,
    crypto,
    flow::{catalog::Catalog, codes::ProcedureCode},
    pdf, pki,
    proto::v1::{self as pb, dossiers_client::DossiersClient, signing_client::SigningClient},
    server,
};

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

#[derive(Debug, Parser)]
#[command(
    name = "ketqua",
    version,
    about = "Electronic results of administrative procedures: signed at every step, verifiable by anyone, archived for decades"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC service and the web page.
    Serve(ServeArgs),
    /// Manage the signing PKI.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Play a department system: run a dossier through all five steps against a server.
    Demo(DemoArgs),
    /// Call the service.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Measure performance.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Archivists' tools: export and verify packages, check the archive.
    #[command(subcommand)]
    Archive(crate::archive_cli::ArchiveCommand),
    /// Verify a signed PDF offline; exit status 0 only for VALID (1 INVALID, 2 INDETERMINATE).
    Verify(crate::verify_cmd::VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// PAdES B-B signing against pyHanko and sha256sum (12 KB, 1 MB, 50 MB documents).
    Sign {
        /// PKI directory; a development PKI is created there if it has none.
        #[arg(long, default_value = "target/bench-pki")]
        pki: PathBuf,
        /// Where the generated documents go [default: a directory under the system temp].
        #[arg(long)]
        work: Option<PathBuf>,
        /// Document sizes in bytes [default: 12 KB, 1 MB, 50 MB].
        #[arg(long, value_delimiter = ',')]
        sizes: Vec<usize>,
    },
    /// Verifications per second: our engine against pyHanko on the same result files.
    Verify {
        #[arg(long, default_value = "target/bench-pki")]
        pki: PathBuf,
        #[arg(long)]
        work: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Write a development hierarchy (root CA, timestamp authority, department CAs, officials
    /// and organisation seals) for the departments of the catalog.
    Init {
        #[arg(long, default_value = crate::config::DEFAULT_PKI_DIR)]
        out: PathBuf,
        /// Procedure catalog whose departments get credentials [default: the embedded one].
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// List the credentials of a PKI directory: id, role, department, validity, subject.
    Credentials {
        #[arg(long, default_value = crate::config::DEFAULT_PKI_DIR)]
        dir: PathBuf,
    },
    /// Give a development PKI a new timestamp authority certificate and key (the old ones
    /// stay), so that `archive renew` can extend results past the old certificate's expiry.
    /// Restart `serve` afterwards.
    RotateTsa {
        #[arg(long, default_value = crate::config::DEFAULT_PKI_DIR)]
        dir: PathBuf,
        /// Validity of the new certificate, in days (at most until the root expires).
        #[arg(long, default_value_t = 3650)]
        valid_days: i64,
    },
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[arg(long, default_value = DEFAULT_SERVER)]
    pub server: String,
    /// Where to write the signed records and the result.
    #[arg(long)]
    pub out: PathBuf,
    /// The procedure to run [default: the first procedure of the embedded catalog].
    #[arg(long)]
    pub procedure: Option<String>,
    /// The handling department's id, when the server's catalog differs from the embedded one.
    #[arg(long)]
    pub department: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Print a dossier's state and signed history.
    Get {
        code: String,
        #[arg(long, default_value = DEFAULT_SERVER)]
        server: String,
    },
    /// Print the server's credentials, one a line: id, role, department, subject (tab-separated).
    Credentials {
        #[arg(long, default_value = DEFAULT_SERVER)]
        server: String,
    },
    /// Sign a PDF (PAdES) with one of the server's credentials; streams files of any size.
    SignDocument {
        #[arg(long, default_value = DEFAULT_SERVER)]
        server: String,
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

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = args.resolve()?;
            server::serve(settings, server::shutdown_signal()).await
        }
        Command::Pki(PkiCommand::Init { out, catalog }) => pki_init(&out, catalog.as_deref()),
        Command::Pki(PkiCommand::Credentials { dir }) => {
            let keys = pki::KeyStore::load(&dir)
                .with_context(|| format!("loading the PKI in {}", dir.display()))?;
            for credential in keys.credentials() {
                let info = credential.info();
                println!(
                    "{}\t{}\t{}\t{} .. {}\t{}",
                    info.id,
                    info.role,
                    info.department,
                    date(info.not_before),
                    date(info.not_after),
                    info.subject
                );
            }
            Ok(())
        }
        Command::Pki(PkiCommand::RotateTsa { dir, valid_days }) => {
            let info = pki::rotate_dev_tsa(&dir, valid_days)
                .with_context(|| format!("rotating the TSA of {}", dir.display()))?;
            println!(
                "new timestamp authority certificate {} valid {} .. {}; restart `ketqua serve` to use it",
                hex::encode(info.fingerprint),
                date(info.not_before),
                date(info.not_after)
            );
            Ok(())
        }
        Command::Demo(args) => demo(args).await,
        Command::Archive(command) => crate::archive_cli::run(command).await,
        Command::Verify(args) => {
            let code = crate::verify_cmd::run(&args)?;
            if code != 0 {
                let _ = std::io::Write::flush(&mut std::io::stdout());
                std::process::exit(code.into());
            }
            Ok(())
        }
        Command::Bench(BenchCommand::Sign { pki, work, sizes }) => {
            let sizes = if sizes.is_empty() {
                crate::bench::DEFAULT_SIZES.to_vec()
            } else {
                sizes
            };
            let work = work.unwrap_or_else(crate::bench::default_work_dir);
            let table = crate::bench::sign_benchmark(&pki, &work, &sizes)?;
            println!("{table}");
            Ok(())
        }
        Command::Bench(BenchCommand::Verify { pki, work }) => {
            let work = work.unwrap_or_else(crate::bench::default_work_dir);
            println!("{}", crate::bench_verify::verify_benchmark(&pki, &work)?);
            Ok(())
        }
        Command::Client(ClientCommand::Get { code, server }) => {
            let mut client = DossiersClient::new(connect(&server).await?);
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
        Command::Client(ClientCommand::SignDocument {
            server,
            credential,
            level,
            visible,
            certify,
            reason,
            input,
            output,
        }) => {
            let level = pb_level(&level)?;
            let parameters = pb::SignatureParameters {
                credential_id: credential,
                level: level as i32,
                visible,
                certify,
                reason,
                ..pb::SignatureParameters::default()
            };
            sign_document(&server, parameters, &input, &output).await
        }
        Command::Client(ClientCommand::Credentials { server }) => {
            let mut client = SigningClient::new(connect(&server).await?);
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
    let level: crate::pdf::pades::PadesLevel = text
        .parse()
        .map_err(|_| anyhow::anyhow!("level {text:?}: use B-B, B-T, B-LT or B-LTA"))?;
    Ok(match level {
        crate::pdf::pades::PadesLevel::BB => pb::PadesLevel::BB,
        crate::pdf::pades::PadesLevel::BT => pb::PadesLevel::BT,
        crate::pdf::pades::PadesLevel::BLT => pb::PadesLevel::BLt,
        crate::pdf::pades::PadesLevel::BLTA => pb::PadesLevel::BLta,
    })
}

/// Streams `input` to Signing.SignDocument in 1 MiB chunks and the answer into `output`
/// (through a temporary file, so a failure never leaves half a PDF behind).
async fn sign_document(
    server: &str,
    parameters: pb::SignatureParameters,
    input: &Path,
    output: &Path,
) -> anyhow::Result<()> {
    use pb::sign_document_request::Part;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    let mut client = SigningClient::new(connect(server).await?)
        .max_decoding_message_size(16 * 1024 * 1024)
        .max_encoding_message_size(16 * 1024 * 1024);
    let mut answer = client
        .sign_document(tokio_stream::wrappers::ReceiverStream::new(rx))
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

fn pki_init(out: &Path, catalog: Option<&Path>) -> anyhow::Result<()> {
    let catalog = match catalog {
        Some(path) => Catalog::from_toml(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?,
        None => Catalog::embedded_default(),
    };
    if pki::dev_pki_exists(out) {
        bail!(
            "{} already holds a PKI (root.pem exists); remove it first to make a new one",
            out.display()
        );
    }
    let summary = pki::init_dev_pki(out, &server::dev_departments(&catalog))?;
    println!(
        "wrote a development PKI with {} credentials to {} (trust anchor: {})",
        summary.credentials.len(),
        out.display(),
        out.join("root.pem").display()
    );
    for info in &summary.credentials {
        println!(
            "{}\t{}\t{}\t{}",
            info.id, info.role, info.department, info.subject
        );
    }
    Ok(())
}

fn date(t: time::OffsetDateTime) -> String {
    t.date().to_string()
}

pub(crate) async fn connect(server: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(server.to_owned())
        .with_context(|| format!("{server:?} is not a server URL like {DEFAULT_SERVER}"))?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {server}"))
}

pub(crate) fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Receiver) => "receiver",
        Ok(pb::Role::Appraiser) => "appraiser",
        Ok(pb::Role::Approver) => "approver",
        Ok(pb::Role::Seal) => "seal",
        _ => "unspecified",
    }
}

fn step_name(step: i32) -> String {
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
        .map(|t| t.to_offset(crate::flow::calendar::VIETNAM))
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

/// A demo department system: the judicial-record certificate from receipt to return.
async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let catalog = Catalog::embedded_default();
    let procedure = match &args.procedure {
        Some(code) => {
            let code: ProcedureCode = code.parse()?;
            catalog.procedure(&code).cloned()
        }
        None => catalog.procedures().first().cloned(),
    };
    let (procedure_code, department, documents_needed, result_name) =
        match (procedure, &args.department) {
            (Some(p), department) => (
                p.code.to_string(),
                department.clone().unwrap_or(p.department.clone()),
                p.required_documents.clone(),
                p.result_document.clone(),
            ),
            (None, Some(department)) => (
                args.procedure.clone().unwrap_or_default(),
                department.clone(),
                Vec::new(),
                "Kết quả giải quyết thủ tục hành chính".to_owned(),
            ),
            (None, None) => bail!(
                "procedure {:?} is not in the embedded catalog: pass --department",
                args.procedure
            ),
        };
    let channel = connect(&args.server).await?;
    let mut signing = SigningClient::new(channel.clone());
    let mut dossiers = DossiersClient::new(channel)
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024);

    let credentials = signing
        .list_credentials(pb::ListCredentialsRequest {
            department: department.clone(),
        })
        .await
        .map_err(status_error)?
        .into_inner()
        .credentials;
    let official = |role: pb::Role| -> anyhow::Result<String> {
        credentials
            .iter()
            .filter(|c| c.role == role as i32)
            // Prefer the plain credential over test variants such as "-expired".
            .min_by_key(|c| c.id.len())
            .map(|c| c.id.clone())
            .with_context(|| {
                format!(
                    "the server has no {} credential for department {department}",
                    role.as_str_name()
                )
            })
    };
    let receiver = official(pb::Role::Receiver)?;
    let appraiser = official(pb::Role::Appraiser)?;
    let approver = official(pb::Role::Approver)?;

    let records_dir = args.out.join("records");
    std::fs::create_dir_all(&records_dir)
        .with_context(|| format!("creating {}", records_dir.display()))?;
    let run = format!(
        "demo-{}",
        hex::encode(crypto::sha256(
            &time::OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .to_be_bytes()
        ))[..16]
            .to_owned()
    );
    let request_id = |step: &str| format!("{run}-{step}");

    let first_name = documents_needed
        .first()
        .cloned()
        .unwrap_or_else(|| "Tờ khai".to_owned());
    let second_name = documents_needed
        .get(1)
        .cloned()
        .unwrap_or_else(|| "Bản chụp giấy tờ tùy thân".to_owned());
    let documents = vec![
        pb::Document {
            name: first_name.clone(),
            media_type: "application/pdf".to_owned(),
            content: pdf::text_document(
                &first_name,
                &["Ho va ten: Nguyen Van An", "So dinh danh: 001099012345"],
            ),
        },
        pb::Document {
            name: second_name.clone(),
            media_type: "application/pdf".to_owned(),
            content: pdf::text_document(
                &second_name,
                &["So: 001099012345", "Noi cap: Cuc Canh sat QLHC ve TTXH"],
            ),
        },
    ];

    let mut receipts = Vec::new();
    let receipt = dossiers
        .receive(pb::ReceiveRequest {
            request_id: request_id("receive"),
            credential_id: receiver.clone(),
            procedure_code: procedure_code.clone(),
            applicant: Some(pb::Applicant {
                id: "001099012345".to_owned(),
                name: "Nguyễn Văn An".to_owned(),
            }),
            documents,
            note: "Hồ sơ đầy đủ, hợp lệ".to_owned(),
            supplement_of: String::new(),
            cited_results: Vec::new(),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    let code = receipt.dossier_code.clone();
    receipts.push(receipt);

    let step = |id: &str, credential: &str, note: &str| pb::StepRequest {
        request_id: request_id(id),
        credential_id: credential.to_owned(),
        dossier_code: code.clone(),
        note: note.to_owned(),
        documents: Vec::new(),
    };
    receipts.push(
        dossiers
            .appraise(step("appraise", &appraiser, "Đủ điều kiện cấp"))
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    receipts.push(
        dossiers
            .approve(step("approve", &approver, "Đồng ý"))
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    // The service renders the result (Vietnamese, QR code) and signs it: signer, then seal.
    receipts.push(
        dossiers
            .sign(pb::SignRequest {
                request_id: request_id("sign"),
                credential_id: approver.clone(),
                dossier_code: code.clone(),
                note: String::new(),
                result: None,
                content: Some(pb::ResultContent {
                    issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".to_owned(),
                    number_notation: format!("Số: {}/LLTP-STP", &code[code.len() - 4..]),
                    place_and_date: {
                        let today = crate::flow::calendar::vietnam_date(time::OffsetDateTime::now_utc());
                        format!(
                            "Quảng Ninh, ngày {:02} tháng {:02} năm {}",
                            today.day(),
                            u8::from(today.month()),
                            today.year()
                        )
                    },
                    title: result_name.to_uppercase(),
                    subtitle: String::new(),
                    body: vec![
                        "Họ và tên: Nguyễn Văn An. Giới tính: Nam.".to_owned(),
                        "Số định danh cá nhân: 001099012345.".to_owned(),
                        "Tình trạng án tích: Không có án tích.".to_owned(),
                        "Thông tin về việc cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp, hợp tác xã: Không bị cấm.".to_owned(),
                    ],
                    signer_position: String::new(),
                }),
                metadata: Some(pb::ResultMetadata {
                    document_type: "Phiếu".to_owned(),
                    subject: result_name.clone(),
                    retention: "vĩnh viễn".to_owned(),
                    ..pb::ResultMetadata::default()
                }),
            })
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    let returned = dossiers
        .r#return(step("return", &receiver, "Trả kết quả điện tử"))
        .await
        .map_err(status_error)?
        .into_inner();
    let result_code = returned.result_code.clone();
    receipts.push(returned);

    for receipt in &receipts {
        let record = receipt
            .record
            .clone()
            .context("a receipt without its record")?;
        let decoded = record.decoded.clone().unwrap_or_default();
        let stem = format!("{:02}-{}", decoded.sequence, step_name(decoded.step));
        write(&records_dir.join(format!("{stem}.bin")), &record.record)?;
        write(&records_dir.join(format!("{stem}.p7s")), &record.signature)?;
    }
    let dossier = dossiers
        .get(pb::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .map_err(status_error)?
        .into_inner();
    let result = dossier
        .result
        .context("the returned dossier has no result")?;
    write(&args.out.join("result.pdf"), &result.content)?;

    println!("dossier {code}");
    println!("result {result_code}");
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
