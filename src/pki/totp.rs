//! TOTP activation factors (RFC 6238 over HOTP, RFC 4226): HMAC-SHA-1, 30-second steps, six
//! digits — the parameters every authenticator app uses by default. The shared secret is kept
//! in `credentials.toml` sealed under the key passphrase (PBES2: scrypt and AES-256-CBC, the
//! scheme of the encrypted key files), so reading the manifest does not reveal it.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use pkcs8::{
    der::{Decode, Encode},
    pkcs5::{pbes2, scrypt},
};
use ring::{
    hmac,
    rand::{SecureRandom, SystemRandom},
};
use zeroize::Zeroizing;

use super::error::PkiError;

/// Seconds per time step.
pub const TOTP_PERIOD: i64 = 30;
/// Digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// Steps either side of now whose code is accepted: one, for clocks a little apart and a
/// code typed as its step ends (RFC 6238 §5.2 recommends at most one).
const TOTP_SKEW: i64 = 1;
/// Bytes of a generated secret: 160 bits, the HMAC-SHA-1 block RFC 4226 §4 recommends.
const SECRET_LEN: usize = 20;
/// The prefix of a sealed secret in `credentials.toml`.
const SEALED_PREFIX: &str = "pbes2:";

/// The HOTP value of `counter` (RFC 4226 §5.3), as the six-digit code.
pub fn hotp(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    // Dynamic truncation: the low nibble of the last byte picks four bytes. A SHA-1 MAC is
    // 20 bytes, so offset + 3 ≤ 18 always; `get` keeps that a checked fact.
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
    let bytes: [u8; 4] = mac
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .unwrap_or_default();
    let value = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    format!("{:0width$}", value % 1_000_000, width = TOTP_DIGITS)
}

/// The time step of a Unix time (RFC 6238 §4: T0 = 0).
pub fn time_step(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(TOTP_PERIOD)
}

/// The time step within one step of `unix_seconds` whose code is `code`, newest first, if
/// any. The comparison does not stop at the first differing digit.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = time_step(unix_seconds);
    (-TOTP_SKEW..=TOTP_SKEW)
        .rev()
        .map(|skew| now.saturating_add(skew))
        .filter(|step| *step >= 0)
        .find(|step| {
            let expected = hotp(secret, u64::try_from(*step).unwrap_or(0));
            // Both are six digits (checked above); every digit is compared.
            expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
        })
}

/// A new random secret.
pub fn random_totp_secret() -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let mut secret = Zeroizing::new(vec![0u8; SECRET_LEN]);
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| PkiError::Generate {
            what: "a TOTP secret".into(),
            reason: "the system random number generator failed".into(),
        })?;
    Ok(secret)
}

/// The `otpauth://` URI an authenticator app reads (the de facto Key Uri Format): the secret
/// in unpadded base32.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let secret = data_encoding::BASE32_NOPAD.encode(secret);
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_PERIOD}"
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `secret` sealed under `passphrase`: `pbes2:<base64 DER PBES2 parameters>:<base64
/// ciphertext>`, with a fresh salt and IV, scrypt as for key files (N = 2^14, r = 8, p = 1).
pub fn seal_totp_secret(secret: &[u8], passphrase: &[u8]) -> Result<String, PkiError> {
    let fail = |reason: String| PkiError::Generate {
        what: "a sealed TOTP secret".into(),
        reason,
    };
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt)
        .and_then(|()| rng.fill(&mut iv))
        .map_err(|_| fail("the system random number generator failed".into()))?;
    let kdf = scrypt::Params::new(14, 8, 1, 32).map_err(|e| fail(e.to_string()))?;
    let params =
        pbes2::Parameters::scrypt_aes256cbc(kdf, &salt, &iv).map_err(|e| fail(e.to_string()))?;
    let ciphertext = params
        .encrypt(passphrase, secret)
        .map_err(|e| fail(e.to_string()))?;
    let params_der = params.to_der().map_err(|e| fail(e.to_string()))?;
    Ok(format!(
        "{SEALED_PREFIX}{}:{}",
        BASE64.encode(params_der),
        BASE64.encode(ciphertext)
    ))
}

/// The secret inside a sealed value; `Err` says why without revealing anything of it.
pub fn open_totp_secret(sealed: &str, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    let body = sealed.strip_prefix(SEALED_PREFIX).ok_or_else(|| {
        format!("totp_secret must be sealed (`{SEALED_PREFIX}…`, made by `ketqua pki totp-secret`)")
    })?;
    let (params_b64, ciphertext_b64) = body
        .split_once(':')
        .ok_or("totp_secret is not `pbes2:<parameters>:<ciphertext>`")?;
    let params_der = BASE64
        .decode(params_b64)
        .map_err(|e| format!("totp_secret parameters are not base64: {e}"))?;
    let ciphertext = BASE64
        .decode(ciphertext_b64)
        .map_err(|e| format!("totp_secret ciphertext is not base64: {e}"))?;
    let params = pbes2::Parameters::from_der(&params_der)
        .map_err(|e| format!("totp_secret parameters are not PBES2: {e}"))?;
    let secret = params
        .decrypt(passphrase, &ciphertext)
        .map_err(|_| "the passphrase does not open totp_secret".to_owned())?;
    let secret = Zeroizing::new(secret);
    if secret.len() < 16 {
        return Err("totp_secret holds fewer than 128 bits (RFC 4226 §4)".to_owned());
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (the last six of its eight digits).
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (unix, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let step = u64::try_from(time_step(unix)).unwrap();
            assert_eq!(hotp(secret, step), code, "T = {unix}");
            assert_eq!(matching_step(secret, code, unix), Some(time_step(unix)));
        }
    }

    #[test]
    fn codes_one_step_away_match_and_others_do_not() {
        let secret = b"12345678901234567890";
        let unix = 1_234_567_890;
        let now = time_step(unix);
        let code_of = |step: i64| hotp(secret, u64::try_from(step).unwrap());
        assert_eq!(
            matching_step(secret, &code_of(now - 1), unix),
            Some(now - 1)
        );
        assert_eq!(
            matching_step(secret, &code_of(now + 1), unix),
            Some(now + 1)
        );
        assert_eq!(matching_step(secret, &code_of(now + 2), unix), None);
        assert_eq!(matching_step(secret, &code_of(now - 2), unix), None);
        for junk in ["", "12345", "1234567", "abcdef", "12 345"] {
            assert_eq!(matching_step(secret, junk, unix), None, "{junk:?}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_with_its_passphrase_only() {
        let secret = random_totp_secret().unwrap();
        let sealed = seal_totp_secret(&secret, b"correct horse").unwrap();
        assert!(!sealed.contains(&data_encoding::BASE32_NOPAD.encode(&secret)));
        assert_eq!(
            *open_totp_secret(&sealed, b"correct horse").unwrap(),
            *secret
        );
        assert!(open_totp_secret(&sealed, b"wrong").is_err());
        assert!(open_totp_secret("JBSWY3DPEHPK3PXP", b"correct horse").is_err());
        assert!(open_totp_secret("pbes2:!!:??", b"correct horse").is_err());
    }

    #[test]
    fn the_otpauth_uri_carries_the_base32_secret_and_parameters() {
        let uri = otpauth_uri(b"12345678901234567890", "ketqua STP", "stp-approver");
        assert_eq!(
            uri,
            "otpauth://totp/ketqua%20STP:stp-approver?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ketqua%20STP&algorithm=SHA1&digits=6&period=30"
        );
    }
}
