//! Activation factors: an official's credential may require a PIN before the service signs
//! with it, so that holding a department system's client certificate is not enough to sign as
//! its officials. The PIN is stored as an Argon2id PHC string in `credentials.toml`
//! (`pin_argon2id`); the service counts failures and locks (see `service`).

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use ring::rand::{SecureRandom, SystemRandom};

use super::error::PkiError;

/// What a credential requires before it signs.
#[derive(Clone, PartialEq, Eq)]
pub enum Activation {
    /// A PIN, kept as its Argon2id hash.
    Pin { argon2id: String },
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Activation::Pin { .. } => f.write_str("Activation::Pin"),
        }
    }
}

impl Activation {
    /// Reads a `pin_argon2id` value: it must be an Argon2id PHC string.
    pub fn pin(phc: &str) -> Result<Activation, String> {
        let hash = PasswordHash::new(phc).map_err(|e| format!("pin_argon2id: {e}"))?;
        if hash.algorithm.as_str() != "argon2id" {
            return Err(format!(
                "pin_argon2id must be an Argon2id hash, not {}",
                hash.algorithm
            ));
        }
        Ok(Activation::Pin {
            argon2id: phc.to_owned(),
        })
    }

    /// Whether `factor` activates the credential. Constant-time in the factor (Argon2's
    /// comparison); costs one Argon2id evaluation.
    pub fn accepts(&self, factor: &str) -> bool {
        match self {
            Activation::Pin { argon2id } => PasswordHash::new(argon2id)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(factor.as_bytes(), &hash)
                        .is_ok()
                })
                .unwrap_or(false),
        }
    }
}

/// The Argon2id PHC string of a PIN (default parameters: m = 19 MiB, t = 2, p = 1), with a
/// random salt.
pub fn hash_pin(pin: &str) -> Result<String, PkiError> {
    let fail = |reason: String| PkiError::Generate {
        what: "a PIN hash".into(),
        reason,
    };
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| fail("the system random number generator failed".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| fail(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| fail(e.to_string()))
}

/// A random PIN of six decimal digits.
pub fn random_pin() -> Result<String, PkiError> {
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| PkiError::Generate {
            what: "a PIN".into(),
            reason: "the system random number generator failed".into(),
        })?;
    Ok(format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_activates_and_others_do_not() {
        let pin = random_pin().unwrap();
        assert_eq!(pin.len(), 6);
        let activation = Activation::pin(&hash_pin(&pin).unwrap()).unwrap();
        assert!(activation.accepts(&pin));
        assert!(!activation.accepts("not the pin"));
        assert!(!activation.accepts(""));
        assert!(Activation::pin("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA").is_err());
        assert!(Activation::pin("plain").is_err());
    }
}
