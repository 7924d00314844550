//! A department system's side of the flow, shared by `demo` (one dossier, its records written
//! out) and `bench flow` (many dossiers, timed): which procedure it runs, who its officials
//! are, and the requests of the five steps.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ketqua::{
    flow::{Catalog, ProcedureCode},
    pdf,
    proto::v1::{self as pb, dossiers_client::DossiersClient, signing_client::SigningClient},
};
use tonic::transport::Channel;

use crate::remote::{status_error, Remote};

/// The procedure a department system runs, and the officials who act in it.
#[derive(Debug, Clone)]
pub struct Department {
    pub id: String,
    pub procedure_code: String,
    documents_needed: Vec<String>,
    result_name: String,
    pub receiver: String,
    pub appraiser: String,
    pub approver: String,
}

impl Department {
    /// The department handling `procedure` (default: the embedded catalog's first) — or, for a
    /// procedure the embedded catalog does not know, the `department` given. Its officials are
    /// not known until [`Department::find_officials`].
    pub fn for_procedure(
        procedure: Option<&str>,
        department: Option<&str>,
    ) -> anyhow::Result<Self> {
        let catalog = Catalog::embedded_default();
        let known = match procedure {
            Some(code) => {
                let code: ProcedureCode = code.parse()?;
                catalog.procedure(&code).cloned()
            }
            None => catalog.procedures().first().cloned(),
        };
        let (procedure_code, id, documents_needed, result_name) = match (known, department) {
            (Some(p), department) => (
                p.code.to_string(),
                department
                    .map(str::to_owned)
                    .unwrap_or(p.department.clone()),
                p.required_documents.clone(),
                p.result_document.clone(),
            ),
            (None, Some(department)) => (
                procedure.unwrap_or_default().to_owned(),
                department.to_owned(),
                Vec::new(),
                "Kết quả giải quyết thủ tục hành chính".to_owned(),
            ),
            (None, None) => {
                bail!("procedure {procedure:?} is not in the embedded catalog: pass --department")
            }
        };
        Ok(Self {
            id,
            procedure_code,
            documents_needed,
            result_name,
            receiver: String::new(),
            appraiser: String::new(),
            approver: String::new(),
        })
    }

    /// Asks the server for the department's credentials and picks the receiver, appraiser
    /// and approver.
    pub async fn find_officials(&mut self, channel: Channel) -> anyhow::Result<()> {
        let credentials = SigningClient::new(channel)
            .list_credentials(pb::ListCredentialsRequest {
                department: self.id.clone(),
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
                        "the server has no {} credential for department {}",
                        role.as_str_name(),
                        self.id
                    )
                })
        };
        self.receiver = official(pb::Role::Receiver)?;
        self.appraiser = official(pb::Role::Appraiser)?;
        self.approver = official(pb::Role::Approver)?;
        Ok(())
    }

    /// Step 1: the applicant's two papers, received by the receiver.
    pub fn receive(&self, request_id: String) -> pb::ReceiveRequest {
        let name = |i: usize, default: &str| {
            self.documents_needed
                .get(i)
                .cloned()
                .unwrap_or_else(|| default.to_owned())
        };
        let first_name = name(0, "Tờ khai");
        let second_name = name(1, "Bản chụp giấy tờ tùy thân");
        let documents = vec![
            pb::Document {
                content: pdf::text_document(
                    &first_name,
                    &["Ho va ten: Nguyen Van An", "So dinh danh: 001099012345"],
                ),
                name: first_name,
                media_type: "application/pdf".to_owned(),
            },
            pb::Document {
                content: pdf::text_document(
                    &second_name,
                    &["So: 001099012345", "Noi cap: Cuc Canh sat QLHC ve TTXH"],
                ),
                name: second_name,
                media_type: "application/pdf".to_owned(),
            },
        ];
        pb::ReceiveRequest {
            request_id,
            credential_id: self.receiver.clone(),
            procedure_code: self.procedure_code.clone(),
            applicant: Some(pb::Applicant {
                id: "001099012345".to_owned(),
                name: "Nguyễn Văn An".to_owned(),
            }),
            documents,
            note: "Hồ sơ đầy đủ, hợp lệ".to_owned(),
            supplement_of: String::new(),
            cited_results: Vec::new(),
            channel: pb::Channel::Online as i32,
            contact: None,
        }
    }

    /// Steps 2, 3 and 5, which carry only a note.
    pub fn step(
        &self,
        request_id: String,
        credential: &str,
        dossier_code: &str,
        note: &str,
    ) -> pb::StepRequest {
        pb::StepRequest {
            request_id,
            credential_id: credential.to_owned(),
            dossier_code: dossier_code.to_owned(),
            note: note.to_owned(),
            documents: Vec::new(),
        }
    }

    /// Step 4: the approver signs the result the service renders (Vietnamese, QR code),
    /// then the service seals it.
    pub fn sign(&self, request_id: String, dossier_code: &str) -> pb::SignRequest {
        let today = ketqua::flow::vietnam_date(time::OffsetDateTime::now_utc());
        let number = dossier_code
            .get(dossier_code.len().saturating_sub(4)..)
            .unwrap_or(dossier_code);
        pb::SignRequest {
            request_id,
            credential_id: self.approver.clone(),
            dossier_code: dossier_code.to_owned(),
            note: String::new(),
            result: None,
            content: Some(pb::ResultContent {
                issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".to_owned(),
                number_notation: format!("Số: {number}/LLTP-STP"),
                place_and_date: format!(
                    "Quảng Ninh, ngày {:02} tháng {:02} năm {}",
                    today.day(),
                    u8::from(today.month()),
                    today.year()
                ),
                title: self.result_name.to_uppercase(),
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
                subject: self.result_name.clone(),
                retention: "vĩnh viễn".to_owned(),
                ..pb::ResultMetadata::default()
            }),
            more_results: Vec::new(),
        }
    }
}

/// The five steps, in the order [`Department::run_dossier`] takes them.
pub const STEPS: [&str; 5] = ["receive", "appraise", "approve", "sign", "return"];

impl Department {
    /// Runs one dossier through the five steps, request ids `<run>-<step>`; `timed` is told
    /// how long each call took (its index in [`STEPS`]). The receipts, in step order.
    pub async fn run_dossier(
        &self,
        dossiers: &mut DossiersClient<Channel>,
        remote: &Remote,
        run: &str,
        mut timed: impl FnMut(usize, Duration),
    ) -> anyhow::Result<Vec<pb::StepReceipt>> {
        let id = |step: &str| format!("{run}-{step}");
        let mut receipts = Vec::with_capacity(STEPS.len());
        let started = Instant::now();
        let received = dossiers
            .receive(remote.activated(self.receive(id("receive")), &self.receiver)?)
            .await
            .map_err(status_error)?
            .into_inner();
        timed(0, started.elapsed());
        let code = received.dossier_code.clone();
        receipts.push(received);
        for (index, step) in STEPS.iter().enumerate().skip(1) {
            let started = Instant::now();
            let call = match *step {
                "appraise" => {
                    let request = self.step(id(step), &self.appraiser, &code, "Đủ điều kiện cấp");
                    dossiers
                        .appraise(remote.activated(request, &self.appraiser)?)
                        .await
                }
                "approve" => {
                    let request = self.step(id(step), &self.approver, &code, "Đồng ý");
                    dossiers
                        .approve(remote.activated(request, &self.approver)?)
                        .await
                }
                "sign" => {
                    let request = self.sign(id(step), &code);
                    dossiers
                        .sign(remote.activated(request, &self.approver)?)
                        .await
                }
                _ => {
                    let request = self.step(id(step), &self.receiver, &code, "Trả kết quả điện tử");
                    dossiers
                        .r#return(remote.activated(request, &self.receiver)?)
                        .await
                }
            };
            let receipt = call
                .map_err(status_error)
                .with_context(|| format!("{step} of dossier {code}"))?
                .into_inner();
            timed(index, started.elapsed());
            receipts.push(receipt);
        }
        Ok(receipts)
    }
}
