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
    /// Delegated OCSP responders, one per CA: `chain` names the CA it answers for (empty: the
    /// root), which must have issued `cert`.
    #[serde(
        default,
        rename = "ocsp_responder",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ocsp_responders: Vec<TsaEntry>,
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

/// Rewrites the `key` of one entry of `dir/credentials.toml` — the `[[credential]]` with id
/// `credential`, or `[tsa]` when `None` — leaving every other line as it was (comments, order,
/// other entries), and replaces the file atomically. The result is read back before it
/// replaces the old file, so a layout this line editor does not understand is refused instead
/// of written wrongly.
pub(super) fn set_key(dir: &Path, credential: Option<&str>, key: &str) -> Result<(), PkiError> {
    let path = dir.join(MANIFEST_FILE);
    let bad = |reason: String| PkiError::Manifest {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|source| PkiError::Io {
        path: path.clone(),
        source,
    })?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Each table starts at a header line; the preamble (top-level keys) is block 0.
    let mut starts = vec![0];
    starts.extend(
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with('['))
            .map(|(i, _)| i),
    );
    starts.push(lines.len());
    let target = match credential {
        Some(id) => format!("[[credential]] `{id}`"),
        None => "[tsa]".to_owned(),
    };
    let mut found = None;
    for range in starts.windows(2) {
        let (start, end) = (range[0], range[1]);
        if start >= end {
            continue;
        }
        let header = lines[start].trim();
        let body: String = lines[start + 1..end].concat();
        let matches = match credential {
            None => header == "[tsa]",
            Some(id) => {
                header == "[[credential]]"
                    && toml::from_str::<toml::Table>(&body)
                        .ok()
                        .and_then(|t| t.get("id").and_then(|v| v.as_str().map(|s| s == id)))
                        .unwrap_or(false)
            }
        };
        if !matches {
            continue;
        }
        let key_lines: Vec<usize> = (start..end)
            .filter(|&i| {
                toml::from_str::<toml::Table>(lines[i])
                    .is_ok_and(|t| t.len() == 1 && t.contains_key("key"))
            })
            .collect();
        match key_lines.as_slice() {
            [line] if found.is_none() => found = Some(*line),
            _ => {
                return Err(bad(format!(
                    "cannot find the one `key = …` line of {target}; set it by hand to {key}"
                )))
            }
        }
    }
    let Some(line) = found else {
        return Err(bad(format!("no {target} in the manifest")));
    };
    let mut table = toml::Table::new();
    table.insert("key".into(), toml::Value::String(key.to_owned()));
    let replacement = toml::to_string(&table).map_err(|e| bad(e.to_string()))?;
    let mut new_text = String::with_capacity(text.len() + key.len());
    for (i, l) in lines.iter().enumerate() {
        new_text.push_str(if i == line { &replacement } else { l });
    }
    let manifest: Manifest = toml::from_str(&new_text).map_err(|e| bad(e.to_string()))?;
    let written = match credential {
        Some(id) => manifest
            .credentials
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.key.as_str()),
        None => manifest.tsa.as_ref().map(|t| t.key.as_str()),
    };
    if written != Some(key) {
        return Err(bad(format!(
            "rewriting the `key` of {target} did not read back; set it by hand to {key}"
        )));
    }
    let temporary = path.with_extension("toml.rewriting");
    std::fs::write(&temporary, new_text.as_bytes())
        .and_then(|()| std::fs::metadata(&path))
        .and_then(|m| std::fs::set_permissions(&temporary, m.permissions()))
        .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|source| PkiError::Io {
            path: path.clone(),
            source,
        })
}

/// The comment `pki init` writes above the manifest it generates.
pub(super) const MANIFEST_HEADER: &str = "\
# ketqua signing credentials. Paths are relative to this directory.
# Generated by `ketqua pki init` (development only: NOT for production).
#
# To add a real credential, append an entry:
#   [[credential]]
#   id = \"stp-approver-2\"            # unique
#   role = \"approver\"                # receiver | appraiser | approver | seal
#   department = \"stp\"
#   cert = \"real/cert.pem\"           # PEM or DER X.509 certificate
#   key = \"real/key.pk8\"             # PKCS#8 (DER or PEM), ECDSA P-256 or RSA >= 2048; chmod 600
#   chain = [\"real/issuing-ca.pem\"]  # issuing CA(s) nearest first, without the root
#   signature_algorithm = \"rsa-pss-sha256\"  # RSA only; default rsa-pkcs1-sha256
# Trust anchor: replace root.pem. CRLs: list their files in `crls`.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_line_changes_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# operator's note\ncrls = []\n\n[tsa]\ncert = \"tsa.pem\"\nkey = \"tsa.key\"\n\n[[credential]]\nid = \"a\"\nrole = \"receiver\"\ndepartment = \"stp\"\ncert = \"a.pem\"\nkey = \"a.key\" # old\n\n[[credential]]\nid = \"b\"\nrole = \"seal\"\ndepartment = \"stp\"\ncert = \"b.pem\"\nkey = \"b.key\"\n";
        std::fs::write(dir.path().join(MANIFEST_FILE), text).unwrap();
        set_key(dir.path(), Some("b"), "pkcs11:token=t;object=b").unwrap();
        set_key(dir.path(), None, "pkcs11:token=t;object=tsa").unwrap();
        let after = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        let expected = text
            .replace("key = \"b.key\"", "key = \"pkcs11:token=t;object=b\"")
            .replace("key = \"tsa.key\"", "key = \"pkcs11:token=t;object=tsa\"");
        assert_eq!(after, expected);
        let error = set_key(dir.path(), Some("c"), "pkcs11:x").unwrap_err();
        assert!(
            error.to_string().contains("no [[credential]] `c`"),
            "{error}"
        );
    }
}
