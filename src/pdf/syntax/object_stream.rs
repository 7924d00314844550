//! Object streams (ISO 32000-1 §7.5.7): a decoded stream holding many objects, found through
//! the offset table at its start. The number of entries is bounded.

use super::budget::Budget;
use super::error::{malformed, SyntaxError};
use super::filter::decode_within;
use super::lexer::Lexer;
use super::object::{Dict, Object};

/// Bound on the entries of one object stream.
const MAX_ENTRIES: i64 = 1_000_000;

/// One decoded object stream: its data and where each object starts.
pub struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

impl ObjectStream {
    /// Decodes an object stream (its dictionary and raw data) and reads its offset table.
    pub fn parse(dict: &Dict, raw: &[u8], budget: &Budget) -> Result<ObjectStream, SyntaxError> {
        let data = decode_within(dict, raw, budget)?;
        let n = dict.int("N").unwrap_or(0).clamp(0, MAX_ENTRIES) as usize;
        let first = dict
            .int("First")
            .and_then(|f| usize::try_from(f).ok())
            .ok_or_else(|| malformed("object stream without /First"))?;
        let mut lx = Lexer::new(&data, 0);
        let mut offsets = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let obj = lx.unsigned()?;
            let rel = lx.unsigned()?;
            offsets.push((
                u32::try_from(obj).map_err(|_| malformed("object number out of range"))?,
                usize::try_from(rel).unwrap_or(usize::MAX),
            ));
        }
        Ok(ObjectStream {
            data,
            first,
            offsets,
        })
    }

    /// Object `num`, expected at position `index` (the xref's word), else found by number.
    pub fn object(&self, index: u32, num: u32, stream: u32) -> Result<Object, SyntaxError> {
        let at_index = usize::try_from(index)
            .ok()
            .and_then(|i| self.offsets.get(i));
        let offset = match at_index {
            Some((n, off)) if *n == num => *off,
            _ => self
                .offsets
                .iter()
                .find(|(n, _)| *n == num)
                .map(|(_, off)| *off)
                .ok_or_else(|| {
                    malformed(format!("object {num} is not in object stream {stream}"))
                })?,
        };
        let mut lx = Lexer::new(&self.data, self.first.saturating_add(offset));
        lx.object(0)
    }
}
