//! `ketqua archive …`: the archivist's commands (export, verify-package, renew, fsck).

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use clap::Subcommand;

use ketqua::{
    ledger::LogVerifier,
    package,
    proto::v1::{self as pb, archive_client::ArchiveClient},
};

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Export a dossier (or every dossier a search matches) as a package that verifies offline.
    Export {
        #[command(flatten)]
        remote: crate::remote::Remote,
        /// The dossier to export.
        #[arg(long, conflicts_with_all = ["applicant", "procedure", "received_from", "received_to"])]
        dossier: Option<String>,
        /// Export every dossier of this applicant…
        #[arg(long)]
        applicant: Option<String>,
        /// …of this procedure…
        #[arg(long)]
        procedure: Option<String>,
        /// …received on or after this date (YYYY-MM-DD)…
        #[arg(long)]
        received_from: Option<String>,
        /// …and on or before this one.
        #[arg(long)]
        received_to: Option<String>,
        /// Where to write the ZIP.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a package offline: hashes, signatures and chains, the record chain, inclusion
    /// proofs against signed checkpoints, the result's hash. Exits non-zero on any problem.
    VerifyPackage {
        package: PathBuf,
        /// The trust anchor (PEM or DER), e.g. <pki dir>/root.pem.
        #[arg(long)]
        trust: PathBuf,
        /// The log's note verifier key, e.g. <pki dir>/log.pub.
        #[arg(long)]
        log_key: PathBuf,
    },
    /// Keep results provable for decades (PAdES B-LTA): add validation data and a fresh
    /// document timestamp to every issued result whose newest timestamp's TSA certificate
    /// expires within the window. Run it regularly (e.g. monthly, from cron); it is safe to
    /// repeat and to run from several machines. Exits non-zero if a due result was not renewed.
    Renew {
        #[command(flatten)]
        remote: crate::remote::Remote,
        /// Renew what expires within this many days.
        #[arg(long, default_value_t = ketqua::service::DEFAULT_WINDOW_DAYS)]
        window_days: u32,
        /// Only report what is due.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check the archive's own consistency: blob hashes (in the database or the blob
    /// directory), record chains and signatures, the Merkle tree and its checkpoints. Exits
    /// non-zero and names every difference.
    Fsck {
        /// The server's data directory: the embedded database <DIR>/ketqua.db unless
        /// --database names another, and the blob directory <DIR>/blobs unless --blob-dir does.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Database URL (sqlite://… or postgres://…).
        #[arg(long, env = "KETQUA_DATABASE_URL")]
        database: Option<String>,
        /// The blob directory of the files store [default: <data dir>/blobs].
        #[arg(long, env = "KETQUA_BLOB_DIR")]
        blob_dir: Option<PathBuf>,
        /// PKI directory holding log.pub, to check checkpoint signatures.
        #[arg(long, default_value = ketqua::server::DEFAULT_PKI_DIR)]
        pki_dir: PathBuf,
    },
    /// Webhook deliveries: backlog, dead letters, replay (docs/events.md).
    Webhooks {
        #[command(subcommand)]
        command: crate::webhooks::WebhookCommand,
        /// The server's data directory (the embedded database <DIR>/ketqua.db)…
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// …or the database URL.
        #[arg(long, env = "KETQUA_DATABASE_URL")]
        database: Option<String>,
    },
    /// Unlock an official's credential locked after repeated wrong activation factors (in
    /// the database: every replica sees it at once) and forget its failures.
    UnlockCredential {
        credential: String,
        /// The server's data directory (the embedded database <DIR>/ketqua.db)…
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// …or the database URL.
        #[arg(long, env = "KETQUA_DATABASE_URL")]
        database: Option<String>,
    },
}

pub async fn run(command: ArchiveCommand) -> anyhow::Result<()> {
    match command {
        ArchiveCommand::Export {
            remote,
            dossier,
            applicant,
            procedure,
            received_from,
            received_to,
            out,
        } => {
            let selection = match dossier {
                Some(code) => pb::export_package_request::Selection::DossierCode(code),
                None => {
                    if applicant.is_none()
                        && procedure.is_none()
                        && received_from.is_none()
                        && received_to.is_none()
                    {
                        bail!("name what to export: --dossier CODE, or search criteria (--applicant, --procedure, --received-from, --received-to)");
                    }
                    pb::export_package_request::Selection::Query(pb::SearchRequest {
                        applicant_id: applicant.unwrap_or_default(),
                        procedure_code: procedure.unwrap_or_default(),
                        received_from: received_from.unwrap_or_default(),
                        received_to: received_to.unwrap_or_default(),
                        ..pb::SearchRequest::default()
                    })
                }
            };
            export(&remote, selection, &out).await
        }
        ArchiveCommand::Renew {
            remote,
            window_days,
            dry_run,
        } => renew(&remote, window_days, dry_run).await,
        ArchiveCommand::VerifyPackage {
            package,
            trust,
            log_key,
        } => verify_package(&package, &trust, &log_key),
        ArchiveCommand::Webhooks {
            command,
            data_dir,
            database,
        } => {
            let url = archive_url(database, data_dir.as_deref())?;
            crate::webhooks::run(&url, command).await
        }
        ArchiveCommand::UnlockCredential {
            credential,
            data_dir,
            database,
        } => {
            let url = archive_url(database, data_dir.as_deref())?;
            use ketqua::archive::ActivationStore as _;
            let was_locked = match ketqua::server::Backend::of(&url)? {
                ketqua::server::Backend::Sqlite => {
                    ketqua::archive::SqliteArchive::open(&url)
                        .await?
                        .unlock_credential(&credential)
                        .await?
                }
                ketqua::server::Backend::Postgres => {
                    ketqua::archive::PgArchive::open(&url)
                        .await?
                        .unlock_credential(&credential)
                        .await?
                }
            };
            if was_locked {
                println!("unlocked {credential}");
            } else {
                println!("{credential} was not locked; its failed attempts are forgotten");
            }
            Ok(())
        }
        ArchiveCommand::Fsck {
            data_dir,
            database,
            blob_dir,
            pki_dir,
        } => {
            let url = archive_url(database, data_dir.as_deref())?;
            let blob_dir =
                blob_dir.or_else(|| data_dir.as_deref().map(ketqua::server::default_blob_dir));
            let verifier = read_log_key(&pki_dir.join(package::LOG_KEY_FILE))?;
            let findings = crate::fsck::run(&url, blob_dir.as_deref(), &verifier).await?;
            for finding in &findings.problems {
                println!("{finding}");
            }
            for (store, count) in &findings.unreferenced {
                // Informational: a rolled-back transaction leaves such a blob behind.
                eprintln!(
                    "fsck: {count} unreferenced blobs in {store} (left by transactions that rolled back; harmless, not a problem)"
                );
            }
            eprintln!(
                "fsck: {} blobs, {} dossiers, {} records, {} log leaves, {} checkpoints checked; {} problems",
                findings.blobs,
                findings.dossiers,
                findings.records,
                findings.leaves,
                findings.checkpoints,
                findings.problems.len()
            );
            if !findings.problems.is_empty() {
                bail!("the archive has {} problems", findings.problems.len());
            }
            Ok(())
        }
    }
}

/// The database an offline command works on: `--database`, else the embedded one in
/// `--data-dir`.
fn archive_url(database: Option<String>, data_dir: Option<&Path>) -> anyhow::Result<String> {
    match (database, data_dir) {
        (Some(url), _) => Ok(url),
        (None, Some(dir)) => Ok(ketqua::server::default_database_url(dir)),
        (None, None) => bail!("name the archive: --data-dir DIR or --database URL"),
    }
}

/// A progress bar on stderr (indicatif: redrawn at most 20 times a second, not drawn at all
/// when stderr is not a terminal, so logs and pipes get only the summary lines).
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(bar)
    }

    fn draw(&mut self, done: u64, count: u64, label: &str) {
        self.0.set_length(count);
        self.0.set_position(done.min(count));
        self.0.set_message(label.to_owned());
    }

    /// Prints a line of its own, the bar drawn again below it.
    fn line(&self, text: &str) {
        self.0.suspend(|| println!("{text}"));
    }

    /// Leaves the bar as it is, so that other output starts on a fresh line.
    fn finish(&self) {
        self.0.finish();
    }
}

async fn renew(
    remote: &crate::remote::Remote,
    window_days: u32,
    dry_run: bool,
) -> anyhow::Result<()> {
    use pb::renewal_outcome::Action;
    let channel = remote.connect(ketqua::pki::ARCHIVIST).await?;
    let mut client = ArchiveClient::new(channel);
    let mut stream = client
        .renew_timestamps(pb::RenewTimestampsRequest {
            window_days,
            dry_run,
        })
        .await
        .map_err(crate::remote::status_error)?
        .into_inner();
    let mut progress = Progress::new();
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut tsa_expires_at = String::new();
    let mut examined = 0;
    while let Some(message) = stream.message().await.map_err(|status| {
        progress.finish();
        crate::remote::status_error(status)
    })? {
        tsa_expires_at = message.tsa_expires_at.clone();
        examined = message.done;
        let Some(outcome) = message.outcome else {
            continue;
        };
        let action = outcome.action();
        let word = match action {
            Action::Renewed => "renewed",
            Action::NotDue => "not due",
            Action::WouldRenew => "would renew",
            Action::Skipped => "skipped",
            Action::Failed => "FAILED",
            Action::Unspecified => "unknown",
        };
        *counts.entry(word).or_default() += 1;
        // Every change and every problem gets its own line; results that are not due only
        // move the bar.
        if action != Action::NotDue {
            let hashes = if outcome.sha256.is_empty() {
                String::new()
            } else {
                format!(
                    " [{} -> {}, log leaf {}]",
                    hex::encode(&outcome.previous_sha256),
                    hex::encode(&outcome.sha256),
                    outcome.leaf_index
                )
            };
            progress.line(&format!(
                "{word:<11} {}: {}{hashes}",
                outcome.result_code, outcome.detail
            ));
        }
        progress.draw(message.done, message.candidates, "results examined");
    }
    progress.draw(examined, examined, "results examined");
    progress.finish();
    let summary = counts
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "renew: {examined} results examined{}{}; new timestamps carry a TSA certificate valid until {tsa_expires_at}",
        if summary.is_empty() { "" } else { ": " },
        summary
    );
    let unrenewed =
        counts.get("FAILED").copied().unwrap_or(0) + counts.get("skipped").copied().unwrap_or(0);
    if unrenewed > 0 {
        bail!("{unrenewed} due results were not renewed; see the lines above");
    }
    Ok(())
}

async fn export(
    remote: &crate::remote::Remote,
    selection: pb::export_package_request::Selection,
    out: &Path,
) -> anyhow::Result<()> {
    let channel = remote.connect(ketqua::pki::ARCHIVIST).await?;
    let mut client = ArchiveClient::new(channel).max_decoding_message_size(8 * 1024 * 1024);
    let mut stream = client
        .export_package(pb::ExportPackageRequest {
            selection: Some(selection),
        })
        .await
        .map_err(crate::remote::status_error)?
        .into_inner();
    // Written beside the target and renamed at the end, so a failed export leaves no
    // half-written package under the name the archivist asked for.
    let partial = out.with_extension("zip.part");
    let mut file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut progress = Progress::new();
    let mut bytes = 0u64;
    let mut count = 0;
    let outcome: anyhow::Result<()> = async {
        while let Some(chunk) = stream
            .message()
            .await
            .map_err(crate::remote::status_error)?
        {
            file.write_all(&chunk.data)
                .with_context(|| format!("writing {}", partial.display()))?;
            bytes += chunk.data.len() as u64;
            count = chunk.dossier_count;
            let label = format!("dossiers, {:.1} MB", bytes as f64 / 1_000_000.0);
            progress.draw(u64::from(chunk.dossiers_done), u64::from(count), &label);
        }
        file.sync_all()?;
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        progress.finish();
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let label = format!("dossiers, {:.1} MB", bytes as f64 / 1_000_000.0);
    progress.draw(u64::from(count), u64::from(count), &label);
    progress.finish();
    std::fs::rename(&partial, out).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({bytes} bytes, {count} dossiers)", out.display());
    Ok(())
}

fn read_log_key(path: &Path) -> anyhow::Result<LogVerifier> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the log key {}", path.display()))?;
    LogVerifier::from_vkey(text.trim())
        .with_context(|| format!("{} is not a log verifier key", path.display()))
}

fn read_certificate(path: &Path) -> anyhow::Result<Vec<u8>> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if data.starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(&data)
            .map_err(|e| anyhow::anyhow!("{}: invalid PEM ({e})", path.display()))?;
        return Ok(pem.contents);
    }
    Ok(data)
}

fn verify_package(path: &Path, trust: &Path, log_key: &Path) -> anyhow::Result<()> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let anchor = read_certificate(trust)?;
    let verifier = read_log_key(log_key)?;
    let report = package::verify_package(&data, &anchor, &verifier);
    for problem in &report.problems {
        println!("PROBLEM {problem}");
    }
    if report.ok() {
        println!(
            "OK {}: {} files, {} dossiers, {} records; hashes, signatures, chains, record chains and inclusion proofs verified",
            path.display(),
            report.files,
            report.dossiers,
            report.records
        );
        Ok(())
    } else {
        bail!(
            "{} does not verify: {} problems",
            path.display(),
            report.problems.len()
        )
    }
}
