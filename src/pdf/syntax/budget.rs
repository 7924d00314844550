//! How much work reading one document may take. Everything a reader does grows with what the
//! file claims (stream sizes after inflation, object counts, the objects a question visits), and
//! a file from a stranger may claim anything: a 1 MB Flate bomb inflates to gigabytes. So every
//! read of a document draws on one budget — decoded bytes per stream and in all, entries of the
//! cross-reference chain, and an optional deadline — and a breach is a [`SyntaxError::Limit`]
//! naming what ran out, which verification reports as INDETERMINATE and signing refuses.

use std::{cell::Cell, time::Instant};

use super::error::SyntaxError;

/// The limits of one read. The defaults fit any genuine result or dossier document many times
/// over; `serve` takes them from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Bytes one stream may inflate to.
    pub max_stream_bytes: usize,
    /// Bytes all the streams read from one document may inflate to, together.
    pub max_decoded_bytes: usize,
    /// Entries of the cross-reference chain (objects, across every revision).
    pub max_objects: usize,
    /// When the work must stop, whatever is left of the rest.
    pub deadline: Option<Instant>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_stream_bytes: 64 * 1024 * 1024,
            max_decoded_bytes: 256 * 1024 * 1024,
            max_objects: 4_000_000,
            deadline: None,
        }
    }
}

/// What is left of a document's [`ReadLimits`] as it is read.
#[derive(Debug)]
pub(crate) struct Budget {
    limits: ReadLimits,
    decoded: Cell<usize>,
}

impl Budget {
    pub(crate) fn new(limits: ReadLimits) -> Budget {
        Budget {
            limits,
            decoded: Cell::new(0),
        }
    }

    pub(crate) fn limits(&self) -> &ReadLimits {
        &self.limits
    }

    /// How many bytes the next stream may inflate to.
    pub(crate) fn stream_allowance(&self) -> usize {
        let left = self
            .limits
            .max_decoded_bytes
            .saturating_sub(self.decoded.get());
        left.min(self.limits.max_stream_bytes)
    }

    /// Counts `bytes` decoded; the caller has kept within [`Budget::stream_allowance`].
    pub(crate) fn spend(&self, bytes: usize) {
        self.decoded.set(self.decoded.get().saturating_add(bytes));
    }

    /// The error for a stream that would inflate past its allowance.
    pub(crate) fn too_much_decoded(&self) -> SyntaxError {
        let whole = self.stream_allowance() < self.limits.max_stream_bytes;
        SyntaxError::Limit(if whole {
            format!(
                "its compressed streams inflate to more than {} bytes in all (a decompression bomb?)",
                self.limits.max_decoded_bytes
            )
        } else {
            format!(
                "a compressed stream inflates to more than {} bytes (a decompression bomb?)",
                self.limits.max_stream_bytes
            )
        })
    }

    /// Fails once the deadline has passed.
    pub(crate) fn check_time(&self) -> Result<(), SyntaxError> {
        match self.limits.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(SyntaxError::Limit(
                "reading it takes longer than the time allowed".to_owned(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_shrink_and_the_deadline_bites() {
        let budget = Budget::new(ReadLimits {
            max_stream_bytes: 10,
            max_decoded_bytes: 25,
            max_objects: 1,
            deadline: None,
        });
        assert_eq!(budget.stream_allowance(), 10);
        budget.spend(10);
        budget.spend(10);
        assert_eq!(budget.stream_allowance(), 5);
        assert!(budget.too_much_decoded().to_string().contains("in all"));
        budget.spend(100);
        assert_eq!(budget.stream_allowance(), 0);
        assert!(budget.check_time().is_ok());
        let late = Budget::new(ReadLimits {
            deadline: Some(Instant::now()),
            ..ReadLimits::default()
        });
        assert!(matches!(late.check_time(), Err(SyntaxError::Limit(_))));
    }
}
