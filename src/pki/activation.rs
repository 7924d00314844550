//! Activation factors: an official's credential may require a PIN before the service signs
//! with it, so that holding a department system's client certificate is not enough to sign as
//! its officials. A PIN is stored as an Argon2id PHC string in `credentials.toml`
//! (`pin_argon2id`); a TOTP secret sealed under the key passphrase (`totp_secret`, see
//! `totp`). The service counts failures and locks, and spends each TOTP code once.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::error::PkiError;
use super::totp::{matching_step, open_totp_secret};

/// What a credential requires before it signs.
#[derive(Clone, PartialEq, Eq)]
pub enum Activation {
    /// A PIN, kept as its Argon2id hash.
    Pin { argon2id: String },
    /// A code from the official's authenticator (RFC 6238), from this shared secret.
    Totp { secret: Zeroizing<Vec<u8>> },
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Activation::Pin { .. } => f.write_str("Activation::Pin"),
            Activation::Totp { .. } => f.write_str("Activation::Totp"),
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

    /// Reads a `totp_secret` value, opening it with the key passphrase.
    pub fn totp(sealed: &str, passphrase: Option<&[u8]>) -> Result<Activation, String> {
        let passphrase = passphrase.ok_or(
            "totp_secret is sealed under the key passphrase and none is configured: pass --key-passphrase-file or --key-passphrase-env",
        )?;
        Ok(Activation::Totp {
            secret: open_totp_secret(sealed, passphrase)?,
        })
    }

    /// Whether `factor` activates the credential now (`unix_seconds`), and for a TOTP code
    /// the time step it belongs to, which the caller must spend: a code is good once.
    /// Constant-time in the factor; a PIN costs one Argon2id evaluation.
    pub fn check(&self, factor: &str, unix_seconds: i64) -> Accepted {
        match self {
            Activation::Pin { .. } if self.accepts(factor) => Accepted::Pin,
            Activation::Totp { secret } => match matching_step(secret, factor, unix_seconds) {
                Some(step) => Accepted::TotpStep(step),
                None => Accepted::No,
            },
            Activation::Pin { .. } => Accepted::No,
        }
    }

    /// Whether `factor` is the PIN. Constant-time in the factor (Argon2's comparison); costs
    /// one Argon2id evaluation. A TOTP credential accepts nothing here: see [`Self::check`].
    pub fn accepts(&self, factor: &str) -> bool {
        match self {
            Activation::Pin { argon2id } => PasswordHash::new(argon2id)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(factor.as_bytes(), &hash)
                        .is_ok()
                })
                .unwrap_or(false),
            Activation::Totp { .. } => false,
        }
    }
}

/// What [`Activation::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    No,
    Pin,
    /// A TOTP code of this time step, not yet spent.
    TotpStep(i64),
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
