//! The QR symbol with its mask chosen as ISO/IEC 18004 §7.8.3 says — the pattern of the
//! lowest penalty — scored by the same rules, in the same pattern order and with the same ties
//! as the `qrcode` crate's `apply_best_mask`, so the symbol is the one `QrCode` would draw.
//!
//! Why not `QrCode` itself: its scorer reads every module through a bounds-checked accessor
//! and a boxed closure per position, eight times over. For a result's payload (~200 bytes,
//! version 10, 57×57 modules) that was 17 M instructions a result, a quarter of the whole
//! Sign step (callgrind, `ketqua bench flow`). Here each line of the symbol is a bit set and
//! each rule a few word operations per line (`LineBits`; a byte-wise scorer for the widest
//! symbols). Encoding, error correction and drawing stay the crate's.

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
        let modules = masked(&canvas, pattern);
        let score = penalty(&modules, width);
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, modules));
        }
    }
    Ok((width, best.map(|(_, m)| m).unwrap_or_default()))
}

/// The modules of `canvas` under mask `pattern`, row by row, `true` for dark.
fn masked(canvas: &Canvas, pattern: MaskPattern) -> Vec<bool> {
    let mut masked = canvas.clone();
    masked.apply_mask(pattern);
    masked
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect()
}

/// The total penalty (N1 + N2 + N3 + N4 of §7.8.3.1), as `qrcode` counts it, of a
/// `width`-module symbol given row by row.
fn penalty(modules: &[bool], width: usize) -> u32 {
    if width == 0 || modules.len() != width * width {
        return u32::MAX;
    }
    if width <= LineBits::MAX_WIDTH {
        LineBits::penalty(modules, width)
    } else {
        penalty_bytewise(modules, width)
    }
}

/// The lines of a symbol as bit sets, bit `i` for module `i` (dark = 1), so that each rule is a
/// few shifts, ANDs and popcounts per line instead of a branch per module.
///
/// Why: the byte-wise scorer's comparisons of neighbouring modules are branches a random-looking
/// symbol mispredicts half the time; under `ketqua bench flow` it was the server's single
/// largest symbol (8 % of its CPU, `perf`), three symbols a dossier, eight masks each.
struct LineBits;

impl LineBits {
    /// Widths (version 26 at most, 121 modules) whose lines leave the four bits of headroom the
    /// finder rule shifts into.
    const MAX_WIDTH: usize = 124;

    fn penalty(modules: &[bool], width: usize) -> u32 {
        let mut rows = vec![0u128; width];
        let mut columns = vec![0u128; width];
        let mut dark = 0usize;
        for (y, row) in modules.chunks_exact(width).enumerate() {
            for (x, _) in row.iter().enumerate().filter(|(_, d)| **d) {
                rows[y] |= 1 << x;
                columns[x] |= 1 << y;
                dark += 1;
            }
        }
        let within = (1u128 << width) - 1;
        let mut total = Self::blocks(&rows, within) + balance(dark, modules.len());
        for lines in [&rows, &columns] {
            let mut finders = 0;
            for &line in lines.iter() {
                total += Self::runs(line, within);
                finders += Self::finders(line, within);
            }
            // See `penalty_bytewise`.
            total += finders.saturating_sub(360);
        }
        total
    }

    /// Bit `i` set where module `i` has the colour of module `i + 1`.
    fn same_as_next(line: u128, within: u128) -> u128 {
        !(line ^ (line >> 1)) & (within >> 1)
    }

    /// N1: a run of L ≥ 5 modules is L - 1 ≥ 4 consecutive bits of `same_as_next`, which leave
    /// L - 4 bits where four of them start; the run scores those plus 2 (L - 2 in all).
    fn runs(line: u128, within: u128) -> u32 {
        let same = Self::same_as_next(line, within);
        let four = same & (same >> 1) & (same >> 2) & (same >> 3);
        let run_ends = four & !(four >> 1);
        four.count_ones() + 2 * run_ends.count_ones()
    }

    /// N2 between consecutive rows: a block at `x` is row `y` alike at `x`, `x + 1`, row
    /// `y + 1` alike at the same two, and the rows alike at `x`.
    fn blocks(rows: &[u128], within: u128) -> u32 {
        rows.windows(2)
            .map(|pair| {
                let (upper, lower) = (pair[0], pair[1]);
                let alike = Self::same_as_next(upper, within)
                    & Self::same_as_next(lower, within)
                    & !(upper ^ lower);
                3 * alike.count_ones()
            })
            .sum()
    }

    /// N3 before the subtraction: the pattern 1011101 starting at module `j`, and not dark in
    /// both the four modules before it and the four after it (beyond the edge is light: the
    /// shifts bring in zeros).
    fn finders(line: u128, within: u128) -> u32 {
        let x = line;
        let starts = x & !(x >> 1) & (x >> 2) & (x >> 3) & (x >> 4) & !(x >> 5) & (x >> 6) & within;
        let dark_before = (x << 1) | (x << 2) | (x << 3) | (x << 4);
        let dark_after = (x >> 7) | (x >> 8) | (x >> 9) | (x >> 10);
        40 * (starts & !(dark_before & dark_after)).count_ones()
    }
}

/// The penalty of symbols wider than [`LineBits::MAX_WIDTH`]: every rule reads lines as
/// contiguous bytes (the columns from a transposed copy), one pass over the symbol each.
fn penalty_bytewise(modules: &[bool], width: usize) -> u32 {
    let rows: Vec<u8> = modules.iter().map(|&dark| u8::from(dark)).collect();
    let mut columns = vec![0u8; rows.len()];
    for (y, row) in rows.chunks_exact(width).enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            columns[x * width + y] = dark;
        }
    }
    let dark = rows.iter().filter(|&&d| d != 0).count();
    let mut total = block_score(&rows, width) + balance(dark, rows.len());
    for lines in [&rows, &columns] {
        let mut finders = 0;
        for line in lines.chunks_exact(width) {
            total += adjacent_score(line);
            finders += finder_score(line);
        }
        // The symbol's own three finder patterns make 9 of them per direction, which `qrcode`
        // subtracts.
        total += finders.saturating_sub(360);
    }
    total
}

/// N1 in one line: each run of 5 + k modules of one colour scores 3 + k.
fn adjacent_score(line: &[u8]) -> u32 {
    let mut score = 0;
    let mut run = 0u32;
    let mut last = u8::MAX;
    for &dark in line {
        if dark == last {
            run += 1;
        } else {
            if run >= 5 {
                score += run - 2;
            }
            last = dark;
            run = 1;
        }
    }
    if run >= 5 {
        score += run - 2;
    }
    score
}

/// N2: each 2×2 block of one colour (overlapping blocks counted) scores 3.
fn block_score(rows: &[u8], width: usize) -> u32 {
    let mut score = 0;
    let lines: Vec<&[u8]> = rows.chunks_exact(width).collect();
    for pair in lines.windows(2) {
        let (upper, lower) = (pair[0], pair[1]);
        for x in 0..width - 1 {
            let this = upper[x];
            if this == upper[x + 1] && this == lower[x] && this == lower[x + 1] {
                score += 3;
            }
        }
    }
    score
}

/// N3 in one line, before the subtraction: each dark-light-dark×3-light-dark sequence with
/// four light modules (or the edge) on at least one side scores 40. The last seven modules are
/// kept as the low bits of an integer, and the dark modules before each position counted, so
/// the sequence and its sides are a comparison and two subtractions.
fn finder_score(line: &[u8]) -> u32 {
    const PATTERN: u32 = 0b101_1101;
    let width = line.len();
    // dark_before[i]: dark modules in line[..i].
    let mut dark_before = Vec::with_capacity(width + 1);
    dark_before.push(0u32);
    for &dark in line {
        dark_before.push(dark_before[dark_before.len() - 1] + u32::from(dark));
    }
    let darks = |from: usize, to: usize| dark_before[to] - dark_before[from];
    let mut score = 0;
    let mut window = 0u32;
    for (end, &dark) in line.iter().enumerate() {
        window = ((window << 1) | u32::from(dark)) & 0x7f;
        if end < 6 || window != PATTERN {
            continue;
        }
        let start = end - 6;
        let dark_ahead = darks(start.saturating_sub(4), start) > 0;
        let dark_behind = darks(end + 1, (end + 5).min(width)) > 0;
        if !dark_ahead || !dark_behind {
            score += 40;
        }
    }
    score
}

/// N4: the distance of the dark share (`dark` of `total` modules) from one half, in percent
/// (not rounded to steps of 5, as `qrcode` does not).
fn balance(dark: usize, total: usize) -> u32 {
    let ratio = dark * 200 / total.max(1);
    ratio.abs_diff(100) as u32
}

/// The first, straightforward scorer (one accessor per module), kept as the reference the
/// line-wise one above is compared with, mask by mask.
#[cfg(test)]
mod reference {
    pub(super) struct Grid<'a> {
        pub width: usize,
        /// Row-major: the module at column `x` of row `y` is `modules[y * width + x]`.
        pub modules: &'a [bool],
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
    pub(super) fn penalty(grid: &Grid) -> u32 {
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

    /// Each mask's penalty is the reference scorer's, for every pattern of symbols of many
    /// versions (not only the chosen one: a wrong score could pick the same mask by luck).
    #[test]
    fn penalties_are_the_reference_ones() {
        // Up to version 17 by sevens, then symbols wider than the bit sets hold (version 27
        // and up), which the byte-wise scorer takes.
        let lengths = (0..600usize).step_by(7).chain([1_400, 1_900, 2_900]);
        let mut widest = 0;
        for n in lengths {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 + n * 7) as u8).collect();
            let bits = bits::encode_auto(&data, EcLevel::L).unwrap();
            let version = bits.version();
            let (data, ec_data) =
                ec::construct_codewords(&bits.into_bytes(), version, EcLevel::L).unwrap();
            let mut canvas = Canvas::new(version, EcLevel::L);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&data, &ec_data);
            let width = usize::try_from(version.width()).unwrap();
            for pattern in PATTERNS {
                let modules = masked(&canvas, pattern);
                let expected = reference::penalty(&reference::Grid {
                    width,
                    modules: &modules,
                });
                assert_eq!(penalty(&modules, width), expected, "{n} bytes, {pattern:?}");
                assert_eq!(
                    penalty_bytewise(&modules, width),
                    expected,
                    "{n} bytes, {pattern:?}, byte-wise"
                );
            }
            widest = widest.max(width);
        }
        assert!(widest > LineBits::MAX_WIDTH, "{widest}");
    }

    /// The format information bits (row 8, columns 0–5 and 7), which name the mask.
    fn format_bits(modules: &[bool], width: usize) -> Vec<bool> {
        [0, 1, 2, 3, 4, 5, 7]
            .iter()
            .map(|x| modules[8 * width + x])
            .collect()
    }
}
