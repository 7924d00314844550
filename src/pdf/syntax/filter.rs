//! Stream filters both ways: decoding the structural streams a reader must understand (xref
//! and object streams: FlateDecode with PNG predictors, ISO 32000-1 §7.4.4), and compressing
//! the streams we write. Decoded sizes are bounded, so a zip bomb is an error.

use std::{
    cell::RefCell,
    collections::HashMap,
    io::Read,
    sync::{Arc, Mutex, OnceLock},
};

use flate2::{read::ZlibDecoder, Compress, Compression, FlushCompress, Status};

use super::budget::{Budget, ReadLimits};
use super::error::{malformed, SyntaxError};
use super::object::{Dict, Object};

/// Below this, compressing a stream saves less than the filter's own bytes cost.
const COMPRESS_FROM: usize = 256;

/// The level every stream we write is compressed at, by zlib-rs (zlib-ng's algorithms). On a
/// dossier's three PDFs, level 3 takes half the time miniz_oxide took at its level 2, which was
/// chosen for speed, and writes 0.8 % fewer bytes; zlib's default of 6 would save another 1.1 %
/// for 15 % more time (docs/benchmarks.md, 2026-12-08). Compressing is one of the largest costs
/// of rendering a document (perf and callgrind under `ketqua bench flow`).
const LEVEL: u32 = 3;

/// A stream object holding `data`, Flate-compressed when that pays.
pub fn flate(mut dict: Dict, data: &[u8]) -> Object {
    if data.len() < COMPRESS_FROM {
        return Object::Stream(dict, data.to_vec());
    }
    match zlib(data) {
        Some(compressed) => {
            dict.set("Filter", Object::name("FlateDecode"));
            Object::Stream(dict, compressed)
        }
        None => Object::Stream(dict, data.to_vec()),
    }
}

/// [`flate`] for data that recurs from one document to the next (the certificates and CRLs of
/// a DSS): the compressed bytes are kept, by the data's SHA-256, a bounded number of them.
pub fn flate_repeated(mut dict: Dict, data: &[u8]) -> Object {
    type Cache = Mutex<HashMap<[u8; 32], Arc<Vec<u8>>>>;
    const CAPACITY: usize = 256;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    if data.len() < COMPRESS_FROM {
        return Object::Stream(dict, data.to_vec());
    }
    let cache = CACHE.get_or_init(Cache::default);
    let key = crate::crypto::sha256(data);
    let hit = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let compressed = match hit {
        Some(compressed) => compressed,
        None => {
            let Some(compressed) = zlib(data) else {
                return Object::Stream(dict, data.to_vec());
            };
            let compressed = Arc::new(compressed);
            let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= CAPACITY {
                cache.clear();
            }
            cache.insert(key, Arc::clone(&compressed));
            compressed
        }
    };
    dict.set("Filter", Object::name("FlateDecode"));
    Object::Stream(dict, compressed.as_ref().clone())
}

thread_local! {
    /// One compressor per thread, reset between streams. A new one allocates its window and
    /// hash tables (hundreds of kilobytes), which cost as much as compressing the few kilobytes
    /// of a typical stream, and a result writes a dozen (profiled with callgrind under
    /// `bench flow`).
    static COMPRESSOR: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// `data` as a zlib stream (RFC 1950) at [`LEVEL`], or none if zlib failed.
fn zlib(data: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = slot.get_or_insert_with(|| Compress::new(Compression::new(LEVEL), true));
        compressor.reset();
        let mut output = Vec::with_capacity((data.len() / 2).max(64));
        loop {
            let consumed = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
            let input = data.get(consumed..).unwrap_or_default();
            match compressor.compress_vec(input, &mut output, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(output),
                // The output is full: room for as much again.
                Ok(Status::Ok | Status::BufError) => output.reserve(output.capacity().max(64)),
                Err(_) => break,
            }
        }
        // zlib fails only when misused; the caller then writes the data as it is.
        *slot = None;
        None
    })
}

/// Why a zlib stream could not be inflated within its allowance.
enum Inflate {
    TooLarge,
    Broken(String),
}

/// Inflates the zlib stream `data` to at most `allowance` bytes. Memory is bounded by the
/// allowance, not by what the stream claims: reading stops one byte past it, which tells a
/// stream that fits exactly from one that has more. A truncated stream is an error
/// (`UnexpectedEof` from the decoder), as is a wrong checksum.
fn inflate(data: &[u8], allowance: usize) -> Result<Vec<u8>, Inflate> {
    let limit = u64::try_from(allowance.saturating_add(1)).unwrap_or(u64::MAX);
    let mut output = Vec::new();
    ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut output)
        .map_err(|e| Inflate::Broken(e.to_string()))?;
    if output.len() > allowance {
        return Err(Inflate::TooLarge);
    }
    Ok(output)
}

/// Decodes a stream's data: no filter or FlateDecode, with PNG or no predictors, within the
/// default [`ReadLimits`] (a document's own streams are read with `Document::decode`, which
/// counts them against that document's budget).
pub fn decode_stream(dict: &Dict, raw: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    decode_within(dict, raw, &Budget::new(ReadLimits::default()))
}

/// Decodes a stream's data, drawing the inflated bytes from `budget`.
pub(crate) fn decode_within(
    dict: &Dict,
    raw: &[u8],
    budget: &Budget,
) -> Result<Vec<u8>, SyntaxError> {
    budget.check_time()?;
    let filters: Vec<Vec<u8>> = match dict.get("Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|f| f.as_name().map(<[u8]>::to_vec))
            .collect(),
        Some(_) => return Err(malformed("a stream /Filter is neither a name nor an array")),
    };
    let mut data = raw.to_vec();
    for (i, f) in filters.iter().enumerate() {
        if f.as_slice() != b"FlateDecode" && f.as_slice() != b"Fl" {
            return Err(malformed(format!(
                "unsupported stream filter /{} in a structural stream",
                String::from_utf8_lossy(f)
            )));
        }
        let allowance = budget.stream_allowance();
        data = match inflate(&data, allowance) {
            Ok(data) => data,
            Err(Inflate::TooLarge) => return Err(budget.too_much_decoded()),
            Err(Inflate::Broken(reason)) => {
                return Err(malformed(format!(
                    "a compressed stream cannot be inflated: {reason}"
                )))
            }
        };
        budget.spend(data.len());
        let parms = match dict.get("DecodeParms") {
            Some(Object::Array(a)) => a.get(i).and_then(Object::as_dict).cloned(),
            Some(Object::Dict(d)) => Some(d.clone()),
            _ => None,
        };
        if let Some(p) = parms {
            data = unpredict(&p, data)?;
        }
    }
    Ok(data)
}

fn unpredict(parms: &Dict, data: Vec<u8>) -> Result<Vec<u8>, SyntaxError> {
    let predictor = parms.int("Predictor").unwrap_or(1);
    if predictor < 10 {
        return if predictor == 1 {
            Ok(data)
        } else {
            Err(malformed(
                "TIFF predictor in a structural stream is not supported",
            ))
        };
    }
    // Clamped first, so the products below stay small.
    let colors = parms.int("Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bpc = parms.int("BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = parms.int("Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bits = colors.saturating_mul(bpc);
    let bpp = bits.div_ceil(8).max(1);
    let row = bits.saturating_mul(columns).div_ceil(8);
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row.saturating_add(1)) {
        let Some((&ty, src)) = chunk.split_first() else {
            break;
        };
        let mut cur = vec![0u8; row];
        for (i, &x) in src.iter().take(row).enumerate() {
            let left = i.checked_sub(bpp);
            let a = left.and_then(|j| cur.get(j)).copied().unwrap_or(0);
            let b = prev.get(i).copied().unwrap_or(0);
            let c = left.and_then(|j| prev.get(j)).copied().unwrap_or(0);
            let value = match ty {
                0 => x,
                1 => x.wrapping_add(a),
                2 => x.wrapping_add(b),
                3 => x.wrapping_add(average(a, b)),
                4 => x.wrapping_add(paeth(a, b, c)),
                _ => return Err(malformed("unknown PNG predictor row type")),
            };
            if let Some(slot) = cur.get_mut(i) {
                *slot = value;
            }
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

/// `⌊(a + b) / 2⌋` without overflow.
fn average(a: u8, b: u8) -> u8 {
    (a & b).wrapping_add((a ^ b) >> 1)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    // In i16 the sums of three bytes cannot overflow; wrapping only silences the lint.
    let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
    let p = a16.wrapping_add(b16).wrapping_sub(c16);
    let (pa, pb, pc) = (
        p.wrapping_sub(a16).unsigned_abs(),
        p.wrapping_sub(b16).unsigned_abs(),
        p.wrapping_sub(c16).unsigned_abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn the_reused_compressor_writes_what_a_fresh_one_writes() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("{} {} re\n", i % 97, i % 13).into_bytes())
            .collect();
        let noise: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [
            &text[..300],
            &noise[..],
            &text[..],
            &noise[..5000],
            &text[..],
        ] {
            let mut fresh = flate2::write::ZlibEncoder::new(Vec::new(), Compression::new(LEVEL));
            std::io::Write::write_all(&mut fresh, data).unwrap();
            assert_eq!(
                zlib(data).unwrap(),
                fresh.finish().unwrap(),
                "{} bytes",
                data.len()
            );
            let stream = flate(Dict::new(), data);
            let decoded = match &stream {
                Object::Stream(dict, raw) => decode_stream(dict, raw).unwrap(),
                other => unreachable!("{other:?}"),
            };
            assert_eq!(decoded, data);
        }
    }

    #[test]
    fn inflating_stops_at_the_allowance_and_at_broken_streams() {
        let zeros = vec![0u8; 3 << 20];
        let bomb = zlib(&zeros).unwrap();
        assert!(bomb.len() < 8 << 10, "{} bytes", bomb.len());
        assert!(matches!(inflate(&bomb, 1 << 20), Err(Inflate::TooLarge)));
        assert!(matches!(
            inflate(&bomb, zeros.len() - 1),
            Err(Inflate::TooLarge)
        ));
        // A stream that inflates to exactly its allowance fits.
        assert!(matches!(inflate(&bomb, zeros.len()), Ok(out) if out == zeros));
        assert!(matches!(inflate(&bomb, usize::MAX), Ok(out) if out.len() == zeros.len()));
        for small in [0, 1, 63, 64, 65] {
            assert!(
                matches!(inflate(&bomb, small), Err(Inflate::TooLarge)),
                "{small}"
            );
        }
        let empty = zlib(&[]).unwrap();
        assert!(matches!(inflate(&empty, 0), Ok(out) if out.is_empty()));

        let text: Vec<u8> = (0..9000u32)
            .flat_map(|i| i.to_string().into_bytes())
            .collect();
        let whole = zlib(&text).unwrap();
        assert!(matches!(inflate(&whole, 1 << 20), Ok(out) if out == text));
        for cut in [0, 1, 2, whole.len() / 2, whole.len() - 4, whole.len() - 1] {
            assert!(
                matches!(inflate(&whole[..cut], 1 << 20), Err(Inflate::Broken(_))),
                "cut at {cut}"
            );
        }
        let mut flipped = whole.clone();
        flipped[whole.len() - 1] ^= 1; // the Adler-32 checksum
        assert!(matches!(
            inflate(&flipped, 1 << 20),
            Err(Inflate::Broken(_))
        ));
        assert!(matches!(
            inflate(b"not zlib at all", 1 << 20),
            Err(Inflate::Broken(_))
        ));
    }

    #[test]
    fn damaged_streams_inflate_within_the_allowance_or_fail() {
        let text: Vec<u8> = (0..4000u32)
            .flat_map(|i| format!("{} {} Td ", i % 89, i % 7).into_bytes())
            .collect();
        let whole = zlib(&text).unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut damaged = whole.clone();
            for _ in 0..=next() % 4 {
                let at = (next() % damaged.len() as u64) as usize;
                damaged[at] ^= 1 << (next() % 8);
            }
            damaged.truncate(damaged.len() - (next() % 3) as usize);
            let allowance = (next() % (2 * text.len() as u64)) as usize;
            if let Ok(out) = inflate(&damaged, allowance) {
                assert!(out.len() <= allowance);
            }
        }
    }

    #[test]
    fn png_up_predictor_round_trips() {
        // Two rows of three bytes, "Up" filter (2): the second row adds the first.
        let raw = [2u8, 1, 2, 3, 2, 1, 1, 1];
        let z = zlib(&raw).unwrap();
        let parms = Dict::new()
            .with("Predictor", Object::Int(12))
            .with("Columns", Object::Int(3));
        let dict = Dict::new()
            .with("Filter", Object::name("FlateDecode"))
            .with("DecodeParms", Object::Dict(parms));
        assert_eq!(decode_stream(&dict, &z).unwrap(), vec![1, 2, 3, 2, 3, 4]);
    }

    #[test]
    fn predictors_match_the_png_definitions() {
        for a in [0u8, 1, 127, 128, 255] {
            for b in [0u8, 2, 128, 255] {
                assert_eq!(u16::from(average(a, b)), (u16::from(a) + u16::from(b)) / 2);
            }
        }
        assert_eq!(paeth(10, 20, 15), 15);
        assert_eq!(paeth(255, 0, 0), 255);
    }

    #[test]
    fn compresses_only_when_it_pays() {
        assert!(
            matches!(flate(Dict::new(), b"q Q"), Object::Stream(d, _) if d.get("Filter").is_none())
        );
        let big = vec![b'x'; 4096];
        let Object::Stream(d, z) = flate(Dict::new(), &big) else {
            unreachable!()
        };
        assert!(z.len() < big.len());
        assert_eq!(decode_stream(&d, &z).unwrap(), big);
    }

    #[test]
    fn repeated_data_is_compressed_once_and_the_same() {
        let data: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        let (first, again) = (
            flate_repeated(Dict::new(), &data),
            flate_repeated(Dict::new().with("N", Object::Int(3)), &data),
        );
        let (Object::Stream(d1, z1), Object::Stream(d2, z2)) = (&first, &again) else {
            unreachable!()
        };
        assert_eq!(z1, z2);
        assert_eq!(Some(z1), zlib(&data).as_ref());
        assert_eq!(d2.get("N"), Some(&Object::Int(3)));
        assert_eq!(decode_stream(d1, z1).unwrap(), data);
        assert!(matches!(
            flate_repeated(Dict::new(), b"short"),
            Object::Stream(d, _) if d.get("Filter").is_none()
        ));
    }
}
