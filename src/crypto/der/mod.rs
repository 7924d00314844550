//! A minimal DER codec: the strict reader that CMS signatures, RFC 3161 messages and algorithm
//! identifiers are parsed with, and the writer that builds our own structures in one buffer.
//!
//! The reader is strict DER (definite, minimal lengths; low tag numbers only) and never indexes
//! past its input, because it parses signatures from anyone on the internet; its files deny the
//! lints that would let a panic or an overflow in. The writer only encodes values this crate
//! chose, so it keeps plain arithmetic on its own buffer.

mod datetime;
mod error;
mod oid_text;
mod reader;
mod tag;
mod writer;

pub use datetime::parse_time;
pub use error::DerError;
pub use oid_text::{oid_from_string, oid_text, oid_to_arcs, oid_to_string};
pub use reader::{magnitude, parse_single, Reader, Tlv};
pub use tag::{
    context_constructed, context_primitive, BIT_STRING, BOOLEAN, GENERALIZED_TIME, INTEGER, NULL,
    OCTET_STRING, OID, SEQUENCE, SET, UTC_TIME, UTF8_STRING,
};
pub use writer::Writer;

#[cfg(test)]
mod tests;
