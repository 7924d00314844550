//! PDF documents, in three rooms that point one way:
//!
//! - `syntax`, at the bottom: the object model and its one serializer, the lexer, cross
//!   references, object streams, filters, the lazy [`Document`] reader with its page and
//!   field navigation, the one [`Writer`] (fresh documents and incremental updates), text
//!   strings and dates. Its errors are [`SyntaxError`]s; it reads untrusted bytes and is
//!   lint-guarded against panics.
//! - `pades`, above it: PAdES signing B-B…B-LTA by incremental update ([`sign`]), the result's
//!   certification and seal ([`sign_result`]), external signing ([`prepare`], [`complete`]),
//!   long-term renewal ([`add_document_timestamp`]), and reading signatures back for a
//!   verifier ([`signatures`]). Its errors are [`PdfError`]s, which wrap [`SyntaxError`].
//! - `render`, beside `pades` on the same writer: result documents ([`render`]), the
//!   embedded Unicode font ([`FontSubset`]), the QR code ([`QrPayload`]), stamp appearances
//!   (which `pades` draws its visible signatures with), and the plain documents of the demo
//!   and the benchmark ([`text_document`], [`image_document`]).
//!
//! The rooms are private; what other modules and programs use is re-exported here.

mod pades;
mod render;
mod syntax;

pub use pades::{
    add_document_timestamp, complete, docmdp_permission, prepare, sign, sign_result, signatures,
    DocMdp, PadesLevel, PdfError, PrepareRequest, Prepared, SignatureInfo, SignatureRequest,
    StampKind, StampTextInput, TopLeftMark, Validation, VisibleSignature,
};
pub use render::{
    image_document, qr_content, qr_text, render, seal_appearance, signer_appearance, srgb_profile,
    text_document, ArchivalMetadata, FontError, FontSubset, QrError, QrPayload, RenderError,
    Rendered, ResultDocument, StampText, ARCHIVAL_NAMESPACE, SRGB_CONDITION,
};
pub use syntax::{
    date, decode_stream, decode_text, flate, format_date, parse_date, text_string, Dict, Document,
    Field, ObjRef, Object, Page, ReadLimits, SyntaxError, Writer, XrefEntry, XrefKind,
};
