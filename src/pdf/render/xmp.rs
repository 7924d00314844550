//! The XMP metadata packet of what we render (ISO 19005-2, 6.6): the PDF/A identification
//! (part 2, conformance B), the document information mirrored exactly (title, producer,
//! creator tool, dates), and the archival metadata of Decree 30/2020 appendix VI in a schema
//! of its own, declared with PDF/A's extension schema so that a validator knows its properties.

use time::OffsetDateTime;

/// The namespace of the Decree 30/2020 properties.
pub const ARCHIVAL_NAMESPACE: &str = "https://ketqua.gov.vn/ns/nd30/1.0/";

/// Decree 30/2020 appendix VI: what an archivist files an electronic document under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchivalMetadata {
    /// Loại văn bản: "Phiếu", "Giấy phép", "Quyết định"…
    pub document_type: String,
    pub number_notation: String,
    /// YYYY-MM-DD.
    pub issue_date: String,
    pub issuing_body: String,
    /// Trích yếu.
    pub subject: String,
    pub language: String,
    /// Thời hạn lưu trữ, e.g. "vĩnh viễn".
    pub retention: String,
    pub dossier_code: String,
}

impl ArchivalMetadata {
    /// (property, value, what it is) — the schema and the values from one list.
    fn properties(&self) -> [(&'static str, &str, &'static str); 8] {
        [
            (
                "DocumentType",
                &self.document_type,
                "Loại văn bản (Nghị định 30/2020, phụ lục VI)",
            ),
            (
                "NumberNotation",
                &self.number_notation,
                "Số, ký hiệu văn bản",
            ),
            ("IssueDate", &self.issue_date, "Ngày, tháng, năm văn bản"),
            (
                "IssuingBody",
                &self.issuing_body,
                "Tên cơ quan, tổ chức ban hành văn bản",
            ),
            ("Subject", &self.subject, "Trích yếu nội dung"),
            ("Language", &self.language, "Ngôn ngữ"),
            ("Retention", &self.retention, "Thời hạn lưu trữ"),
            (
                "DossierCode",
                &self.dossier_code,
                "Mã hồ sơ thủ tục hành chính",
            ),
        ]
    }
}

/// What the packet says; the document information dictionary says the same.
pub struct XmpFacts<'a> {
    pub title: &'a str,
    pub producer: &'a str,
    pub created: OffsetDateTime,
    pub archival: Option<&'a ArchivalMetadata>,
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no control characters but these three.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An XMP date, to the second with its offset: the same instant as the PDF date of the
/// document information dictionary.
pub fn xmp_date(t: OffsetDateTime) -> String {
    let (h, m, _) = t.offset().as_hms();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        if t.offset().is_negative() { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// The packet, as the bytes of the catalog's /Metadata stream.
pub fn packet(facts: &XmpFacts<'_>) -> Vec<u8> {
    let date = xmp_date(facts.created);
    let mut x = String::with_capacity(4096);
    x.push_str("<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    x.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n");
    x.push_str("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    x.push_str(&format!(
        "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" xmlns:nd30=\"{ARCHIVAL_NAMESPACE}\" \
xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n"
    ));
    x.push_str("<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n");
    x.push_str("<dc:format>application/pdf</dc:format>\n");
    x.push_str(&format!(
        "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
        esc(facts.title)
    ));
    x.push_str(&format!(
        "<xmp:CreateDate>{date}</xmp:CreateDate>\n<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
<xmp:MetadataDate>{date}</xmp:MetadataDate>\n<xmp:CreatorTool>{p}</xmp:CreatorTool>\n\
<pdf:Producer>{p}</pdf:Producer>\n",
        p = esc(facts.producer)
    ));
    if let Some(archival) = facts.archival {
        if !archival.language.is_empty() {
            x.push_str(&format!(
                "<dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\n",
                esc(&archival.language)
            ));
        }
        for (name, value, _) in archival.properties() {
            if !value.trim().is_empty() {
                x.push_str(&format!("<nd30:{name}>{}</nd30:{name}>\n", esc(value)));
            }
        }
        x.push_str(
            "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n\
<pdfaSchema:schema>Decree 30/2020/ND-CP appendix VI archival metadata</pdfaSchema:schema>\n",
        );
        x.push_str(&format!(
            "<pdfaSchema:namespaceURI>{ARCHIVAL_NAMESPACE}</pdfaSchema:namespaceURI>\n\
<pdfaSchema:prefix>nd30</pdfaSchema:prefix>\n<pdfaSchema:property><rdf:Seq>\n"
        ));
        for (name, _, description) in archival.properties() {
            x.push_str(&format!(
                "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
<pdfaProperty:valueType>Text</pdfaProperty:valueType>\
<pdfaProperty:category>external</pdfaProperty:category>\
<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>\n"
            ));
        }
        x.push_str(
            "</rdf:Seq></pdfaSchema:property>\n</rdf:li></rdf:Bag></pdfaExtension:schemas>\n",
        );
    }
    x.push_str("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n");
    // Room for a later in-place edit, as XMP writers leave.
    for _ in 0..20 {
        x.push_str(&" ".repeat(99));
        x.push('\n');
    }
    x.push_str("<?xpacket end=\"w\"?>");
    x.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_say_the_same_instant_as_pdf_dates() {
        assert_eq!(
            xmp_date(datetime!(2026-12-04 09:05:07 +07:00)),
            "2026-12-04T09:05:07+07:00"
        );
        assert_eq!(
            xmp_date(datetime!(2026-12-04 09:05:07 -03:30)),
            "2026-12-04T09:05:07-03:30"
        );
    }

    #[test]
    fn the_packet_identifies_pdfa_2b_and_declares_its_own_properties() {
        let archival = ArchivalMetadata {
            document_type: "Phiếu".into(),
            subject: "Phiếu lý lịch tư pháp <số 1> & kèm".into(),
            language: "vi".into(),
            ..ArchivalMetadata::default()
        };
        let text = String::from_utf8(packet(&XmpFacts {
            title: "PHIẾU LÝ LỊCH TƯ PHÁP",
            producer: "ketqua",
            created: datetime!(2026-12-04 09:05:07 +07:00),
            archival: Some(&archival),
        }))
        .unwrap();
        assert!(text.contains("<pdfaid:part>2</pdfaid:part>"));
        assert!(text.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
        assert!(text.contains("<nd30:DocumentType>Phiếu</nd30:DocumentType>"));
        assert!(text.contains("Phiếu lý lịch tư pháp &lt;số 1&gt; &amp; kèm"));
        assert!(
            !text.contains("<nd30:Retention>"),
            "empty values are left out"
        );
        // Every property used is declared in the extension schema.
        for name in ["DocumentType", "Subject", "Retention", "DossierCode"] {
            assert!(text.contains(&format!("<pdfaProperty:name>{name}</pdfaProperty:name>")));
        }
        assert!(text.starts_with("<?xpacket begin=\"\u{FEFF}\""));
        assert!(text.ends_with("<?xpacket end=\"w\"?>"));
    }
}
