//! What the DER reader reports: each variant names the rule of X.690 the input broke, so a
//! caller can say precisely why a signature or request was refused.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("data ends in the middle of an element")]
    Truncated,
    #[error("indefinite length (BER) is not allowed in DER")]
    IndefiniteLength,
    #[error("length is not minimally encoded")]
    NonMinimalLength,
    #[error("length does not fit in 32 bits")]
    LengthTooLarge,
    #[error("multi-byte tag numbers are not supported")]
    HighTagNumber,
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("expected tag 0x{expected:02x}, found end of data")]
    Missing { expected: u8 },
    #[error("unexpected data after the end of an element")]
    TrailingData,
    #[error("invalid INTEGER encoding")]
    BadInteger,
    #[error("INTEGER out of range")]
    IntegerRange,
    #[error("invalid OBJECT IDENTIFIER encoding")]
    BadOid,
    #[error("BIT STRING has unused bits where whole bytes are required")]
    BadBitString,
    #[error("invalid NULL")]
    BadNull,
    #[error("invalid time value `{0}`")]
    BadTime(String),
}
