//! `credentials.toml`, the key store's manifest: which certificate, chain and PKCS#8 key each
//! credential uses (paths relative to the store directory), the TSA and the CRLs. Read by the
//! key store, written by the development hierarchy.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::PkiError;
use crate::flow::Role;

/// Name of the manifest inside a key store directory.
pub const MANIFEST_FILE: &str = "credentials.toml";
pub(super) const ROOT_FILE: &str = "root.pem";

/// The on-disk manifest. Unknown fields are rejected so a typo (`chian = …`) fails loudly
/// instead of silently dropping the chain.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Manifest {
    /// CRL files (DER or PEM), one per CA; each must be signed by the root or a chain CA.
    #[serde(default)]
    pub crls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa: Option<TsaEntry>,
    #[serde(default, rename = "credential")]
    pub credentials: Vec<CredentialEntry>,
}

impl Manifest {
    /// Reads `dir/credentials.toml`, naming the file in every error.
    pub(super) fn read(dir: &Path) -> Result<Manifest, PkiError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| PkiError::Io {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| PkiError::Manifest {
            path,
            reason: e.to_string(),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialEntry {
    pub id: String,
    pub role: Role,
    pub department: String,
    pub cert: String,
    /// The PKCS#8 key file. Absent (or empty): the official holds the key on their own token
    /// and signs each step record through `Dossiers.PrepareStep`/`CompleteStep`; the service
    /// knows only the certificate.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default)]
    pub chain: Vec<String>,
    /// Only meaningful for RSA keys: `rsa-pkcs1-sha256` (default) or `rsa-pss-sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// The Argon2id hash of the PIN the official gives before the service signs with this
    /// credential (`ketqua pki hash-pin`); none: no activation factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_argon2id: Option<String>,
    /// The official's TOTP secret sealed under the key passphrase (`ketqua pki totp-secret`);
    /// none: no TOTP factor. A credential has a PIN or a TOTP secret, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TsaEntry {
    pub cert: String,
    pub key: String,
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
}
