//! Result documents as PDF: A4, laid out after Decree 30/2020 (appendix I) with the QR code of
//! Circular 01/2023 at the top left of the first page.
//!
//! ```text
//!  [QR]
//!  UBND TỈNH QUẢNG NINH          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
//!     SỞ TƯ PHÁP (bold)              Độc lập - Tự do - Hạnh phúc
//!      ────────                     ──────────────────────────
//!  Số: 123/PLLTP-STP              Quảng Ninh, ngày … tháng … năm …
//!
//!                         TITLE (bold)
//!                          subtitle
//!      Body paragraphs, word-wrapped by the font's widths, first line indented,
//!  breaking onto new pages (numbered from page 2, top centre) as needed.
//!
//!                                            POSITION (bold)
//!                                          [ signature box ]
//!                                            Name (bold)
//! ```
//!
//! The signature box on the last page is returned so the signer can place the visible
//! signature (and the seal over its left third) exactly there.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::flow::VIETNAM;
use crate::pdf::syntax::{date, flate, num, text_string, Dict, ObjRef, Object, Writer};

use super::font::{FontError, FontSubset};
use super::icc;
use super::qr::{qr_content, QrError, QrPayload};
use super::xmp::{self, ArchivalMetadata, XmpFacts};

pub const PAGE_WIDTH: f64 = 595.28;
pub const PAGE_HEIGHT: f64 = 841.89;
const MM: f64 = 72.0 / 25.4;

// Decree 30/2020 margins: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
const LEFT: f64 = 30.0 * MM;
const RIGHT: f64 = PAGE_WIDTH - 20.0 * MM;
const TOP: f64 = PAGE_HEIGHT - 20.0 * MM;
const BOTTOM: f64 = 20.0 * MM;

/// The QR code: 2.5 cm, 8 mm from the top-left corner.
pub const QR_SIZE: f64 = 25.0 * MM;
const QR_X: f64 = 8.0 * MM;
const QR_TOP: f64 = PAGE_HEIGHT - 8.0 * MM;

// Header columns (issuing body left, national motto right), wider than the text block as in
// the official templates.
const HEADER_LEFT: (f64, f64) = (14.0 * MM, 88.0 * MM);
const HEADER_RIGHT: (f64, f64) = (88.0 * MM, PAGE_WIDTH - 10.0 * MM);

const BODY_SIZE: f64 = 13.0;
const BODY_LEADING: f64 = 18.0;
const INDENT: f64 = 10.0 * MM;

/// The signature box: wide enough for the signer's stamp with the seal over its left third.
const SIGNATURE_WIDTH: f64 = 200.0;
const SIGNATURE_HEIGHT: f64 = 90.0;

pub const MOTTO: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO_SUB: &str = "Độc lập - Tự do - Hạnh phúc";

/// The content of a result document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultDocument {
    /// Parent body then issuing body, one per line, e.g. "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP";
    /// the last line is set in bold.
    pub issuing_body: String,
    /// e.g. "Số: 123/PLLTP-STP".
    pub number_notation: String,
    /// e.g. "Quảng Ninh, ngày 04 tháng 5 năm 2026".
    pub place_and_date: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// Paragraphs.
    pub body: Vec<String>,
    /// One or more lines, e.g. "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC".
    pub signer_position: String,
    pub signer_name: String,
    pub qr: Option<QrPayload>,
    /// Decree 30/2020 appendix VI, written into the XMP metadata.
    pub archival: Option<ArchivalMetadata>,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// `[x1 y1 x2 y2]` of the signature box on the last page, PDF user space (points).
    pub signature_rect: [f64; 4],
    pub page_count: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Font(#[from] FontError),
    #[error(transparent)]
    Qr(#[from] QrError),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

struct Layout {
    regular: FontSubset,
    bold: FontSubset,
    pages: Vec<String>,
    y: f64,
}

impl Layout {
    fn font(&self, weight: Weight) -> &FontSubset {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    fn width(&self, weight: Weight, text: &str, size: f64) -> f64 {
        self.font(weight).width(text, size)
    }

    fn page(&mut self) -> &mut String {
        if self.pages.is_empty() {
            self.pages.push(String::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Writes `text` with its baseline starting at (x, y).
    fn text_at(&mut self, weight: Weight, text: &str, size: f64, x: f64, y: f64) {
        let (name, shown) = match weight {
            Weight::Regular => ("F1", self.regular.show(text)),
            Weight::Bold => ("F2", self.bold.show(text)),
        };
        let _ = writeln!(
            self.page(),
            "BT /{name} {} Tf 1 0 0 1 {} {} Tm {shown} Tj ET",
            num(size),
            num(x),
            num(y)
        );
    }

    /// Centres `text` on `cx`, shrinking the size until it fits `max_width`.
    fn centred(&mut self, weight: Weight, text: &str, size: f64, cx: f64, y: f64, max_width: f64) {
        let size = fit(self.width(weight, text, 1.0), size, max_width);
        let w = self.width(weight, text, size);
        self.text_at(weight, text, size, cx - w / 2.0, y);
    }

    fn rule(&mut self, x1: f64, x2: f64, y: f64) {
        let _ = writeln!(
            self.page(),
            "q 0.6 w {} {} m {} {} l S Q",
            num(x1),
            num(y),
            num(x2),
            num(y)
        );
    }

    /// Starts a new page when less than `height` is left above the bottom margin.
    fn ensure(&mut self, height: f64) {
        if self.y - height < BOTTOM {
            self.pages.push(String::new());
            self.y = TOP;
            // Decree 30: pages numbered from the second, top centre.
            let number = self.pages.len().to_string();
            let cx = (LEFT + RIGHT) / 2.0;
            self.centred(
                Weight::Regular,
                &number,
                12.0,
                cx,
                PAGE_HEIGHT - 12.0 * MM,
                40.0,
            );
        }
    }

    /// Greedy word wrap by the font's widths; a word wider than a line is split by characters.
    fn wrap(&self, weight: Weight, text: &str, size: f64, first: f64, rest: f64) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        let limit = |lines: &Vec<String>| if lines.is_empty() { first } else { rest };
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.width(weight, &candidate, size) <= limit(&lines) {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            for c in word.chars() {
                let mut next = current.clone();
                next.push(c);
                if !current.is_empty() && self.width(weight, &next, size) > limit(&lines) {
                    lines.push(std::mem::replace(&mut current, c.to_string()));
                } else {
                    current = next;
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }
}

/// The size at which text of `width_at_1pt` fits `max_width`, at most `size`, at least 4 pt.
fn fit(width_at_1pt: f64, size: f64, max_width: f64) -> f64 {
    if width_at_1pt <= 0.0 {
        return size;
    }
    (max_width / width_at_1pt).min(size).max(4.0)
}

/// One line: control characters (line breaks, tabs) become spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(clean).filter(|l| !l.is_empty()).collect()
}

/// Renders `doc` as a PDF 1.7 with a classic cross-reference table, fonts subset and embedded,
/// content streams Flate-compressed.
pub fn render(doc: &ResultDocument) -> Result<Rendered, RenderError> {
    let mut l = Layout {
        regular: FontSubset::new(),
        bold: FontSubset::bold(),
        pages: vec![String::new()],
        y: TOP,
    };

    // QR code, top left of the first page.
    let mut header_top = TOP;
    if let Some(qr) = &doc.qr {
        let ops = qr_content(qr, QR_X, QR_TOP - QR_SIZE, QR_SIZE)?;
        l.page().push_str(&String::from_utf8_lossy(&ops));
        header_top = header_top.min(QR_TOP - QR_SIZE - 6.0 * MM);
    }

    // Header, left: issuing body (last line bold, underlined), then number and notation.
    let (lx1, lx2) = HEADER_LEFT;
    let lcx = (lx1 + lx2) / 2.0;
    let lwidth = lx2 - lx1;
    let header_size = 12.0;
    let row = 15.0;
    let mut y = header_top - header_size;
    let issuing = lines_of(&doc.issuing_body);
    for (i, line) in issuing.iter().enumerate() {
        let weight = if i + 1 == issuing.len() {
            Weight::Bold
        } else {
            Weight::Regular
        };
        l.centred(weight, line, header_size, lcx, y, lwidth);
        if i + 1 == issuing.len() {
            let w = l.width(weight, line, header_size).min(lwidth).max(30.0) / 3.0;
            l.rule(lcx - w / 2.0, lcx + w / 2.0, y - 4.0);
        }
        y -= row;
    }
    let left_bottom = y - 6.0;
    l.centred(
        Weight::Regular,
        &clean(&doc.number_notation),
        13.0,
        lcx,
        left_bottom,
        lwidth,
    );

    // Header, right: national motto, underlined, then place and date.
    let (rx1, rx2) = HEADER_RIGHT;
    let rcx = (rx1 + rx2) / 2.0;
    let rwidth = rx2 - rx1;
    let mut y = header_top - header_size;
    l.centred(Weight::Bold, MOTTO, header_size, rcx, y, rwidth);
    y -= row;
    l.centred(Weight::Bold, MOTTO_SUB, 13.0, rcx, y, rwidth);
    let w = l.width(Weight::Bold, MOTTO_SUB, 13.0).min(rwidth);
    l.rule(rcx - w / 2.0, rcx + w / 2.0, y - 4.0);
    let right_bottom = left_bottom.min(y - row - 6.0);
    l.centred(
        Weight::Regular,
        &clean(&doc.place_and_date),
        13.0,
        rcx,
        right_bottom,
        rwidth,
    );

    // Title and subtitle, centred on the text block.
    let cx = (LEFT + RIGHT) / 2.0;
    let text_width = RIGHT - LEFT;
    l.y = right_bottom - 34.0;
    for line in l.wrap(
        Weight::Bold,
        &clean(&doc.title),
        14.0,
        text_width,
        text_width,
    ) {
        l.ensure(20.0);
        let y = l.y;
        l.centred(Weight::Bold, &line, 14.0, cx, y, text_width);
        l.y -= 20.0;
    }
    if let Some(subtitle) = &doc.subtitle {
        for line in l.wrap(
            Weight::Regular,
            &clean(subtitle),
            13.0,
            text_width,
            text_width,
        ) {
            l.ensure(BODY_LEADING);
            let y = l.y;
            l.centred(Weight::Regular, &line, 13.0, cx, y, text_width);
            l.y -= BODY_LEADING;
        }
    }
    l.y -= 14.0;

    // Body.
    for paragraph in &doc.body {
        let lines = l.wrap(
            Weight::Regular,
            paragraph,
            BODY_SIZE,
            text_width - INDENT,
            text_width,
        );
        for (i, line) in lines.iter().enumerate() {
            l.ensure(BODY_LEADING);
            let x = if i == 0 { LEFT + INDENT } else { LEFT };
            let y = l.y;
            l.text_at(Weight::Regular, line, BODY_SIZE, x, y);
            l.y -= BODY_LEADING;
        }
        l.y -= 4.0;
    }

    // Signer block, right half, kept together on one page.
    let position = lines_of(&doc.signer_position);
    let block = 16.0 + position.len() as f64 * BODY_LEADING + SIGNATURE_HEIGHT + 10.0 + 18.0;
    l.ensure(block);
    l.y -= 16.0;
    let scx = (LEFT + RIGHT) / 2.0 + text_width / 4.0;
    let swidth = text_width / 2.0 + 20.0;
    for line in &position {
        let y = l.y;
        l.centred(Weight::Bold, line, 13.0, scx, y, swidth);
        l.y -= BODY_LEADING;
    }
    let top = l.y + 6.0;
    let signature_rect = [
        scx - SIGNATURE_WIDTH / 2.0,
        top - SIGNATURE_HEIGHT,
        scx + SIGNATURE_WIDTH / 2.0,
        top,
    ];
    l.y = top - SIGNATURE_HEIGHT - 10.0 - 8.0;
    let y = l.y;
    l.centred(Weight::Bold, &clean(&doc.signer_name), 13.0, scx, y, swidth);

    let page_count = l.pages.len();
    let pdf = assemble(doc, l)?;
    Ok(Rendered {
        pdf,
        signature_rect,
        page_count,
    })
}

/// Who made the file, in the document information and the XMP alike.
const PRODUCER: &str = "ketqua";

/// The sRGB profile of the output intent as a compressed stream, built once: every document
/// rendered embeds the same one.
fn output_profile() -> &'static Object {
    static PROFILE: std::sync::OnceLock<Object> = std::sync::OnceLock::new();
    PROFILE.get_or_init(|| flate(Dict::new().with("N", Object::Int(3)), &icc::srgb_profile()))
}

fn assemble(doc: &ResultDocument, l: Layout) -> Result<Vec<u8>, RenderError> {
    let mut w = Writer::new();
    let catalog = w.alloc();
    let pages = w.alloc();
    let info = w.alloc();
    let regular = w.next_number();
    for (n, object) in l.regular.objects(regular)? {
        w.write(ObjRef::new(n, 0), &object);
    }
    let bold = w.next_number();
    for (n, object) in l.bold.objects(bold)? {
        w.write(ObjRef::new(n, 0), &object);
    }
    let fonts = Dict::new()
        .with("F1", Object::Ref(ObjRef::new(regular, 0)))
        .with("F2", Object::Ref(ObjRef::new(bold, 0)));
    let resources = Dict::new().with("Font", Object::Dict(fonts));
    let mut kids = Vec::with_capacity(l.pages.len());
    for content in &l.pages {
        let content = w.add(&flate(Dict::new(), content.as_bytes()));
        let page = Dict::new()
            .with("Type", Object::name("Page"))
            .with("Parent", Object::Ref(pages))
            .with(
                "MediaBox",
                Object::reals(&[0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT]),
            )
            .with("Resources", Object::Dict(resources.clone()))
            .with("Contents", Object::Ref(content));
        kids.push(w.add(&Object::Dict(page)));
    }
    let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
    w.write(
        pages,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Kids", Object::refs(&kids))
                .with("Count", Object::Int(count)),
        ),
    );
    // PDF/A-2b (ISO 19005-2): the XMP packet saying so, uncompressed as the standard asks,
    // mirroring the document information exactly; an sRGB output intent for the device
    // colours we draw in; every font embedded (the subsets above).
    let now = OffsetDateTime::now_utc().to_offset(VIETNAM);
    let title = clean(&doc.title);
    let metadata = w.add(&Object::Stream(
        Dict::new()
            .with("Type", Object::name("Metadata"))
            .with("Subtype", Object::name("XML")),
        xmp::packet(&XmpFacts {
            title: &title,
            producer: PRODUCER,
            created: now,
            archival: doc.archival.as_ref(),
        }),
    ));
    let profile = w.add(output_profile());
    let intent = Dict::new()
        .with("Type", Object::name("OutputIntent"))
        .with("S", Object::name("GTS_PDFA1"))
        .with(
            "OutputConditionIdentifier",
            Object::string(icc::SRGB_CONDITION),
        )
        .with("Info", Object::string(icc::SRGB_CONDITION))
        .with("DestOutputProfile", Object::Ref(profile));
    w.write(
        catalog,
        &Object::Dict(
            Dict::new()
                .with("Type", Object::name("Catalog"))
                .with("Pages", Object::Ref(pages))
                .with("Lang", Object::string("vi-VN"))
                .with("Metadata", Object::Ref(metadata))
                .with("OutputIntents", Object::Array(vec![Object::Dict(intent)])),
        ),
    );
    w.write(
        info,
        &Object::Dict(
            Dict::new()
                .with("Title", text_string(&title))
                .with("Producer", Object::string(PRODUCER))
                .with("Creator", Object::string(PRODUCER))
                .with("CreationDate", date(now))
                .with("ModDate", date(now)),
        ),
    );
    w.set_root(catalog);
    w.set_info(info);
    Ok(w.finish())
}
