//! The procedure's own papers (Circular 01/2018/TT-VPCP): the receipt and appointment slip at
//! Receive (01), the supplement request (02), the refusal (03), the apology with its new
//! date at Extend (04) and the process control sheet at Return (05), rendered in Vietnamese with the QR code of the progress page at the top
//! left, signed PAdES B-T by the acting official — and sealed where the form is the agency's —
//! and archived as documents of their step.
//!
//! Forms 02–05 are rendered before their step commits and named in its signed record. The
//! receipt slip names the dossier code, which exists only once the group commit has numbered
//! the dossier, and signing it inside the writer would serialise every receipt behind a PDF
//! signature; so it is signed right after the commit and attached to the first record, its
//! hash a leaf of the log of its own. Should that attachment not happen (a crash in between),
//! a retry of the Receive issues it then.

use time::{Date, OffsetDateTime};

use super::{
    audit::unix_millis,
    core::Service,
    error::{pdf_error, Error},
    progress::record_time,
};
use crate::{
    archive::{Archive, DossierRow, NewDocument, StoredDocument},
    crypto,
    flow::{
        format_vnd, vietnam_date, vietnam_time, DossierCode, Form, FormValues, Role, Step, VIETNAM,
    },
    pdf::{
        self, DocMdp, PadesLevel, QrPayload, SignatureRequest, StampKind, StampTextInput,
        VisibleSignature,
    },
    pki::Credential,
    proto::v1 as pb,
};

/// Forms are evidence of an act at a moment: a trusted time is what they need (B-T). They are
/// not results, and are not renewed.
pub const FORM_LEVEL: PadesLevel = PadesLevel::BT;

/// A form the service issued, as the step's receipt carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedForm {
    pub form: Form,
    pub record_sequence: i64,
    pub name: String,
    pub sha256: [u8; 32],
    pub content: Vec<u8>,
}

impl IssuedForm {
    pub(super) fn of(form: Form, record_sequence: i64, document: &NewDocument) -> IssuedForm {
        IssuedForm {
            form,
            record_sequence,
            name: document.name.clone(),
            sha256: document.sha256,
            content: document.content.clone(),
        }
    }
}

/// What a form says besides the dossier row: the step's own facts.
#[derive(Debug, Clone, Default)]
pub(super) struct FormFacts<'a> {
    /// The acting official's words: what is missing, the reasons, why late.
    pub note: &'a str,
    /// The names of the papers received (form 01).
    pub documents: Vec<String>,
    /// The due date the step sets or keeps, YYYY-MM-DD.
    pub due_date: &'a str,
    /// The due date an extension replaces (form 04).
    pub previous_due_date: &'a str,
    /// Every step so far (form 05): the dossier's records, decoded, in order.
    pub history: &'a [pb::StepRecord],
    /// The fee paid (the fee receipt).
    pub payment: Option<&'a pb::Payment>,
}

fn method_words(method: i32) -> &'static str {
    match pb::PaymentMethod::try_from(method) {
        Ok(pb::PaymentMethod::Cash) => "tiền mặt",
        Ok(pb::PaymentMethod::BankTransfer) => "chuyển khoản",
        Ok(pb::PaymentMethod::QrPayment) => "thanh toán qua mã QR",
        _ => "không rõ",
    }
}

/// Where a step stands against the due date in force when it handed the dossier on.
fn step_timeliness(handed_on: Date, due: Option<Date>) -> &'static str {
    match due {
        Some(due) if handed_on < due => "trước hạn",
        Some(due) if handed_on == due => "đúng hạn",
        Some(_) => "quá hạn",
        None => "không có hạn",
    }
}

/// The control sheet's lines: each step, its department and official, when the dossier came
/// to it and when it was handed on, the due date then in force, and whether it was on time.
fn control_lines(
    history: &[pb::StepRecord],
    department_name: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut lines = Vec::with_capacity(history.len());
    let mut came_at: Option<OffsetDateTime> = None;
    for (i, record) in history.iter().enumerate() {
        let step = pb::Step::try_from(record.step)
            .ok()
            .and_then(crate::record::step_from_proto);
        let actor = record.actor.clone().unwrap_or_default();
        let handed = record_time(record);
        let due = time::Date::parse(
            &record.due_date,
            &time::format_description::well_known::Iso8601::DATE,
        )
        .ok();
        let role = pb::Role::try_from(actor.role)
            .ok()
            .and_then(|r| match r {
                pb::Role::Receiver => Some(Role::Receiver),
                pb::Role::Appraiser => Some(Role::Appraiser),
                pb::Role::Approver => Some(Role::Approver),
                pb::Role::Seal => Some(Role::Seal),
                pb::Role::Unspecified => None,
            })
            .map_or("", Role::vietnamese);
        let at = |t: Option<OffsetDateTime>| t.map(vietnam_time).unwrap_or_else(|| "—".to_owned());
        lines.push(format!(
            "{}. {} — {}: nhận hồ sơ {}, giao {}; hạn {}; {}. Người thực hiện: {} ({role}).",
            i + 1,
            step.map_or("bước không rõ", Step::vietnamese),
            department_name(&actor.department),
            at(came_at.or(handed)),
            at(handed),
            dd_mm_yyyy(&record.due_date),
            handed.map_or("—", |t| step_timeliness(vietnam_date(t), due)),
            actor.name,
        ));
        came_at = handed;
    }
    lines
}

/// The seal's signature on a form: its round stamp at `rect`, or beside the official's.
fn seal_request<'a>(
    seal: &'a Credential,
    rect: Option<[f64; 4]>,
    department: &str,
    at: OffsetDateTime,
) -> SignatureRequest<'a> {
    SignatureRequest {
        field_name: Some("ConDau".to_owned()),
        visible: Some(VisibleSignature {
            page: None,
            rect,
            kind: StampKind::Seal,
            text: StampTextInput {
                signer_name: seal.info().common_name.clone(),
                position: String::new(),
                organisation: department.to_owned(),
            },
        }),
        reason: Some("Đóng dấu của cơ quan".to_owned()),
        location: Some(department.to_owned()),
        ..SignatureRequest::new(seal, FORM_LEVEL, at)
    }
}

/// An official's words as a sentence of the form: ending with its full stop.
fn sentence(words: &str) -> String {
    let words = words.trim();
    if words.ends_with(['.', '!', '?', ':', ';']) {
        words.to_owned()
    } else {
        format!("{words}.")
    }
}

/// 04/12/2026 from 2026-12-04; anything else as it is.
pub(super) fn dd_mm_yyyy(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

impl<A: Archive> Service<A> {
    /// Renders `form` for the dossier `row` (numbered `code`) and signs it with `official`'s
    /// credential at `at`, then with the department's seal if the form carries it.
    pub(super) fn issue_form(
        &self,
        form: Form,
        code: &DossierCode,
        row: &DossierRow,
        official: &Credential,
        facts: &FormFacts<'_>,
        at: OffsetDateTime,
    ) -> Result<NewDocument, Error> {
        // The seal signs alone when it is the official (a control sheet on demand).
        let (official, seal) = match (official.role(), form.sealed()) {
            (Role::Seal, _) => (None, Some(official)),
            (_, true) => (Some(official), Some(self.seal_of(&row.department, at)?)),
            (_, false) => (Some(official), None),
        };
        let signer = official.or(seal).ok_or_else(|| {
            Error::Internal(format!("form {} has nobody to sign it", form.number()))
        })?;
        let department = self
            .catalog
            .department(&row.department)
            .map_or_else(|| signer.info().organisation.clone(), |d| d.name.clone());
        let content = self.form_content(form, code, row, signer, facts, &department, at)?;
        self.sign_form(form, &content, official, seal, &department, at)
    }

    /// Renders `content` as `form` and signs it: by `official`, then `seal`, or by the seal
    /// alone (a register); PAdES B-T.
    pub(super) fn sign_form(
        &self,
        form: Form,
        content: &pdf::ResultDocument,
        official: Option<&Credential>,
        seal: Option<&Credential>,
        department: &str,
        at: OffsetDateTime,
    ) -> Result<NewDocument, Error> {
        let timestamper = self.timestamper.as_deref().ok_or_else(|| {
            Error::FailedPrecondition(
                "no timestamp authority is configured: forms are signed at PAdES B-T, which needs one"
                    .to_owned(),
            )
        })?;
        // CPU work: off the async workers, one per core at a time.
        self.gates.flow_cpu.run(|| {
            let rendered = pdf::render(content)
                .map_err(|e| Error::Internal(format!("form {}: {e}", form.number())))?;
            // B-T: the signature and its timestamp; no validation data (not a long-term result).
            let validation = pdf::Validation {
                timestamper: Some(timestamper),
                certificates: &[],
                crls: &[],
                ocsps: &[],
            };
            let appendix = match (official, seal) {
                (Some(official), seal) => {
                    let info = official.info();
                    let signer = SignatureRequest {
                        field_name: Some("ChuKyNguoiKy".to_owned()),
                        certify: Some(DocMdp::FormFilling),
                        visible: Some(VisibleSignature {
                            page: None,
                            rect: Some(rendered.signature_rect),
                            kind: StampKind::Signer,
                            text: StampTextInput {
                                signer_name: info.common_name.clone(),
                                position: info.position.clone(),
                                organisation: department.to_owned(),
                            },
                        }),
                        reason: Some(format!("Ký số Mẫu số {}", form.number())),
                        location: Some(department.to_owned()),
                        ..SignatureRequest::new(official, FORM_LEVEL, at)
                    };
                    match seal {
                        None => pdf::sign(&rendered.pdf, &signer, &validation),
                        Some(seal) => pdf::sign_result(
                            &rendered.pdf,
                            &signer,
                            &seal_request(seal, None, department, at),
                            None,
                            &validation,
                        ),
                    }
                }
                (None, Some(seal)) => {
                    let request = SignatureRequest {
                        certify: Some(DocMdp::FormFilling),
                        ..seal_request(seal, Some(rendered.signature_rect), department, at)
                    };
                    pdf::sign(&rendered.pdf, &request, &validation)
                }
                (None, None) => {
                    return Err(Error::Internal(format!(
                        "form {} has nobody to sign it",
                        form.number()
                    )))
                }
            }
            .map_err(pdf_error)?;
            for credential in official.iter().chain(seal.iter()) {
                metrics::counter!(
                    "ketqua_signatures_total",
                    "document" => "form",
                    "role" => credential.role().as_str()
                )
                .increment(1);
            }
            let mut signed = rendered.pdf;
            signed.extend_from_slice(&appendix);
            Ok(NewDocument {
                name: form.document_name(),
                media_type: "application/pdf".to_owned(),
                sha256: crypto::sha256(&signed),
                content: signed,
            })
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn form_content(
        &self,
        form: Form,
        code: &DossierCode,
        row: &DossierRow,
        official: &Credential,
        facts: &FormFacts<'_>,
        department: &str,
        at: OffsetDateTime,
    ) -> Result<pdf::ResultDocument, Error> {
        let local = at.to_offset(VIETNAM);
        let clock = format!(
            "{:02} giờ {:02} phút, ngày {:02}/{:02}/{}",
            local.hour(),
            local.minute(),
            local.day(),
            u8::from(local.month()),
            local.year()
        );
        let procedure = row
            .procedure_code
            .parse::<crate::flow::ProcedureCode>()
            .ok()
            .and_then(|c| self.catalog.procedure(&c));
        let desk = format!("Bộ phận tiếp nhận và trả kết quả, {department}");
        let mut values = FormValues::default();
        values
            .set("department", department)
            .set("desk", desk)
            .set("applicant_name", row.applicant_name.clone())
            .set("applicant_id", row.applicant_id.clone())
            .set("procedure", self.procedure_name(&row.procedure_code))
            .set("dossier_code", code.to_string())
            .set("received_on", dd_mm_yyyy(&row.received_on))
            .set("due_date", dd_mm_yyyy(facts.due_date))
            .set("progress_url", format!("{}/d/{code}", self.public_url));
        match form {
            Form::Receipt => {
                values
                    .set_list(
                        "documents",
                        facts
                            .documents
                            .iter()
                            .enumerate()
                            .map(|(i, name)| format!("{}. {name}", i + 1))
                            .collect(),
                    )
                    .set("document_count", facts.documents.len().to_string())
                    .set("received_at", clock);
            }
            Form::SupplementRequest => {
                values.set("missing", sentence(facts.note));
            }
            Form::Refusal => {
                values.set("reasons", sentence(facts.note));
            }
            Form::Apology => {
                values
                    .set("reason", sentence(facts.note))
                    .set("previous_due_date", dd_mm_yyyy(facts.previous_due_date));
            }
            Form::ControlSheet => {
                let finished = vietnam_date(at);
                let due_date = time::Date::parse(
                    facts.due_date,
                    &time::format_description::well_known::Iso8601::DATE,
                )
                .ok();
                values
                    .set_list(
                        "steps",
                        control_lines(facts.history, |id| {
                            self.catalog
                                .department(id)
                                .map_or_else(|| id.to_owned(), |d| d.name.clone())
                        }),
                    )
                    .set("finished_on", dd_mm_yyyy(&finished.to_string()))
                    .set("outcome", step_timeliness(finished, due_date));
            }
            // The register is of a department, not a dossier: `service::register`.
            Form::TrackingLog => {}
            Form::FeeReceipt => {
                let payment = facts.payment.cloned().unwrap_or_default();
                values
                    .set("fee_name", payment.fee_name)
                    .set("amount", format_vnd(payment.amount_vnd))
                    .set("method", method_words(payment.method))
                    .set("reference", payment.reference)
                    .set("paid_at", clock);
            }
        }
        let template = self.catalog.form_template(procedure, form);
        // The catalog always has every form (the embedded words unless replaced).
        let template = template.ok_or_else(|| {
            Error::Internal(format!(
                "the catalog has no words for form {}",
                form.number()
            ))
        })?;
        let (title, body) = (template.title.clone(), template.fill(&values));
        let info = official.info();
        let position = match (form, info.role) {
            (_, Role::Seal) => "THỦ TRƯỞNG CƠ QUAN".to_owned(),
            (Form::FeeReceipt, _) => "NGƯỜI THU TIỀN".to_owned(),
            (Form::Receipt, _) | (_, Role::Receiver) => "NGƯỜI TIẾP NHẬN HỒ SƠ".to_owned(),
            _ if !info.position.is_empty() => info.position.to_uppercase(),
            (_, role) => role.vietnamese().to_uppercase(),
        };
        let date = vietnam_date(at);
        Ok(pdf::ResultDocument {
            issuing_body: department.to_uppercase(),
            number_notation: format!("Mã hồ sơ: {code}"),
            place_and_date: format!(
                "Ngày {:02} tháng {:02} năm {}",
                date.day(),
                u8::from(date.month()),
                date.year()
            ),
            title,
            subtitle: None,
            body,
            signer_position: position,
            signer_name: info.common_name.clone(),
            archival: Some(pdf::ArchivalMetadata {
                document_type: match form {
                    Form::Receipt => "Giấy",
                    Form::FeeReceipt => "Biên lai",
                    Form::TrackingLog => "Sổ",
                    _ => "Phiếu",
                }
                .to_owned(),
                number_notation: code.to_string(),
                issue_date: date.to_string(),
                issuing_body: department.to_owned(),
                subject: form.title().to_owned(),
                language: "vi".to_owned(),
                retention: String::new(),
                dossier_code: code.to_string(),
            }),
            qr: Some(QrPayload {
                dossier_code: code.to_string(),
                procedure_code: row.procedure_code.clone(),
                applicant_id: row.applicant_id.clone(),
                document_name: format!("Mẫu số {}", form.number()),
                verification_url: format!("{}/d/{code}", self.public_url),
            }),
        })
    }

    /// The forms attached to record `sequence` of a dossier, with their bytes: what a retry of
    /// the step answers again.
    pub(super) async fn forms_of(
        &self,
        code: &DossierCode,
        sequence: i64,
    ) -> Result<Vec<IssuedForm>, Error> {
        let documents: Vec<StoredDocument> = self
            .archive
            .documents(code)
            .await?
            .into_iter()
            .filter(|d| d.record_sequence == sequence)
            .collect();
        let mut forms = Vec::new();
        for document in documents {
            let Some(form) = Form::of_document_name(&document.name) else {
                continue;
            };
            let content = self.archive.blob(&document.sha256).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "form {} of dossier {code} is missing from the archive",
                    form.number()
                ))
            })?;
            let sha256: [u8; 32] = document.sha256.as_slice().try_into().map_err(|_| {
                Error::Internal(format!(
                    "form {} of {code} has a malformed hash",
                    form.number()
                ))
            })?;
            forms.push(IssuedForm {
                form,
                record_sequence: sequence,
                name: document.name,
                sha256,
                content,
            });
        }
        Ok(forms)
    }

    /// The receipt slip of a dossier's receipt `sequence` (1, or a re-receipt), issued and
    /// attached now: the caller knows it has none yet.
    pub(super) async fn issue_receipt_slip(
        &self,
        code: &DossierCode,
        sequence: i64,
        official: &Credential,
        documents: Vec<String>,
        at: OffsetDateTime,
    ) -> Result<Vec<IssuedForm>, Error> {
        let row = self.load(code).await?;
        let facts = FormFacts {
            documents,
            due_date: &row.due_date,
            ..FormFacts::default()
        };
        let document = self.issue_form(Form::Receipt, code, &row, official, &facts, at)?;
        let issued = IssuedForm::of(Form::Receipt, sequence, &document);
        self.archive
            .attach_form(code, sequence, document, unix_millis(at))
            .await?;
        Ok(vec![issued])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_on_forms_read_as_in_vietnam() {
        assert_eq!(dd_mm_yyyy("2026-12-04"), "04/12/2026");
        assert_eq!(dd_mm_yyyy(""), "");
        assert_eq!(sentence(" Thiếu tờ khai "), "Thiếu tờ khai.");
        assert_eq!(sentence("Thiếu: tờ khai; ảnh."), "Thiếu: tờ khai; ảnh.");
    }

    #[test]
    fn a_step_is_early_on_time_or_late_against_the_due_date_in_force() {
        use time::macros::date;
        let due = Some(date!(2026 - 12 - 18));
        assert_eq!(step_timeliness(date!(2026 - 12 - 17), due), "trước hạn");
        assert_eq!(step_timeliness(date!(2026 - 12 - 18), due), "đúng hạn");
        assert_eq!(step_timeliness(date!(2026 - 12 - 19), due), "quá hạn");
        let history = [
            pb::StepRecord {
                step: pb::Step::Receive as i32,
                time_unix_millis: 1_796_000_000_000,
                due_date: "2030-01-01".to_owned(),
                actor: Some(pb::Actor {
                    department: "stp".to_owned(),
                    name: "Nguyễn Thu Bình".to_owned(),
                    role: pb::Role::Receiver as i32,
                    ..pb::Actor::default()
                }),
                ..pb::StepRecord::default()
            },
            pb::StepRecord {
                step: pb::Step::Appraise as i32,
                time_unix_millis: 1_796_100_000_000,
                due_date: "2020-01-01".to_owned(),
                ..pb::StepRecord::default()
            },
        ];
        let lines = control_lines(&history, |id| format!("[{id}]"));
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("1. tiếp nhận — [stp]: "),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("trước hạn"), "{}", lines[0]);
        assert!(
            lines[0].contains("Nguyễn Thu Bình (cán bộ tiếp nhận)"),
            "{}",
            lines[0]
        );
        assert!(lines[1].contains("quá hạn"), "{}", lines[1]);
        // The second step received the dossier when the first handed it on.
        let handed_first = lines[0]
            .split("giao ")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        assert!(
            lines[1].contains(&format!("nhận hồ sơ {handed_first}")),
            "{}",
            lines[1]
        );
    }
}
