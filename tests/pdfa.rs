//! PDF/A-2b for what the service renders (ISO 19005-2), checked by reading the files back —
//! veraPDF is not available here — on a result as issued (the signer's certification, the
//! seal, the DSS of B-LT) and on a form (PAdES B-T): the header, no encryption, the XMP
//! packet (PDF/A identification, the document information mirrored, the Decree 30/2020
//! properties declared by an extension schema), the sRGB output intent with its ICC profile,
//! every font embedded (also by `pdffonts`), every annotation printable with its appearance,
//! no actions, and `qpdf --check`.

mod common;

use std::{path::Path, process::Command};

use common::*;
use lopdf::{Dictionary, Document, Object};

fn dict<'a>(doc: &'a Document, object: &'a Object) -> &'a Dictionary {
    match object {
        Object::Reference(id) => dict(doc, doc.get_object(*id).expect("reference resolves")),
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        other => panic!("not a dictionary: {other:?}"),
    }
}

fn stream_content(doc: &Document, object: &Object) -> (Dictionary, Vec<u8>) {
    let id = object.as_reference().expect("a stream is referenced");
    let stream = doc.get_object(id).unwrap().as_stream().unwrap();
    let content = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    (stream.dict.clone(), content)
}

fn text(doc: &Document, object: &Object) -> String {
    let bytes = match object {
        Object::Reference(id) => return text(doc, doc.get_object(*id).unwrap()),
        Object::String(bytes, _) => bytes.clone(),
        other => panic!("not a string: {other:?}"),
    };
    ketqua::pdf::decode_text(&bytes)
}

/// Every requirement we claim, on one file; `what` names it in failures.
fn check_pdfa(file: &Path, what: &str) {
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(b"%PDF-1."), "{what}: header");
    let second = bytes.split(|b| *b == b'\n').nth(1).unwrap();
    assert!(
        second.len() >= 5 && second[0] == b'%' && second[1..5].iter().all(|b| *b > 127),
        "{what}: the binary comment line after the header"
    );
    let doc = Document::load_mem(&bytes).unwrap_or_else(|e| panic!("{what}: lopdf: {e}"));
    assert!(doc.trailer.get(b"Encrypt").is_err(), "{what}: encrypted");
    assert!(doc.trailer.get(b"ID").is_ok(), "{what}: no file identifier");

    // The XMP packet: uncompressed, PDF/A-2b, the document information mirrored.
    let catalog = doc.catalog().unwrap();
    let (metadata_dict, xmp) = stream_content(&doc, catalog.get(b"Metadata").unwrap());
    assert!(
        metadata_dict.get(b"Filter").is_err(),
        "{what}: the metadata is filtered"
    );
    assert_eq!(
        metadata_dict.get(b"Subtype").unwrap().as_name().unwrap(),
        b"XML"
    );
    let xmp = String::from_utf8(xmp).expect("XMP is UTF-8");
    assert!(
        xmp.contains("<pdfaid:part>2</pdfaid:part>"),
        "{what}: {xmp}"
    );
    assert!(
        xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{what}"
    );
    let info = dict(&doc, doc.trailer.get(b"Info").unwrap());
    let title = text(&doc, info.get(b"Title").unwrap());
    assert!(
        xmp.contains(&format!("<rdf:li xml:lang=\"x-default\">{title}</rdf:li>")),
        "{what}: dc:title is not the Info title {title:?}"
    );
    let producer = text(&doc, info.get(b"Producer").unwrap());
    assert!(
        xmp.contains(&format!("<pdf:Producer>{producer}</pdf:Producer>")),
        "{what}"
    );
    let created = text(&doc, info.get(b"CreationDate").unwrap());
    // D:YYYYMMDDHHmmSS+07'00' and YYYY-MM-DDTHH:mm:SS+07:00 name the same instant.
    let d = &created[2..];
    let xmp_date = format!(
        "{}-{}-{}T{}:{}:{}{}:{}",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14],
        &d[14..17],
        &d[18..20]
    );
    assert!(
        xmp.contains(&format!("<xmp:CreateDate>{xmp_date}</xmp:CreateDate>")),
        "{what}: CreationDate {created} not in the XMP"
    );
    // The Decree 30/2020 properties, each declared in the extension schema.
    let used: Vec<&str> = xmp
        .match_indices("<nd30:")
        .map(|(at, _)| {
            let rest = &xmp[at + 6..];
            &rest[..rest.find('>').unwrap()]
        })
        .collect();
    assert!(
        used.contains(&"DocumentType") && used.contains(&"DossierCode"),
        "{what}: {used:?}"
    );
    for name in used {
        assert!(
            xmp.contains(&format!("<pdfaProperty:name>{name}</pdfaProperty:name>")),
            "{what}: nd30:{name} is not declared"
        );
    }
    assert!(xmp.contains(ketqua::pdf::ARCHIVAL_NAMESPACE));

    // The output intent and its ICC profile.
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    assert_eq!(intents.len(), 1, "{what}");
    let intent = dict(&doc, &intents[0]);
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
    let (profile_dict, profile) = stream_content(&doc, intent.get(b"DestOutputProfile").unwrap());
    assert_eq!(profile_dict.get(b"N").unwrap().as_i64().unwrap(), 3);
    assert_eq!(
        u32::from_be_bytes(profile[0..4].try_into().unwrap()) as usize,
        profile.len()
    );
    assert_eq!(&profile[16..20], b"RGB ");
    assert_eq!(&profile[36..40], b"acsp");

    // Fonts embedded, annotations printable with appearances, no actions.
    let mut fonts = 0;
    let mut widgets = 0;
    for object in doc.objects.values() {
        let Ok(d) = (match object {
            Object::Dictionary(d) => Ok(d),
            Object::Stream(s) => Ok(&s.dict),
            _ => Err(()),
        }) else {
            continue;
        };
        for key in [&b"JS"[..], b"JavaScript", b"Launch", b"AA"] {
            assert!(
                d.get(key).is_err(),
                "{what}: /{} present",
                String::from_utf8_lossy(key)
            );
        }
        let kind = d.get(b"Type").and_then(Object::as_name).ok();
        if kind == Some(&b"Font"[..]) && d.get(b"Subtype").unwrap().as_name().unwrap() != b"Type0" {
            fonts += 1;
            let descriptor = dict(&doc, d.get(b"FontDescriptor").expect("a font descriptor"));
            assert!(
                [&b"FontFile"[..], b"FontFile2", b"FontFile3"]
                    .iter()
                    .any(|k| descriptor.get(k).is_ok()),
                "{what}: a font is not embedded: {d:?}"
            );
        }
        if kind == Some(&b"Annot"[..]) {
            widgets += 1;
            let flags = d.get(b"F").and_then(Object::as_i64).unwrap_or(0);
            assert!(
                flags & 4 != 0 && flags & (1 | 2 | 32) == 0,
                "{what}: annotation flags {flags}"
            );
            let rect: Vec<f32> = d
                .get(b"Rect")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_float().unwrap())
                .collect();
            if (rect[2] - rect[0]).abs() > 0.0 && (rect[3] - rect[1]).abs() > 0.0 {
                assert!(
                    dict(&doc, d.get(b"AP").unwrap()).get(b"N").is_ok(),
                    "{what}"
                );
            }
        }
    }
    assert!(fonts >= 2, "{what}: {fonts} fonts");
    assert!(widgets >= 1, "{what}: no signature widget");

    if tool_available("pdffonts") {
        let out = Command::new("pdffonts").arg(file).output().unwrap();
        assert!(out.status.success());
        let listing = String::from_utf8_lossy(&out.stdout);
        for line in listing.lines().skip(2) {
            let columns: Vec<&str> = line.split_whitespace().collect();
            // name type [encoding…] emb sub uni object ID: "emb" is the 5th from the end.
            let emb = columns[columns.len() - 5];
            assert_eq!(emb, "yes", "{what}: pdffonts: {line}");
        }
    }
    if tool_available("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: qpdf --check: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[tokio::test]
async fn rendered_results_and_forms_are_pdfa_2b_after_every_signature() {
    let server = Server::start();
    let mut client = server.dossiers().await;
    let received = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner();
    let code = received.dossier_code.clone();
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client.appraise(step("stp-appraiser", "Đủ")).await.unwrap();
    client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap();
    client
        .sign(sign_rendered_request(&code, "stp-approver"))
        .await
        .unwrap();
    let result = client
        .get(ketqua::proto::v1::GetRequest {
            dossier_code: code.clone(),
            include_result_content: true,
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!(result.pades_level, "B-LT");
    let dir = tempfile::tempdir().unwrap();
    let issued = dir.path().join("result.pdf");
    std::fs::write(&issued, &result.content).unwrap();
    check_pdfa(&issued, "the result (certified, sealed, DSS)");
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &issued) {
        assert!(valid, "{report}");
    }
    let slip = dir.path().join("form-01.pdf");
    std::fs::write(&slip, &received.forms[0].content).unwrap();
    check_pdfa(&slip, "form 01 (B-T)");
    // The archival metadata of the result is in its XMP, as Sign's metadata gave it.
    let bytes = std::fs::read(&issued).unwrap();
    let xmp = String::from_utf8_lossy(&bytes);
    assert!(xmp.contains("<nd30:DocumentType>Phiếu</nd30:DocumentType>"));
    assert!(xmp.contains("<nd30:Retention>vĩnh viễn</nd30:Retention>"));
    assert!(xmp.contains(&format!("<nd30:DossierCode>{code}</nd30:DossierCode>")));
}
