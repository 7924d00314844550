//! The development hierarchy: a root, a timestamp authority, and per department an issuing CA
//! with one credential per role, plus an expired and a revoked approver for negative tests.
//! Everything is generated in memory first and written with root.pem last, so a failed run
//! never leaves a directory that `dev_pki_exists` would mistake for a complete one.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
};
use ring::rand::{SecureRandom, SystemRandom};
use time::{Duration, OffsetDateTime};

use super::activation::{hash_pin, random_pin};
use super::credential::{credential_info, fingerprint, CredentialInfo};
use super::error::PkiError;
use super::files::{parse_certificate, write_file};
use super::manifest::{
    CredentialEntry, Manifest, TsaEntry, MANIFEST_FILE, MANIFEST_HEADER, ROOT_FILE,
};
use super::pointers::{check_public_url, Pointers, DEFAULT_PUBLIC_URL};
use super::responder::responder_certificate;
use crate::crypto::{der, oid};
use crate::flow::Role;

/// A department to create an issuing CA and credentials for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevDepartment {
    /// Slug used in credential ids and directory names, e.g. `stp`.
    pub id: String,
    /// Official name, e.g. `Sở Tư pháp tỉnh Quảng Ninh`.
    pub name: String,
}

/// What `init_dev_pki` created.
#[derive(Debug, Clone)]
pub struct DevPkiSummary {
    /// Role-bearing credentials, sorted by id.
    pub credentials: Vec<CredentialInfo>,
    /// The timestamp authority (not in `credentials`: it has no role).
    pub tsa: CredentialInfo,
    /// SHA-256 of root.pem's certificate, to show operators what to trust.
    pub root_fingerprint: [u8; 32],
}

/// Two departments of Quảng Ninh, enough for demos and tests.
pub fn default_dev_departments() -> Vec<DevDepartment> {
    vec![
        DevDepartment {
            id: "stp".into(),
            name: "Sở Tư pháp tỉnh Quảng Ninh".into(),
        },
        DevDepartment {
            id: "sxd".into(),
            name: "Sở Xây dựng tỉnh Quảng Ninh".into(),
        },
    ]
}

/// True when `dir` already holds a hierarchy (its root.pem exists).
pub fn dev_pki_exists(dir: &Path) -> bool {
    dir.join(ROOT_FILE).exists()
}

const ROOT_CN: &str = "ketqua Development Root CA";
pub(super) const DEV_ORG: &str = "ketqua development PKI — not for production";
const TSA_CN: &str = "ketqua Development Timestamp Authority";
const DAY: i64 = 1;
const YEAR: i64 = 365;

const FAMILY: [&str; 13] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: [&str; 12] = [
    "Văn", "Thị", "Minh", "Thu", "Quốc", "Ngọc", "Đức", "Thanh", "Hữu", "Hải", "Xuân", "Bảo",
];
const GIVEN: [&str; 20] = [
    "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương",
    "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vy", "Yến",
];

/// A deterministic name per (department, person); family name cycles mod 13 and given name
/// mod 20, so by the Chinese remainder theorem names repeat only after 260 people.
fn person_name(department_index: usize, person: usize) -> String {
    let g = department_index * 5 + person;
    format!(
        "{} {} {}",
        FAMILY[g % FAMILY.len()],
        MIDDLE[(g * 7 + 3) % MIDDLE.len()],
        GIVEN[(g * 3 + 1) % GIVEN.len()]
    )
}

struct PendingFile {
    path: PathBuf,
    data: Vec<u8>,
    secret: bool,
}

struct Builder {
    dir: PathBuf,
    rng: SystemRandom,
    files: Vec<PendingFile>,
}

impl Builder {
    /// The delegated OCSP responder of the CA `issuer` (`chain`: that CA's file, empty for
    /// the root), as `ocsp/<slug>.pem` and `.pk8`, named in the manifest.
    fn add_responder(
        &mut self,
        manifest: &mut Manifest,
        issuer: &Issuer<'_, KeyPair>,
        (slug, ca_name, organisation): (&str, &str, &str),
        chain: Vec<String>,
        validity: (OffsetDateTime, OffsetDateTime),
    ) -> Result<(), PkiError> {
        let files = responder_certificate(issuer, ca_name, organisation, self.serial()?, validity)?;
        let (cert, key) = (format!("ocsp/{slug}.pem"), format!("ocsp/{slug}.pk8"));
        self.add(&cert, files.cert_pem, false);
        self.add(&key, files.key_der, true);
        manifest.ocsp_responders.push(TsaEntry {
            cert,
            key,
            chain,
            signature_algorithm: None,
        });
        Ok(())
    }

    fn add(&mut self, rel: &str, data: impl Into<Vec<u8>>, secret: bool) {
        self.files.push(PendingFile {
            path: self.dir.join(rel),
            data: data.into(),
            secret,
        });
    }

    /// credentials.toml: the commented header, then `manifest`.
    fn add_manifest(&mut self, manifest: &Manifest) -> Result<(), PkiError> {
        let body = toml::to_string(manifest).map_err(|e| PkiError::Generate {
            what: MANIFEST_FILE.into(),
            reason: e.to_string(),
        })?;
        self.add(MANIFEST_FILE, format!("{MANIFEST_HEADER}\n{body}"), false);
        Ok(())
    }

    fn serial(&self) -> Result<SerialNumber, PkiError> {
        random_serial(&self.rng)
    }
}

/// A random certificate serial: positive and exactly 16 bytes (top bit clear, first byte
/// non-zero).
pub(super) fn random_serial(rng: &SystemRandom) -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes).map_err(|_| PkiError::Generate {
        what: "serial number".into(),
        reason: "the system random number generator failed".into(),
    })?;
    bytes[0] = (bytes[0] & 0x7f).max(1);
    Ok(SerialNumber::from_slice(&bytes))
}

pub(super) fn gen_err(what: &str) -> impl Fn(rcgen::Error) -> PkiError + '_ {
    move |e| PkiError::Generate {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

/// An OID as rcgen takes it: its arcs.
fn arcs(oid: &[u8]) -> Result<Vec<u64>, PkiError> {
    der::oid_to_arcs(oid).map_err(|e| PkiError::Generate {
        what: "object identifier".into(),
        reason: e.to_string(),
    })
}

pub(super) fn new_key(what: &str) -> Result<KeyPair, PkiError> {
    KeyPair::generate().map_err(gen_err(what))
}

pub(super) fn base_params(
    dn: DistinguishedName,
    serial: SerialNumber,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.serial_number = Some(serial);
    p.not_before = not_before;
    p.not_after = not_after;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

pub(super) fn dn(entries: &[(DnType, &str)]) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    for (ty, value) in entries {
        if !value.is_empty() {
            d.push(ty.clone(), *value);
        }
    }
    d
}

fn validate_departments(departments: &[DevDepartment]) -> Result<(), PkiError> {
    let mut seen = std::collections::BTreeSet::new();
    for d in departments {
        let fail = |reason: &str| PkiError::InvalidDepartment {
            id: d.id.clone(),
            reason: reason.to_string(),
        };
        let slug_ok = !d.id.is_empty()
            && d.id.len() <= 32
            && !d.id.starts_with('-')
            && d.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return Err(fail(
                "the id must be 1-32 characters of a-z, 0-9 and '-', not starting with '-'",
            ));
        }
        if matches!(d.id.as_str(), "credentials" | "tsa" | "ocsp") {
            return Err(fail("the id names a reserved directory; pick another slug"));
        }
        if d.name.trim().is_empty() || d.name.chars().any(char::is_control) {
            return Err(fail(
                "the name must be non-empty and without control characters",
            ));
        }
        if !seen.insert(d.id.as_str()) {
            return Err(fail("the id is listed twice"));
        }
    }
    Ok(())
}

/// Writes a complete development hierarchy into `dir` (creating it); refuses if `dir/root.pem`
/// already exists, so a running service never loses the keys its past signatures chain to.
///
/// The officials' credentials (not the seals) require a PIN, one random PIN for the whole
/// development hierarchy, written beside each key as `pin` (mode 0600) for the demo to read.
pub fn init_dev_pki(dir: &Path, departments: &[DevDepartment]) -> Result<DevPkiSummary, PkiError> {
    init_dev_pki_with(dir, departments, true, DEFAULT_PUBLIC_URL)
}

/// [`init_dev_pki`], with or without activation PINs (automated tests that are not about
/// activation do without), its certificates pointing at CRLs and the OCSP responder under
/// `public_url` (the service's public HTTP base, see `pointers`).
pub fn init_dev_pki_with(
    dir: &Path,
    departments: &[DevDepartment],
    with_pins: bool,
    public_url: &str,
) -> Result<DevPkiSummary, PkiError> {
    validate_departments(departments)?;
    check_public_url(public_url)?;
    let from_root = Pointers {
        base: public_url,
        crl_file: "root.crl",
        issuer_file: ROOT_FILE,
    };
    let pin = if with_pins {
        let pin = random_pin()?;
        let hash = hash_pin(&pin)?;
        Some((pin, hash))
    } else {
        None
    };
    let root_path = dir.join(ROOT_FILE);
    if root_path.exists() {
        return Err(PkiError::AlreadyExists { path: root_path });
    }

    // Whole seconds: certificates cannot carry more, and CredentialInfo must equal the cert.
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let days = Duration::days;
    let mut b = Builder {
        dir: dir.to_path_buf(),
        rng: SystemRandom::new(),
        files: Vec::new(),
    };
    let mut manifest = Manifest::default();
    let mut infos = Vec::new();

    // CAs start two years back so the backdated negative-test credentials fall inside them.
    let ca_start = now - days(2 * YEAR);

    let root_key = new_key("root CA key")?;
    b.add("root.key", root_key.serialize_der(), true);
    let mut root_params = base_params(
        dn(&[
            (DnType::CountryName, "VN"),
            (DnType::OrganizationName, DEV_ORG),
            (DnType::CommonName, ROOT_CN),
        ]),
        b.serial()?,
        ca_start,
        now + days(20 * YEAR + 5 * DAY),
    );
    root_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root = CertifiedIssuer::self_signed(root_params, root_key).map_err(gen_err("root CA"))?;
    let root_pem = root.pem();
    let root_crl = empty_or_revoking_crl(&root, now, Vec::new(), "root CRL")?;
    b.add("root.crl", root_crl, false);
    manifest.crls.push("root.crl".into());
    let responder_validity = (now - days(DAY), now + days(3 * YEAR));
    let root_names = ("root", ROOT_CN, DEV_ORG);
    b.add_responder(&mut manifest, &root, root_names, vec![], responder_validity)?;

    // Timestamp authority.
    let tsa_key = new_key("TSA key")?;
    b.add("tsa/key.pk8", tsa_key.serialize_der(), true);
    let tsa_cert = tsa_certificate(
        &tsa_key,
        &root,
        &from_root,
        b.serial()?,
        (now - days(DAY), now + days(10 * YEAR + 3 * DAY)),
    )?;
    b.add("tsa/cert.pem", tsa_cert.pem(), false);
    manifest.tsa = Some(TsaEntry {
        cert: "tsa/cert.pem".into(),
        key: "tsa/key.pk8".into(),
        chain: Vec::new(),
        signature_algorithm: None,
    });
    let tsa_info = info_of("tsa", Role::Seal, "", tsa_cert.der())?;

    for (index, dept) in departments.iter().enumerate() {
        let ca_key = new_key("department CA key")?;
        b.add(&format!("{}/ca.key", dept.id), ca_key.serialize_der(), true);
        let ca_cn = format!("{} — CA", dept.name);
        let mut ca_params = base_params(
            dn(&[
                (DnType::CountryName, "VN"),
                (DnType::OrganizationName, &dept.name),
                (DnType::CommonName, &ca_cn),
            ]),
            b.serial()?,
            ca_start,
            now + days(10 * YEAR + 3 * DAY),
        );
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.use_authority_key_identifier_extension = true;
        from_root.apply(&mut ca_params)?;
        let ca = CertifiedIssuer::signed_by(ca_params, ca_key, &*root)
            .map_err(gen_err("department CA"))?;
        let ca_rel = format!("{}/ca.pem", dept.id);
        b.add(&ca_rel, ca.pem(), false);
        let names = (dept.id.as_str(), ca_cn.as_str(), dept.name.as_str());
        b.add_responder(
            &mut manifest,
            &ca,
            names,
            vec![ca_rel.clone()],
            responder_validity,
        )?;
        let crl_rel = format!("{}/ca.crl", dept.id);
        let from_ca = Pointers {
            base: public_url,
            crl_file: &crl_rel,
            issuer_file: &ca_rel,
        };

        let mut people = vec![
            Person {
                suffix: "receiver",
                role: Role::Receiver,
                common_name: person_name(index, 0),
                position: "Chuyên viên Bộ phận một cửa",
                not_before: now - Duration::hours(1),
                not_after: now + days(3 * YEAR + DAY),
                revoked_at: None,
            },
            Person {
                suffix: "appraiser",
                role: Role::Appraiser,
                common_name: person_name(index, 1),
                position: "Chuyên viên",
                not_before: now - Duration::hours(1),
                not_after: now + days(3 * YEAR + DAY),
                revoked_at: None,
            },
            Person {
                suffix: "approver",
                role: Role::Approver,
                common_name: person_name(index, 2),
                position: "Giám đốc",
                not_before: now - Duration::hours(1),
                not_after: now + days(3 * YEAR + DAY),
                revoked_at: None,
            },
            Person {
                suffix: "seal",
                role: Role::Seal,
                common_name: dept.name.clone(),
                position: "",
                not_before: now - Duration::hours(1),
                not_after: now + days(3 * YEAR + DAY),
                revoked_at: None,
            },
        ];
        if index == 0 {
            people.push(Person {
                suffix: "approver-expired",
                role: Role::Approver,
                common_name: person_name(index, 3),
                position: "Phó Giám đốc",
                not_before: now - days(400),
                not_after: now - days(30),
                revoked_at: None,
            });
            people.push(Person {
                suffix: "approver-revoked",
                role: Role::Approver,
                common_name: person_name(index, 4),
                position: "Phó Giám đốc",
                not_before: now - days(10),
                not_after: now + days(3 * YEAR),
                revoked_at: Some(now - days(1)),
            });
        }

        let mut revoked = Vec::new();
        for person in people {
            let id = format!("{}-{}", dept.id, person.suffix);
            let key = new_key("credential key")?;
            let serial = b.serial()?;
            if let Some(at) = person.revoked_at {
                revoked.push(RevokedCertParams {
                    serial_number: serial.clone(),
                    revocation_time: at,
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                });
            }
            let mut params = base_params(
                dn(&[
                    (DnType::CountryName, "VN"),
                    (DnType::OrganizationName, &dept.name),
                    (DnType::CustomDnType(arcs(oid::TITLE)?), person.position),
                    (DnType::CommonName, &person.common_name),
                ]),
                serial,
                person.not_before,
                person.not_after,
            );
            params.is_ca = IsCa::ExplicitNoCa;
            params.use_authority_key_identifier_extension = true;
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ];
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::Other(arcs(oid::KP_DOCUMENT_SIGNING)?),
                ExtendedKeyUsagePurpose::EmailProtection,
            ];
            from_ca.apply(&mut params)?;
            let cert = params
                .signed_by(&key, &*ca)
                .map_err(gen_err("end-entity certificate"))?;
            let cert_rel = format!("credentials/{id}/cert.pem");
            let key_rel = format!("credentials/{id}/key.pk8");
            b.add(&cert_rel, cert.pem(), false);
            b.add(&key_rel, key.serialize_der(), true);
            let pin_argon2id = match (&pin, person.role) {
                (Some(_), Role::Seal) | (None, _) => None,
                (Some((pin, hash)), _) => {
                    b.add(&format!("credentials/{id}/pin"), format!("{pin}\n"), true);
                    Some(hash.clone())
                }
            };
            infos.push(info_of(&id, person.role, &dept.id, cert.der())?);
            manifest.credentials.push(CredentialEntry {
                id,
                role: person.role,
                department: dept.id.clone(),
                cert: cert_rel,
                key: key_rel,
                chain: vec![ca_rel.clone()],
                signature_algorithm: None,
                pin_argon2id,
                totp_secret: None,
            });
        }
        b.add(
            &crl_rel,
            empty_or_revoking_crl(&ca, now, revoked, "department CRL")?,
            false,
        );
        manifest.crls.push(crl_rel);
    }

    b.add_manifest(&manifest)?;
    b.add(ROOT_FILE, root_pem, false);

    for file in &b.files {
        write_file(&file.path, &file.data, file.secret)?;
    }

    infos.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(DevPkiSummary {
        credentials: infos,
        tsa: tsa_info,
        root_fingerprint: fingerprint(root.der()),
    })
}

/// The timestamp authority's certificate: keyUsage digitalSignature + nonRepudiation and the
/// critical timeStamping EKU RFC 3161 §2.3 requires.
fn tsa_certificate(
    key: &KeyPair,
    root: &Issuer<'_, KeyPair>,
    pointers: &Pointers<'_>,
    serial: SerialNumber,
    (not_before, not_after): (OffsetDateTime, OffsetDateTime),
) -> Result<rcgen::Certificate, PkiError> {
    let mut params = base_params(
        dn(&[
            (DnType::CountryName, "VN"),
            (DnType::OrganizationName, DEV_ORG),
            (DnType::CommonName, TSA_CN),
        ]),
        serial,
        not_before,
        not_after,
    );
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    // ExtKeyUsageSyntax ::= SEQUENCE { id-kp-timeStamping }. Written by hand because rcgen
    // always marks EKU non-critical, and RFC 3161 §2.3 requires it critical for a TSA.
    let mut eku_value = der::Writer::with_capacity(16);
    eku_value.sequence(|w| w.oid(oid::KP_TIME_STAMPING));
    let mut eku =
        CustomExtension::from_oid_content(&arcs(oid::EXTENDED_KEY_USAGE)?, eku_value.into_vec());
    eku.set_criticality(true);
    params.custom_extensions.push(eku);
    pointers.apply(&mut params)?;
    params
        .signed_by(key, root)
        .map_err(gen_err("TSA certificate"))
}

/// Gives a development hierarchy a new timestamp authority key and certificate, valid from now
/// for `valid_days` (at most until the root expires), and points credentials.toml at them.
/// The old certificate and key stay on disk: past timestamps carry the old certificate, which
/// still chains to the root. Long-term renewal (`archive renew`) needs a TSA certificate that
/// outlives the timestamps it renews; a real TSA is installed as certs/README.md explains.
/// The new certificate's revocation pointers are under `public_url`, like `init_dev_pki_with`'s.
pub fn rotate_dev_tsa(
    dir: &Path,
    valid_days: i64,
    public_url: &str,
) -> Result<CredentialInfo, PkiError> {
    check_public_url(public_url)?;
    let io = |path: PathBuf| move |source| PkiError::Io { path, source };
    let root_path = dir.join(ROOT_FILE);
    let root_pem = std::fs::read_to_string(&root_path).map_err(io(root_path.clone()))?;
    let key_path = dir.join("root.key");
    let root_key_der = std::fs::read(&key_path).map_err(io(key_path.clone()))?;
    let root_key = KeyPair::try_from(root_key_der.as_slice())
        .map_err(gen_err("reading root.key (the development root's key)"))?;
    let root_der = x509_parser::pem::parse_x509_pem(root_pem.as_bytes())
        .map(|(_, pem)| pem.contents)
        .map_err(|e| PkiError::Generate {
            what: "reading root.pem".into(),
            reason: e.to_string(),
        })?;
    let root_cert = parse_certificate(&root_path, &root_der)?;
    let root_not_after = root_cert.validity().not_after.to_datetime();
    drop(root_cert);
    let root = Issuer::from_ca_cert_pem(&root_pem, root_key)
        .map_err(gen_err("reading root.pem as an issuer"))?;

    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest_text =
        std::fs::read_to_string(&manifest_path).map_err(io(manifest_path.clone()))?;
    let mut manifest: Manifest =
        toml::from_str(&manifest_text).map_err(|e| PkiError::Generate {
            what: MANIFEST_FILE.into(),
            reason: e.to_string(),
        })?;

    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    if valid_days < 1 {
        return Err(PkiError::Generate {
            what: "TSA certificate".into(),
            reason: "the validity must be at least one day".into(),
        });
    }
    let not_after = (now + Duration::days(valid_days)).min(root_not_after);
    let mut b = Builder {
        dir: dir.to_path_buf(),
        rng: SystemRandom::new(),
        files: Vec::new(),
    };
    let key = new_key("TSA key")?;
    let pointers = Pointers {
        base: public_url,
        crl_file: "root.crl",
        issuer_file: ROOT_FILE,
    };
    let cert = tsa_certificate(
        &key,
        &root,
        &pointers,
        b.serial()?,
        (now - Duration::days(DAY), not_after),
    )?;
    // Named by the certificate's fingerprint, so a rotation never overwrites what earlier
    // timestamps were made with.
    let name = hex::encode(&fingerprint(cert.der())[..8]);
    let cert_rel = format!("tsa/cert-{name}.pem");
    let key_rel = format!("tsa/key-{name}.pk8");
    b.add(&key_rel, key.serialize_der(), true);
    b.add(&cert_rel, cert.pem(), false);
    manifest.tsa = Some(TsaEntry {
        cert: cert_rel,
        key: key_rel,
        chain: Vec::new(),
        signature_algorithm: None,
    });
    // The manifest last: until it names them, the new files are unused.
    b.add_manifest(&manifest)?;
    for file in &b.files {
        write_file(&file.path, &file.data, file.secret)?;
    }
    info_of("tsa", Role::Seal, "", cert.der())
}

struct Person {
    suffix: &'static str,
    role: Role,
    common_name: String,
    position: &'static str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
}

pub(super) fn empty_or_revoking_crl(
    issuer: &Issuer<'_, KeyPair>,
    now: OffsetDateTime,
    revoked_certs: Vec<RevokedCertParams>,
    what: &str,
) -> Result<Vec<u8>, PkiError> {
    let params = CertificateRevocationListParams {
        this_update: now,
        next_update: now + Duration::days(30),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = params.signed_by(issuer).map_err(gen_err(what))?;
    Ok(crl.der().to_vec())
}

fn info_of(id: &str, role: Role, department: &str, der: &[u8]) -> Result<CredentialInfo, PkiError> {
    let cert = parse_certificate(Path::new(id), der)?;
    Ok(credential_info(id, role, department, &cert, der))
}

#[cfg(test)]
mod tests;
