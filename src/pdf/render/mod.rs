//! Rendering, beside the signer and on the syntax layer's writer: result documents laid out
//! after Decree 30/2020 (`layout`), Vietnamese text in an embedded [`FontSubset`] (`font`),
//! the [`QrPayload`] code at the top left (`qr`), the appearances of visible signatures
//! (`stamp`), and the plain documents of the demo and the benchmark (`plain`). Nothing here
//! signs; the signer draws its stamps with `stamp` and `font`.

mod font;
mod layout;
mod plain;
mod qr;
mod qr_mask;
mod stamp;

pub use font::{FontError, FontSubset};
pub use layout::{render, RenderError, Rendered, ResultDocument};
pub use plain::{image_document, text_document};
pub use qr::{qr_content, qr_text, QrError, QrPayload};
pub use stamp::{seal_appearance, signer_appearance, signer_appearance_beside_seal, StampText};
