//! Why the timestamp authority refuses a request: RFC 3161's `PKIFailureInfo` bit and a reason
//! for the statusString, and the bit's DER, which standard clients such as `openssl ts` decode.

use crate::crypto::der;

/// `PKIFailureInfo` bits (RFC 3161 §2.4.2) that this TSA reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureInfo {
    /// Unrecognized or unsupported algorithm identifier.
    BadAlg = 0,
    /// Transaction not permitted or supported.
    BadRequest = 2,
    /// The data submitted has the wrong format.
    BadDataFormat = 5,
    /// The requested TSA policy is not supported by the TSA.
    UnacceptedPolicy = 15,
    /// The requested extension is not supported by the TSA.
    UnacceptedExtension = 16,
    /// The request cannot be handled due to system failure.
    SystemFailure = 25,
}

impl FailureInfo {
    /// DER of the BIT STRING with just this named bit set (trailing zero bits removed, as
    /// X.690 §11.2.2 requires for named bit lists).
    pub(super) fn bit_string(self) -> [u8; 2 + 1 + 4] {
        let bit = self as usize;
        let byte = bit / 8;
        let mut out = [0u8; 7];
        out[0] = der::BIT_STRING;
        out[1] = (byte + 2) as u8;
        out[2] = (7 - bit % 8) as u8;
        out[3 + byte] = 0x80 >> (bit % 8);
        out
    }

    pub(super) fn encoded_len(self) -> usize {
        self as usize / 8 + 4
    }
}

/// Why a request was refused: the failure bit and a human-readable reason for statusString.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) info: FailureInfo,
    pub(super) reason: String,
}

pub(super) fn refuse(info: FailureInfo, reason: impl Into<String>) -> Refusal {
    Refusal {
        info,
        reason: reason.into(),
    }
}
