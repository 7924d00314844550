//! Keys at rest: PKCS#8 files may be encrypted (`ENCRYPTED PRIVATE KEY`, PBES2 with scrypt and
//! AES-256-CBC, as `openssl pkcs8 -topk8 -v2 aes-256-cbc -scrypt` writes them) under a
//! passphrase the configuration names; the production profile refuses unencrypted key files
//! unless told otherwise. Decrypted keys live only in memory.

use std::path::{Path, PathBuf};

use pkcs8::{
    der::Decode,
    pkcs5::{pbes2, scrypt},
    EncryptedPrivateKeyInfo, LineEnding, PrivateKeyInfo,
};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::error::PkiError;
use super::manifest::Manifest;
use super::token::uri::TokenUri;

/// How key files may be read.
#[derive(Clone, Default)]
pub struct KeyAccess {
    /// The passphrase of encrypted key files.
    pub passphrase: Option<Zeroizing<Vec<u8>>>,
    /// Refuse key files that are not encrypted (the production profile's default).
    pub refuse_unencrypted: bool,
    /// The PKCS#11 module for `pkcs11:` keys whose URI has no `module-path` (default:
    /// SoftHSM2's, `pki::DEFAULT_PKCS11_MODULE`).
    pub pkcs11_module: Option<PathBuf>,
}

impl std::fmt::Debug for KeyAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAccess")
            .field("passphrase", &self.passphrase.as_ref().map(|_| "***"))
            .field("refuse_unencrypted", &self.refuse_unencrypted)
            .field("pkcs11_module", &self.pkcs11_module)
            .finish()
    }
}

/// Whether DER is an EncryptedPrivateKeyInfo rather than a PrivateKeyInfo: the first element
/// of the outer SEQUENCE is an AlgorithmIdentifier (a SEQUENCE), not the version INTEGER.
pub(super) fn is_encrypted(der: &[u8]) -> bool {
    EncryptedPrivateKeyInfo::from_der(der).is_ok()
}

/// The plain PKCS#8 DER of a key file's content (`der` from DER or PEM), decrypting it when
/// it is encrypted.
pub(super) fn open_key(
    path: &Path,
    der: Vec<u8>,
    access: &KeyAccess,
) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let bad = |reason: String| PkiError::Key {
        path: path.to_path_buf(),
        reason,
    };
    if !is_encrypted(&der) {
        if access.refuse_unencrypted {
            return Err(bad(
                "the key file is not encrypted, which the production profile refuses: encrypt it with `ketqua pki encrypt-keys` (or allow it explicitly with --allow-unencrypted-keys)".into(),
            ));
        }
        return Ok(Zeroizing::new(der));
    }
    let Some(passphrase) = &access.passphrase else {
        return Err(bad(
            "the key file is encrypted and no passphrase is configured: pass --key-passphrase-file or --key-passphrase-env".into(),
        ));
    };
    let info = EncryptedPrivateKeyInfo::from_der(&der)
        .map_err(|e| bad(format!("not an encrypted PKCS#8 key: {e}")))?;
    let plain = info
        .decrypt(passphrase.as_slice())
        .map_err(|_| bad("the passphrase does not decrypt this key".into()))?;
    Ok(Zeroizing::new(plain.as_bytes().to_vec()))
}

/// A key file (PKCS#8, DER or PEM, plain or encrypted) opened with `access`.
pub fn read_key(path: &Path, access: &KeyAccess) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    open_key(path, super::files::read_key_der(path)?, access)
}

/// An encrypted PEM (`ENCRYPTED PRIVATE KEY`) of a plain PKCS#8 key: scrypt (log₂N 14, r 8,
/// p 1) and AES-256-CBC, salt and IV from the system's random source.
pub fn encrypt_key(plain_der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<String>, PkiError> {
    let fail = |reason: String| PkiError::Generate {
        what: "an encrypted key".into(),
        reason,
    };
    let info = PrivateKeyInfo::from_der(plain_der).map_err(|e| fail(e.to_string()))?;
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt)
        .and_then(|()| rng.fill(&mut iv))
        .map_err(|_| fail("the system random number generator failed".into()))?;
    // OpenSSL's own `-scrypt` parameters (N = 2^14, r = 8, p = 1: 16 MiB): the larger default
    // of the scrypt crate exceeds OpenSSL's memory limit, and the files must open with it.
    let kdf = scrypt::Params::new(14, 8, 1, 32).map_err(|e| fail(e.to_string()))?;
    let params =
        pbes2::Parameters::scrypt_aes256cbc(kdf, &salt, &iv).map_err(|e| fail(e.to_string()))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase)
        .map_err(|e| fail(e.to_string()))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| fail(e.to_string()))
}

/// Encrypts, in place, every key file of a PKI directory that is not encrypted yet: the
/// credentials' and the timestamp authority's (from `credentials.toml`), and `log.key`. Each
/// file is replaced atomically (a new file, mode 0600, renamed over the old). Returns the
/// files it encrypted. Keys on tokens (`pkcs11:` URIs) have no file and are left alone.
pub fn encrypt_key_files(dir: &Path, passphrase: &[u8]) -> Result<Vec<PathBuf>, PkiError> {
    let manifest = Manifest::read(dir)?;
    let mut paths: Vec<PathBuf> = manifest
        .credentials
        .iter()
        .map(|c| c.key.as_str())
        .chain(manifest.tsa.iter().map(|t| t.key.as_str()))
        // An official who holds their own key has no file here, nor has a key on a token.
        .filter(|key| !key.is_empty() && !TokenUri::is_uri(key))
        .map(|key| dir.join(key))
        .collect();
    let log_key = dir.join("log.key");
    if log_key.is_file() {
        paths.push(log_key);
    }
    paths.sort();
    paths.dedup();
    let mut done = Vec::new();
    for path in paths {
        let der = super::files::read_key_der(&path)?;
        if is_encrypted(&der) {
            continue;
        }
        let pem = encrypt_key(&der, passphrase)?;
        let temporary = path.with_extension("encrypting");
        super::files::write_file(&temporary, pem.as_bytes(), true)?;
        std::fs::rename(&temporary, &path).map_err(|source| PkiError::Io {
            path: path.clone(),
            source,
        })?;
        done.push(path);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_and_the_wrong_passphrase_is_named() {
        let key = rcgen::KeyPair::generate().unwrap().serialize_der();
        let pem = encrypt_key(&key, b"correct horse").unwrap();
        let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
        assert_eq!(parsed.label, "ENCRYPTED PRIVATE KEY");
        assert!(is_encrypted(&parsed.contents));
        assert!(!is_encrypted(&key));
        let access = |pass: Option<&[u8]>, refuse| KeyAccess {
            passphrase: pass.map(|p| Zeroizing::new(p.to_vec())),
            refuse_unencrypted: refuse,
            pkcs11_module: None,
        };
        let path = Path::new("k.pk8");
        let plain = open_key(
            path,
            parsed.contents.clone(),
            &access(Some(b"correct horse"), true),
        )
        .unwrap();
        assert_eq!(plain.as_slice(), key.as_slice());
        let wrong = open_key(
            path,
            parsed.contents.clone(),
            &access(Some(b"battery"), false),
        );
        assert!(wrong.unwrap_err().to_string().contains("does not decrypt"));
        let none = open_key(path, parsed.contents, &access(None, false));
        assert!(none.unwrap_err().to_string().contains("no passphrase"));
        let refused = open_key(path, key.clone(), &access(None, true));
        assert!(refused.unwrap_err().to_string().contains("not encrypted"));
        assert!(open_key(path, key, &access(None, false)).is_ok());
    }
}
