//! `ketqua demo`: plays a department system, running one dossier through the five steps
//! against a server and writing every signed record and the result.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};

use crate::{
    department::{Department, STEPS},
    remote::{status_error, Remote},
    show::step_name,
};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub remote: Remote,
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

/// A demo department system: the judicial-record certificate from receipt to return.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut department =
        Department::for_procedure(args.procedure.as_deref(), args.department.as_deref())?;
    let channel = args.remote.connect(&department.id).await?;
    department.find_officials(channel.clone()).await?;
    let mut dossiers = DossiersClient::new(channel)
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024);

    let records_dir = args.out.join("records");
    std::fs::create_dir_all(&records_dir)
        .with_context(|| format!("creating {}", records_dir.display()))?;
    let run = format!(
        "demo-{}",
        hex::encode(ketqua::crypto::sha256(
            &time::OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .to_be_bytes()
        ))[..16]
            .to_owned()
    );
    let receipts = department
        .run_dossier(&mut dossiers, &args.remote, &run, |_, _| {})
        .await?;
    let code = receipts[0].dossier_code.clone();
    let result_code = receipts[STEPS.len() - 1].result_code.clone();

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
