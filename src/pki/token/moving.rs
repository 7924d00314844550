//! Moving a credential's PKCS#8 key file onto a token (`ketqua pki move-key-to-token`): the
//! key is imported as a sensitive, non-extractable private key object (with its public key
//! beside it, for tools that list a token), the token is made to sign and the signature is
//! checked against the certificate, `credentials.toml` is pointed at the URI, and the key
//! file is deleted. Each step runs only if the one before succeeded, so an interruption
//! leaves the key usable in the file, on the token, or both.

use std::path::{Path, PathBuf};

use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use pkcs8::{der::Decode, PrivateKeyInfo};
use x509_parser::certificate::X509Certificate;

use super::key::{
    describe, find_key, find_slot, login, module_context, module_path, object_description,
    read_pin, TokenKey,
};
use super::uri::{encode_value, TokenUri};
use crate::crypto::{der, oid, sha256, SignatureAlgorithm};
use crate::pki::{
    at_rest::{open_key, KeyAccess},
    error::PkiError,
    files::{parse_certificate, read_key_der, read_single_certificate},
    manifest::{set_key, Manifest},
    policy::choose_algorithm,
};

/// Whose key moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveTarget {
    /// A `[[credential]]` by id.
    Credential(String),
    /// The timestamp authority's `[tsa]`.
    Tsa,
}

/// What `move_key_to_token` is asked to do.
#[derive(Debug)]
pub struct TokenMove<'a> {
    /// The key store directory.
    pub dir: &'a Path,
    pub target: MoveTarget,
    /// The URI naming the token and the new key's label (`object`) and/or `id`.
    pub uri: &'a str,
    /// Added to the URI as `module-path` when it has none.
    pub module: Option<&'a Path>,
    /// Added to the URI as `pin-source=file:…` (made absolute) when it has no PIN.
    pub pin_file: Option<&'a Path>,
    /// Opens an encrypted key file; its `pkcs11_module` applies when neither the URI nor
    /// `module` names one.
    pub access: &'a KeyAccess,
    pub keep_key_file: bool,
}

/// What was done.
#[derive(Debug)]
pub struct MovedKey {
    /// The URI now in `credentials.toml`, without a PIN value.
    pub uri: String,
    pub key_file: PathBuf,
    /// Whether the key file was deleted (not with `keep_key_file`, nor when another entry of
    /// the manifest still names it).
    pub removed: bool,
}

/// Moves the target's key onto the token; see the module documentation for the steps.
pub fn move_key_to_token(request: &TokenMove<'_>) -> Result<MovedKey, PkiError> {
    let (id, credential) = match &request.target {
        MoveTarget::Credential(id) => (id.as_str(), Some(id.as_str())),
        MoveTarget::Tsa => ("tsa", None),
    };
    let invalid = |reason: String| PkiError::InvalidCredential {
        id: id.to_owned(),
        reason,
    };
    let manifest = Manifest::read(request.dir)?;
    let (cert, key, requested) = match credential {
        Some(wanted) => manifest
            .credentials
            .iter()
            .find(|c| c.id == wanted)
            .map(|c| (&c.cert, &c.key, c.signature_algorithm.as_deref())),
        None => manifest
            .tsa
            .as_ref()
            .map(|t| (&t.cert, &t.key, t.signature_algorithm.as_deref())),
    }
    .ok_or_else(|| invalid("no such credential in credentials.toml".into()))?;
    if TokenUri::is_uri(key) {
        return Err(invalid(format!("the key is already on a token: {key}")));
    }
    let uri_text = complete_uri(request)?;
    let uri =
        TokenUri::parse(&uri_text).map_err(|reason| invalid(format!("--token-uri: {reason}")))?;

    let cert_path = request.dir.join(cert);
    let certificate_der = read_single_certificate(&cert_path)?;
    let certificate = parse_certificate(&cert_path, &certificate_der)?;
    let requested = requested
        .map(str::parse::<SignatureAlgorithm>)
        .transpose()
        .map_err(invalid)?;
    let algorithm = choose_algorithm(id, &certificate, &cert_path, requested)?;
    let key_file = request.dir.join(key);
    let pkcs8 = open_key(&key_file, read_key_der(&key_file)?, request.access)?;

    let default_module = request.access.pkcs11_module.as_deref();
    let token_error = |reason: String| PkiError::Token {
        id: id.to_owned(),
        token: uri.token_description(),
        reason,
    };
    let created =
        import(&uri, request.dir, default_module, id, &certificate, &pkcs8).map_err(token_error)?;
    let public = certificate.public_key().subject_public_key.data.as_ref();
    if let Err(failure) =
        TokenKey::open(uri.clone(), request.dir, default_module, algorithm, public)
    {
        // Leave the token as it was: a key that does not sign as the certificate says is of
        // no use there.
        let _ = remove(&uri, request.dir, default_module, &created);
        return Err(PkiError::Token {
            id: id.to_owned(),
            token: failure.token,
            reason: format!(
                "the imported key does not sign as expected: {}",
                failure.reason
            ),
        });
    }
    set_key(request.dir, credential, &uri_text)?;

    // Another entry naming the same file would lose its key with it.
    let shared = manifest
        .credentials
        .iter()
        .map(|c| (Some(c.id.as_str()), &c.key))
        .chain(manifest.tsa.iter().map(|t| (None, &t.key)))
        .any(|(other, k)| other != credential && request.dir.join(k) == key_file);
    let removed = !request.keep_key_file && !shared;
    if removed {
        std::fs::remove_file(&key_file).map_err(|source| PkiError::Io {
            path: key_file.clone(),
            source,
        })?;
    }
    Ok(MovedKey {
        uri: uri.to_string(),
        key_file,
        removed,
    })
}

/// The URI as given, with `module-path` and `pin-source` added from the options when it lacks
/// them, so that the server finds the same module and PIN as this command did.
fn complete_uri(request: &TokenMove<'_>) -> Result<String, PkiError> {
    let mut text = request.uri.to_owned();
    let given = TokenUri::parse(request.uri).map_err(|reason| PkiError::InvalidCredential {
        id: match &request.target {
            MoveTarget::Credential(id) => id.clone(),
            MoveTarget::Tsa => "tsa".into(),
        },
        reason: format!("--token-uri: {reason}"),
    })?;
    let mut add = |attribute: String| {
        text.push(if text.contains('?') { '&' } else { '?' });
        text.push_str(&attribute);
    };
    if let (None, Some(module)) = (&given.module_path, request.module) {
        add(format!(
            "module-path={}",
            encode_value(module.to_string_lossy().as_bytes())
        ));
    }
    if let (None, Some(pin_file)) = (&given.pin, request.pin_file) {
        let absolute = std::path::absolute(pin_file).map_err(|source| PkiError::Io {
            path: pin_file.to_path_buf(),
            source,
        })?;
        add(format!(
            "pin-source=file:{}",
            encode_value(absolute.to_string_lossy().as_bytes())
        ));
    }
    Ok(text)
}

/// Creates the private key object (and its public key) from a PKCS#8 key. Refuses to add a
/// second key under the same label or id, which would make the URI ambiguous.
fn import(
    uri: &TokenUri,
    dir: &Path,
    default_module: Option<&Path>,
    credential: &str,
    certificate: &X509Certificate<'_>,
    pkcs8: &[u8],
) -> Result<Vec<ObjectHandle>, String> {
    let context = module_context(&module_path(uri, default_module))?;
    let pin = read_pin(uri, dir)?;
    let slot = find_slot(&context, uri)?;
    let session = context.open_rw_session(slot).map_err(|e| {
        format!(
            "slot {}: cannot open a session ({})",
            slot.id(),
            describe(&e)
        )
    })?;
    login(&session, &pin)?;
    if find_key(&session, uri).is_ok() {
        return Err(format!(
            "the token already holds a private key {}: choose another object=/id= or remove it first",
            object_description(uri)
        ));
    }
    let public = certificate.public_key().subject_public_key.data.as_ref();
    let label = uri.object.clone().unwrap_or_else(|| credential.to_owned());
    // Without an id in the URI, one derived from the public key, as tools commonly do.
    let id = uri
        .id
        .clone()
        .unwrap_or_else(|| sha256(public).get(..20).unwrap_or_default().to_vec());
    let common = [
        Attribute::Token(true),
        Attribute::Label(label.into_bytes()),
        Attribute::Id(id),
    ];
    let (key_type, private, public_parts) = components(pkcs8, public)?;
    let mut private_template = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(key_type),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
    ];
    private_template.extend(common.iter().cloned());
    private_template.extend(private);
    let mut public_template = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(key_type),
        Attribute::Private(false),
        Attribute::Verify(true),
    ];
    public_template.extend(common.iter().cloned());
    public_template.extend(public_parts);
    let created = session
        .create_object(&private_template)
        .map_err(|e| format!("the token refused the private key ({})", describe(&e)))?;
    match session.create_object(&public_template) {
        Ok(public) => Ok(vec![created, public]),
        Err(e) => {
            let _ = session.destroy_object(created);
            Err(format!(
                "the token refused the public key ({})",
                describe(&e)
            ))
        }
    }
}

/// Destroys objects `import` created, after a failed check.
fn remove(
    uri: &TokenUri,
    dir: &Path,
    default_module: Option<&Path>,
    objects: &[ObjectHandle],
) -> Result<(), String> {
    let context = module_context(&module_path(uri, default_module))?;
    let slot = find_slot(&context, uri)?;
    let session = context.open_rw_session(slot).map_err(|e| describe(&e))?;
    login(&session, &read_pin(uri, dir)?)?;
    for object in objects {
        session.destroy_object(*object).map_err(|e| describe(&e))?;
    }
    Ok(())
}

/// The key type and the private and public key attributes of a PKCS#8 key: EC (P-256) from a
/// SEC1 ECPrivateKey, RSA from a PKCS#1 RSAPrivateKey. `public` is the certificate's
/// subjectPublicKey (the EC point, or the RSAPublicKey DER).
fn components(
    pkcs8: &[u8],
    public: &[u8],
) -> Result<(KeyType, Vec<Attribute>, Vec<Attribute>), String> {
    let bad = |what: &str| format!("the key file is not a usable PKCS#8 {what} key");
    let info = PrivateKeyInfo::from_der(pkcs8).map_err(|e| format!("{} ({e})", bad("")))?;
    let algorithm = info.algorithm.oid.as_bytes();
    if algorithm == oid::EC_PUBLIC_KEY {
        let mut outer = der::Reader::new(info.private_key);
        let mut key = outer.nested(der::SEQUENCE).map_err(|_| bad("EC"))?;
        let _version = key.read_small_uint().map_err(|_| bad("EC"))?;
        let scalar = key.read(der::OCTET_STRING).map_err(|_| bad("EC"))?;
        let mut params = der::Writer::with_capacity(12);
        params.oid(oid::PRIME256V1);
        let mut point = der::Writer::with_capacity(public.len() + 3);
        point.octet_string(public);
        Ok((
            KeyType::EC,
            vec![
                Attribute::EcParams(params.as_slice().to_vec()),
                Attribute::Value(scalar.to_vec()),
            ],
            vec![
                Attribute::EcParams(params.into_vec()),
                Attribute::EcPoint(point.into_vec()),
            ],
        ))
    } else if algorithm == oid::RSA_ENCRYPTION {
        let mut outer = der::Reader::new(info.private_key);
        let mut key = outer.nested(der::SEQUENCE).map_err(|_| bad("RSA"))?;
        let mut integer = || {
            key.read_integer_bytes()
                .map(|b| der::magnitude(b).to_vec())
                .map_err(|_| bad("RSA"))
        };
        let _version = integer()?;
        let modulus = integer()?;
        let exponent = integer()?;
        let private = vec![
            Attribute::Modulus(modulus.clone()),
            Attribute::PublicExponent(exponent.clone()),
            Attribute::PrivateExponent(integer()?),
            Attribute::Prime1(integer()?),
            Attribute::Prime2(integer()?),
            Attribute::Exponent1(integer()?),
            Attribute::Exponent2(integer()?),
            Attribute::Coefficient(integer()?),
        ];
        Ok((
            KeyType::RSA,
            private,
            vec![
                Attribute::Modulus(modulus),
                Attribute::PublicExponent(exponent),
            ],
        ))
    } else {
        Err(bad("ECDSA P-256 or RSA"))
    }
}
