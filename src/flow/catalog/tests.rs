//! The catalog against its own file and against broken ones: every error names the entry.

use super::*;
use crate::flow::calendar::{timeliness, Timeliness};
use crate::flow::codes::CodeKind;
use time::macros::date;

#[test]
fn every_form_has_its_embedded_words_and_catalogs_may_replace_them() {
    let c = Catalog::embedded_default();
    for form in Form::ALL {
        let template = c.form_template(None, form).expect("an embedded template");
        assert_eq!(template.title, form.title(), "{form:?}");
    }
    let base = include_str!("../default_catalog.toml");
    // One procedure's own words for form 02.
    let custom = base.replace(
        "result_document = \"Phiếu lý lịch tư pháp số 1\"",
        "result_document = \"Phiếu lý lịch tư pháp số 1\"\n\
         forms.\"02\" = { body = [\"Xin bổ sung: {missing}\", \"Hỏi tại {desk}.\"] }",
    );
    let c = Catalog::from_toml(&custom).unwrap();
    let judicial = c.procedure(&"2.000488".parse().unwrap());
    let template = c.form_template(judicial, Form::SupplementRequest).unwrap();
    let mut values = crate::flow::FormValues::default();
    values
        .set("missing", "Ảnh 4x6.")
        .set("desk", "Bộ phận một cửa");
    assert_eq!(
        template.fill(&values),
        ["Xin bổ sung: Ảnh 4x6.", "Hỏi tại Bộ phận một cửa."]
    );
    assert_eq!(template.title, Form::SupplementRequest.title());
    let other = c.procedure(&"2.001610".parse().unwrap());
    assert_ne!(
        c.form_template(other, Form::SupplementRequest),
        Some(template)
    );
    // A template without what its form needs, or an unknown form, stops the catalog.
    let broken = base.replace(
        "result_document = \"Phiếu lý lịch tư pháp số 1\"",
        "result_document = \"Phiếu lý lịch tư pháp số 1\"\n\
         forms.\"03\" = { body = [\"Không tiếp nhận.\"] }",
    );
    let e = Catalog::from_toml(&broken).unwrap_err();
    assert!(matches!(e, CatalogError::FormTemplate { .. }), "{e}");
    assert!(e.to_string().contains("procedure 2.000488"), "{e}");
    assert!(e.to_string().contains("{reasons}"), "{e}");
    let unknown = format!("{base}\n[form.\"07\"]\nbody = [\"x\"]\n");
    assert!(matches!(
        Catalog::from_toml(&unknown),
        Err(CatalogError::UnknownForm { .. })
    ));
}

#[test]
fn default_catalog_parses() {
    let c = Catalog::from_toml(include_str!("../default_catalog.toml")).unwrap();
    assert_eq!(c, Catalog::embedded_default());
    let stp = c.department("stp").unwrap();
    assert_eq!(stp.name, "Sở Tư pháp tỉnh Quảng Ninh");
    assert!(c.department("skhdt").is_some());
    assert!(c.procedures().len() >= 4);

    let judicial = c
        .procedures()
        .iter()
        .find(|p| p.result_document == "Phiếu lý lịch tư pháp số 1")
        .unwrap();
    assert_eq!(judicial.processing_days, 10);
    assert_eq!(judicial.department, "stp");
    assert_eq!(c.procedure(&judicial.code), Some(judicial));

    let private = c
        .procedures()
        .iter()
        .find(|p| p.name == "Đăng ký thành lập doanh nghiệp tư nhân")
        .unwrap();
    assert_eq!(private.processing_days, 3);
    assert_eq!(private.department, "skhdt");
    assert!(c.procedures_of("skhdt").all(|p| p.department == "skhdt"));

    for p in c.procedures() {
        assert!(c.department(&p.department).is_some());
        assert!(!p.required_documents.is_empty(), "{}", p.code);
    }
    assert!(c.holidays().contains(&date!(2026 - 09 - 02)));
    assert!(!c.calendar().is_working_day(date!(2026 - 02 - 17)));
    assert!(c.holidays().windows(2).all(|w| w[0] < w[1]));
}

const GOOD: &str = r#"
holidays = ["2026-01-01"]

[[department]]
id = "stp"
name = "Sở Tư pháp"
agency_code = "000.00.12.H47"

[[department]]
id = "skhdt"
name = "Sở Kế hoạch và Đầu tư"
agency_code = "000.00.21.H47"

[[procedure]]
code = "2.000488"
name = "Cấp Phiếu lý lịch tư pháp"
department = "stp"
processing_days = 10
required_documents = ["Tờ khai"]
result_document = "Phiếu lý lịch tư pháp số 1"
"#;

fn with(from: &str, to: &str) -> Result<Catalog, CatalogError> {
    assert!(GOOD.contains(from), "{from}");
    Catalog::from_toml(&GOOD.replacen(from, to, 1))
}

#[test]
fn good_and_empty_catalogs() {
    let c = Catalog::from_toml(GOOD).unwrap();
    assert_eq!(c.departments().len(), 2);
    assert_eq!(c.holidays(), &[date!(2026 - 01 - 01)]);
    assert!(c.procedure(&"1.000001".parse().unwrap()).is_none());
    let empty = Catalog::from_toml("").unwrap();
    assert!(empty.departments().is_empty() && empty.procedures().is_empty());
}

#[test]
fn syntax_and_shape_errors() {
    for bad in [
        "holidays = [",
        "[[department]]\nid = \"stp\"\nname = \"x\"\n",
        "unknown = 1",
    ] {
        let e = Catalog::from_toml(bad).unwrap_err();
        assert!(matches!(e, CatalogError::Syntax { .. }), "{bad}: {e}");
    }
    let e = with("processing_days = 10", "processing_days = \"ten\"").unwrap_err();
    assert!(matches!(e, CatalogError::Syntax { .. }), "{e}");
    let e = with(
        "agency_code = \"000.00.12.H47\"\n",
        "agency_code = \"000.00.12.H47\"\ncolour = \"red\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("colour"), "{e}");
}

#[test]
fn holiday_errors() {
    for bad in [
        "2026-02-30",
        "2026-1-1",
        "01/01/2026",
        "",
        "+2026-01-01",
        "2026-01-01 ",
    ] {
        assert_eq!(
            with("\"2026-01-01\"]", &format!("{bad:?}]")),
            Err(CatalogError::InvalidHoliday { value: bad.into() }),
            "{bad:?}"
        );
    }
    assert_eq!(
        with("\"2026-01-01\"]", "\"2026-01-01\", \"2026-01-01\"]"),
        Err(CatalogError::DuplicateHoliday {
            date: date!(2026 - 01 - 01)
        })
    );
}

#[test]
fn department_errors() {
    for bad in ["Stp", "s", "1stp", "s_tp", "sở", "-stp", &"s".repeat(33)] {
        assert_eq!(
            with("id = \"stp\"", &format!("id = {bad:?}")),
            Err(CatalogError::InvalidDepartmentId { id: bad.into() }),
            "{bad}"
        );
    }
    assert_eq!(
        with("id = \"skhdt\"", "id = \"stp\""),
        Err(CatalogError::DuplicateDepartment { id: "stp".into() })
    );
    let e = with("name = \"Sở Tư pháp\"", "name = \"  \"").unwrap_err();
    assert_eq!(
        e,
        CatalogError::EmptyField {
            entry: "department \"stp\"".into(),
            field: "name"
        }
    );
    assert_eq!(e.to_string(), "department \"stp\" has an empty name");
    let e = with("\"000.00.12.H47\"", "\"000.00.12.h47\"").unwrap_err();
    assert!(matches!(
        &e,
        CatalogError::InvalidAgencyCode {
            department,
            source: CodeError::Malformed { kind: CodeKind::Agency, .. },
        } if department == "stp"
    ));
    assert!(e.to_string().starts_with("department \"stp\" has an invalid agency_code: agency code \"000.00.12.h47\" is malformed"), "{e}");
    assert_eq!(
        with("\"000.00.21.H47\"", "\"000.00.12.H47\""),
        Err(CatalogError::DuplicateAgencyCode {
            agency_code: "000.00.12.H47".parse().unwrap(),
            first: "stp".into(),
            second: "skhdt".into(),
        })
    );
}

#[test]
fn procedure_errors() {
    let code: ProcedureCode = "2.000488".parse().unwrap();
    let e = with("code = \"2.000488\"", "code = \"2.488\"").unwrap_err();
    assert!(matches!(
        e,
        CatalogError::InvalidProcedureCode {
            position: 1,
            source: CodeError::Malformed { .. }
        }
    ));
    let twice = format!("{GOOD}{}", &GOOD[GOOD.find("[[procedure]]").unwrap()..]);
    assert_eq!(
        Catalog::from_toml(&twice),
        Err(CatalogError::DuplicateProcedure { code: code.clone() })
    );
    let e = with("department = \"stp\"", "department = \"sotp\"").unwrap_err();
    assert_eq!(
        e,
        CatalogError::UnknownDepartment {
            procedure: code.clone(),
            department: "sotp".into(),
            known: "stp, skhdt".into(),
        }
    );
    assert_eq!(
        e.to_string(),
        "procedure 2.000488 names department \"sotp\", which is not in the catalog; known \
         departments: stp, skhdt"
    );
    for days in [0i64, -1, 3651, 1 << 40] {
        assert_eq!(
            with("processing_days = 10", &format!("processing_days = {days}")),
            Err(CatalogError::InvalidProcessingDays {
                procedure: code.clone(),
                days
            })
        );
    }
    let empty = |field: &'static str| CatalogError::EmptyField {
        entry: "procedure 2.000488".into(),
        field,
    };
    assert_eq!(
        with("name = \"Cấp Phiếu lý lịch tư pháp\"", "name = \"\""),
        Err(empty("name"))
    );
    assert_eq!(
        with("[\"Tờ khai\"]", "[\"Tờ khai\", \" \"]"),
        Err(empty("entry in required_documents"))
    );
    assert_eq!(
        with(
            "result_document = \"Phiếu lý lịch tư pháp số 1\"",
            "result_document = \"\""
        ),
        Err(empty("result_document"))
    );
}

#[test]
fn judicial_record_across_tet() {
    let cal = Catalog::embedded_default().calendar();
    // Received Thursday 12 February 2026; Tết closes offices Monday 16 to Friday 20 February.
    let received = date!(2026 - 02 - 12);
    let due = cal.due_date(received, 10).unwrap();
    assert_eq!(due, date!(2026 - 03 - 05));
    assert_eq!(cal.working_days_between(received, due), 10);
    assert_eq!(
        timeliness(
            due,
            date!(2026 - 03 - 06),
            Some(date!(2026 - 03 - 05)),
            false
        ),
        Timeliness::FinishedOnTime
    );
    assert_eq!(
        timeliness(due, date!(2026 - 03 - 06), None, false),
        Timeliness::Overdue
    );
    assert_eq!(
        cal.working_days_between(due, date!(2026 - 03 - 09)),
        2,
        "finished two working days late"
    );
}
