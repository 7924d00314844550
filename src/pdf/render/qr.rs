//! The QR code every result carries at the top left of its first page (Circular 01/2023/TT-VPCP):
//! dossier code, procedure code, applicant's identifier, document name, and where to verify.
//!
//! Payload (UTF-8, QR byte mode, error correction level M), one `label: value` per line so that
//! a phone's scanner app shows it readably, with a first line naming the format so programs
//! can parse it:
//!
//! ```text
//! KQ1
//! Mã hồ sơ: 000.00.12.H22-261122-0042
//! Mã TTHC: 2.000488
//! Người nộp: 001234567890
//! Tên giấy tờ: Phiếu lý lịch tư pháp số 1
//! Tra cứu: https://ketqua.example.gov.vn/v/000.00.12.H22-261122-0042-KQ1
//! ```
//!
//! Values are single lines: line breaks inside a value become spaces. The URL goes last so that
//! scanner apps that detect links offer to open it.

use std::fmt::Write as _;

use qrcode::EcLevel;

use super::qr_mask::symbol;
use crate::pdf::syntax::num;

/// Modules of white border around the symbol (ISO/IEC 18004 requires 4).
pub const QUIET_ZONE: usize = 4;

/// What the QR code says about a result document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayload {
    pub dossier_code: String,
    pub procedure_code: String,
    pub applicant_id: String,
    pub document_name: String,
    pub verification_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the QR payload is {0} bytes, too long for a QR code at error correction level M; shorten the document name or URL")]
    TooLong(usize),
    #[error("the QR code size {0} is not a positive number of points")]
    BadSize(f64),
}

/// The text the QR code holds, in the format described in the module documentation.
pub fn qr_text(payload: &QrPayload) -> String {
    let one_line = |v: &str| -> String {
        v.split(['\r', '\n'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .trim()
            .to_owned()
    };
    let mut out = String::from("KQ1\n");
    let _ = writeln!(out, "Mã hồ sơ: {}", one_line(&payload.dossier_code));
    let _ = writeln!(out, "Mã TTHC: {}", one_line(&payload.procedure_code));
    let _ = writeln!(out, "Người nộp: {}", one_line(&payload.applicant_id));
    let _ = writeln!(out, "Tên giấy tờ: {}", one_line(&payload.document_name));
    let _ = write!(out, "Tra cứu: {}", one_line(&payload.verification_url));
    out
}

/// Content-stream operators drawing the QR code of `payload` as a `size`-point square (quiet
/// zone included) with its lower-left corner at (`x`, `y`): a white square, then, in a
/// coordinate system of one unit per module (`cm`), the dark modules as filled rectangles,
/// horizontal runs merged.
///
/// Why module units: a symbol is ~1,000 rectangles, and writing each corner as a point
/// coordinate (a float to format, four per rectangle) was most of the cost of drawing it; small
/// integers are cheap to write and a third of the bytes to compress.
pub fn qr_content(payload: &QrPayload, x: f64, y: f64, size: f64) -> Result<Vec<u8>, QrError> {
    if !(size.is_finite() && size > 0.0) {
        return Err(QrError::BadSize(size));
    }
    let text = qr_text(payload);
    let (width, colors) =
        symbol(text.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong(text.len()))?;
    let m = size / (width + 2 * QUIET_ZONE) as f64;
    let quiet = QUIET_ZONE as f64 * m;
    let mut out = String::with_capacity(width * width * 2);
    let _ = writeln!(
        out,
        "q 1 g {} {} {} {} re f",
        num(x),
        num(y),
        num(size),
        num(size)
    );
    let scale = fine(m);
    let _ = writeln!(
        out,
        "{scale} 0 0 {scale} {} {} cm 0 g",
        fine(x + quiet),
        fine(y + quiet)
    );
    for (row, line) in colors.chunks(width).enumerate() {
        // Row 0 is the top of the symbol; PDF's y grows upwards.
        let bottom = width - 1 - row;
        let mut col = 0;
        while col < line.len() {
            if line[col] {
                let start = col;
                while col < line.len() && line[col] {
                    col += 1;
                }
                let _ = writeln!(out, "{start} {bottom} {} 1 re", col - start);
            } else {
                col += 1;
            }
        }
    }
    out.push_str("f Q\n");
    Ok(out.into_bytes())
}

/// `v` to a millionth, without trailing zeros: the scale of the module grid, which the
/// thousandths of [`num`] would let drift by up to a hundredth of a point across a symbol.
fn fine(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "" | "-0" => "0".to_owned(),
        s => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> QrPayload {
        QrPayload {
            dossier_code: "000.00.12.H22-261122-0042".into(),
            procedure_code: "2.000488".into(),
            applicant_id: "001234567890".into(),
            document_name: "Phiếu lý lịch tư pháp số 1".into(),
            verification_url: "https://ketqua.example.gov.vn/v/000.00.12.H22-261122-0042-KQ1"
                .into(),
        }
    }

    #[test]
    fn text_is_labelled_lines() {
        let mut p = sample();
        p.document_name = "Phiếu\r\nlý lịch".into();
        let t = qr_text(&p);
        assert!(
            t.starts_with("KQ1\nMã hồ sơ: 000.00.12.H22-261122-0042\n"),
            "{t}"
        );
        assert!(t.contains("\nTên giấy tờ: Phiếu lý lịch\n"), "{t}");
        assert_eq!(t.lines().count(), 6);
    }

    #[test]
    fn content_draws_inside_the_square() {
        let ops = String::from_utf8(qr_content(&sample(), 20.0, 700.0, 72.0).unwrap()).unwrap();
        assert!(ops.starts_with("q 1 g 20 700 72 72 re f\n"), "{ops}");
        assert!(ops.ends_with("f Q\n"));
        let mut lines = ops.lines().skip(1);
        let cm: Vec<f64> = lines
            .next()
            .unwrap()
            .strip_suffix(" cm 0 g")
            .unwrap()
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        let (scale, origin_x, origin_y) = (cm[0], cm[4], cm[5]);
        assert_eq!((cm[1], cm[2], cm[3]), (0.0, 0.0, scale));
        let mut rectangles = 0;
        for line in lines.filter(|l| l.ends_with(" re")) {
            let v: Vec<f64> = line
                .split(' ')
                .take(4)
                .map(|n| n.parse().unwrap())
                .collect();
            let (left, bottom) = (origin_x + v[0] * scale, origin_y + v[1] * scale);
            let (right, top) = (left + v[2] * scale, bottom + v[3] * scale);
            // The quiet zone of four modules stays white on every side.
            let quiet = 4.0 * scale - 1e-6;
            assert!(left >= 20.0 + quiet && right <= 92.0 - quiet, "{line}");
            assert!(bottom >= 700.0 + quiet && top <= 772.0 - quiet, "{line}");
            rectangles += 1;
        }
        assert!(rectangles > 100, "{rectangles} rectangles");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(qr_content(&sample(), 0.0, 0.0, 0.0).is_err());
        assert!(qr_content(&sample(), 0.0, 0.0, f64::NAN).is_err());
        let mut p = sample();
        p.document_name = "x".repeat(3000);
        assert!(matches!(
            qr_content(&p, 0.0, 0.0, 72.0),
            Err(QrError::TooLong(_))
        ));
    }
}
