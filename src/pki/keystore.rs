//! The file key store: `credentials.toml` names every credential's certificate, chain and
//! PKCS#8 key relative to the store directory, so an operator can add a real credential or
//! replace the trust anchor without touching code.

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
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::{certificate::X509Certificate, x509::X509Name};

use super::{crl, fingerprint, oid, PkiError, SignatureAlgorithm};
use crate::flow::Role;
use crate::pki::CredentialProblem;

/// Name of the manifest inside a key store directory.
pub const MANIFEST_FILE: &str = "credentials.toml";
pub(crate) const ROOT_FILE: &str = "root.pem";

/// The on-disk manifest. Unknown fields are rejected so a typo (`chian = …`) fails loudly
/// instead of silently dropping the chain.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    /// CRL files (DER or PEM), one per CA; each must be signed by the root or a chain CA.
    #[serde(default)]
    pub crls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa: Option<TsaEntry>,
    #[serde(default, rename = "credential")]
    pub credentials: Vec<CredentialEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialEntry {
    pub id: String,
    pub role: Role,
    pub department: String,
    pub cert: String,
    pub key: String,
    #[serde(default)]
    pub chain: Vec<String>,
    /// Only meaningful for RSA keys: `rsa-pkcs1-sha256` (default) or `rsa-pss-sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TsaEntry {
    pub cert: String,
    pub key: String,
    #[serde(default)]
    pub chain: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
}

/// Public facts about a credential, safe to show and to send over the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    pub id: String,
    pub role: Role,
    pub department: String,
    /// Subject DN in RFC 4514 order (most specific first), e.g. `CN=…,title=…,O=…,C=VN`.
    pub subject: String,
    pub common_name: String,
    /// The subject's title (2.5.4.12); empty when the certificate has none (e.g. a seal).
    pub position: String,
    pub organisation: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub fingerprint: [u8; 32],
}

enum SigningKey {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A certificate with its chain and private key. The key never leaves this struct except as
/// signatures; `Debug` redacts it.
pub struct Credential {
    info: CredentialInfo,
    certificate_der: Vec<u8>,
    chain_der: Vec<Vec<u8>>,
    algorithm: SignatureAlgorithm,
    key: SigningKey,
    revoked_at: Option<OffsetDateTime>,
    timestamp_authority: bool,
    rng: SystemRandom,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("info", &self.info)
            .field("algorithm", &self.algorithm)
            .field("certificate_der_len", &self.certificate_der.len())
            .field("chain_len", &self.chain_der.len())
            .field("revoked_at", &self.revoked_at)
            .field("timestamp_authority", &self.timestamp_authority)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Credential {
    pub fn info(&self) -> &CredentialInfo {
        &self.info
    }
    pub fn id(&self) -> &str {
        &self.info.id
    }
    /// For the timestamp authority this is `Role::Seal` only because the type has no "none":
    /// the TSA is reachable solely through `KeyStore::tsa`, never by role lookup.
    pub fn role(&self) -> Role {
        self.info.role
    }
    pub fn department(&self) -> &str {
        &self.info.department
    }
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }
    /// Issuing CA(s), nearest first, up to but excluding the root.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
    /// When the credential's CA revoked it, if a loaded CRL lists it.
    pub fn revoked_at(&self) -> Option<OffsetDateTime> {
        self.revoked_at
    }
    pub fn is_timestamp_authority(&self) -> bool {
        self.timestamp_authority
    }

    /// Signs `message` (the hash is computed inside: SHA-256). ECDSA signatures are ASN.1 DER
    /// as CMS and X.509 expect.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let failed = || PkiError::Sign {
            id: self.info.id.clone(),
        };
        match &self.key {
            SigningKey::Ecdsa(kp) => kp
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed()),
            SigningKey::Rsa(kp) => {
                let padding: &'static dyn ring::signature::RsaEncoding = match self.algorithm {
                    SignatureAlgorithm::RsaPssSha256 => &ring::signature::RSA_PSS_SHA256,
                    _ => &ring::signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(padding, &self.rng, message, &mut sig)
                    .map_err(|_| failed())?;
                Ok(sig)
            }
        }
    }

    /// Err if `at` is outside the validity period or the certificate is on its CA's CRL
    /// (revoked at or before `at`). Revocation wins over expiry: it is the stronger statement.
    pub fn check_usable(&self, at: OffsetDateTime) -> Result<(), CredentialProblem> {
        if let Some(revoked_at) = self.revoked_at {
            if revoked_at <= at {
                return Err(CredentialProblem::Revoked {
                    id: self.info.id.clone(),
                    revoked_at,
                });
            }
        }
        if at < self.info.not_before {
            return Err(CredentialProblem::NotYetValid {
                id: self.info.id.clone(),
                not_before: self.info.not_before,
            });
        }
        if at > self.info.not_after {
            return Err(CredentialProblem::Expired {
                id: self.info.id.clone(),
                not_after: self.info.not_after,
            });
        }
        Ok(())
    }
}

/// Signing credentials loaded from a directory (see `credentials.toml` there).
pub struct KeyStore {
    dir: PathBuf,
    root_der: Vec<u8>,
    credentials: BTreeMap<String, Credential>,
    /// Shared so the timestamp authority (`cms::tsp::LocalTsa`) can hold it beside the service
    /// that owns this store; a credential's key cannot be cloned.
    tsa: Option<Arc<Credential>>,
    crls: Vec<Vec<u8>>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .field(
                "credentials",
                &self.credentials.values().collect::<Vec<_>>(),
            )
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
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path).map_err(|source| PkiError::Io {
            path: manifest_path.clone(),
            source,
        })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| PkiError::Manifest {
            path: manifest_path.clone(),
            reason: e.to_string(),
        })?;

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
                },
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
                },
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
        for rel in &manifest.crls {
            let path = dir.join(rel);
            let der = crl::read_crl_file(&path)?;
            revoked.extend(crl::check_and_list(&path, &der, &cas)?);
            crls.push(der);
        }
        for c in credentials.values_mut().chain(tsa.iter_mut()) {
            c.revoked_at = crl::revocation_of(&c.certificate_der, &revoked);
        }

        Ok(KeyStore {
            dir: dir.to_path_buf(),
            root_der,
            credentials,
            tsa: tsa.map(Arc::new),
            crls,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn get(&self, id: &str) -> Option<&Credential> {
        self.credentials.get(id)
    }
    /// All role-bearing credentials, sorted by id (the TSA is not among them).
    pub fn credentials(&self) -> impl Iterator<Item = &Credential> {
        self.credentials.values()
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
}

fn load_credential(dir: &Path, spec: LoadSpec<'_>) -> Result<Credential, PkiError> {
    let cert_path = dir.join(spec.cert);
    let key_path = dir.join(spec.key);
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
    let key_der = read_private_key(&key_path)?;
    let (key, algorithm) = load_key(spec.id, &cert, &cert_path, &key_path, &key_der, requested)?;

    let info = credential_info(spec.id, spec.role, spec.department, &cert, &certificate_der);
    Ok(Credential {
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

fn load_key(
    id: &str,
    cert: &X509Certificate<'_>,
    cert_path: &Path,
    key_path: &Path,
    key_der: &[u8],
    requested: Option<SignatureAlgorithm>,
) -> Result<(SigningKey, SignatureAlgorithm), PkiError> {
    let spki = cert.public_key();
    let key_oid = spki.algorithm.algorithm.as_bytes();
    let cert_public = spki.subject_public_key.data.as_ref();
    let mismatch = || PkiError::KeyMismatch {
        id: id.to_string(),
        cert: cert_path.to_path_buf(),
        key: key_path.to_path_buf(),
    };
    let bad_key = |reason: String| PkiError::Key {
        path: key_path.to_path_buf(),
        reason,
    };

    if key_oid == oid::EC_PUBLIC_KEY {
        let curve_ok = spki
            .algorithm
            .parameters
            .as_ref()
            .is_some_and(|p| p.as_bytes() == oid::PRIME256V1);
        if !curve_ok {
            return Err(PkiError::Certificate {
                path: cert_path.to_path_buf(),
                reason: "EC key on a curve other than P-256; only ECDSA P-256 is supported".into(),
            });
        }
        if let Some(alg) = requested.filter(|a| *a != SignatureAlgorithm::EcdsaP256Sha256) {
            return Err(PkiError::InvalidCredential {
                id: id.to_string(),
                reason: format!("signature_algorithm `{alg}` does not fit an ECDSA P-256 key; remove it or set ecdsa-p256-sha256"),
            });
        }
        let rng = SystemRandom::new();
        let kp = EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            key_der,
            &rng,
        )
        .map_err(|e| bad_key(format!("not a usable PKCS#8 ECDSA P-256 private key ({e})")))?;
        if kp.public_key().as_ref() != cert_public {
            return Err(mismatch());
        }
        Ok((SigningKey::Ecdsa(kp), SignatureAlgorithm::EcdsaP256Sha256))
    } else if key_oid == oid::RSA_ENCRYPTION {
        let bits = rsa_modulus_bits(cert_public);
        if bits < 2048 {
            return Err(PkiError::RsaKeyTooSmall {
                path: cert_path.to_path_buf(),
                bits,
            });
        }
        let algorithm = match requested {
            None => SignatureAlgorithm::RsaPkcs1Sha256,
            Some(a) if a.is_rsa() => a,
            Some(a) => {
                return Err(PkiError::InvalidCredential {
                    id: id.to_string(),
                    reason: format!("signature_algorithm `{a}` does not fit an RSA key; use rsa-pkcs1-sha256 or rsa-pss-sha256"),
                })
            }
        };
        let kp = RsaKeyPair::from_pkcs8(key_der).map_err(|e| {
            bad_key(format!(
                "not a usable PKCS#8 RSA private key ({e}); RSA keys must be 2048 to 8192 bits"
            ))
        })?;
        if kp.public_key().as_ref() != cert_public {
            return Err(mismatch());
        }
        Ok((SigningKey::Rsa(kp), algorithm))
    } else {
        Err(PkiError::Certificate {
            path: cert_path.to_path_buf(),
            reason: format!(
                "unsupported public key algorithm {}; use ECDSA P-256 or RSA (2048 bits or more)",
                spki.algorithm.algorithm.to_id_string()
            ),
        })
    }
}

/// Bit length of the modulus in a DER RSAPublicKey, 0 if unreadable (then ring rejects the key
/// with its own message).
fn rsa_modulus_bits(rsa_public_key: &[u8]) -> usize {
    use x509_parser::der_parser::asn1_rs::FromDer;
    use x509_parser::public_key::RSAPublicKey;
    let Ok((_, key)) = RSAPublicKey::from_der(rsa_public_key) else {
        return 0;
    };
    let modulus = key.modulus;
    let start = modulus
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(modulus.len());
    let significant = &modulus[start..];
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
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

pub(crate) fn credential_info(
    id: &str,
    role: Role,
    department: &str,
    cert: &X509Certificate<'_>,
    cert_der: &[u8],
) -> CredentialInfo {
    let subject = cert.subject();
    let first = |oid_text: &str| -> String {
        subject
            .iter_attributes()
            .find(|a| a.attr_type().to_id_string() == oid_text)
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    CredentialInfo {
        id: id.to_string(),
        role,
        department: department.to_string(),
        subject: dn_text(subject),
        common_name: first("2.5.4.3"),
        position: first("2.5.4.12"),
        organisation: first("2.5.4.10"),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        fingerprint: fingerprint(cert_der),
    }
}

/// RFC 4514-style text: RDNs most specific first, special characters escaped, values that are
/// not strings as `#hex`.
pub(crate) fn dn_text(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = match oid.as_str() {
                        "2.5.4.3" => "CN",
                        "2.5.4.6" => "C",
                        "2.5.4.10" => "O",
                        "2.5.4.11" => "OU",
                        "2.5.4.7" => "L",
                        "2.5.4.8" => "ST",
                        "2.5.4.9" => "STREET",
                        "2.5.4.12" => "title",
                        "2.5.4.5" => "serialNumber",
                        "2.5.4.4" => "SN",
                        "2.5.4.42" => "GN",
                        "0.9.2342.19200300.100.1.1" => "UID",
                        "0.9.2342.19200300.100.1.25" => "DC",
                        "1.2.840.113549.1.9.1" => "emailAddress",
                        _ => oid.as_str(),
                    };
                    let value = match atv.as_str() {
                        Ok(s) => escape_dn_value(s),
                        Err(_) => format!("#{}", hex::encode(atv.attr_value().as_bytes())),
                    };
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn escape_dn_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let edge_special = (i == 0 && (c == '#' || c == ' ')) || (i == last && c == ' ');
        if edge_special || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn read_file(path: &Path) -> Result<Vec<u8>, PkiError> {
    std::fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn is_pem(data: &[u8]) -> bool {
    data.iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| data[i..].starts_with(b"-----BEGIN"))
}

/// Certificates in a PEM bundle or a single DER file, each checked to parse.
pub(crate) fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, PkiError> {
    let data = read_file(path)?;
    let bad = |reason: String| PkiError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let ders = if is_pem(&data) {
        let mut out = Vec::new();
        for pem in x509_parser::pem::Pem::iter_from_buffer(&data) {
            let pem = pem.map_err(|e| bad(format!("invalid PEM ({e})")))?;
            if pem.label != "CERTIFICATE" {
                return Err(bad(format!(
                    "PEM block `{}` found where a CERTIFICATE was expected",
                    pem.label
                )));
            }
            out.push(pem.contents);
        }
        out
    } else {
        vec![data]
    };
    if ders.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    for der in &ders {
        parse_certificate(path, der)?;
    }
    Ok(ders)
}

pub(crate) fn read_single_certificate(path: &Path) -> Result<Vec<u8>, PkiError> {
    let mut ders = read_certificates(path)?;
    if ders.len() != 1 {
        return Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: format!(
                "expected exactly one certificate, found {}; put the issuing CAs in `chain`",
                ders.len()
            ),
        });
    }
    Ok(ders.remove(0))
}

pub(crate) fn parse_certificate<'a>(
    path: &Path,
    der: &'a [u8],
) -> Result<X509Certificate<'a>, PkiError> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: "trailing bytes after the certificate".into(),
        }),
        Err(e) => Err(PkiError::Certificate {
            path: path.to_path_buf(),
            reason: format!("not a valid X.509 certificate ({e})"),
        }),
    }
}

/// PKCS#8 private key, DER or PEM (`PRIVATE KEY`). Other formats get a conversion hint.
fn read_private_key(path: &Path) -> Result<Vec<u8>, PkiError> {
    let data = read_file(path)?;
    if !is_pem(&data) {
        return match legacy_key_format(&data) {
            Some(format) => Err(PkiError::Key {
                path: path.to_path_buf(),
                reason: format!(
                    "this is a {format} key, not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER -out key.pk8`"
                ),
            }),
            None => Ok(data),
        };
    }
    let bad = |reason: String| PkiError::Key {
        path: path.to_path_buf(),
        reason,
    };
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(&data).map_err(|e| bad(format!("invalid PEM ({e})")))?;
    match pem.label.as_str() {
        "PRIVATE KEY" => Ok(pem.contents),
        "ENCRYPTED PRIVATE KEY" => Err(bad(
            "encrypted PKCS#8 is not supported; decrypt it with `openssl pkcs8 -in KEY -out key.pk8 -outform DER -nocrypt` and protect the file with mode 0600".into(),
        )),
        other => Err(bad(format!(
            "`{other}` is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -outform DER -out key.pk8`"
        ))),
    }
}

/// Recognises the pre-PKCS#8 containers OpenSSL still writes (`genpkey -outform DER` gives
/// SEC1 for EC keys), which ring would only report as "invalid encoding".
fn legacy_key_format(der: &[u8]) -> Option<&'static str> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let skip = if len0 & 0x80 != 0 {
        usize::from(len0 & 0x7f)
    } else {
        0
    };
    let content = rest.get(skip..)?;
    // version INTEGER (3 bytes), then what follows tells the container apart.
    match (content.get(..3)?, content.get(3)?) {
        ([0x02, 0x01, 0x01], 0x04) => Some("SEC1 (EC PRIVATE KEY)"),
        ([0x02, 0x01, 0x00], 0x02) => Some("PKCS#1 (RSA PRIVATE KEY)"),
        _ => None,
    }
}
