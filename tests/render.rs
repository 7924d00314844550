//! Result documents judged by external tools: poppler (text, fonts, raster), zbar (the QR code)
//! and qpdf (structure). Under CI=true a missing tool fails; otherwise the check is skipped.

mod common;

use std::{path::Path, process::Command};

use common::tool_available;
use ketqua::pdf::{
    flate, qr_text, render, seal_appearance, signer_appearance, Dict, FontSubset, ObjRef, Object,
    QrPayload, ResultDocument, StampText, Writer,
};

fn payload() -> QrPayload {
    QrPayload {
        dossier_code: "000.00.12.H22-261122-0042".into(),
        procedure_code: "2.000488".into(),
        applicant_id: "001234567890".into(),
        document_name: "Phiếu lý lịch tư pháp số 1".into(),
        verification_url: "https://ketqua.example.gov.vn/v/000.00.12.H22-261122-0042-KQ1".into(),
    }
}

fn judicial_record(paragraphs: usize) -> ResultDocument {
    let mut body = vec![
        "Họ và tên: Nguyễn Thị Hương".to_owned(),
        "Giới tính: Nữ. Ngày, tháng, năm sinh: 12/03/1990. Nơi sinh: Hạ Long, Quảng Ninh."
            .to_owned(),
        "Tình trạng án tích: Không có án tích".to_owned(),
        "Thông tin về việc cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp, hợp tác xã: \
         Không bị cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp, hợp tác xã."
            .to_owned(),
    ];
    for i in 0..paragraphs {
        body.push(format!(
            "Đoạn {i}: Sở Tư pháp tỉnh Quảng Ninh xác nhận thông tin lý lịch tư pháp của người \
             được cấp phiếu theo quy định của Luật Lý lịch tư pháp; mọi sửa đổi, tẩy xóa làm \
             phiếu không còn giá trị."
        ));
    }
    ResultDocument {
        issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".into(),
        number_notation: "Số: 123/PLLTP-STP".into(),
        place_and_date: "Quảng Ninh, ngày 04 tháng 5 năm 2026".into(),
        title: "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1".into(),
        subtitle: Some("Phiếu lý lịch tư pháp số 1".into()),
        body,
        signer_position: "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC".into(),
        signer_name: "Trần Văn Đức".into(),
        qr: Some(payload()),
        archival: None,
    }
}

fn run(dir: &Path, program: &str, args: &[&str]) -> (bool, String, Vec<u8>) {
    let o = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        o.stdout,
    )
}

/// pdftotext output with runs of spaces collapsed, per line.
fn pdftotext(dir: &Path, file: &str, layout: bool) -> String {
    let mut args = vec![];
    if layout {
        args.push("-layout");
    }
    args.extend([file, "-"]);
    let (ok, out, stdout) = run(dir, "pdftotext", &args);
    assert!(ok, "{out}");
    // Pages stay separated by form feeds.
    String::from_utf8(stdout)
        .expect("UTF-8")
        .split('\u{c}')
        .map(|page| {
            page.lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\u{c}")
}

#[test]
fn judicial_record_renders_with_text_fonts_and_qr() {
    let doc = judicial_record(0);
    let rendered = render(&doc).expect("render");
    assert_eq!(rendered.page_count, 1);
    let [x1, y1, x2, y2] = rendered.signature_rect;
    assert!(
        x1 < x2 && y1 < y2 && y1 > 0.0 && x2 < 595.0,
        "{:?}",
        rendered.signature_rect
    );
    assert!(rendered.pdf.starts_with(b"%PDF-1.7"));

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("doc.pdf"), &rendered.pdf).unwrap();

    if tool_available("qpdf") {
        let (ok, out, _) = run(dir, "qpdf", &["--check", "doc.pdf"]);
        assert!(
            ok && out.contains("No syntax or stream encoding errors"),
            "{out}"
        );
    }
    if tool_available("pdftotext") {
        let text = pdftotext(dir, "doc.pdf", false);
        for expected in [
            "UBND TỈNH QUẢNG NINH",
            "SỞ TƯ PHÁP",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Số: 123/PLLTP-STP",
            "Quảng Ninh, ngày 04 tháng 5 năm 2026",
            "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1",
            "Phiếu lý lịch tư pháp số 1",
            "Họ và tên: Nguyễn Thị Hương",
            "Tình trạng án tích: Không có án tích",
            "KT. GIÁM ĐỐC",
            "PHÓ GIÁM ĐỐC",
            "Trần Văn Đức",
        ] {
            assert!(
                text.lines().any(|l| l == expected),
                "{expected:?} not a line of:\n{text}"
            );
        }
        let layout = pdftotext(dir, "doc.pdf", true);
        assert!(layout.contains("Không có án tích"), "{layout}");
    }
    if tool_available("pdffonts") {
        let (ok, out, _) = run(dir, "pdffonts", &["doc.pdf"]);
        assert!(ok, "{out}");
        let rows: Vec<&str> = out.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{out}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type(2 words) encoding emb sub uni object id
            assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "{row}");
            assert!(cols[0].contains("DejaVuSerif"), "{row}");
            assert!(
                row.contains("CID TrueType") && row.contains("Identity-H"),
                "{row}"
            );
            assert_eq!(
                &cols[cols.len() - 5..cols.len() - 2],
                ["yes", "yes", "yes"],
                "{row}"
            );
        }
    }
    if tool_available("pdftoppm") && tool_available("zbarimg") {
        let (ok, out, _) = run(
            dir,
            "pdftoppm",
            &[
                "-r",
                "200",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "doc.pdf",
                "page",
            ],
        );
        assert!(ok, "{out}");
        if let Ok(keep) = std::env::var("KETQUA_KEEP_RENDERINGS") {
            let _ = std::fs::copy(dir.join("doc.pdf"), Path::new(&keep).join("doc.pdf"));
        }
        let (ok, out, stdout) = run(dir, "zbarimg", &["--raw", "-q", "-Sbinary", "page.png"]);
        assert!(ok, "{out}");
        let decoded = String::from_utf8(stdout).expect("UTF-8 payload");
        assert_eq!(decoded.trim_end_matches('\n'), qr_text(&payload()));
    }
}

#[test]
fn long_body_breaks_onto_numbered_pages() {
    let rendered = render(&judicial_record(60)).expect("render");
    assert!(rendered.page_count >= 3, "{}", rendered.page_count);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("long.pdf"), &rendered.pdf).unwrap();
    if tool_available("qpdf") {
        let (ok, out, _) = run(dir, "qpdf", &["--check", "long.pdf"]);
        assert!(ok, "{out}");
        let (_, out, _) = run(dir, "qpdf", &["--show-npages", "long.pdf"]);
        assert_eq!(out.trim(), rendered.page_count.to_string());
    }
    if tool_available("pdftotext") {
        let text = pdftotext(dir, "long.pdf", false);
        // Every paragraph made it, and the signer closes the last page.
        for i in [0, 30, 59] {
            assert!(
                text.contains(&format!("Đoạn {i}:")),
                "paragraph {i} missing"
            );
        }
        let pages: Vec<&str> = text.split('\u{c}').collect();
        let last = pages[rendered.page_count - 1];
        assert!(last.contains("Trần Văn Đức"), "{last}");
        assert!(
            pages[1].lines().any(|l| l == "2"),
            "page number 2 missing: {}",
            pages[1]
        );
    }
}

#[test]
fn hostile_text_still_renders() {
    let mut doc = judicial_record(0);
    doc.title = "\u{0}\u{7}\t(Tiêu đề) <> \\ \u{E000} 😀 ".repeat(10);
    doc.body.push("x".repeat(5000));
    doc.body.push(String::new());
    doc.issuing_body = String::new();
    doc.qr = None;
    let rendered = render(&doc).expect("render");
    assert!(rendered.page_count >= 1);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("h.pdf"), &rendered.pdf).unwrap();
    if tool_available("qpdf") {
        let (ok, out, _) = run(tmp.path(), "qpdf", &["--check", "h.pdf"]);
        assert!(ok, "{out}");
    }
}

#[test]
fn stamp_appearances_show_the_signer_and_time() {
    let text = StampText {
        signer_name: "Nguyễn Thị Hương".into(),
        position: "Phó Giám đốc".into(),
        organisation: "Sở Tư pháp tỉnh Quảng Ninh".into(),
        signing_time: time::macros::datetime!(2026-05-04 03:02:01 UTC),
    };
    let mut font = FontSubset::new();
    let signer = signer_appearance(&text, &mut font, 200.0, 70.0);
    let seal = seal_appearance(&text.organisation, text.signing_time, &mut font, 100.0);

    // One page: the two appearances as Form XObjects, side by side so that text extraction
    // reads each on its own (in a signed result the seal overlaps the box's left third).
    let mut w = Writer::new();
    let catalog = w.alloc();
    let pages = w.alloc();
    let font_id = w.next_number();
    let resources = Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with("F1", Object::Ref(ObjRef::new(font_id, 0)))),
    );
    let signer_id = font_id + FontSubset::OBJECT_COUNT;
    let seal_id = signer_id + 1;
    let content = "q 1 0 0 1 300 300 cm /Sig Do Q q 1 0 0 1 150 285 cm /Seal Do Q\n";
    let form = |bbox: [f64; 4]| {
        Dict::new()
            .with("Type", Object::name("XObject"))
            .with("Subtype", Object::name("Form"))
            .with("BBox", Object::reals(&bbox))
            .with("Resources", Object::Dict(resources.clone()))
    };
    let mut page_objects = vec![
        flate(form([0.0, 0.0, 200.0, 70.0]), &signer),
        flate(form([0.0, 0.0, 100.0, 100.0]), &seal),
        flate(Dict::new(), content.as_bytes()),
    ];
    for (n, body) in font.objects(font_id).expect("font") {
        w.write(ObjRef::new(n, 0), &body);
    }
    assert_eq!(w.add(&page_objects.remove(0)).num, signer_id);
    assert_eq!(w.add(&page_objects.remove(0)).num, seal_id);
    let content_id = w.add(&page_objects.remove(0));
    let xobjects = Dict::new()
        .with("Sig", Object::Ref(ObjRef::new(signer_id, 0)))
        .with("Seal", Object::Ref(ObjRef::new(seal_id, 0)));
    let page = w.add(&Object::Dict(
        Dict::new()
            .with("Type", Object::name("Page"))
            .with("Parent", Object::Ref(pages))
            .with("MediaBox", Object::reals(&[0.0, 0.0, 595.28, 841.89]))
            .with(
                "Resources",
                Object::Dict(Dict::new().with("XObject", Object::Dict(xobjects))),
            )
            .with("Contents", Object::Ref(content_id)),
    ));
    w.write(
        pages,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Kids", Object::refs(&[page]))
                .with("Count", Object::Int(1)),
        ),
    );
    w.write(
        catalog,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Catalog"))
                .with("Pages", Object::Ref(pages)),
        ),
    );
    w.set_root(catalog);
    let pdf = w.finish();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("stamps.pdf"), &pdf).unwrap();
    if tool_available("qpdf") {
        let (ok, out, _) = run(dir, "qpdf", &["--check", "stamps.pdf"]);
        assert!(ok, "{out}");
    }
    if tool_available("pdftotext") {
        let t = pdftotext(dir, "stamps.pdf", false);
        assert!(t.contains("Ký bởi: Nguyễn Thị Hương"), "{t}");
        assert!(
            t.contains("Thời gian ký: 04/05/2026 10:02:01 +07:00"),
            "{t}"
        );
        // The seal's name is wrapped to the circle; its words are all there.
        for word in ["SỞ", "TƯ", "PHÁP", "TỈNH", "QUẢNG", "NINH"] {
            assert!(t.contains(word), "{word}: {t}");
        }
    }
    if tool_available("pdftoppm") {
        let (ok, out, _) = run(dir, "pdftoppm", &["-r", "100", "-png", "stamps.pdf", "s"]);
        if let Ok(keep) = std::env::var("KETQUA_KEEP_RENDERINGS") {
            let _ = std::fs::copy(dir.join("stamps.pdf"), Path::new(&keep).join("stamps.pdf"));
        }
        assert!(ok && !out.contains("Error"), "{out}");
    }
}
