//! Checks on what callers send: limits, applicants, request ids, notes, documents, PDFs.

use super::error::Error;
use std::time::Duration;

use crate::{archive::NewDocument, crypto, pdf::ReadLimits};

/// Configured limits on what one call may carry, and on how much of the machine work from
/// strangers may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_document_bytes: u64,
    pub max_documents: usize,
    pub max_note_chars: usize,
    /// Verifications of uploaded PDFs running at once (the page and `VerifyDocument`).
    pub verify_concurrency: usize,
    /// Signings of uploaded PDFs running at once (`SignDocument`, external signing).
    pub sign_concurrency: usize,
    /// Callers that may wait for a verification or signing slot before being told to retry.
    pub admission_queue: usize,
    /// How long one verification may run before it is answered INDETERMINATE.
    pub verify_timeout: Duration,
    /// What reading one document may cost (inflated bytes, objects); its deadline is set per
    /// verification from `verify_timeout`.
    pub read: ReadLimits,
}

impl Default for Limits {
    fn default() -> Self {
        // One slot a core: uploads then use at most the whole machine's CPU while the flow's
        // steps, which are short, still get their turn on the async workers.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            max_document_bytes: 128 * 1024 * 1024,
            max_documents: 50,
            max_note_chars: 4000,
            verify_concurrency: cores,
            sign_concurrency: cores,
            admission_queue: 4 * cores,
            verify_timeout: Duration::from_secs(30),
            read: ReadLimits::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantInput {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct DocumentInput {
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for DocumentInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentInput")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("size", &self.content.len())
            .finish()
    }
}

/// An applicant's identifier: a 12-digit citizen identity number, a tax code, or a passport
/// number. Upper-case letters, digits and '-', 6 to 20 characters.
pub(super) struct Applicant {
    pub id: String,
    pub name: String,
}

impl ApplicantInput {
    pub(super) fn validate(&self) -> Result<Applicant, Error> {
        let id = self.id.trim();
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "applicant.id is empty: give the citizen identity number, tax code or passport number".to_owned(),
            ));
        }
        let well_formed = (6..=20).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-');
        if !well_formed {
            return Err(Error::InvalidArgument(format!(
                "applicant.id {id:?} is malformed: expected 6 to 20 digits, upper-case letters or '-' (e.g. a 12-digit citizen identity number)"
            )));
        }
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Error::InvalidArgument("applicant.name is empty".to_owned()));
        }
        if name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(
                "applicant.name must be at most 200 characters with no control characters"
                    .to_owned(),
            ));
        }
        Ok(Applicant {
            id: id.to_owned(),
            name: name.to_owned(),
        })
    }
}

pub(super) fn check_request_id(id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::InvalidArgument(
            "request_id is empty: every mutating call needs a unique request id so that a retry is safe".to_owned(),
        ));
    }
    if id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidArgument(
            "request_id must be 1 to 128 printable ASCII characters without spaces".to_owned(),
        ));
    }
    Ok(())
}

pub(super) fn check_note(note: &str, limits: &Limits) -> Result<(), Error> {
    if note.chars().count() > limits.max_note_chars {
        return Err(Error::ResourceExhausted(format!(
            "note is longer than {} characters",
            limits.max_note_chars
        )));
    }
    Ok(())
}

/// Validates and hashes attached documents.
/// Checks one document's name, size and media type without copying or hashing it; returns
/// the media type to store.
pub(super) fn check_document(
    index: usize,
    input: &DocumentInput,
    limits: &Limits,
) -> Result<String, Error> {
    let label = if input.name.is_empty() {
        format!("document {}", index + 1)
    } else {
        format!("document {} ({:?})", index + 1, input.name)
    };
    if input.name.trim().is_empty() {
        return Err(Error::InvalidArgument(format!("{label} has no name")));
    }
    if input.name.chars().count() > 300 || input.name.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(format!(
            "{label}: the name must be at most 300 characters with no control characters"
        )));
    }
    if input.content.is_empty() {
        return Err(Error::InvalidArgument(format!("{label} is empty")));
    }
    if input.content.len() as u64 > limits.max_document_bytes {
        return Err(Error::ResourceExhausted(format!(
            "{label} is {} bytes; the limit is {} bytes",
            input.content.len(),
            limits.max_document_bytes
        )));
    }
    if input.media_type.is_empty() {
        Ok("application/octet-stream".to_owned())
    } else if is_media_type(&input.media_type) {
        Ok(input.media_type.clone())
    } else {
        Err(Error::InvalidArgument(format!(
            "{label}: media_type {:?} is not a media type like application/pdf",
            input.media_type
        )))
    }
}

pub(super) fn documents(
    inputs: &[DocumentInput],
    limits: &Limits,
) -> Result<Vec<NewDocument>, Error> {
    if inputs.len() > limits.max_documents {
        return Err(Error::ResourceExhausted(format!(
            "{} documents attached; at most {} are allowed per call",
            inputs.len(),
            limits.max_documents
        )));
    }
    inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let media_type = check_document(index, input, limits)?;
            Ok(NewDocument {
                name: input.name.trim().to_owned(),
                media_type,
                sha256: crypto::sha256(&input.content),
                content: input.content.clone(),
            })
        })
        .collect()
}

fn is_media_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence = text.split(';').next().unwrap_or_default().trim();
    match essence.split_once('/') {
        Some((kind, sub)) => text.len() <= 127 && token(kind) && token(sub),
        None => false,
    }
}

/// A result document must at least look like a PDF: header at the start, end-of-file marker
/// near the end (PDF 32000-1, 7.5.2 and 7.5.5).
pub(super) fn check_pdf(content: &[u8]) -> Result<(), Error> {
    if !content.starts_with(b"%PDF-") {
        return Err(Error::InvalidArgument(
            "the result document is not a PDF: it does not start with %PDF-".to_owned(),
        ));
    }
    let tail = &content[content.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(Error::InvalidArgument(
            "the result document is a truncated PDF: no %%EOF marker at its end".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_checked_against_limits() {
        let limits = Limits {
            max_document_bytes: 4,
            max_documents: 2,
            max_note_chars: 10,
            ..Limits::default()
        };
        let doc = |name: &str, content: &[u8]| DocumentInput {
            name: name.into(),
            media_type: "application/pdf".into(),
            content: content.to_vec(),
        };
        assert!(documents(&[doc("a", b"1234")], &limits).is_ok());
        assert!(matches!(
            documents(&[doc("a", b"12345")], &limits),
            Err(Error::ResourceExhausted(m)) if m.contains("limit is 4 bytes")
        ));
        assert!(matches!(
            documents(&[doc("", b"1")], &limits),
            Err(Error::InvalidArgument(m)) if m.contains("no name")
        ));
        assert!(matches!(
            documents(&[doc("a", b"")], &limits),
            Err(Error::InvalidArgument(m)) if m.contains("empty")
        ));
        assert!(matches!(
            documents(&[doc("a", b"1"), doc("b", b"1"), doc("c", b"1")], &limits),
            Err(Error::ResourceExhausted(_))
        ));
        let mut bad_type = doc("a", b"1");
        bad_type.media_type = "pdf".into();
        assert!(matches!(
            documents(&[bad_type], &limits),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn pdf_shape_is_checked() {
        assert!(check_pdf(b"%PDF-1.7\n...\n%%EOF\n").is_ok());
        assert!(check_pdf(b"hello").is_err());
        assert!(check_pdf(b"%PDF-1.7\n1 0 obj").is_err());
        assert!(check_pdf(b"").is_err());
    }

    #[test]
    fn applicant_ids() {
        let a = |id: &str| ApplicantInput {
            id: id.into(),
            name: "Trần Thị B".into(),
        };
        assert!(a("001099012345").validate().is_ok());
        assert!(a("B1234567").validate().is_ok());
        assert!(a("").validate().is_err());
        assert!(a("12 34").validate().is_err());
        assert!(a("abc123").validate().is_err());
        assert!(ApplicantInput {
            id: "001099012345".into(),
            name: " ".into()
        }
        .validate()
        .is_err());
    }
}
