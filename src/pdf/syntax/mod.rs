//! The PDF syntax layer (ISO 32000-1 §7), at the bottom of `pdf`: the object model and its one
//! serializer, the lexer, cross-reference tables and streams, object streams, stream filters
//! and predictors, the lazy [`Document`] reader with its page and form-field navigation, the
//! one [`Writer`] (fresh documents and incremental updates), text strings and dates. It knows
//! nothing of what signatures mean, of PAdES or of layout; those build on it.
//!
//! The reader takes untrusted bytes and the writer values read from them, so the lints below
//! forbid, in every file of the layer, the operations that can panic or overflow: malformed
//! input is a [`SyntaxError`], never a crash.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod budget;
mod date;
mod document;
mod error;
mod fields;
mod filter;
mod lexer;
mod object;
mod object_stream;
mod pages;
mod resolve;
mod serialize;
mod text;
mod write;
mod xref;

#[cfg(test)]
mod tests;

pub use budget::ReadLimits;
pub use date::{date, format_date, parse_date};
pub use document::Document;
pub use error::SyntaxError;
pub use fields::Field;
pub use filter::{decode_stream, flate, flate_repeated};
pub use object::{Dict, ObjRef, Object};
pub use pages::Page;
pub use resolve::XrefEntry;
pub use serialize::{literal, num};
pub use text::{decode_text, text_string};
pub use write::Writer;
pub use xref::XrefKind;
