//! The QR symbol with its mask chosen as ISO/IEC 18004 §7.8.3 says — the pattern of the
//! lowest penalty — scored by the same rules, in the same pattern order and with the same ties
//! as the `qrcode` crate's `apply_best_mask`, so the symbol is the one `QrCode` would draw.
//!
//! Why not `QrCode` itself: its scorer reads every module through a bounds-checked accessor
//! and a boxed closure per position, eight times over. For a result's payload (~200 bytes,
//! version 10, 57×57 modules) that was 17 M instructions a result, a quarter of the whole
//! Sign step (callgrind, `ketqua bench flow`). On a plain grid of booleans the same rules cost
//! a fraction of that. Encoding, error correction and drawing stay the crate's.

use qrcode::{
    bits,
    canvas::{Canvas, MaskPattern},
    ec, Color, EcLevel, QrResult,
};

/// The eight patterns of a normal QR symbol, in the order `qrcode` tries them (the first of
/// equal scores wins).
const PATTERNS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The symbol encoding `data` at `ec_level`: its width in modules and its modules, row by
/// row from the top, `true` for dark.
pub(super) fn symbol(data: &[u8], ec_level: EcLevel) -> QrResult<(usize, Vec<bool>)> {
    let bits = bits::encode_auto(data, ec_level)?;
    let version = bits.version();
    let (data, ec_data) = ec::construct_codewords(&bits.into_bytes(), version, ec_level)?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec_data);
    let width = usize::try_from(version.width()).unwrap_or(0);
    let mut best: Option<(u32, Vec<bool>)> = None;
    for pattern in PATTERNS {
        let mut masked = canvas.clone();
        masked.apply_mask(pattern);
        let modules: Vec<bool> = masked
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = penalty(&Grid {
            width,
            modules: &modules,
        });
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, modules));
        }
    }
    Ok((width, best.map(|(_, m)| m).unwrap_or_default()))
}

struct Grid<'a> {
    width: usize,
    /// Row-major: the module at column `x` of row `y` is `modules[y * width + x]`.
    modules: &'a [bool],
}

impl Grid<'_> {
    fn at(&self, x: usize, y: usize) -> bool {
        self.modules[y * self.width + x]
    }

    /// Line `i` of the symbol: row `i`, or column `i`.
    fn line(&self, i: usize, horizontal: bool) -> impl Iterator<Item = bool> + '_ {
        (0..self.width).map(move |k| {
            if horizontal {
                self.at(k, i)
            } else {
                self.at(i, k)
            }
        })
    }
}

/// The total penalty (N1 + N2 + N3 + N4 of §7.8.3.1), as `qrcode` counts it.
fn penalty(grid: &Grid) -> u32 {
    let mut total = block_score(grid) + balance_score(grid);
    for horizontal in [true, false] {
        total += adjacent_score(grid, horizontal) + finder_score(grid, horizontal);
    }
    total
}

/// N1: each run of 5 + k modules of one colour in a row or column scores 3 + k.
fn adjacent_score(grid: &Grid, horizontal: bool) -> u32 {
    let mut score = 0;
    for i in 0..grid.width {
        let mut last = None;
        let mut run = 0u32;
        for dark in grid.line(i, horizontal) {
            if Some(dark) == last {
                run += 1;
            } else {
                if run >= 5 {
                    score += run - 2;
                }
                last = Some(dark);
                run = 1;
            }
        }
        if run >= 5 {
            score += run - 2;
        }
    }
    score
}

/// N2: each 2×2 block of one colour (overlapping blocks counted) scores 3.
fn block_score(grid: &Grid) -> u32 {
    let mut score = 0;
    for y in 0..grid.width.saturating_sub(1) {
        for x in 0..grid.width - 1 {
            let this = grid.at(x, y);
            if this == grid.at(x + 1, y)
                && this == grid.at(x, y + 1)
                && this == grid.at(x + 1, y + 1)
            {
                score += 3;
            }
        }
    }
    score
}

/// N3: each dark-light-dark×3-light-dark sequence with four light modules (or the edge) on
/// at least one side scores 40; the symbol's own finder patterns always make 9 of them per
/// direction, which `qrcode` subtracts.
fn finder_score(grid: &Grid, horizontal: bool) -> u32 {
    const PATTERN: [bool; 7] = [true, false, true, true, true, false, true];
    let width = grid.width;
    let mut score = 0u32;
    let mut line = Vec::with_capacity(width);
    for i in 0..width {
        line.clear();
        line.extend(grid.line(i, horizontal));
        for j in 0..width.saturating_sub(6) {
            if line[j..j + 7] != PATTERN {
                continue;
            }
            let dark_before = line[j.saturating_sub(4)..j].contains(&true);
            let dark_after = line[j + 7..(j + 11).min(width)].contains(&true);
            if !dark_before || !dark_after {
                score += 40;
            }
        }
    }
    score.saturating_sub(360)
}

/// N4: the distance of the dark share from one half, in percent (not rounded to steps of 5,
/// as `qrcode` does not).
fn balance_score(grid: &Grid) -> u32 {
    let total = grid.modules.len().max(1);
    let dark = grid.modules.iter().filter(|d| **d).count();
    let ratio = dark * 200 / total;
    ratio.abs_diff(100) as u32
}

#[cfg(test)]
mod tests {
    use qrcode::QrCode;

    use super::*;

    /// Our choice of mask is `qrcode`'s, module for module, across payload lengths and
    /// contents (so across versions 1 to 20 and all eight patterns).
    #[test]
    fn the_symbol_is_the_one_qrcode_draws() {
        let mut chosen = std::collections::BTreeSet::new();
        for n in (0..400usize).step_by(3) {
            let text: String = (0..n)
                .map(|i| {
                    let c = (i * 7 + n * 13) % 95;
                    char::from(b' ' + c as u8)
                })
                .collect();
            let text = format!("KQ1\nMã hồ sơ: {n}\n{text}");
            for ec_level in [EcLevel::L, EcLevel::M, EcLevel::H] {
                let Ok(expected) = QrCode::with_error_correction_level(&text, ec_level) else {
                    assert!(symbol(text.as_bytes(), ec_level).is_err());
                    continue;
                };
                let (width, modules) = symbol(text.as_bytes(), ec_level).unwrap();
                assert_eq!(width, expected.width(), "{n} {ec_level:?}");
                let expected: Vec<bool> = expected
                    .to_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                assert_eq!(modules, expected, "payload {n} at {ec_level:?}");
                chosen.insert((ec_level as u8, format_bits(&modules, width)));
            }
        }
        for ec_level in [EcLevel::L, EcLevel::M, EcLevel::H] {
            let patterns = chosen.iter().filter(|(l, _)| *l == ec_level as u8).count();
            assert_eq!(patterns, 8, "every pattern was chosen at {ec_level:?}");
        }
    }

    /// The format information bits (row 8, columns 0–5 and 7), which name the mask.
    fn format_bits(modules: &[bool], width: usize) -> Vec<bool> {
        [0, 1, 2, 3, 4, 5, 7]
            .iter()
            .map(|x| modules[8 * width + x])
            .collect()
    }
}
