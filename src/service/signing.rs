//! The Signing service's use cases: sign any PDF with a named credential at a PAdES level,
//! external signing in two steps for officials with their own tokens, and timestamps.

use time::OffsetDateTime;

use super::{
    admission::QUEUE_PATIENCE,
    audit::{unix_millis, Call},
    core::Service,
    error::{pdf_error, signing_error, Error},
    sessions::{random_bytes, SESSION_LIFETIME, STEP_SESSION_PREFIX},
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, SigningSession},
    crypto::{self, KeyAlgorithm, SignatureAlgorithm},
    pdf::{
        self, DocMdp, PadesLevel, PrepareRequest, Prepared, SignatureRequest, StampKind,
        StampTextInput, VisibleSignature,
    },
};

/// Options shared by both ways of signing.
#[derive(Debug, Clone)]
pub struct SignOptions {
    pub level: PadesLevel,
    pub visible: bool,
    pub field_name: String,
    pub reason: String,
    pub location: String,
    pub certify: bool,
}

/// What signing produced: the bytes to append to the input, and who signed.
#[derive(Debug, Clone)]
pub struct SignedDocument {
    pub appendix: Vec<u8>,
    pub level: PadesLevel,
    pub signer: String,
}

/// An external signer's identity and stamp text.
#[derive(Debug, Clone)]
pub struct ExternalSigner {
    pub certificate_der: Vec<u8>,
    pub chain_der: Vec<Vec<u8>>,
    pub signer_name: String,
    pub position: String,
    pub organisation: String,
}

/// What the official's token must sign.
#[derive(Debug, Clone)]
pub struct PreparedSession {
    pub session_id: String,
    pub data_to_sign: Vec<u8>,
    pub data_to_sign_sha256: [u8; 32],
    pub signature_algorithm: String,
    pub expires_at: OffsetDateTime,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn certify(options: &SignOptions) -> Option<DocMdp> {
    options.certify.then_some(DocMdp::FormFilling)
}

impl<A: Archive> Service<A> {
    fn check_input_size(&self, input: &[u8]) -> Result<(), Error> {
        if input.len() as u64 > self.limits.max_document_bytes {
            return Err(Error::ResourceExhausted(format!(
                "the document is {} bytes; the limit is {} bytes",
                input.len(),
                self.limits.max_document_bytes
            )));
        }
        super::input::check_pdf(input)
    }

    /// Runs `run` with the validation data for documents signed by `signers` (each certificate
    /// with its chain; none for a document timestamp).
    pub(super) fn validated<T>(
        &self,
        signers: &[(&[u8], &[Vec<u8>])],
        run: impl FnOnce(&pdf::Validation<'_>) -> Result<T, pdf::PdfError>,
    ) -> Result<T, Error> {
        let data = self.validation_data(signers);
        let validation = data.as_validation(self.timestamper.as_deref());
        // Hashing a large document is CPU work: keep it off the async workers.
        tokio::task::block_in_place(|| run(&validation)).map_err(pdf_error)
    }

    /// Signs `input` with a credential of the service.
    pub async fn sign_document(
        &self,
        caller: &Caller,
        credential_id: &str,
        options: &SignOptions,
        input: &[u8],
    ) -> Result<SignedDocument, Error> {
        let call = Call {
            credential_id,
            ..self.call(caller, "SignDocument")
        };
        self.audited_read(&call, async {
            self.authorize(&call, Permission::Sign, credential_id)
                .await?;
            let _permit = self.gates.signings.enter(QUEUE_PATIENCE).await?;
            self.sign_document_inner(&call, credential_id, options, input)
        })
        .await
    }

    fn sign_document_inner(
        &self,
        call: &Call<'_>,
        credential_id: &str,
        options: &SignOptions,
        input: &[u8],
    ) -> Result<SignedDocument, Error> {
        self.check_input_size(input)?;
        let credential = self.credential(credential_id, call.at)?;
        let info = credential.info();
        let request = SignatureRequest {
            field_name: optional(&options.field_name),
            certify: certify(options),
            visible: options.visible.then(|| VisibleSignature {
                page: None,
                rect: None,
                kind: if credential.role() == crate::flow::Role::Seal {
                    StampKind::Seal
                } else {
                    StampKind::Signer
                },
                text: StampTextInput {
                    signer_name: info.common_name.clone(),
                    position: info.position.clone(),
                    organisation: info.organisation.clone(),
                },
            }),
            reason: optional(&options.reason),
            location: optional(&options.location),
            ..SignatureRequest::new(credential, options.level, call.at)
        };
        let signers = [(credential.certificate_der(), credential.chain_der())];
        let appendix = self.validated(&signers, |validation| {
            pdf::sign(input, &request, validation)
        })?;
        Ok(SignedDocument {
            appendix,
            level: options.level,
            signer: info.subject.clone(),
        })
    }

    /// External signing, step 1: prepares the signature of `input` for `signer`'s certificate.
    pub async fn prepare_signature(
        &self,
        caller: &Caller,
        signer: &ExternalSigner,
        options: &SignOptions,
        input: &[u8],
    ) -> Result<PreparedSession, Error> {
        // The official's own token signs: no credential of the service is used, so the grant
        // is to sign at all, not for one department.
        let call = self.call(caller, "PrepareSignature");
        self.audited_read(&call, async {
            caller.require_some(Permission::Sign)?;
            self.prepare_inner(&call, signer, options, input).await
        })
        .await
    }

    async fn prepare_inner(
        &self,
        call: &Call<'_>,
        signer: &ExternalSigner,
        options: &SignOptions,
        input: &[u8],
    ) -> Result<PreparedSession, Error> {
        let _permit = self.gates.signings.enter(QUEUE_PATIENCE).await?;
        self.check_input_size(input)?;
        if signer.certificate_der.is_empty() {
            return Err(Error::InvalidArgument(
                "signer.certificate is empty: send the official's DER certificate".to_owned(),
            ));
        }
        let algorithm = signature_algorithm_of(&signer.certificate_der)?;
        let request = PrepareRequest {
            certificate_der: signer.certificate_der.clone(),
            chain_der: signer.chain_der.clone(),
            signature_algorithm: algorithm,
            level: options.level,
            field_name: optional(&options.field_name),
            certify: certify(options),
            visible: options.visible.then(|| VisibleSignature {
                page: None,
                rect: None,
                kind: StampKind::Signer,
                text: StampTextInput {
                    signer_name: signer.signer_name.clone(),
                    position: signer.position.clone(),
                    organisation: signer.organisation.clone(),
                },
            }),
            signing_time: call.at,
            reason: optional(&options.reason),
            location: optional(&options.location),
            contents_reserve: None,
        };
        let prepared =
            tokio::task::block_in_place(|| pdf::prepare(input, &request)).map_err(pdf_error)?;
        let session_id = hex::encode(
            &crypto::sha256(
                &[
                    &prepared.to_be_signed_digest[..],
                    &call.at.unix_timestamp_nanos().to_be_bytes(),
                    &random_bytes()?,
                ]
                .concat(),
            )[..16],
        );
        let expires_at = call.at + SESSION_LIFETIME;
        let session = SigningSession {
            session_id: session_id.clone(),
            input_sha256: crypto::sha256(input).to_vec(),
            prepared: serde_json::to_string(&prepared)
                .map_err(|e| Error::Internal(format!("storing the prepared signature: {e}")))?,
            created_at_ms: unix_millis(call.at),
            expires_at_ms: unix_millis(expires_at),
        };
        self.archive.put_signing_session(&session).await?;
        Ok(PreparedSession {
            session_id,
            data_to_sign: prepared.signed_attributes_der.clone(),
            data_to_sign_sha256: prepared.to_be_signed_digest,
            signature_algorithm: prepared.signature_algorithm.clone(),
            expires_at,
        })
    }

    /// External signing, step 2: the same document and the token's signature value.
    pub async fn complete_signature(
        &self,
        caller: &Caller,
        session_id: &str,
        signature_value: &[u8],
        input: &[u8],
    ) -> Result<SignedDocument, Error> {
        let call = self.call(caller, "CompleteSignature");
        self.audited_read(&call, async {
            caller.require_some(Permission::Sign)?;
            self.complete_inner(&call, session_id, signature_value, input)
                .await
        })
        .await
    }

    async fn complete_inner(
        &self,
        call: &Call<'_>,
        session_id: &str,
        signature_value: &[u8],
        input: &[u8],
    ) -> Result<SignedDocument, Error> {
        let _permit = self.gates.signings.enter(QUEUE_PATIENCE).await?;
        if session_id.is_empty() {
            return Err(Error::InvalidArgument("session_id is empty".to_owned()));
        }
        if session_id.starts_with(STEP_SESSION_PREFIX) {
            return Err(Error::InvalidArgument(format!(
                "session {session_id:?} prepares a step record; complete it with Dossiers.CompleteStep"
            )));
        }
        if signature_value.is_empty() {
            return Err(Error::InvalidArgument(
                "signature_value is empty".to_owned(),
            ));
        }
        let session = self
            .archive
            .take_signing_session(session_id)
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "signing session {session_id:?} does not exist, was already completed, or expired; prepare the signature again"
                ))
            })?;
        if session.expires_at_ms < unix_millis(call.at) {
            return Err(Error::FailedPrecondition(format!(
                "signing session {session_id:?} expired; prepare the signature again"
            )));
        }
        if crypto::sha256(input).as_slice() != session.input_sha256 {
            return Err(Error::InvalidArgument(
                "the document differs from the one the signature was prepared for".to_owned(),
            ));
        }
        let prepared: Prepared = serde_json::from_str(&session.prepared)
            .map_err(|e| Error::Internal(format!("stored prepared signature: {e}")))?;
        let signers = [(
            prepared.certificate_der.as_slice(),
            prepared.chain_der.as_slice(),
        )];
        let appendix = self.validated(&signers, |validation| {
            pdf::complete(input, &prepared, signature_value, validation)
        })?;
        let signer = x509_parser::parse_x509_certificate(&prepared.certificate_der)
            .map(|(_, c)| c.subject().to_string())
            .unwrap_or_default();
        Ok(SignedDocument {
            appendix,
            level: prepared.level,
            signer,
        })
    }

    /// An RFC 3161 token over `digest` from the built-in timestamp authority. (The HTTP
    /// `/tsa` is public like any TSA; over gRPC it is part of signing.)
    pub fn timestamp(&self, caller: &Caller, digest: &[u8]) -> Result<Vec<u8>, Error> {
        caller.require_some(Permission::Sign)?;
        let digest: [u8; 32] = digest.try_into().map_err(|_| {
            Error::InvalidArgument(format!("sha256 must be 32 bytes, not {}", digest.len()))
        })?;
        let timestamper = self.timestamper.as_deref().ok_or_else(|| {
            Error::FailedPrecondition("no timestamp authority is configured".to_owned())
        })?;
        timestamper
            .timestamp(&digest)
            .map_err(|e| signing_error("timestamp", &e))
    }
}

/// The signature algorithm an external certificate's key implies: ECDSA P-256 or RSA
/// (PKCS#1 v1.5, what tokens most commonly produce).
fn signature_algorithm_of(certificate_der: &[u8]) -> Result<SignatureAlgorithm, Error> {
    let (_, certificate) = x509_parser::parse_x509_certificate(certificate_der).map_err(|e| {
        Error::InvalidArgument(format!("signer.certificate is not a DER certificate: {e}"))
    })?;
    let algorithm = &certificate.public_key().algorithm.algorithm;
    match KeyAlgorithm::from_oid(algorithm.as_bytes()) {
        Some(key) => Ok(key.default_signature_algorithm()),
        None => Err(Error::InvalidArgument(format!(
            "the certificate's key algorithm {} is not supported; use ECDSA P-256 or RSA 2048+",
            algorithm.to_id_string()
        ))),
    }
}
