//! What a visible signature shows (Decree 30/2020, appendix I): the competent signer's box or
//! the organisation's seal, drawn by the renderer's stamps in an embedded DejaVu Serif subset
//! that is written into the same revision.

use time::OffsetDateTime;

use crate::pdf::render::{seal_appearance, signer_appearance_beside_seal, FontSubset, StampText};
use crate::pdf::syntax::num;

/// A visible signature's appearance.
#[derive(Debug, Clone)]
pub(super) enum Appearance {
    /// The competent signer's box: "Ký bởi", position, organisation, signing time. With
    /// `beside_seal` the text keeps clear of the left third, where the seal overlaps.
    Signer { text: StampText, beside_seal: bool },
    /// The organisation's red round seal.
    Seal {
        organisation: String,
        signing_time: OffsetDateTime,
    },
}

/// Shown first into every stamp's font, so that the subset's glyph order does not depend on
/// the order digits occur in the signing time: the same signer's stamps then have the same
/// glyph sequence, and the subset font comes from the cache in the renderer's `font`.
const TIME_GLYPHS: &str = "0123456789/:+ ";

impl Appearance {
    /// The content stream for an upright box of `w` × `h` points, and the font it shows
    /// text in as `/F1`.
    pub fn draw(&self, w: f64, h: f64) -> (Vec<u8>, FontSubset) {
        match self {
            Appearance::Signer { text, beside_seal } => {
                let mut font = FontSubset::new();
                font.show(TIME_GLYPHS);
                let left = if *beside_seal { w / 3.0 } else { 0.0 };
                let content = signer_appearance_beside_seal(text, &mut font, w, h, left);
                (content, font)
            }
            Appearance::Seal {
                organisation,
                signing_time,
            } => {
                let mut font = FontSubset::bold();
                font.show(TIME_GLYPHS);
                let d = w.min(h);
                let seal = seal_appearance(organisation, *signing_time, &mut font, d);
                // Centred in a box that is not square.
                let mut content = format!(
                    "q 1 0 0 1 {} {} cm\n",
                    num((w - d) / 2.0),
                    num((h - d) / 2.0)
                )
                .into_bytes();
                content.extend_from_slice(&seal);
                content.extend_from_slice(b"Q\n");
                (content, font)
            }
        }
    }
}
