//! The development TLS material: a client CA (which also issues the server's certificate, so
//! clients trust the server with the same file), a server certificate for `localhost`, and one
//! client certificate per department system plus one for an archivist. Like the rest of the
//! development PKI it is written only where none exists, with `client-ca.pem` last, and is
//! never for production.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    path::Path,
};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType,
};
use ring::rand::SystemRandom;
use time::{Duration, OffsetDateTime};

use super::dev::{
    base_params, dn, empty_or_revoking_crl, gen_err, new_key, random_serial, DevDepartment, DEV_ORG,
};
use super::error::PkiError;
use super::files::parse_certificate;
use super::files::write_file;
use crate::crypto::sha256;

/// The files, relative to the PKI directory.
pub const CLIENT_CA_FILE: &str = "client-ca.pem";
pub const CLIENT_CA_KEY_FILE: &str = "client-ca.key";
pub const CLIENT_CA_CRL_FILE: &str = "client-ca.crl";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server.key";
pub const CLIENTS_DIR: &str = "clients";
/// The name of the archivist's client certificate in `clients/`.
pub const ARCHIVIST: &str = "archivist";

/// One client certificate the development PKI wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevClient {
    /// `clients/<name>.pem`: a department id, or "archivist".
    pub name: String,
    /// The department it acts for; `None` for the archivist (every department).
    pub department: Option<String>,
    pub spki_sha256: [u8; 32],
}

/// Whether `dir` holds the development TLS material.
pub fn dev_tls_exists(dir: &Path) -> bool {
    dir.join(CLIENT_CA_FILE).is_file()
}

/// The path of a client's certificate and key in a PKI directory.
pub fn dev_client_files(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = dir.join(CLIENTS_DIR);
    (
        base.join(format!("{name}.pem")),
        base.join(format!("{name}.key")),
    )
}

/// Writes the development TLS material into `dir`; refuses if `client-ca.pem` exists.
pub fn init_dev_tls(dir: &Path, departments: &[DevDepartment]) -> Result<Vec<DevClient>, PkiError> {
    let marker = dir.join(CLIENT_CA_FILE);
    if marker.exists() {
        return Err(PkiError::AlreadyExists { path: marker });
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let rng = SystemRandom::new();
    let mut files: Vec<(String, Vec<u8>, bool)> = Vec::new();

    let ca_key = new_key("client CA key")?;
    files.push((CLIENT_CA_KEY_FILE.into(), ca_key.serialize_der(), true));
    let mut ca_params = base_params(
        dn(&[
            (DnType::CountryName, "VN"),
            (DnType::OrganizationName, DEV_ORG),
            (DnType::CommonName, "ketqua Development Client CA"),
        ]),
        random_serial(&rng)?,
        now - Duration::hours(1),
        now + Duration::days(20 * 365),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(gen_err("client CA"))?;
    files.push((
        CLIENT_CA_CRL_FILE.into(),
        empty_or_revoking_crl(&ca, now, Vec::new(), "client CA CRL")?,
        false,
    ));

    let mut server = leaf_params(&rng, now, "localhost", DEV_ORG)?;
    server.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(gen_err("server name"))?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = new_key("server key")?;
    let server_cert = server
        .signed_by(&server_key, &*ca)
        .map_err(gen_err("server certificate"))?;
    files.push((
        SERVER_CERT_FILE.into(),
        server_cert.pem().into_bytes(),
        false,
    ));
    files.push((
        SERVER_KEY_FILE.into(),
        server_key.serialize_pem().into_bytes(),
        true,
    ));

    let mut clients = Vec::new();
    let systems = departments
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                Some(d.id.clone()),
                format!("{} — hệ thống một cửa", d.name),
            )
        })
        .chain(std::iter::once((
            ARCHIVIST.to_owned(),
            None,
            "Lưu trữ viên (archivist)".to_owned(),
        )));
    for (name, department, common_name) in systems {
        let mut params = leaf_params(&rng, now, &common_name, DEV_ORG)?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = new_key("client key")?;
        let cert = params
            .signed_by(&key, &*ca)
            .map_err(gen_err("client certificate"))?;
        files.push((
            format!("{CLIENTS_DIR}/{name}.pem"),
            cert.pem().into_bytes(),
            false,
        ));
        files.push((
            format!("{CLIENTS_DIR}/{name}.key"),
            key.serialize_pem().into_bytes(),
            true,
        ));
        clients.push(DevClient {
            name,
            department,
            spki_sha256: spki_sha256(cert.der())?,
        });
    }
    files.push((CLIENT_CA_FILE.into(), ca.pem().into_bytes(), false));
    for (rel, data, secret) in &files {
        write_file(&dir.join(rel), data, *secret)?;
    }
    Ok(clients)
}

fn leaf_params(
    rng: &SystemRandom,
    now: OffsetDateTime,
    common_name: &str,
    organisation: &str,
) -> Result<CertificateParams, PkiError> {
    let mut params = base_params(
        dn(&[
            (DnType::CountryName, "VN"),
            (DnType::OrganizationName, organisation),
            (DnType::CommonName, common_name),
        ]),
        random_serial(rng)?,
        now - Duration::hours(1),
        now + Duration::days(5 * 365),
    );
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    Ok(params)
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo: what the callers table names.
pub fn spki_sha256(certificate_der: &[u8]) -> Result<[u8; 32], PkiError> {
    let cert = parse_certificate(Path::new("client certificate"), certificate_der)?;
    Ok(sha256(cert.public_key().raw))
}

/// Revokes the development client certificate `clients/<name>.pem`: re-issues
/// `client-ca.crl` with its serial added. A running server reads the CRL at start.
pub fn revoke_dev_client(dir: &Path, name: &str) -> Result<(), PkiError> {
    let io = |path: std::path::PathBuf| move |source| PkiError::Io { path, source };
    let read = |rel: &str| std::fs::read(dir.join(rel)).map_err(io(dir.join(rel)));
    let ca_pem = String::from_utf8_lossy(&read(CLIENT_CA_FILE)?).into_owned();
    let ca_key = KeyPair::try_from(read(CLIENT_CA_KEY_FILE)?.as_slice())
        .map_err(gen_err("reading client-ca.key"))?;
    let ca = Issuer::from_ca_cert_pem(&ca_pem, ca_key).map_err(gen_err("reading client-ca.pem"))?;
    let (cert_path, _) = dev_client_files(dir, name);
    let pem = std::fs::read(&cert_path).map_err(io(cert_path.clone()))?;
    let der = x509_parser::pem::parse_x509_pem(&pem)
        .map(|(_, p)| p.contents)
        .map_err(|e| PkiError::Generate {
            what: format!("reading {}", cert_path.display()),
            reason: e.to_string(),
        })?;
    let serial = parse_certificate(&cert_path, &der)?.raw_serial().to_vec();
    // Keep what the CRL already revokes.
    let mut revoked = Vec::new();
    if let Ok(old) = read(CLIENT_CA_CRL_FILE) {
        if let Ok((_, crl)) = x509_parser::parse_x509_crl(&old) {
            for entry in crl.iter_revoked_certificates() {
                revoked.push(entry.raw_serial().to_vec());
            }
        }
    }
    if !revoked.contains(&serial) {
        revoked.push(serial);
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let entries = revoked
        .iter()
        .map(|serial| RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(serial),
            revocation_time: now,
            reason_code: Some(RevocationReason::CessationOfOperation),
            invalidity_date: None,
        })
        .collect();
    let crl = empty_or_revoking_crl(&ca, now, entries, "client CA CRL")?;
    write_file(&dir.join(CLIENT_CA_CRL_FILE), &crl, false)
}
