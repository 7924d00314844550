//! The fingerprints that make retries safe: a call's payload hashed field by field, so that a
//! request id reused for a different payload is refused while a true retry gets its first
//! answer.

use ring::digest;

use super::{
    commands::{ExtendCommand, PaymentCommand, ReceiveCommand, SignCommand, StepCommand},
    input::DocumentInput,
};

/// Hashes a call's payload field by field, each length-prefixed so that no two different
/// payloads share a fingerprint. The request id itself is not part of it.
struct Fingerprint(digest::Context);

impl Fingerprint {
    fn new(method: &str) -> Self {
        let mut f = Fingerprint(digest::Context::new(&digest::SHA256));
        f.field(method.as_bytes());
        f
    }

    fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    fn documents(&mut self, documents: &[DocumentInput]) -> &mut Self {
        self.field(&(documents.len() as u64).to_be_bytes());
        for document in documents {
            self.field(document.name.as_bytes())
                .field(document.media_type.as_bytes())
                .field(&crate::crypto::sha256(&document.content));
        }
        self
    }

    fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

pub(super) fn receive(c: &ReceiveCommand) -> [u8; 32] {
    let mut f = Fingerprint::new("Receive");
    f.field(c.credential_id.as_bytes())
        .field(c.procedure_code.as_bytes())
        .field(c.applicant.id.as_bytes())
        .field(c.applicant.name.as_bytes())
        .field(c.note.as_bytes())
        .field(c.supplement_of.as_bytes())
        .documents(&c.documents);
    f.field(&(c.cited_results.len() as u64).to_be_bytes());
    for cited in &c.cited_results {
        f.field(cited.as_bytes());
    }
    f.field(c.channel.map_or("unknown", |c| c.as_str()).as_bytes())
        .field(c.contact_phone.as_bytes())
        .field(c.contact_email.as_bytes());
    f.finish()
}

pub(super) fn step(c: &StepCommand) -> [u8; 32] {
    let mut f = Fingerprint::new(c.step.as_str());
    f.field(c.credential_id.as_bytes())
        .field(c.dossier_code.as_bytes())
        .field(c.note.as_bytes())
        .documents(&c.documents);
    f.finish()
}

pub(super) fn extend(c: &ExtendCommand) -> [u8; 32] {
    let mut f = Fingerprint::new("Extend");
    f.field(c.credential_id.as_bytes())
        .field(c.dossier_code.as_bytes())
        .field(c.reason.as_bytes())
        .field(c.new_due_date.as_bytes())
        .field(&c.working_days.to_be_bytes())
        .documents(&c.documents);
    f.finish()
}

pub(super) fn payment(c: &PaymentCommand) -> [u8; 32] {
    let mut f = Fingerprint::new("RecordPayment");
    f.field(c.credential_id.as_bytes())
        .field(c.dossier_code.as_bytes())
        .field(&c.amount_vnd.to_be_bytes())
        .field(format!("{:?}", c.method).as_bytes())
        .field(c.reference.as_bytes())
        .field(c.note.as_bytes());
    f.finish()
}

pub(super) fn sign(c: &SignCommand) -> [u8; 32] {
    let mut f = Fingerprint::new("Sign");
    f.field(c.credential_id.as_bytes())
        .field(c.dossier_code.as_bytes())
        .field(c.note.as_bytes());
    let items = c.items();
    for (i, item) in items.iter().enumerate() {
        // A Sign of one result hashes as it always has (its retries keep their answer); the
        // further results follow, counted.
        if i == 1 {
            f.field(b"more results")
                .field(&(items.len() as u64 - 1).to_be_bytes());
        }
        f.documents(item.result.map(std::slice::from_ref).unwrap_or_default());
        // The rendered content and the metadata are part of the request too.
        f.field(&serde_json::to_vec(item.metadata).unwrap_or_default());
        match item.content {
            Some(content) => {
                f.field(b"content")
                    .field(content.issuing_body.as_bytes())
                    .field(content.number_notation.as_bytes())
                    .field(content.place_and_date.as_bytes())
                    .field(content.title.as_bytes())
                    .field(content.subtitle.as_bytes())
                    .field(content.signer_position.as_bytes());
                f.field(&(content.body.len() as u64).to_be_bytes());
                for paragraph in &content.body {
                    f.field(paragraph.as_bytes());
                }
            }
            None => {
                f.field(b"no content");
            }
        }
    }
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::input::ApplicantInput;

    #[test]
    fn fingerprints_differ_when_any_field_differs() {
        let base = ReceiveCommand {
            request_id: "r1".into(),
            credential_id: "stp-receiver".into(),
            procedure_code: "1.001233".into(),
            applicant: ApplicantInput {
                id: "001099012345".into(),
                name: "Nguyễn Văn A".into(),
            },
            documents: vec![DocumentInput {
                name: "a".into(),
                media_type: "application/pdf".into(),
                content: b"x".to_vec(),
            }],
            note: String::new(),
            supplement_of: String::new(),
            cited_results: Vec::new(),
            ..ReceiveCommand::default()
        };
        let same_but_other_id = ReceiveCommand {
            request_id: "r2".into(),
            ..base.clone()
        };
        assert_eq!(receive(&base), receive(&same_but_other_id));
        // Field boundaries matter: moving a character between fields changes the fingerprint.
        let shifted = ReceiveCommand {
            applicant: ApplicantInput {
                id: "001099012345N".into(),
                name: "guyễn Văn A".into(),
            },
            ..base.clone()
        };
        assert_ne!(receive(&base), receive(&shifted));
        let other_doc = ReceiveCommand {
            documents: vec![DocumentInput {
                content: b"y".to_vec(),
                ..base.documents[0].clone()
            }],
            ..base.clone()
        };
        assert_ne!(receive(&base), receive(&other_doc));
        let online = ReceiveCommand {
            channel: Some(crate::flow::Channel::Online),
            ..base.clone()
        };
        assert_ne!(receive(&base), receive(&online));
        let with_contact = ReceiveCommand {
            contact_phone: "0912345678".into(),
            ..base.clone()
        };
        assert_ne!(receive(&base), receive(&with_contact));
    }
}
