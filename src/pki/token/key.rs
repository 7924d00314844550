//! A signing key that stays on a PKCS#11 token: the module is loaded once per library path and
//! shared, the token found by its URI, the user logged in with the PIN, and the private key
//! object found by label or id. Every signature is the token's; the key never enters memory.
//!
//! A token can go away while the server runs (an HSM restarts, a USB token is pulled). The
//! session is kept behind a mutex (cryptoki's `Session` is `Send` but not `Sync`) and dropped
//! on the first failure; the next signature opens a new session, logs in and finds the key
//! again, so a token that comes back works without restarting the server. A failure is
//! reported as such ([`TokenFailure`]), never as a bad signature.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, PoisonError},
};

use cryptoki::{
    context::{CInitializeArgs, CInitializeFlags, Pkcs11},
    error::{Error as P11Error, RvError},
    mechanism::{
        rsa::{PkcsMgfType, PkcsPssParams},
        Mechanism, MechanismType,
    },
    object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle},
    session::{Session, UserType},
    slot::Slot,
    types::AuthPin,
};
use ring::signature::UnparsedPublicKey;

use super::uri::{PinSource, TokenUri};
use crate::crypto::{der, sha256, SignatureAlgorithm};

/// The module used when neither the URI's `module-path` nor the configuration names one:
/// SoftHSM2 as Debian installs it, the token the development setup and the tests use.
pub const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// One context per module path for the whole process: PKCS#11 allows one `C_Initialize` per
/// library, and credentials on the same module share it (and its login state). Never
/// finalized: the keys live as long as the server.
static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

/// Why the token could not be used, in words that name the token and the slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFailure {
    /// The token as the URI names it, and the slot once it was found.
    pub token: String,
    pub reason: String,
}

/// A private key on a token, ready to sign with the credential's algorithm.
pub struct TokenKey {
    uri: TokenUri,
    context: Pkcs11,
    pin: AuthPin,
    algorithm: SignatureAlgorithm,
    live: Mutex<Option<Live>>,
}

/// An open, logged-in session and the key's handle in it (handles are per session).
struct Live {
    session: Session,
    key: ObjectHandle,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("uri", &self.uri.to_string())
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    /// Loads the module, finds the token and the key, logs in, and checks that the key is the
    /// certificate's: its type, and a probe signature that verifies with `certificate_public`
    /// (the certificate's subjectPublicKey). `dir` resolves a relative `pin-source`;
    /// `default_module` applies when the URI names none.
    pub fn open(
        uri: TokenUri,
        dir: &Path,
        default_module: Option<&Path>,
        algorithm: SignatureAlgorithm,
        certificate_public: &[u8],
    ) -> Result<TokenKey, TokenFailure> {
        let token = uri.token_description();
        let fail = |reason: String| TokenFailure {
            token: token.clone(),
            reason,
        };
        let module = module_path(&uri, default_module);
        let context = module_context(&module).map_err(fail)?;
        let pin = read_pin(&uri, dir).map_err(fail)?;
        let key = TokenKey {
            uri,
            context,
            pin,
            algorithm,
            live: Mutex::new(None),
        };
        let live = key.connect()?;
        key.check_type(&live)?;
        let probe = b"ketqua: does this token key belong to the certificate?";
        let signature = key.sign_in(&live, probe).map_err(|e| key.failure(e))?;
        UnparsedPublicKey::new(algorithm.verification_algorithm(), certificate_public)
            .verify(probe, &signature)
            .map_err(|_| {
                key.failure(
                    "the key on the token does not match the certificate (its signature does not verify with the certificate's public key); check the URI's object/id"
                        .into(),
                )
            })?;
        *key.lock() = Some(live);
        Ok(key)
    }

    /// The URI, without its PIN.
    pub fn uri(&self) -> &TokenUri {
        &self.uri
    }

    /// Signs `message` (SHA-256 inside, on the token or here for ECDSA); ECDSA comes out as a
    /// DER ECDSA-Sig-Value, as CMS and X.509 want. A failure drops the session; a session that
    /// had gone stale while the token was away gets one retry on a new session, so the first
    /// call after the token is back succeeds.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TokenFailure> {
        let mut live = self.lock();
        let first = match live.take() {
            Some(existing) => match self.sign_in(&existing, message) {
                Ok(signature) => {
                    *live = Some(existing);
                    return Ok(signature);
                }
                Err(reason) => {
                    tracing::warn!(token = %self.uri, %reason, "token signing failed; reconnecting");
                    Some(reason)
                }
            },
            None => None,
        };
        let fresh = self.connect().map_err(|mut failure| {
            if let Some(first) = &first {
                failure.reason = format!("{first}; then {}", failure.reason);
            }
            failure
        })?;
        let signature = self.sign_in(&fresh, message).map_err(|e| self.failure(e))?;
        *live = Some(fresh);
        Ok(signature)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Live>> {
        // A panic while holding the lock leaves at worst a session to reopen.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn failure(&self, reason: String) -> TokenFailure {
        TokenFailure {
            token: self.uri.token_description(),
            reason,
        }
    }

    /// Finds the slot, opens a session, logs in, finds the key.
    fn connect(&self) -> Result<Live, TokenFailure> {
        let slot = find_slot(&self.context, &self.uri).map_err(|e| self.failure(e))?;
        let in_slot = |reason: String| TokenFailure {
            token: format!("{} in slot {}", self.uri.token_description(), slot.id()),
            reason,
        };
        let session = self
            .context
            .open_ro_session(slot)
            .map_err(|e| in_slot(format!("cannot open a session ({})", describe(&e))))?;
        login(&session, &self.pin).map_err(in_slot)?;
        let key = find_key(&session, &self.uri).map_err(in_slot)?;
        Ok(Live { session, key })
    }

    /// The key's type must be the certificate's, or the probe would fail with a vaguer message.
    fn check_type(&self, live: &Live) -> Result<(), TokenFailure> {
        let attributes = live
            .session
            .get_attributes(live.key, &[AttributeType::KeyType])
            .map_err(|e| self.failure(format!("cannot read the key's type ({})", describe(&e))))?;
        let wanted = if self.algorithm.is_rsa() {
            KeyType::RSA
        } else {
            KeyType::EC
        };
        match attributes.first() {
            Some(Attribute::KeyType(kind)) if *kind == wanted => Ok(()),
            Some(Attribute::KeyType(kind)) => Err(self.failure(format!(
                "the key on the token is of type {kind}, but the certificate needs {wanted}"
            ))),
            _ => Err(self.failure("the token does not say the key's type".into())),
        }
    }

    fn sign_in(&self, live: &Live, message: &[u8]) -> Result<Vec<u8>, String> {
        let signed = match self.algorithm {
            SignatureAlgorithm::EcdsaP256Sha256 => {
                // CKM_ECDSA signs a digest and gives raw r || s.
                let raw = live
                    .session
                    .sign(&Mechanism::Ecdsa, live.key, &sha256(message))
                    .map_err(|e| describe(&e))?;
                return ecdsa_der(&raw).ok_or_else(|| {
                    format!(
                        "the token returned a {}-byte ECDSA signature; P-256 gives 64",
                        raw.len()
                    )
                });
            }
            SignatureAlgorithm::RsaPkcs1Sha256 => {
                live.session
                    .sign(&Mechanism::Sha256RsaPkcs, live.key, message)
            }
            SignatureAlgorithm::RsaPssSha256 => {
                // What ring verifies: SHA-256, MGF1 with SHA-256, a 32-byte salt.
                let params = PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32.into(),
                };
                live.session
                    .sign(&Mechanism::Sha256RsaPkcsPss(params), live.key, message)
            }
        };
        signed.map_err(|e| describe(&e))
    }
}

/// The URI's module, else the configured one, else [`DEFAULT_MODULE`].
pub fn module_path(uri: &TokenUri, default_module: Option<&Path>) -> PathBuf {
    uri.module_path
        .clone()
        .or_else(|| default_module.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MODULE))
}

/// The process's context for a module, loaded and initialized on first use.
pub(super) fn module_context(path: &Path) -> Result<Pkcs11, String> {
    let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, context)) = modules.iter().find(|(p, _)| p == path) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(path).map_err(|e| {
        format!(
            "cannot load the PKCS#11 module {} ({e}); install it or set module-path in the URI",
            path.display()
        )
    })?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(format!(
                "the PKCS#11 module {} does not initialize ({})",
                path.display(),
                describe(&e)
            ))
        }
    }
    modules.push((path.to_path_buf(), context.clone()));
    Ok(context)
}

/// The user PIN from the URI's `pin-source` file (first line) or `pin-value`.
pub(super) fn read_pin(uri: &TokenUri, dir: &Path) -> Result<AuthPin, String> {
    match &uri.pin {
        Some(PinSource::Value(pin)) => Ok(AuthPin::from(pin.as_str())),
        Some(PinSource::File(path)) => {
            let path = dir.join(path);
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the PIN file {} ({e})", path.display()))?,
            );
            let pin = text.lines().next().unwrap_or_default();
            if pin.is_empty() {
                return Err(format!("the PIN file {} is empty", path.display()));
            }
            Ok(AuthPin::from(pin))
        }
        None => Err("the URI gives no PIN: add ?pin-source=file:PATH (or pin-value=…)".into()),
    }
}

/// The slot whose token matches every token attribute the URI gives.
pub(super) fn find_slot(context: &Pkcs11, uri: &TokenUri) -> Result<Slot, String> {
    let slots = context
        .get_slots_with_token()
        .map_err(|e| format!("cannot list the module's slots ({})", describe(&e)))?;
    let mut present = Vec::new();
    for slot in slots {
        let Ok(info) = context.get_token_info(slot) else {
            continue;
        };
        let matches = |wanted: &Option<String>, actual: &str| {
            wanted.as_deref().is_none_or(|w| w == actual.trim_end())
        };
        if uri.slot_id.is_none_or(|id| id == slot.id())
            && matches(&uri.token, info.label())
            && matches(&uri.serial, info.serial_number())
            && matches(&uri.manufacturer, info.manufacturer_id())
            && matches(&uri.model, info.model())
        {
            return Ok(slot);
        }
        if info.token_initialized() {
            present.push(format!("slot {} `{}`", slot.id(), info.label().trim_end()));
        }
    }
    let present = if present.is_empty() {
        "no initialized token is present".to_owned()
    } else {
        format!("present: {}", present.join(", "))
    };
    Err(format!(
        "the token is absent: no slot holds it ({present}); plug it in or check the URI"
    ))
}

/// Logs the user in. Login is per application and token, so another credential's session may
/// have done it already.
pub(super) fn login(session: &Session, pin: &AuthPin) -> Result<(), String> {
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(P11Error::Pkcs11(RvError::PinIncorrect, _)) => {
            Err("the token refused the PIN (CKR_PIN_INCORRECT); check the pin-source file".into())
        }
        Err(P11Error::Pkcs11(RvError::PinLocked, _)) => {
            Err("the token's user PIN is locked; its security officer must unlock it".into())
        }
        Err(e) => Err(format!("login failed ({})", describe(&e))),
    }
}

/// The one private key the URI's `object` and `id` select.
pub(super) fn find_key(session: &Session, uri: &TokenUri) -> Result<ObjectHandle, String> {
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    template.extend(
        uri.object
            .as_ref()
            .map(|l| Attribute::Label(l.as_bytes().to_vec())),
    );
    template.extend(uri.id.clone().map(Attribute::Id));
    let found = session
        .find_objects(&template)
        .map_err(|e| format!("cannot search the token ({})", describe(&e)))?;
    match found.as_slice() {
        [key] => Ok(*key),
        [] => Err(format!(
            "the token holds no private key {}",
            object_description(uri)
        )),
        more => Err(format!(
            "the token holds {} private keys {}; add id=… to the URI to choose one",
            more.len(),
            object_description(uri)
        )),
    }
}

pub(super) fn object_description(uri: &TokenUri) -> String {
    match (&uri.object, &uri.id) {
        (Some(label), Some(id)) => format!("labelled `{label}` with id {}", hex::encode(id)),
        (Some(label), None) => format!("labelled `{label}`"),
        (None, Some(id)) => format!("with id {}", hex::encode(id)),
        (None, None) => String::new(),
    }
}

/// A PKCS#11 error in a few words: the return value and the function that gave it.
pub(super) fn describe(error: &P11Error) -> String {
    match error {
        P11Error::Pkcs11(rv, function) => format!("{rv:?} from {function:?}"),
        other => other.to_string(),
    }
}

/// Raw `r || s` (PKCS#11 §2.3.1) as DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
fn ecdsa_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() != 64 {
        return None;
    }
    let (r, s) = raw.split_at_checked(32)?;
    let mut writer = der::Writer::with_capacity(72);
    writer.sequence(|w| {
        w.unsigned_integer(r);
        w.unsigned_integer(s);
    });
    Some(writer.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_becomes_der_integers_without_sign_trouble() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r needs a leading zero to stay positive
        raw[63] = 0x01; // s is small: leading zeros dropped
        let der = ecdsa_der(&raw).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert!(ecdsa_der(&raw[..63]).is_none());
    }

    #[test]
    fn a_missing_module_is_named() {
        let error = module_context(Path::new("/nonexistent/libpkcs11.so")).unwrap_err();
        assert!(error.contains("/nonexistent/libpkcs11.so"), "{error}");
    }
}
