//! The universal tags this crate reads and writes, and the context-specific tag helpers: named
//! once so that no parser spells a tag as a bare number.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Tag of `[n] IMPLICIT` or `[n] EXPLICIT` over a constructed type.
pub const fn context_constructed(n: u8) -> u8 {
    0xa0 | n
}

/// Tag of `[n] IMPLICIT` over a primitive type.
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}
