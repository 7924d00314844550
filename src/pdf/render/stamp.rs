//! Appearances of visible signatures (Decree 30/2020, appendix I): the signer's box with name,
//! position, organisation and signing time, and the organisation's red round seal.
//!
//! Both return content streams for a Form XObject whose /BBox is `[0 0 width height]` (or the
//! seal's diameter) and whose /Resources name the font `/F1`; the caller owns the font subset,
//! so one subset serves the whole document.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::flow::{vietnam_date, vietnam_time};
use crate::pdf::syntax::num;

use super::font::FontSubset;

/// Red of the seal and of the signer's text (RGB), the colour of ink seals.
const RED: &str = "0.85 0 0";

/// What the signer's box says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampText {
    pub signer_name: String,
    pub position: String,
    pub organisation: String,
    pub signing_time: OffsetDateTime,
}

/// The lines of the signer's box, in Vietnamese; Decree 30/2020 wants the signing time in
/// Vietnam time, with the offset.
pub fn signer_lines(text: &StampText) -> Vec<String> {
    let mut lines = vec![format!("Ký bởi: {}", text.signer_name.trim())];
    for extra in [&text.position, &text.organisation] {
        let extra = extra.trim();
        if !extra.is_empty() {
            lines.push(extra.to_owned());
        }
    }
    lines.push(format!(
        "Thời gian ký: {} +07:00",
        vietnam_time(text.signing_time)
    ));
    lines
}

/// The signer's box: a thin frame and the lines of [`signer_lines`], left-aligned, in one font
/// size chosen so that every line fits the width and all lines fit the height (at most 10 pt).
pub fn signer_appearance(
    text: &StampText,
    font: &mut FontSubset,
    width: f64,
    height: f64,
) -> Vec<u8> {
    signer_appearance_beside_seal(text, font, width, height, 0.0)
}

/// [`signer_appearance`] with the text kept right of `left` points, where the organisation's
/// seal overlaps the box (its left third, Decree 30/2020): the frame still spans the whole
/// box, but no text lies under the seal, so it stays readable and text extraction does not
/// interleave it with the seal's words.
pub fn signer_appearance_beside_seal(
    text: &StampText,
    font: &mut FontSubset,
    width: f64,
    height: f64,
    left: f64,
) -> Vec<u8> {
    let (width, height) = (finite_positive(width), finite_positive(height));
    let left = if left.is_finite() {
        left.clamp(0.0, width / 2.0)
    } else {
        0.0
    };
    let lines = signer_lines(text);
    let pad = (height * 0.06).clamp(1.0, 4.0);
    let leading = 1.25;
    let widest = lines
        .iter()
        .map(|l| font.width(l, 1.0))
        .fold(0.0f64, f64::max);
    let by_width = if widest > 0.0 {
        (width - left - 2.0 * pad) / widest
    } else {
        10.0
    };
    let by_height = (height - 2.0 * pad) / (lines.len() as f64 * leading);
    let size = by_width.min(by_height).clamp(1.0, 10.0);
    let block = lines.len() as f64 * size * leading;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "q 0.5 w {RED} RG {} {} {} {} re S Q",
        num(0.25),
        num(0.25),
        num(width - 0.5),
        num(height - 0.5)
    );
    // Vertically centred block; the baseline of line i sits a descent above its slot bottom.
    let top = (height + block) / 2.0;
    let _ = writeln!(out, "q {RED} rg BT /F1 {} Tf", num(size));
    for (i, line) in lines.iter().enumerate() {
        let baseline = top - (i as f64 + 1.0) * size * leading + size * 0.3;
        let _ = writeln!(
            out,
            "1 0 0 1 {} {} Tm {} Tj",
            num(left + pad),
            num(baseline),
            font.show(line)
        );
    }
    out.push_str("ET Q\n");
    out.into_bytes()
}

/// The organisation's seal, a `diameter`-point circle: two concentric red rings, the
/// organisation's name in up to three centred lines inside, a five-pointed star below it and
/// the signing date (Vietnam time) at the bottom.
pub fn seal_appearance(
    organisation: &str,
    signing_time: OffsetDateTime,
    font: &mut FontSubset,
    diameter: f64,
) -> Vec<u8> {
    let d = finite_positive(diameter);
    let c = d / 2.0;
    let outer = c - d * 0.02;
    let inner = c - d * 0.08;
    let mut out = String::new();
    let _ = writeln!(out, "q {RED} RG {RED} rg");
    let _ = writeln!(out, "{} w", num(d * 0.025));
    circle(&mut out, c, c, outer);
    out.push_str("S\n");
    let _ = writeln!(out, "{} w", num(d * 0.01));
    circle(&mut out, c, c, inner);
    out.push_str("S\n");
    star(&mut out, c, c - d * 0.08, d * 0.09);
    out.push_str("f\n");

    // The name in the upper half, on lines that fit the chord of the inner circle.
    let name = organisation.trim().to_uppercase();
    let mut size = (d * 0.085).max(1.0);
    let lines = loop {
        let lines = wrap_into_circle(&name, font, size, inner * 0.88, c, d);
        if lines.is_some() || size <= 2.0 {
            break lines.unwrap_or_else(|| vec![(name.clone(), c + d * 0.12)]);
        }
        size *= 0.9;
    };
    let _ = writeln!(out, "BT /F1 {} Tf", num(size));
    for (line, baseline) in &lines {
        let x = c - font.width(line, size) / 2.0;
        let _ = writeln!(
            out,
            "1 0 0 1 {} {} Tm {} Tj",
            num(x),
            num(*baseline),
            font.show(line)
        );
    }
    let date = {
        let d = vietnam_date(signing_time);
        format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
    };
    let date_size = (d * 0.07).max(1.0);
    let _ = writeln!(
        out,
        "/F1 {} Tf 1 0 0 1 {} {} Tm {} Tj",
        num(date_size),
        num(c - font.width(&date, date_size) / 2.0),
        num(c - d * 0.3),
        font.show(&date)
    );
    out.push_str("ET Q\n");
    out.into_bytes()
}

/// Greedy word wrap of `text` into at most three lines whose widths fit the circle of
/// `radius` at their height; `None` if it does not fit. Returns (line, baseline).
fn wrap_into_circle(
    text: &str,
    font: &FontSubset,
    size: f64,
    radius: f64,
    centre: f64,
    d: f64,
) -> Option<Vec<(String, f64)>> {
    let leading = size * 1.2;
    // Baselines from just above the star upwards.
    let lowest = centre + d * 0.06;
    let words: Vec<&str> = text.split_whitespace().collect();
    for count in 1..=3usize {
        let baselines: Vec<f64> = (0..count)
            .rev()
            .map(|i| lowest + i as f64 * leading)
            .collect();
        let available = |baseline: f64| {
            // The chord at the line's highest point (cap height) is the narrowest.
            let dy = (baseline + size * 0.75 - centre).abs();
            if dy >= radius {
                0.0
            } else {
                2.0 * (radius * radius - dy * dy).sqrt()
            }
        };
        let mut lines: Vec<String> = Vec::with_capacity(count);
        let mut current = String::new();
        let mut ok = true;
        for w in &words {
            let candidate = if current.is_empty() {
                (*w).to_owned()
            } else {
                format!("{current} {w}")
            };
            let limit = baselines.get(lines.len()).copied().map_or(0.0, available);
            if font.width(&candidate, size) <= limit {
                current = candidate;
            } else if current.is_empty() {
                ok = false;
                break;
            } else {
                lines.push(std::mem::take(&mut current));
                let limit = baselines.get(lines.len()).copied().map_or(0.0, available);
                if lines.len() >= count || font.width(w, size) > limit {
                    ok = false;
                    break;
                }
                current = (*w).to_owned();
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        if ok && lines.len() <= count {
            return Some(lines.into_iter().zip(baselines.iter().copied()).collect());
        }
    }
    None
}

/// A full circle of four Bézier arcs (the usual 0.5523 control-point factor).
fn circle(out: &mut String, cx: f64, cy: f64, r: f64) {
    let k = 0.552_284_75 * r;
    let _ = writeln!(out, "{} {} m", num(cx + r), num(cy));
    let arcs = [
        (cx + r, cy + k, cx + k, cy + r, cx, cy + r),
        (cx - k, cy + r, cx - r, cy + k, cx - r, cy),
        (cx - r, cy - k, cx - k, cy - r, cx, cy - r),
        (cx + k, cy - r, cx + r, cy - k, cx + r, cy),
    ];
    for (x1, y1, x2, y2, x3, y3) in arcs {
        let _ = writeln!(
            out,
            "{} {} {} {} {} {} c",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            num(x3),
            num(y3)
        );
    }
    out.push_str("h\n");
}

/// A five-pointed star (ten vertices), point up.
fn star(out: &mut String, cx: f64, cy: f64, r: f64) {
    let inner = r * 0.382;
    for i in 0..10 {
        let radius = if i % 2 == 0 { r } else { inner };
        let angle = std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::PI / 5.0;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        let op = if i == 0 { "m" } else { "l" };
        let _ = writeln!(out, "{} {} {op}", num(x), num(y));
    }
    out.push_str("h\n");
}

fn finite_positive(v: f64) -> f64 {
    if v.is_finite() && v > 1.0 {
        v
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> StampText {
        StampText {
            signer_name: "Nguyễn Văn An".into(),
            position: "Giám đốc".into(),
            organisation: "Sở Tư pháp tỉnh Quảng Ninh".into(),
            signing_time: time::macros::datetime!(2026-05-04 03:02:01 UTC),
        }
    }

    #[test]
    fn time_is_shown_in_vietnam_time() {
        let evening = StampText {
            signing_time: time::macros::datetime!(2026-05-04 20:02:01 UTC),
            ..text()
        };
        assert_eq!(
            signer_lines(&evening)[3],
            "Thời gian ký: 05/05/2026 03:02:01 +07:00"
        );
        let lines = signer_lines(&text());
        assert_eq!(lines[0], "Ký bởi: Nguyễn Văn An");
        assert_eq!(lines[3], "Thời gian ký: 04/05/2026 10:02:01 +07:00");
    }

    #[test]
    fn signer_text_fits_the_box() {
        let mut font = FontSubset::new();
        for (w, h) in [(200.0, 70.0), (90.0, 30.0), (0.0, -5.0), (f64::NAN, 50.0)] {
            let ops = String::from_utf8(signer_appearance(&text(), &mut font, w, h)).unwrap();
            let size: f64 = ops
                .split("/F1 ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|s| s.parse().ok())
                .unwrap();
            let widest = signer_lines(&text())
                .iter()
                .map(|l| font.width(l, size))
                .fold(0.0, f64::max);
            if w.is_finite() && w > 10.0 {
                assert!(widest <= w, "{w}x{h}: {widest} at {size}");
            }
        }
    }

    #[test]
    fn seal_has_rings_star_and_name() {
        let mut font = FontSubset::bold();
        let ops = String::from_utf8(seal_appearance(
            "Sở Tư pháp tỉnh Quảng Ninh",
            text().signing_time,
            &mut font,
            110.0,
        ))
        .unwrap();
        assert!(ops.starts_with("q 0.85 0 0 RG 0.85 0 0 rg"));
        assert_eq!(ops.matches(" c\n").count(), 8, "two circles of four arcs");
        assert!(ops.matches(" Tj").count() >= 2);
        // A name too long for the seal still renders (small) rather than failing.
        let long = "Ủy ban nhân dân ".repeat(20);
        assert!(!seal_appearance(&long, text().signing_time, &mut font, 60.0).is_empty());
    }
}
