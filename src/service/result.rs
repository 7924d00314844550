//! Step 4: the result document, rendered or supplied, signed PAdES B-LT by the competent
//! signer (a certification signature) and then by the organisation's seal, with the QR code
//! at the top left of its first page.

use time::OffsetDateTime;

use super::{
    answers::Receipt,
    audit::{unix_millis, Call},
    checks::{parse_dossier_code, stored_state},
    commands::{ResultContent, ResultItemRef, ResultMetadata, SignCommand},
    commit::{digest_of, StepWrite},
    core::Service,
    error::{pdf_error, Error},
    fingerprint, input,
    validation_data::{RevocationData, ValidationData},
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, DossierChange, NewDocument, NewResult},
    crypto,
    flow::{ResultCode, Step},
    pdf::{
        self, PadesLevel, QrPayload, SignatureRequest, StampKind, StampTextInput, VisibleSignature,
    },
    pki::Credential,
};

/// The level of every result the flow issues: signatures, timestamps, and the validation data
/// needed to check them for decades (B-LTA is added by `archive renew` when due).
pub const RESULT_LEVEL: PadesLevel = PadesLevel::BLT;

/// The QR code on a supplied PDF, drawn by the PAdES signer before the first signature.
struct QrMark(QrPayload);

impl pdf::TopLeftMark for QrMark {
    fn content(&self, x: f64, y: f64, size: f64) -> Result<Vec<u8>, pdf::PdfError> {
        pdf::qr_content(&self.0, x, y, size)
            .map_err(|e| pdf::PdfError::malformed(format!("QR code: {e}")))
    }
}

impl<A: Archive> Service<A> {
    /// The validation data for documents signed by `signers` (each certificate with its
    /// chain): OCSP answers, where configured, for every certificate of their paths and the
    /// TSA's, made now.
    pub(super) fn validation_data(&self, signers: &[(&[u8], &[Vec<u8>])]) -> ValidationData {
        let mut certificates = vec![self.keys.root_der().to_vec()];
        let mut path: Vec<&[u8]> = Vec::new();
        for (certificate, chain) in signers {
            path.push(certificate);
            path.extend(chain.iter().map(Vec::as_slice));
        }
        if let Some(tsa) = self.keys.tsa() {
            certificates.push(tsa.certificate_der().to_vec());
            certificates.extend(tsa.chain_der().iter().cloned());
            path.push(tsa.certificate_der());
            path.extend(tsa.chain_der().iter().map(Vec::as_slice));
        }
        let (crl, ocsp) = match self.revocation_data {
            RevocationData::Crl => (true, false),
            RevocationData::Ocsp => (false, true),
            RevocationData::Both => (true, true),
        };
        ValidationData {
            certificates,
            crls: if crl {
                self.keys.crls_der()
            } else {
                Vec::new()
            },
            ocsps: if ocsp {
                self.keys.ocsp_answers(&path, (self.clock)())
            } else {
                Vec::new()
            },
        }
    }

    pub async fn sign(&self, caller: &Caller, command: SignCommand) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, "Sign")
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            self.sign_inner(&call, &command).await
        })
        .await
    }

    pub(super) async fn sign_inner(
        &self,
        call: &Call<'_>,
        command: &SignCommand,
    ) -> Result<Receipt, Error> {
        input::check_request_id(&command.request_id)?;
        let fingerprint = fingerprint::sign(command);
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        let code = parse_dossier_code(&command.dossier_code)?;
        let items = command.items();
        if items.len() > MAX_RESULTS {
            return Err(Error::InvalidArgument(format!(
                "{} result documents: a dossier issues at most {MAX_RESULTS}",
                items.len()
            )));
        }
        for (i, item) in items.iter().enumerate() {
            check_item(i, item, &self.limits)?;
        }
        input::check_note(&command.note, &self.limits)?;
        let credential = self.credential(&command.credential_id, call.at)?;
        let row = self.load(&code).await?;
        let from = stored_state(&row)?;
        let state = self.check(Some(from), Step::Sign, credential, &row.department)?;
        let seal = self.seal_of(&row.department, call.at)?;
        if self.timestamper.is_none() {
            return Err(Error::FailedPrecondition(
                "no timestamp authority is configured: results are signed at PAdES B-LT, which needs one".to_owned(),
            ));
        }
        let organisation = self
            .catalog
            .department(&row.department)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| credential.info().organisation.clone());

        // Each result under its own code, -KQ1 first, each with the QR code of its own page.
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let index = i + 1;
            let result_code = ResultCode::new(code.clone(), index as u32)
                .map_err(|e| Error::Internal(format!("result code: {e}")))?;
            let document_name = match (item.result, item.content) {
                (Some(document), _) => document.name.trim().to_owned(),
                (None, Some(content)) => content.title.clone(),
                (None, None) => String::new(),
            };
            let qr = QrPayload {
                dossier_code: code.to_string(),
                procedure_code: row.procedure_code.clone(),
                applicant_id: row.applicant_id.clone(),
                document_name: document_name.clone(),
                verification_url: format!("{}/v/{result_code}", self.public_url),
            };
            let metadata = complete_metadata(item.metadata, item.content, &organisation, call.at);
            // Rendering and signing are CPU work over the whole document (hashing 100 MB
            // takes a while): keep them off the async workers, one per core at a time.
            let (signed, page_count) = self.gates.flow_cpu.run(|| {
                self.produce_result(
                    item.result.map(|d| d.content.as_slice()),
                    item.content,
                    qr,
                    &metadata,
                    credential,
                    seal,
                    &organisation,
                    call.at,
                )
            })?;
            results.push(NewResult {
                index: index as i64,
                result_code: result_code.to_string(),
                document: NewDocument {
                    name: document_name,
                    media_type: "application/pdf".to_owned(),
                    sha256: crypto::sha256(&signed),
                    content: signed,
                },
                level: RESULT_LEVEL.to_string(),
                page_count: page_count as i64,
                signer: credential.info().common_name.clone(),
                applicant_id: row.applicant_id.clone(),
                procedure_code: row.procedure_code.clone(),
                metadata: metadata.to_json(),
                signed_at_ms: unix_millis(call.at),
            });
        }
        // The record names the signed results by their hashes; their bytes are stored once,
        // with the results, not again as attachments.
        let digests = results.iter().map(|r| digest_of(&r.document)).collect();
        let change = DossierChange {
            state: state.as_str().to_owned(),
            results,
            ..DossierChange::default()
        };
        let write = StepWrite {
            code: &code,
            row: &row,
            step: Step::Sign,
            state,
            credential,
            note: &command.note,
            documents: Vec::new(),
            named_only: digests,
            cited_results: Vec::new(),
            change,
            fingerprint,
            due_date: row.due_date.clone(),
            previous_due_date: String::new(),
            payment: None,
            result_code: String::new(),
            external_signature: None,
            forms: Vec::new(),
            result_codes: Vec::new(),
        };
        self.commit_step(call, write).await
    }

    /// Renders (or takes) the PDF, then signs it: QR, signer, seal, DSS. Returns the signed
    /// bytes and the page count.
    #[allow(clippy::too_many_arguments)]
    fn produce_result(
        &self,
        supplied: Option<&[u8]>,
        content: Option<&ResultContent>,
        qr: QrPayload,
        metadata: &ResultMetadata,
        signer: &Credential,
        seal: &Credential,
        organisation: &str,
        at: OffsetDateTime,
    ) -> Result<(Vec<u8>, usize), Error> {
        // A supplied PDF is signed where it lies; only the signed output is a new buffer.
        let (input, signature_rect, qr_mark) = match (supplied, content) {
            (Some(pdf), _) => (std::borrow::Cow::Borrowed(pdf), None, Some(QrMark(qr))),
            (None, Some(content)) => {
                let rendered = pdf::render(&render_document(content, signer, qr, metadata))
                    .map_err(|e| {
                        Error::InvalidArgument(format!(
                            "the result content cannot be rendered: {e}"
                        ))
                    })?;
                (
                    std::borrow::Cow::Owned(rendered.pdf),
                    Some(rendered.signature_rect),
                    None,
                )
            }
            (None, None) => return Err(Error::Internal("no result document".to_owned())),
        };
        let info = signer.info();
        let signer_request = SignatureRequest {
            field_name: Some("ChuKyNguoiKy".to_owned()),
            certify: Some(pdf::DocMdp::FormFilling),
            visible: Some(VisibleSignature {
                page: None,
                rect: signature_rect,
                kind: StampKind::Signer,
                text: StampTextInput {
                    signer_name: info.common_name.clone(),
                    position: info.position.clone(),
                    organisation: organisation.to_owned(),
                },
            }),
            reason: Some("Ký số kết quả giải quyết thủ tục hành chính".to_owned()),
            location: Some(organisation.to_owned()),
            ..SignatureRequest::new(signer, RESULT_LEVEL, at)
        };
        let seal_request = SignatureRequest {
            field_name: Some("ConDau".to_owned()),
            visible: Some(VisibleSignature {
                page: None,
                rect: None,
                kind: StampKind::Seal,
                text: StampTextInput {
                    signer_name: seal.info().common_name.clone(),
                    position: String::new(),
                    organisation: organisation.to_owned(),
                },
            }),
            reason: Some("Đóng dấu của cơ quan".to_owned()),
            location: Some(organisation.to_owned()),
            ..SignatureRequest::new(seal, RESULT_LEVEL, at)
        };
        let data = self.validation_data(&[
            (signer.certificate_der(), signer.chain_der()),
            (seal.certificate_der(), seal.chain_der()),
        ]);
        let validation = data.as_validation(self.timestamper.as_deref());
        let appendix = pdf::sign_result(
            &input,
            &signer_request,
            &seal_request,
            qr_mark.as_ref().map(|m| m as &dyn pdf::TopLeftMark),
            &validation,
        )
        .map_err(pdf_error)?;
        for role in [signer.role(), seal.role()] {
            metrics::counter!("ketqua_signatures_total", "document" => "result", "role" => role.as_str())
                .increment(1);
        }
        let mut signed = Vec::with_capacity(input.len() + appendix.len());
        signed.extend_from_slice(&input);
        signed.extend_from_slice(&appendix);
        let page_count = pdf::Document::open(&signed)
            .and_then(|d| d.page_count())
            .map_err(|e| Error::Internal(format!("the signed result does not parse: {e}")))?;
        Ok((signed, page_count))
    }
}

/// Results one Sign may issue (a licence and its decision, a certificate in two languages…).
const MAX_RESULTS: usize = 8;

/// One result document of a Sign, checked: a PDF or content to render, not both. `i` counts
/// from 0 for the messages.
fn check_item(i: usize, item: &ResultItemRef<'_>, limits: &input::Limits) -> Result<(), Error> {
    let which = if i == 0 {
        "the result document".to_owned()
    } else {
        format!("result document {} (more_results[{}])", i + 1, i - 1)
    };
    match (item.result, item.content) {
        (Some(_), Some(_)) => Err(Error::InvalidArgument(format!(
            "{which}: send either the PDF or its content to render, not both"
        ))),
        (None, None) => Err(Error::InvalidArgument(format!(
            "{which} is missing: send the PDF (result) or its content"
        ))),
        (Some(document), None) => {
            // Checked, not copied or hashed: what is stored is the signed output.
            input::check_document(i, document, limits)?;
            input::check_pdf(&document.content)
        }
        (None, Some(content)) => check_content(content),
    }
}

fn check_content(content: &ResultContent) -> Result<(), Error> {
    if content.title.trim().is_empty() {
        return Err(Error::InvalidArgument("content.title is empty".to_owned()));
    }
    if content.body.iter().all(|p| p.trim().is_empty()) {
        return Err(Error::InvalidArgument("content.body is empty".to_owned()));
    }
    let total: usize = content.body.iter().map(|p| p.len()).sum();
    if total > 1024 * 1024 {
        return Err(Error::ResourceExhausted(
            "content.body is larger than 1 MiB of text".to_owned(),
        ));
    }
    Ok(())
}

fn render_document(
    content: &ResultContent,
    signer: &Credential,
    qr: QrPayload,
    metadata: &ResultMetadata,
) -> pdf::ResultDocument {
    let info = signer.info();
    pdf::ResultDocument {
        issuing_body: content.issuing_body.clone(),
        number_notation: content.number_notation.clone(),
        place_and_date: content.place_and_date.clone(),
        title: content.title.clone(),
        subtitle: (!content.subtitle.is_empty()).then(|| content.subtitle.clone()),
        body: content.body.clone(),
        signer_position: if content.signer_position.is_empty() {
            info.position.clone()
        } else {
            content.signer_position.clone()
        },
        signer_name: info.common_name.clone(),
        archival: Some(pdf::ArchivalMetadata {
            document_type: metadata.document_type.clone(),
            number_notation: metadata.number_notation.clone(),
            issue_date: metadata.issue_date.clone(),
            issuing_body: metadata.issuing_body.clone(),
            subject: metadata.subject.clone(),
            language: metadata.language.clone(),
            retention: metadata.retention.clone(),
            dossier_code: qr.dossier_code.clone(),
        }),
        qr: Some(qr),
    }
}

/// Fills what the archive needs and the caller left out.
fn complete_metadata(
    given: &ResultMetadata,
    content: Option<&ResultContent>,
    organisation: &str,
    at: OffsetDateTime,
) -> ResultMetadata {
    let or = |value: &str, fallback: String| {
        if value.trim().is_empty() {
            fallback
        } else {
            value.to_owned()
        }
    };
    ResultMetadata {
        document_type: or(&given.document_type, String::new()),
        number_notation: or(
            &given.number_notation,
            content
                .map(|c| c.number_notation.clone())
                .unwrap_or_default(),
        ),
        issue_date: or(&given.issue_date, crate::flow::vietnam_date(at).to_string()),
        issuing_body: or(&given.issuing_body, organisation.to_owned()),
        subject: or(
            &given.subject,
            content.map(|c| c.title.clone()).unwrap_or_default(),
        ),
        language: or(&given.language, "vi".to_owned()),
        retention: or(&given.retention, "vĩnh viễn".to_owned()),
    }
}
