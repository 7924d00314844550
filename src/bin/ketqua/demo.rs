//! `ketqua demo`: plays a department system, running one dossier through the five steps
//! against a server and writing every signed record and the result.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use ketqua::{
    flow::{Catalog, ProcedureCode},
    pdf,
    proto::v1::{self as pb, dossiers_client::DossiersClient, signing_client::SigningClient},
};

use crate::{
    client::step_name,
    remote::{status_error, Remote},
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
    let channel = args.remote.connect(&department).await?;
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
        hex::encode(ketqua::crypto::sha256(
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
        .receive(args.remote.activated(
            pb::ReceiveRequest {
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
            },
            &receiver,
        )?)
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
            .appraise(
                args.remote
                    .activated(step("appraise", &appraiser, "Đủ điều kiện cấp"), &appraiser)?,
            )
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    receipts.push(
        dossiers
            .approve(
                args.remote
                    .activated(step("approve", &approver, "Đồng ý"), &approver)?,
            )
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    // The service renders the result (Vietnamese, QR code) and signs it: signer, then seal.
    receipts.push(
        dossiers
            .sign(args.remote.activated(
                pb::SignRequest {
                request_id: request_id("sign"),
                credential_id: approver.clone(),
                dossier_code: code.clone(),
                note: String::new(),
                result: None,
                content: Some(pb::ResultContent {
                    issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".to_owned(),
                    number_notation: format!("Số: {}/LLTP-STP", &code[code.len() - 4..]),
                    place_and_date: {
                        let today = ketqua::flow::vietnam_date(time::OffsetDateTime::now_utc());
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
            },
                &approver,
            )?)
            .await
            .map_err(status_error)?
            .into_inner(),
    );
    let returned = dossiers
        .r#return(
            args.remote
                .activated(step("return", &receiver, "Trả kết quả điện tử"), &receiver)?,
        )
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
