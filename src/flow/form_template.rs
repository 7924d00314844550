//! The words of the procedure's forms as templates: a title and paragraphs with placeholders
//! (`{applicant_name}`), checked when the catalog loads — every placeholder known for its form,
//! every placeholder the form cannot do without present — so that a bad template stops the
//! service at start, naming the form and the placeholder, and never a step at a desk.
//!
//! A placeholder that stands alone on its line and names a list (`{documents}`, `{steps}`)
//! becomes one paragraph per item; `{name?}` is optional: the line is left out when it is empty.

use std::collections::BTreeMap;

use super::form::Form;

/// What a template may say about a dossier, on every form.
const COMMON: &[&str] = &[
    "department",
    "desk",
    "applicant_name",
    "applicant_id",
    "procedure",
    "dossier_code",
    "received_on",
    "due_date",
    "progress_url",
];

/// Placeholders whose value is a list, one paragraph per item.
const LISTS: &[&str] = &["documents", "steps", "rows"];

impl Form {
    /// The placeholders this form knows besides the common ones.
    fn own_placeholders(self) -> &'static [&'static str] {
        match self {
            Form::Receipt => &["documents", "document_count", "received_at"],
            Form::SupplementRequest => &["missing"],
            Form::Refusal => &["reasons"],
            Form::Apology => &["reason", "previous_due_date"],
            Form::ControlSheet => &["steps", "finished_on", "outcome"],
            Form::FeeReceipt => &["fee_name", "amount", "method", "reference", "paid_at"],
            Form::TrackingLog => &["rows", "period", "count"],
        }
    }

    /// The placeholders without which the form would not be that form.
    pub fn required_placeholders(self) -> &'static [&'static str] {
        match self {
            Form::Receipt => &["documents", "due_date"],
            Form::SupplementRequest => &["missing"],
            Form::Refusal => &["reasons"],
            Form::Apology => &["reason", "previous_due_date", "due_date"],
            Form::ControlSheet => &["steps"],
            Form::FeeReceipt => &["fee_name", "amount"],
            Form::TrackingLog => &["rows"],
        }
    }

    fn knows(self, name: &str) -> bool {
        COMMON.contains(&name) || self.own_placeholders().contains(&name)
    }
}

/// A template that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "form {form}: the template lacks the placeholder {{{placeholder}}}, which this form needs"
    )]
    Missing {
        form: &'static str,
        placeholder: &'static str,
    },
    #[error("form {form}: unknown placeholder {{{placeholder}}}; this form knows: {known}")]
    Unknown {
        form: &'static str,
        placeholder: String,
        known: String,
    },
    #[error("form {form}: an unclosed '{{' in {line:?}")]
    Unclosed { form: &'static str, line: String },
    #[error("form {form}: the list {{{placeholder}}} must stand alone on its line")]
    ListInline {
        form: &'static str,
        placeholder: String,
    },
    #[error("form {form}: the template has no title or no paragraph")]
    Empty { form: &'static str },
}

/// One piece of a template line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Value { name: String, optional: bool },
}

/// A form's words, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTemplate {
    pub title: String,
    lines: Vec<Vec<Piece>>,
}

fn pieces(form: Form, line: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| TemplateError::Unclosed {
            form: form.number(),
            line: line.chars().take(80).collect(),
        })?;
        let raw = &after[..close];
        let (name, optional) = match raw.strip_suffix('?') {
            Some(name) => (name, true),
            None => (raw, false),
        };
        if !form.knows(name) {
            let mut known: Vec<&str> = COMMON.to_vec();
            known.extend(form.own_placeholders());
            return Err(TemplateError::Unknown {
                form: form.number(),
                placeholder: name.chars().take(40).collect(),
                known: known.join(", "),
            });
        }
        out.push(Piece::Value {
            name: name.to_owned(),
            optional,
        });
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    // A list fills whole paragraphs.
    if out.len() > 1 {
        for piece in &out {
            if let Piece::Value { name, .. } = piece {
                if LISTS.contains(&name.as_str()) {
                    return Err(TemplateError::ListInline {
                        form: form.number(),
                        placeholder: name.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The values a form is filled with: text, or a list for `LISTS`.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    text: BTreeMap<&'static str, String>,
    lists: BTreeMap<&'static str, Vec<String>>,
}

impl FormValues {
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.text.insert(name, value.into());
        self
    }

    pub fn set_list(&mut self, name: &'static str, items: Vec<String>) -> &mut Self {
        self.lists.insert(name, items);
        self
    }
}

impl FormTemplate {
    /// Checks `title` and `body` as the words of `form`.
    pub fn new(form: Form, title: &str, body: &[String]) -> Result<FormTemplate, TemplateError> {
        if title.trim().is_empty() || body.iter().all(|l| l.trim().is_empty()) {
            return Err(TemplateError::Empty {
                form: form.number(),
            });
        }
        let lines = body
            .iter()
            .map(|line| pieces(form, line))
            .collect::<Result<Vec<_>, _>>()?;
        for placeholder in form.required_placeholders() {
            let present = lines.iter().flatten().any(
                |p| matches!(p, Piece::Value { name, optional: false } if name == placeholder),
            );
            if !present {
                return Err(TemplateError::Missing {
                    form: form.number(),
                    placeholder,
                });
            }
        }
        Ok(FormTemplate {
            title: title.trim().to_owned(),
            lines,
        })
    }

    /// The paragraphs, filled. A value not given reads as empty.
    pub fn fill(&self, values: &FormValues) -> Vec<String> {
        let mut paragraphs = Vec::with_capacity(self.lines.len());
        'lines: for line in &self.lines {
            if let [Piece::Value { name, .. }] = line.as_slice() {
                if let Some(items) = values.lists.get(name.as_str()) {
                    paragraphs.extend(items.iter().cloned());
                    continue;
                }
            }
            let mut text = String::new();
            for piece in line {
                match piece {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Value { name, optional } => {
                        let value = values.text.get(name.as_str()).map_or("", String::as_str);
                        if *optional && value.trim().is_empty() {
                            continue 'lines;
                        }
                        text.push_str(value);
                    }
                }
            }
            paragraphs.push(text);
        }
        paragraphs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn templates_are_checked_for_their_form() {
        let ok = FormTemplate::new(
            Form::SupplementRequest,
            "PHIẾU",
            &lines(&["Hồ sơ {dossier_code} cần bổ sung:", "{missing}"]),
        );
        assert!(ok.is_ok());
        assert_eq!(
            FormTemplate::new(
                Form::SupplementRequest,
                "PHIẾU",
                &lines(&["Hồ sơ {dossier_code}."])
            ),
            Err(TemplateError::Missing {
                form: "02",
                placeholder: "missing"
            })
        );
        let unknown = FormTemplate::new(Form::Refusal, "P", &lines(&["{reasons} {amount}"]));
        assert!(
            matches!(unknown, Err(TemplateError::Unknown { placeholder, .. }) if placeholder == "amount")
        );
        let unclosed = FormTemplate::new(Form::Refusal, "P", &lines(&["{reasons} {dossier_code"]));
        assert!(matches!(unclosed, Err(TemplateError::Unclosed { .. })));
        let inline = FormTemplate::new(
            Form::Receipt,
            "P",
            &lines(&["Gồm: {documents}", "{due_date}"]),
        );
        assert!(matches!(inline, Err(TemplateError::ListInline { .. })));
        assert!(matches!(
            FormTemplate::new(Form::Refusal, " ", &lines(&["{reasons}"])),
            Err(TemplateError::Empty { .. })
        ));
        // An optional use does not count as the required one.
        assert!(FormTemplate::new(Form::Refusal, "P", &lines(&["{reasons?}"])).is_err());
    }

    #[test]
    fn lists_become_paragraphs_and_empty_optional_lines_go() {
        let t = FormTemplate::new(
            Form::FeeReceipt,
            "BIÊN LAI",
            &lines(&[
                "{fee_name}: {amount}.",
                "Mã giao dịch: {reference?}.",
                "Người nộp: {applicant_name}.",
            ]),
        )
        .unwrap();
        let mut values = FormValues::default();
        values
            .set("fee_name", "Lệ phí")
            .set("amount", "50.000 đồng");
        assert_eq!(t.fill(&values), ["Lệ phí: 50.000 đồng.", "Người nộp: ."]);
        values.set("reference", "FT1");
        assert_eq!(t.fill(&values)[1], "Mã giao dịch: FT1.");
        let receipt = FormTemplate::new(
            Form::Receipt,
            "GIẤY",
            &lines(&["Gồm:", "{documents}", "Hẹn trả: {due_date}."]),
        )
        .unwrap();
        let mut values = FormValues::default();
        values
            .set_list("documents", vec!["1. Tờ khai".into(), "2. Ảnh".into()])
            .set("due_date", "18/12/2026");
        assert_eq!(
            receipt.fill(&values),
            ["Gồm:", "1. Tờ khai", "2. Ảnh", "Hẹn trả: 18/12/2026."]
        );
    }
}
