//! Certificates and keys: the development hierarchy, the key store of signing credentials and
//! their revocation status from CRLs. Which key types, sizes and algorithms are acceptable is
//! the `crypto` policy's decision; this module applies it to files an operator provides.
//!
//! Chain validation against trust anchors is deliberately not here: `verify` owns it, so that
//! signing and verifying never share a shortcut that could hide a broken chain.

mod activation;
mod at_rest;
mod credential;
mod crl;
mod dev;
mod error;
mod files;
mod keystore;
mod manifest;
mod names;
mod ocsp;
mod pointers;
mod policy;
mod responder;
mod tls;
mod token;
mod totp;

pub use activation::{hash_pin, random_pin, Accepted, Activation};
pub use at_rest::{encrypt_key, encrypt_key_files, read_key, KeyAccess};
pub use credential::{fingerprint, Credential, CredentialInfo};
pub use dev::{
    default_dev_departments, dev_pki_exists, init_dev_pki, init_dev_pki_with, rotate_dev_tsa,
    DevDepartment, DevPkiSummary,
};
pub(crate) use error::rfc3339;
pub use error::{CredentialProblem, PkiError};
pub use keystore::KeyStore;
pub use manifest::MANIFEST_FILE;
pub use ocsp::{
    parse_response as parse_ocsp_response, CertStatus, OcspResponse, ResponderId,
    ResponseProblem as OcspProblem, SingleResponse,
};
pub use pointers::{
    cer_name, check_public_url, published_url, DEFAULT_PUBLIC_URL, OCSP_PATH, PUBLISHED_PREFIX,
};
pub use tls::{
    dev_client_files, dev_tls_exists, init_dev_tls, revoke_dev_client, spki_sha256, DevClient,
    ARCHIVIST, CLIENTS_DIR, CLIENT_CA_CRL_FILE, CLIENT_CA_FILE, CLIENT_CA_KEY_FILE,
    SERVER_CERT_FILE, SERVER_KEY_FILE,
};
pub use token::{
    move_key_to_token, MoveTarget, MovedKey, TokenMove, TokenUri,
    DEFAULT_MODULE as DEFAULT_PKCS11_MODULE,
};
pub use totp::{
    hotp, matching_step, open_totp_secret, otpauth_uri, random_totp_secret, seal_totp_secret,
    time_step, TOTP_DIGITS, TOTP_PERIOD,
};

#[cfg(test)]
pub(crate) mod testing;
