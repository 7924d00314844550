//! The procedure's own papers (Circular 01/2018/TT-VPCP, appendix): which form a step issues,
//! its number and title, and whether the agency's seal goes on it.

use super::vocabulary::Step;

/// The forms the one-stop mechanism prints (and, here, signs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// 01: the citizen's first proof that their papers were received, and of the date promised.
    Receipt,
    /// 02: what is missing and why.
    SupplementRequest,
    /// 03: the reasons for a refusal.
    Refusal,
    /// 04: the apology for a delay, with the new date.
    Apology,
    /// 05: the process control sheet: every step, who, handed on when, due when, on time or
    /// late.
    ControlSheet,
    /// The receipt for a fee paid (biên lai thu phí, lệ phí), sealed. Not one of the
    /// Circular's numbered forms: "BL".
    FeeReceipt,
    /// 06: the department's register of the dossiers it received in a period, sealed. Made on
    /// demand, of no one dossier.
    TrackingLog,
}

impl Form {
    pub const ALL: [Form; 7] = [
        Form::Receipt,
        Form::SupplementRequest,
        Form::Refusal,
        Form::Apology,
        Form::ControlSheet,
        Form::FeeReceipt,
        Form::TrackingLog,
    ];

    /// The form a step issues, if any.
    pub fn issued_by(step: Step) -> Option<Form> {
        match step {
            Step::Receive => Some(Form::Receipt),
            Step::RequestSupplement => Some(Form::SupplementRequest),
            Step::Refuse => Some(Form::Refusal),
            Step::Extend => Some(Form::Apology),
            Step::Return => Some(Form::ControlSheet),
            Step::RecordPayment => Some(Form::FeeReceipt),
            _ => None,
        }
    }

    /// "01" … "05", as the Circular numbers them; "BL" for the fee receipt.
    pub fn number(self) -> &'static str {
        match self {
            Form::Receipt => "01",
            Form::SupplementRequest => "02",
            Form::Refusal => "03",
            Form::Apology => "04",
            Form::ControlSheet => "05",
            Form::FeeReceipt => "BL",
            Form::TrackingLog => "06",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Form::Receipt => "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            Form::SupplementRequest => "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            Form::Refusal => "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
            Form::Apology => "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            Form::ControlSheet => "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            Form::FeeReceipt => "BIÊN LAI THU PHÍ, LỆ PHÍ",
            Form::TrackingLog => "SỔ THEO DÕI HỒ SƠ",
        }
    }

    /// The document's name in the archive: the form's number and title, so that a reader of
    /// the dossier's documents knows it without opening it.
    pub fn document_name(self) -> String {
        match self {
            Form::FeeReceipt => format!("{}.pdf", self.title()),
            _ => format!("Mẫu số {} - {}.pdf", self.number(), self.title()),
        }
    }

    /// The form a stored document name denotes.
    pub fn of_document_name(name: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.document_name() == name)
    }

    /// The apology and the fee receipt are the agency's: its seal follows the official's
    /// signature. The other forms are the acting official's own.
    pub fn sealed(self) -> bool {
        matches!(self, Form::Apology | Form::FeeReceipt | Form::TrackingLog)
    }

    pub fn parse_number(text: &str) -> Option<Form> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("BL") {
            return Some(Form::FeeReceipt);
        }
        let text = text.strip_prefix('0').unwrap_or(text);
        Form::ALL
            .into_iter()
            .find(|f| f.number().trim_start_matches('0') == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_issued_by_one_step_and_named_once() {
        for form in Form::ALL {
            let steps: Vec<Step> = Step::ALL
                .into_iter()
                .filter(|s| Form::issued_by(*s) == Some(form))
                .collect();
            // The register is made on demand, of no step.
            let expected = usize::from(form != Form::TrackingLog);
            assert_eq!(steps.len(), expected, "{form:?}");
            assert_eq!(Form::of_document_name(&form.document_name()), Some(form));
            assert_eq!(Form::parse_number(form.number()), Some(form));
        }
        assert_eq!(Form::parse_number("4"), Some(Form::Apology));
        assert_eq!(Form::parse_number("07"), None);
        assert_eq!(Form::of_document_name("Tờ khai.pdf"), None);
    }
}
