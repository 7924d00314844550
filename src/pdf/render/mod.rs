//! Rendering, beside the signer and on the syntax layer's writer: result documents laid out
//! after Decree 30/2020 (`layout`), Vietnamese text in an embedded [`FontSubset`] (`font`),
//! the [`QrPayload`] code at the top left (`qr`), the appearances of visible signatures
//! (`stamp`), the plain documents of the demo and the benchmark (`plain`), and what makes a
//! rendered document PDF/A-2b: its XMP metadata (`xmp`) and sRGB output profile (`icc`). Nothing here
//! signs; the signer draws its stamps with `stamp` and `font`.

mod font;
mod icc;
mod layout;
mod plain;
mod qr;
mod qr_mask;
mod stamp;
mod xmp;

pub use font::{FontError, FontSubset};
pub use icc::{srgb_profile, SRGB_CONDITION};
pub use layout::{render, RenderError, Rendered, ResultDocument};
pub use plain::{image_document, text_document};
pub use qr::{qr_content, qr_text, QrError, QrPayload};
pub use stamp::{seal_appearance, signer_appearance, signer_appearance_beside_seal, StampText};
pub use xmp::{ArchivalMetadata, ARCHIVAL_NAMESPACE};
