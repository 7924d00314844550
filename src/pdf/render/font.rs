//! An embedded Unicode font for Vietnamese text: DejaVu Serif (regular and bold, Bitstream Vera
//! licence, see `fonts/LICENSE`), written into each PDF as a subset holding only the glyphs the
//! document uses.
//!
//! Text is shown with 2-byte glyph ids (Type0 font, Identity-H). The ids are those of the
//! subset font, assigned as glyphs are first used, so [`FontSubset::show`] can write content
//! streams before the subset exists; the CIDFontType2 maps CID = subset glyph id (/CIDToGIDMap
//! /Identity) and a ToUnicode CMap gives text extraction and search the exact characters.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::pdf::syntax::{flate, Dict, ObjRef, Object};

const SERIF: &[u8] = include_bytes!("fonts/DejaVuSerif.ttf");
const SERIF_BOLD: &[u8] = include_bytes!("fonts/DejaVuSerif-Bold.ttf");

/// PDF glyph space: 1000 units per em.
const PDF_UNITS: f64 = 1000.0;

/// Characters below this (Latin with every Vietnamese letter, general punctuation) have their
/// glyph and advance in a table built once per font: laying out a form looks up every
/// character several times (wrapping measures, then shows), and the font's `cmap` search was
/// ~4 % of the server's time under `ketqua bench flow` (perf).
const TABULATED: u32 = 0x2070;

static SERIF_METRICS: OnceLock<Vec<(u16, u16)>> = OnceLock::new();
static SERIF_BOLD_METRICS: OnceLock<Vec<(u16, u16)>> = OnceLock::new();

/// (glyph id, advance) of each character below [`TABULATED`]; (0, 0) where the font has none.
fn tabulate(face: &Face<'_>) -> Vec<(u16, u16)> {
    (0..TABULATED)
        .map(|code| {
            let glyph = char::from_u32(code)
                .and_then(|c| face.glyph_index(c))
                .map_or(0, |g| g.0);
            (glyph, face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0))
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("the embedded font {0} cannot be parsed")]
    Parse(&'static str),
    #[error("subsetting the font {name} failed: {reason}")]
    Subset { name: &'static str, reason: String },
}

/// The glyphs one document uses from one font; see the module documentation.
pub struct FontSubset {
    name: &'static str,
    data: &'static [u8],
    face: Option<Face<'static>>,
    /// See [`TABULATED`]; empty if the font cannot be parsed.
    metrics: &'static [(u16, u16)],
    bold: bool,
    remapper: GlyphRemapper,
    /// Subset glyph id → (original glyph id, the text it stands for).
    used: BTreeMap<u16, (u16, String)>,
}

impl std::fmt::Debug for FontSubset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontSubset")
            .field("name", &self.name)
            .field("glyphs", &self.used.len())
            .finish()
    }
}

impl Default for FontSubset {
    fn default() -> Self {
        Self::new()
    }
}

impl FontSubset {
    /// Number of PDF objects [`FontSubset::objects`] returns: Type0 font, CIDFontType2,
    /// FontDescriptor, FontFile2, ToUnicode.
    pub const OBJECT_COUNT: u32 = 5;

    /// DejaVu Serif, regular.
    pub fn new() -> Self {
        Self::with_font("DejaVuSerif", SERIF, false, &SERIF_METRICS)
    }

    /// DejaVu Serif, bold.
    pub fn bold() -> Self {
        Self::with_font("DejaVuSerif-Bold", SERIF_BOLD, true, &SERIF_BOLD_METRICS)
    }

    fn with_font(
        name: &'static str,
        data: &'static [u8],
        bold: bool,
        metrics: &'static OnceLock<Vec<(u16, u16)>>,
    ) -> Self {
        // Parsed once; a failure (impossible for the embedded fonts, which tests parse)
        // degrades to .notdef glyphs here and an error from `objects`.
        let face = Face::parse(data, 0).ok();
        let metrics = match &face {
            Some(face) => metrics.get_or_init(|| tabulate(face)).as_slice(),
            None => &[],
        };
        FontSubset {
            name,
            data,
            face,
            metrics,
            bold,
            remapper: GlyphRemapper::new(),
            used: BTreeMap::new(),
        }
    }

    /// The PostScript name of the font, without subset tag.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn glyph(&self, c: char) -> u16 {
        if let Some((glyph, _)) = self.metrics.get(c as usize) {
            return *glyph;
        }
        self.face
            .as_ref()
            .and_then(|f| f.glyph_index(c))
            .map_or(0, |g| g.0)
    }

    /// The advance of `c`'s glyph, in font units.
    fn advance(&self, face: &Face<'_>, c: char) -> u16 {
        match self.metrics.get(c as usize) {
            Some((_, advance)) => *advance,
            None => face.glyph_hor_advance(GlyphId(self.glyph(c))).unwrap_or(0),
        }
    }

    /// `text` as a PDF hex string of 2-byte subset glyph ids, for `Tj`; records the glyphs.
    /// A character the font lacks shows as .notdef (an empty box).
    pub fn show(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(2 + 4 * text.len());
        out.push('<');
        for c in text.chars() {
            let original = self.glyph(c);
            let id = self.remapper.remap(original);
            if original != 0 {
                // First character wins when several map to one glyph (rare: e.g. U+00A0).
                self.used
                    .entry(id)
                    .or_insert_with(|| (original, c.to_string()));
            }
            let _ = write!(out, "{id:04X}");
        }
        out.push('>');
        out
    }

    /// Advance width of `text` at `size` points, from the font's horizontal metrics.
    pub fn width(&self, text: &str, size: f64) -> f64 {
        let Some(face) = &self.face else {
            return 0.0;
        };
        let units: u32 = text.chars().map(|c| u32::from(self.advance(face, c))).sum();
        f64::from(units) * size / f64::from(face.units_per_em())
    }

    /// Ascent and descent (negative) of the font at `size` points.
    pub fn vertical_metrics(&self, size: f64) -> (f64, f64) {
        match &self.face {
            Some(f) => {
                let upem = f64::from(f.units_per_em());
                (
                    f64::from(f.ascender()) * size / upem,
                    f64::from(f.descender()) * size / upem,
                )
            }
            None => (size * 0.8, -size * 0.2),
        }
    }

    /// The font's PDF objects, numbered from `first_object_number`: the Type0 font (the one to
    /// reference from /Resources) is `first_object_number`, then its descendant, descriptor,
    /// font file and ToUnicode CMap. Call once all text has been shown.
    pub fn objects(&self, first_object_number: u32) -> Result<Vec<(u32, Object)>, FontError> {
        let face = self.face.as_ref().ok_or(FontError::Parse(self.name))?;
        let font_file = self.font_file()?;
        let n = first_object_number;
        let reference = |k: u32| Object::Ref(ObjRef::new(n + k, 0));
        let base_font = Object::Name(format!("{}+{}", self.subset_tag(), self.name).into_bytes());
        let upem = f64::from(face.units_per_em());
        let scale = |v: f64| Object::Int((v * PDF_UNITS / upem).round() as i64);

        let type0 = Dict::new()
            .with("Type", Object::name("Font"))
            .with("Subtype", Object::name("Type0"))
            .with("BaseFont", base_font.clone())
            .with("Encoding", Object::name("Identity-H"))
            .with("DescendantFonts", Object::Array(vec![reference(1)]))
            .with("ToUnicode", reference(4));

        // /W: subset ids are consecutive from 0 (.notdef), so one `0 [w0 w1 …]` run.
        let widths: Vec<Object> = self
            .remapper
            .remapped_gids()
            .map(|original| {
                scale(f64::from(
                    face.glyph_hor_advance(GlyphId(original)).unwrap_or(0),
                ))
            })
            .collect();
        let system_info = Dict::new()
            .with("Registry", Object::string("Adobe"))
            .with("Ordering", Object::string("Identity"))
            .with("Supplement", Object::Int(0));
        let cid_font = Dict::new()
            .with("Type", Object::name("Font"))
            .with("Subtype", Object::name("CIDFontType2"))
            .with("BaseFont", base_font.clone())
            .with("CIDSystemInfo", Object::Dict(system_info))
            .with("FontDescriptor", reference(2))
            .with("DW", Object::Int(1000))
            .with(
                "W",
                Object::Array(vec![Object::Int(0), Object::Array(widths)]),
            )
            .with("CIDToGIDMap", Object::name("Identity"));

        let bbox = face.global_bounding_box();
        let cap_height = face
            .capital_height()
            .map_or(f64::from(face.ascender()) * 0.7, f64::from);
        // Flags: Serif (2) | Symbolic (4): the glyphs are addressed by id, not by a standard
        // Latin encoding, which is what Symbolic tells a viewer.
        let descriptor = Dict::new()
            .with("Type", Object::name("FontDescriptor"))
            .with("FontName", base_font)
            .with("Flags", Object::Int(6))
            .with(
                "FontBBox",
                Object::Array(vec![
                    scale(f64::from(bbox.x_min)),
                    scale(f64::from(bbox.y_min)),
                    scale(f64::from(bbox.x_max)),
                    scale(f64::from(bbox.y_max)),
                ]),
            )
            .with("ItalicAngle", Object::Real(f64::from(face.italic_angle())))
            .with("Ascent", scale(f64::from(face.ascender())))
            .with("Descent", scale(f64::from(face.descender())))
            .with("CapHeight", scale(cap_height))
            // No StemV in TrueType; the usual estimate from the weight class.
            .with("StemV", Object::Int(if self.bold { 140 } else { 80 }))
            .with("FontFile2", reference(3));

        let to_unicode = flate(Dict::new(), self.to_unicode_cmap().as_bytes());

        Ok(vec![
            (n, Object::Dict(type0)),
            (n + 1, Object::Dict(cid_font)),
            (n + 2, Object::Dict(descriptor)),
            (n + 3, font_file.as_ref().clone()),
            (n + 4, to_unicode),
        ])
    }

    /// The FontFile2 stream object (subset font, Flate-compressed). Subsetting and compressing
    /// cost far more than signing a small document, and signature stamps repeat the same
    /// glyphs (same signer, same organisation), so the bodies are kept per font and glyph
    /// sequence, a bounded number of them.
    fn font_file(&self) -> Result<Arc<Object>, FontError> {
        type Cache = Mutex<HashMap<(&'static str, Vec<u16>), Arc<Object>>>;
        const CAPACITY: usize = 256;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(Cache::default);
        let key = (
            self.name,
            self.remapper.remapped_gids().collect::<Vec<u16>>(),
        );
        if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(Arc::clone(hit));
        }
        let subset =
            subsetter::subset(self.data, 0, &self.remapper).map_err(|e| FontError::Subset {
                name: self.name,
                reason: e.to_string(),
            })?;
        let length1 = i64::try_from(subset.len()).unwrap_or(i64::MAX);
        let body = Arc::new(flate(
            Dict::new().with("Length1", Object::Int(length1)),
            &subset,
        ));
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&body));
        Ok(body)
    }

    /// Six upper-case letters derived from the glyph set, so that two different subsets of the
    /// same font in one viewer never share a name (ISO 32000-1 §9.6.4).
    fn subset_tag(&self) -> String {
        let mut bytes = Vec::with_capacity(2 * usize::from(self.remapper.num_gids()) + 16);
        bytes.extend_from_slice(self.name.as_bytes());
        for g in self.remapper.remapped_gids() {
            bytes.extend_from_slice(&g.to_be_bytes());
        }
        crate::crypto::sha256(&bytes)[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    fn to_unicode_cmap(&self) -> String {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.used.iter().collect();
        // At most 100 entries per block (PostScript CMap limit).
        for chunk in entries.chunks(100) {
            let _ = writeln!(out, "{} beginbfchar", chunk.len());
            for (id, (_, text)) in chunk {
                let _ = write!(out, "<{id:04X}> <");
                for unit in text.encode_utf16() {
                    let _ = write!(out, "{unit:04X}");
                }
                out.push_str(">\n");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIETNAMESE: &str = "ĂÂĐÊÔƠƯăâđêôơư àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ \
        ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ ÀÁẢÃẠ ẰẮẲẴẶ ẦẤẨẪẬ ÈÉẺẼẸ ỀẾỂỄỆ ÌÍỈĨỊ ÒÓỎÕỌ ỒỐỔỖỘ ỜỚỞỠỢ \
        ÙÚỦŨỤ ỪỨỬỮỰ ỲÝỶỸỴ";

    #[test]
    fn embedded_fonts_cover_vietnamese() {
        for font in [FontSubset::new(), FontSubset::bold()] {
            let face = font.face.as_ref().expect("embedded font parses");
            for c in VIETNAMESE.chars().filter(|c| *c != ' ') {
                assert!(face.glyph_index(c).is_some(), "{} lacks {c}", font.name);
            }
        }
    }

    #[test]
    fn show_assigns_subset_ids_in_order_of_use() {
        let mut f = FontSubset::new();
        assert_eq!(f.show("Ký"), "<00010002>");
        assert_eq!(f.show("ýK"), "<00020001>");
        // A character the font lacks is .notdef, and does not enter ToUnicode.
        assert_eq!(f.show("\u{E000}"), "<0000>");
        assert_eq!(f.used.len(), 2);
        assert!(f.to_unicode_cmap().contains("<0002> <00FD>"));
    }

    #[test]
    fn widths_come_from_the_font() {
        let f = FontSubset::new();
        let one = f.width("Nguyễn", 12.0);
        assert!(one > 30.0 && one < 60.0, "{one}");
        assert!((f.width("NguyễnNguyễn", 12.0) - 2.0 * one).abs() < 1e-9);
        assert!(FontSubset::bold().width("Nguyễn", 12.0) > one);
        assert_eq!(f.width("", 12.0), 0.0);
    }

    #[test]
    fn objects_are_complete_and_numbered() {
        let mut f = FontSubset::bold();
        f.show(VIETNAMESE);
        let objects = f.objects(10).expect("objects");
        assert_eq!(objects.len() as u32, FontSubset::OBJECT_COUNT);
        let numbers: Vec<u32> = objects.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [10, 11, 12, 13, 14]);
        let type0 = objects[0].1.to_bytes();
        let type0 = String::from_utf8_lossy(&type0);
        assert!(
            type0.contains("/Identity-H") && type0.contains("[11 0 R]"),
            "{type0}"
        );
        let tag = &type0[type0.find("/BaseFont /").unwrap() + 11..][..7];
        assert!(tag.ends_with('+') && tag[..6].bytes().all(|b| b.is_ascii_uppercase()));
        let cid = objects[1].1.to_bytes();
        let cid = String::from_utf8_lossy(&cid);
        assert!(cid.contains("/W [0 ["), "{cid}");
        // The subset is far smaller than the font.
        assert!(objects[3].1.to_bytes().len() < SERIF_BOLD.len() / 4);
    }

    #[test]
    fn the_tables_agree_with_the_font() {
        for font in [FontSubset::new(), FontSubset::bold()] {
            let face = font.face.as_ref().unwrap();
            for c in ['a', 'Ư', 'ặ', 'ỹ', '–', '“', '€', '中', '\u{0}'] {
                let glyph = face.glyph_index(c).map_or(0, |g| g.0);
                assert_eq!(font.glyph(c), glyph, "{c:?}");
                let advance = face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0);
                assert_eq!(font.advance(face, c), advance, "{c:?}");
            }
        }
    }
}
