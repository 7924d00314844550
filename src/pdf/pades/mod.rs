//! PAdES signing (ETSI EN 319 142-1) by incremental update, above the syntax layer: B-B, B-T,
//! B-LT, B-LTA; the two-signature result (certification by the competent signer, then the
//! organisation's seal); external signing in two steps; long-term renewal; and reading the
//! signatures a document carries. See docs/pades.md for the layout and the reasons.
//!
//! Every function takes the input as `&[u8]` and returns only the bytes to APPEND, so the
//! caller streams `input ‖ appendix` and a large input is never copied. The input is hashed
//! exactly once per call (`session`).
//!
//! The rooms, from the request down: `request` (levels, requests), `signature` (one signature
//! and [`sign`]), `result` (certification + seal), `external` (prepare/complete), `dss`
//! (B-LT), `timestamp` (B-LTA, renewal); under them `session` (the document being extended),
//! `revision` (the signature revision), `placeholder` (its /ByteRange and /Contents),
//! `appearance`, `placement` and `mark` (what is drawn, and where); `inspect` reads the
//! signatures back for a verifier. `placeholder` and `inspect` handle untrusted offsets and
//! dictionaries and are lint-guarded like the syntax layer.

mod appearance;
mod dss;
mod error;
mod external;
mod inspect;
mod mark;
mod placeholder;
mod placement;
mod request;
mod result;
mod revision;
mod session;
mod signature;
mod timestamp;

pub use error::PdfError;
pub use external::{complete, prepare, PrepareRequest, Prepared};
pub use inspect::{docmdp_permission, signatures, SignatureInfo};
pub use mark::TopLeftMark;
pub use request::{
    DocMdp, PadesLevel, SignatureRequest, StampKind, StampTextInput, Validation, VisibleSignature,
};
pub use result::sign_result;
pub use signature::sign;
pub use timestamp::add_document_timestamp;
