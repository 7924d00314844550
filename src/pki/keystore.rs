//! The file key store: `credentials.toml` names every credential's certificate, chain and
//! PKCS#8 key relative to the store directory, so an operator can add a real credential or
//! replace the trust anchor without touching code. Loading checks what the policy accepts
//! (key types and sizes, signature algorithms), that each key belongs to its certificate, that
//! chains are in order, and which credentials a CRL revokes.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
};

use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, RsaKeyPair},
};
use x509_parser::certificate::X509Certificate;

use super::activation::Activation;
use super::at_rest::{open_key, KeyAccess};
use super::credential::{credential_info, Credential, SigningKey};
use super::crl;
use super::error::PkiError;
use super::files::{parse_certificate, read_certificates, read_key_der, read_single_certificate};
use super::manifest::{Manifest, MANIFEST_FILE, ROOT_FILE};
use super::names::dn_text;
use super::ocsp;
use super::pointers::cer_name;
use super::policy::choose_algorithm;
use super::token::{key::TokenKey, uri::TokenUri};
use crate::crypto::{SignatureAlgorithm, Signing};
use crate::flow::Role;

/// Signing credentials loaded from a directory (see `credentials.toml` there).
pub struct KeyStore {
    dir: PathBuf,
    root_der: Vec<u8>,
    /// Shared so a write can sign a record after the borrow of the store has ended (a new
    /// dossier's first record is signed once the archive has numbered it).
    credentials: BTreeMap<String, Arc<Credential>>,
    /// Shared so the timestamp authority (`cms::tsp::LocalTsa`) can hold it beside the service
    /// that owns this store; a credential's key cannot be cloned.
    tsa: Option<Arc<Credential>>,
    crls: Vec<Vec<u8>>,
    /// What the HTTP side publishes under `/pki/`: each CRL file and CA certificate (as DER
    /// `.cer`) by its path relative to `dir`, the names the certificates' pointers use.
    published: Vec<(String, Vec<u8>)>,
    /// The CAs with a delegated OCSP responder, and what their CRLs revoke.
    ocsp: Vec<ocsp::Authority>,
    revoked: Vec<crl::Revoked>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .field("credentials", &self.credentials().collect::<Vec<_>>())
            .field("tsa", &self.tsa)
            .field("crls", &self.crls.len())
            .finish()
    }
}

impl KeyStore {
    /// Reads `dir/credentials.toml`, then every certificate, chain, key and CRL it names, and
    /// `dir/root.pem` (the trust anchor). Fails on the first missing or malformed file, naming
    /// it, and when a key does not belong to its certificate.
    pub fn load(dir: &Path) -> Result<KeyStore, PkiError> {
        KeyStore::load_with(dir, &KeyAccess::default())
    }

    /// [`KeyStore::load`], opening encrypted key files with `access`'s passphrase and refusing
    /// unencrypted ones if it says so.
    pub fn load_with(dir: &Path, access: &KeyAccess) -> Result<KeyStore, PkiError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = Manifest::read(dir)?;

        let root_path = dir.join(ROOT_FILE);
        let root_der = read_single_certificate(&root_path)?;

        let mut credentials = BTreeMap::new();
        for entry in &manifest.credentials {
            if entry.id.trim().is_empty() {
                return Err(PkiError::Manifest {
                    path: manifest_path.clone(),
                    reason: "a [[credential]] has an empty `id`".into(),
                });
            }
            if credentials.contains_key(&entry.id) {
                return Err(PkiError::Manifest {
                    path: manifest_path.clone(),
                    reason: format!("credential id `{}` appears more than once", entry.id),
                });
            }
            let cred = load_credential(
                dir,
                LoadSpec {
                    id: &entry.id,
                    role: entry.role,
                    department: &entry.department,
                    cert: &entry.cert,
                    key: &entry.key,
                    chain: &entry.chain,
                    algorithm: entry.signature_algorithm.as_deref(),
                    timestamp_authority: false,
                    pin_argon2id: entry.pin_argon2id.as_deref(),
                    totp_secret: entry.totp_secret.as_deref(),
                },
                access,
            )?;
            credentials.insert(entry.id.clone(), cred);
        }
        let mut tsa = match &manifest.tsa {
            Some(entry) => Some(load_credential(
                dir,
                LoadSpec {
                    id: "tsa",
                    role: Role::Seal,
                    department: "",
                    cert: &entry.cert,
                    key: &entry.key,
                    chain: &entry.chain,
                    algorithm: entry.signature_algorithm.as_deref(),
                    timestamp_authority: true,
                    pin_argon2id: None,
                    totp_secret: None,
                },
                access,
            )?),
            None => None,
        };

        // CRLs are checked against every CA the store knows, so a CRL for a CA nobody uses is
        // still caught as misconfiguration rather than silently ignored.
        let mut cas: Vec<&[u8]> = vec![&root_der];
        for c in credentials.values().chain(tsa.iter()) {
            for ca in &c.chain_der {
                if !cas.contains(&ca.as_slice()) {
                    cas.push(ca);
                }
            }
        }
        let mut crls = Vec::new();
        let mut revoked = Vec::new();
        let mut published = vec![(cer_name(ROOT_FILE), root_der.clone())];
        for rel in &manifest.crls {
            let path = dir.join(rel);
            let der = crl::read_crl_file(&path)?;
            revoked.extend(crl::check_and_list(&path, &der, &cas)?);
            published.push((web_path(rel), der.clone()));
            crls.push(der);
        }
        let chain_files = manifest
            .credentials
            .iter()
            .flat_map(|e| e.chain.iter())
            .chain(manifest.tsa.iter().flat_map(|t| t.chain.iter()));
        for rel in chain_files {
            let name = cer_name(&web_path(rel));
            if published.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some(der) = read_certificates(&dir.join(rel))?.into_iter().next() {
                published.push((name, der));
            }
        }
        for c in credentials.values_mut().chain(tsa.iter_mut()) {
            c.revoked_at = crl::revocation_of(&c.certificate_der, &revoked);
        }
        let mut authorities = Vec::new();
        for (n, entry) in manifest.ocsp_responders.iter().enumerate() {
            let id = format!("ocsp-responder-{n}");
            let responder = load_credential(
                dir,
                LoadSpec {
                    id: &id,
                    role: Role::Seal,
                    department: "",
                    cert: &entry.cert,
                    key: &entry.key,
                    chain: &entry.chain,
                    algorithm: entry.signature_algorithm.as_deref(),
                    timestamp_authority: false,
                    pin_argon2id: None,
                    totp_secret: None,
                },
                access,
            )?;
            // The CA it answers for: its chain's first certificate, or the root.
            let ca = responder.chain_der.first().unwrap_or(&root_der).clone();
            let authority =
                ocsp::Authority::new(&ca, responder).ok_or_else(|| PkiError::Manifest {
                    path: manifest_path.clone(),
                    reason: format!("ocsp_responder {}: unreadable CA certificate", entry.cert),
                })?;
            authorities.push(authority);
        }

        Ok(KeyStore {
            dir: dir.to_path_buf(),
            root_der,
            credentials: credentials
                .into_iter()
                .map(|(id, credential)| (id, Arc::new(credential)))
                .collect(),
            tsa: tsa.map(Arc::new),
            crls,
            published,
            ocsp: authorities,
            revoked,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn get(&self, id: &str) -> Option<&Credential> {
        self.credentials.get(id).map(|c| &**c)
    }
    /// The credential `id` as a shared handle, for work that outlives a borrow of the store.
    pub fn shared(&self, id: &str) -> Option<Arc<Credential>> {
        self.credentials.get(id).cloned()
    }
    /// All role-bearing credentials, sorted by id (the TSA is not among them).
    pub fn credentials(&self) -> impl Iterator<Item = &Credential> {
        self.credentials.values().map(|c| &**c)
    }
    /// The trust anchor, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }
    pub fn tsa(&self) -> Option<&Credential> {
        self.tsa.as_deref()
    }
    /// The timestamp authority's credential as a shared handle, for a TSA that outlives a
    /// borrow of the store.
    pub fn tsa_shared(&self) -> Option<Arc<Credential>> {
        self.tsa.clone()
    }
    /// Every loaded CRL, DER, in manifest order.
    pub fn crls_der(&self) -> Vec<Vec<u8>> {
        self.crls.clone()
    }

    /// The files the certificates' CRL and caIssuers pointers name, by their path under
    /// `/pki/` (see `pki::published_url`).
    pub fn published(&self) -> &[(String, Vec<u8>)] {
        &self.published
    }

    /// The OCSP responder's DER answer to a DER OCSPRequest at `now` (RFC 6960): signed by the
    /// CA's delegated responder, or an error status (malformed, unauthorized: not our CA).
    pub fn ocsp_response(&self, request: &[u8], now: time::OffsetDateTime) -> Vec<u8> {
        ocsp::respond(&self.ocsp, &self.revoked, request, now)
    }

    /// This store's OCSP answers at `now` for each of `certificates` that one of its CAs
    /// issued, as a B-LT document security store carries them (one DER OCSPResponse each).
    pub fn ocsp_answers(&self, certificates: &[&[u8]], now: time::OffsetDateTime) -> Vec<Vec<u8>> {
        ocsp::answers_for(&self.ocsp, &self.revoked, certificates, now)
    }
}

struct LoadSpec<'a> {
    id: &'a str,
    role: Role,
    department: &'a str,
    cert: &'a str,
    key: &'a str,
    chain: &'a [String],
    algorithm: Option<&'a str>,
    timestamp_authority: bool,
    pin_argon2id: Option<&'a str>,
    totp_secret: Option<&'a str>,
}

fn load_credential(
    dir: &Path,
    spec: LoadSpec<'_>,
    access: &KeyAccess,
) -> Result<Credential, PkiError> {
    let cert_path = dir.join(spec.cert);
    let certificate_der = read_single_certificate(&cert_path)?;
    let cert = parse_certificate(&cert_path, &certificate_der)?;

    let mut chain_der = Vec::new();
    for rel in spec.chain {
        chain_der.extend(read_certificates(&dir.join(rel))?);
    }
    check_chain_links(spec.id, &cert, &chain_der)?;

    let requested = spec
        .algorithm
        .map(|s| s.parse::<SignatureAlgorithm>())
        .transpose()
        .map_err(|reason| PkiError::InvalidCredential {
            id: spec.id.to_string(),
            reason,
        })?;
    let algorithm = choose_algorithm(spec.id, &cert, &cert_path, requested)?;
    let key = if spec.key.is_empty() && !spec.timestamp_authority {
        SigningKey::HeldByOfficial
    } else if TokenUri::is_uri(spec.key) {
        token_key(spec.id, dir, spec.key, &cert, algorithm, access)?
    } else {
        let key_path = dir.join(spec.key);
        let key_der = open_key(&key_path, read_key_der(&key_path)?, access)?;
        load_key(spec.id, &cert, &cert_path, &key_path, &key_der, algorithm)?
    };

    let activation = match (spec.pin_argon2id, spec.totp_secret) {
        (None, None) => Ok(None),
        (Some(phc), None) => Activation::pin(phc).map(Some),
        (None, Some(sealed)) => {
            Activation::totp(sealed, access.passphrase.as_deref().map(Vec::as_slice)).map(Some)
        }
        (Some(_), Some(_)) => Err(
            "has both pin_argon2id and totp_secret; an official activates with one factor"
                .to_owned(),
        ),
    }
    .map_err(|reason| PkiError::InvalidCredential {
        id: spec.id.to_string(),
        reason,
    })?;
    let info = credential_info(spec.id, spec.role, spec.department, &cert, &certificate_der);
    Ok(Credential {
        activation,
        info,
        certificate_der,
        chain_der,
        algorithm,
        key,
        revoked_at: None,
        timestamp_authority: spec.timestamp_authority,
        rng: SystemRandom::new(),
    })
}

/// The key on a token that `uri` names, checked against the certificate.
fn token_key(
    id: &str,
    dir: &Path,
    uri: &str,
    cert: &X509Certificate<'_>,
    algorithm: SignatureAlgorithm,
    access: &KeyAccess,
) -> Result<SigningKey, PkiError> {
    let uri = TokenUri::parse(uri).map_err(|reason| PkiError::InvalidCredential {
        id: id.to_string(),
        reason: format!("key: {reason}"),
    })?;
    let public = cert.public_key().subject_public_key.data.as_ref();
    TokenKey::open(uri, dir, access.pkcs11_module.as_deref(), algorithm, public)
        .map(SigningKey::Token)
        .map_err(|failure| PkiError::Token {
            id: id.to_string(),
            token: failure.token,
            reason: failure.reason,
        })
}

/// A PKCS#8 key for `algorithm`, which must be the certificate's key.
fn load_key(
    id: &str,
    cert: &X509Certificate<'_>,
    cert_path: &Path,
    key_path: &Path,
    key_der: &[u8],
    algorithm: SignatureAlgorithm,
) -> Result<SigningKey, PkiError> {
    let cert_public = cert.public_key().subject_public_key.data.as_ref();
    let mismatch = || PkiError::KeyMismatch {
        id: id.to_string(),
        cert: cert_path.to_path_buf(),
        key: key_path.to_path_buf(),
    };
    let bad_key = |reason: String| PkiError::Key {
        path: key_path.to_path_buf(),
        reason,
    };
    let key = match algorithm.signing() {
        Signing::Ecdsa(signing) => {
            let kp =
                EcdsaKeyPair::from_pkcs8(signing, key_der, &SystemRandom::new()).map_err(|e| {
                    bad_key(format!("not a usable PKCS#8 ECDSA P-256 private key ({e})"))
                })?;
            if kp.public_key().as_ref() != cert_public {
                return Err(mismatch());
            }
            SigningKey::Ecdsa(kp)
        }
        Signing::Rsa(padding) => {
            let kp = RsaKeyPair::from_pkcs8(key_der).map_err(|e| {
                bad_key(format!(
                    "not a usable PKCS#8 RSA private key ({e}); RSA keys must be 2048 to 8192 bits"
                ))
            })?;
            if kp.public_key().as_ref() != cert_public {
                return Err(mismatch());
            }
            SigningKey::Rsa(kp, padding)
        }
    };
    Ok(key)
}

/// Each chain element must be the issuer of the one before it; catching an out-of-order or
/// wrong chain at load time beats an opaque validation failure at a citizen's verifier.
fn check_chain_links(
    id: &str,
    cert: &X509Certificate<'_>,
    chain_der: &[Vec<u8>],
) -> Result<(), PkiError> {
    let mut issuer_raw = cert.issuer().as_raw().to_vec();
    let mut child = dn_text(cert.subject());
    for ca_der in chain_der {
        let ca = match x509_parser::parse_x509_certificate(ca_der) {
            Ok((_, ca)) => ca,
            Err(e) => {
                return Err(PkiError::InvalidCredential {
                    id: id.to_string(),
                    reason: format!("a chain certificate does not parse: {e}"),
                })
            }
        };
        if ca.subject().as_raw() != issuer_raw.as_slice() {
            return Err(PkiError::InvalidCredential {
                id: id.to_string(),
                reason: format!(
                    "chain is out of order or wrong: `{}` was not issued by `{}`; list the issuing CA first, then its issuer, excluding the root",
                    child,
                    dn_text(ca.subject())
                ),
            });
        }
        issuer_raw = ca.issuer().as_raw().to_vec();
        child = dn_text(ca.subject());
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// A manifest path as a URL path: forward slashes, whatever the platform wrote.
fn web_path(rel: &str) -> String {
    rel.replace('\\', "/").trim_start_matches("./").to_owned()
}
