//! Keys on PKCS#11 tokens: a credential whose `key` in `credentials.toml` is an RFC 7512
//! `pkcs11:` URI (`uri`) signs through the token (`key`), and an existing PKCS#8 key file can
//! be moved onto a token (`moving`). See docs/security.md, "Keys on tokens". The key store
//! names `key` and `uri` directly; this facade re-exports what the rest of the crate may use.

pub(super) mod key;
mod moving;
pub(super) mod uri;

pub use key::DEFAULT_MODULE;
pub use moving::{move_key_to_token, MoveTarget, MovedKey, TokenMove};
pub use uri::TokenUri;
