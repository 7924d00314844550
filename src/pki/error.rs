//! What can go wrong with key material: loading or creating it ([`PkiError`], each message
//! naming the file or credential to fix) and using a credential at a given time
//! ([`CredentialProblem`]).

use std::path::PathBuf;

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Everything that can go wrong creating or loading key material. Each message names the file
/// or credential involved so an operator can fix it without reading the code.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "a PKI already exists at {}: refusing to overwrite it; use it as is or move it away first",
        path.display()
    )]
    AlreadyExists { path: PathBuf },
    #[error("invalid development department `{id}`: {reason}")]
    InvalidDepartment { id: String, reason: String },
    #[error("could not generate the development {what}: {reason}")]
    Generate { what: String, reason: String },
    #[error("{}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("certificate {}: {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("private key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
    #[error(
        "private key {} is RSA-{bits}; RSA keys must be at least 2048 bits: issue a new key and certificate",
        path.display()
    )]
    RsaKeyTooSmall { path: PathBuf, bits: usize },
    #[error(
        "credential `{id}`: private key {} does not match certificate {} (different public key); check the `cert` and `key` entries",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        id: String,
        cert: PathBuf,
        key: PathBuf,
    },
    #[error("credential `{id}`: {reason}")]
    InvalidCredential { id: String, reason: String },
    #[error("CRL {}: {reason}", path.display())]
    Crl { path: PathBuf, reason: String },
    #[error("credential `{id}`: signing failed in the crypto library")]
    Sign { id: String },
    #[error("credential `{id}`: its key is held by the official, not by the service")]
    KeyHeldByOfficial { id: String },
    /// A key on a PKCS#11 token could not be opened at load: the module, the token, the PIN or
    /// the key object. `token` names the token and, once found, its slot.
    #[error("credential `{id}`: PKCS#11 token {token}: {reason}")]
    Token {
        id: String,
        token: String,
        reason: String,
    },
    /// The token failed while signing. Nothing was signed; the next signature reconnects, so
    /// retrying once the token is back is safe.
    #[error(
        "credential `{id}`: the PKCS#11 token {token} is unavailable ({reason}); nothing was signed: retry once the token is back"
    )]
    TokenUnavailable {
        id: String,
        token: String,
        reason: String,
    },
}

impl PkiError {
    /// Whether a signature failed because its token is unavailable (retrying later may work),
    /// as opposed to a defect.
    pub fn is_token_unavailable(&self) -> bool {
        matches!(self, PkiError::TokenUnavailable { .. })
    }
}

/// Why a credential must not sign at a given time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialProblem {
    #[error("credential `{id}` is not valid before {}", rfc3339(*.not_before))]
    NotYetValid {
        id: String,
        not_before: OffsetDateTime,
    },
    #[error("credential `{id}` expired at {}; issue a new certificate", rfc3339(*.not_after))]
    Expired {
        id: String,
        not_after: OffsetDateTime,
    },
    #[error("credential `{id}` was revoked at {} (listed on its CA's CRL)", rfc3339(*.revoked_at))]
    Revoked {
        id: String,
        revoked_at: OffsetDateTime,
    },
}

/// `t` as RFC 3339 text, the form messages and reports show times in.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}
