//! Signed checkpoints: the C2SP tlog-checkpoint body in a C2SP signed note, signed with the
//! log's own Ed25519 key (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint).
//!
//! A checkpoint as this log writes it:
//!
//! ```text
//! ketqua.dev/log
//! 1234
//! <base64 of the 32-byte root hash>
//! time 1767225600
//!
//! — ketqua.dev/log <base64(key id || Ed25519 signature)>
//! ```
//!
//! The first three lines are the mandatory tlog-checkpoint lines (origin, tree size in decimal,
//! root hash). The fourth is an extension line that tlog-checkpoint allows after them: `time`
//! and the signing time in Unix seconds, so a verifier can tell how fresh a checkpoint is. We
//! write exactly these four lines and accept exactly these four, since we only open our own.
//! Generic tlog clients that ignore extension lines read it as a plain checkpoint.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

use super::{error::LedgerError, hash::Hash};

/// The signed-note algorithm byte for Ed25519.
const ALG_ED25519: u8 = 0x01;
/// A signature line starts with an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Like the Go reference, refuse to spend unbounded time on a note with many signatures.
const MAX_SIGNATURES: usize = 100;

fn malformed(why: impl Into<String>) -> LedgerError {
    LedgerError::Malformed(why.into())
}

/// A valid key name per signed-note: non-empty, no Unicode whitespace, no `+` (the separator
/// in vkeys). We also refuse control characters, which a note may not contain.
fn check_key_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(malformed(format!(
            "key name {name:?} must be non-empty, without spaces, '+' or control characters"
        )));
    }
    Ok(())
}

/// Key id = the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key) (signed-note,
/// "Ed25519" section): it binds the name and the algorithm as well as the key.
fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(b"\n");
    ctx.update(&[ALG_ED25519]);
    ctx.update(public_key);
    let d = ctx.finish();
    let mut id = [0u8; 4];
    id.copy_from_slice(&d.as_ref()[..4]);
    id
}

/// The log's signing key: Ed25519 via ring, with the name that appears on signature lines.
pub struct LogKey {
    name: String,
    pair: Ed25519KeyPair,
    public_key: [u8; 32],
    key_id: [u8; 4],
}

impl std::fmt::Debug for LogKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A new random key; also returns its PKCS#8 (v2) encoding for the caller to store.
    pub fn generate(name: &str) -> Result<(LogKey, Vec<u8>), LedgerError> {
        check_key_name(name)?;
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| LedgerError::Key("the system random source failed".into()))?;
        let key = LogKey::from_pkcs8(name, pkcs8.as_ref())?;
        Ok((key, pkcs8.as_ref().to_vec()))
    }

    /// Loads a key from unencrypted PKCS#8: v2 as ring writes it, or v1 as
    /// `openssl genpkey -algorithm ed25519` writes it.
    pub fn from_pkcs8(name: &str, pkcs8: &[u8]) -> Result<LogKey, LedgerError> {
        check_key_name(name)?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| LedgerError::Key(format!("not an Ed25519 PKCS#8 key: {e}")))?;
        Ok(LogKey::from_pair(name, pair))
    }

    /// For known-answer tests against the Go reference's keys, which are stored as seeds.
    #[cfg(test)]
    pub(crate) fn from_seed(name: &str, seed: &[u8]) -> Result<LogKey, LedgerError> {
        check_key_name(name)?;
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| LedgerError::Key(e.to_string()))?;
        Ok(LogKey::from_pair(name, pair))
    }

    fn from_pair(name: &str, pair: Ed25519KeyPair) -> LogKey {
        let mut public_key = [0u8; 32];
        // Ed25519 public keys are always 32 bytes.
        public_key.copy_from_slice(pair.public_key().as_ref());
        LogKey {
            name: name.to_string(),
            key_id: key_id(name, &public_key),
            public_key,
            pair,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public half, to publish and to verify checkpoints with.
    pub fn verifier(&self) -> LogVerifier {
        LogVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.public_key,
        }
    }

    /// One signature line of a signed note over `text`, newline included.
    pub(super) fn signature_line(&self, text: &str) -> String {
        let sig = self.pair.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(4 + 64);
        blob.extend_from_slice(&self.key_id);
        blob.extend_from_slice(sig.as_ref());
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(blob))
    }
}

/// The public key of the log, as a signed-note verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerifier {
    pub name: String,
    pub key_id: [u8; 4],
    pub public_key: [u8; 32],
}

impl LogVerifier {
    /// The note verifier key text `<name>+<hex key id>+<base64(0x01 || public key)>`, the form
    /// Go's `note.NewVerifier` and other signed-note tools read (written to `<pki dir>/log.pub`).
    pub fn to_vkey(&self) -> String {
        let mut key = Vec::with_capacity(33);
        key.push(ALG_ED25519);
        key.extend_from_slice(&self.public_key);
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            B64.encode(key)
        )
    }

    /// Parses a verifier key, checking that the key id matches the name and key. Surrounding
    /// whitespace (a trailing newline in a file) is ignored.
    pub fn from_vkey(text: &str) -> Result<Self, LedgerError> {
        let text = text.trim();
        // The name has no '+', the id is hex, and the base64 key may itself contain '+'.
        let mut fields = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed("verifier key: expected <name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        if id_hex.len() != 8 {
            return Err(malformed("verifier key: the key id must be 8 hex digits"));
        }
        let id = hex::decode(id_hex).map_err(|_| malformed("verifier key: key id is not hex"))?;
        let key = B64
            .decode(key_b64)
            .map_err(|_| malformed("verifier key: key is not base64"))?;
        let Some((&alg, public)) = key.split_first() else {
            return Err(malformed("verifier key: empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(malformed(format!(
                "verifier key: algorithm {alg} is not Ed25519 (1)"
            )));
        }
        let public_key: [u8; 32] = public
            .try_into()
            .map_err(|_| malformed("verifier key: an Ed25519 key is 32 bytes"))?;
        let key_id = key_id(name, &public_key);
        if id[..] != key_id[..] {
            return Err(malformed(
                "verifier key: the key id does not match the name and key",
            ));
        }
        Ok(LogVerifier {
            name: name.to_string(),
            key_id,
            public_key,
        })
    }

    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(text.as_bytes(), signature)
            .is_ok()
    }
}

/// A tree head: the log's origin (its name), size and root hash, and when it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Signing time, Unix seconds; the `time` extension line.
    pub time_unix: i64,
}

impl Checkpoint {
    /// The note body: the four lines, each ending in a newline. This is what is signed.
    pub fn body(&self) -> Result<String, LedgerError> {
        if self.origin.is_empty() || self.origin.chars().any(char::is_control) {
            return Err(malformed(
                "checkpoint origin must be one non-empty line without control characters",
            ));
        }
        Ok(format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time_unix
        ))
    }

    /// The full signed note: the body, a blank line, and the signature line
    /// `— <name> <base64(key id || signature)>`. Fails only on an origin that cannot be a
    /// line of a note.
    pub fn sign(&self, key: &LogKey) -> Result<String, LedgerError> {
        let body = self.body()?;
        let line = key.signature_line(&body);
        Ok(format!("{body}\n{line}"))
    }

    /// Verifies that `note` carries a valid signature by `verifier` (signatures by other keys,
    /// such as witnesses' cosignatures, are allowed and ignored) and parses its body strictly.
    /// Does not check that the origin is the one the caller expects: compare `origin`.
    pub fn open(note: &str, verifier: &LogVerifier) -> Result<Checkpoint, LedgerError> {
        let text = open_note(note, verifier)?;
        parse_body(text)
    }
}

/// The signed-note `Open` of the Go reference, for one known verifier: returns the text (body)
/// once a signature by that verifier checks out.
fn open_note<'a>(note: &'a str, verifier: &LogVerifier) -> Result<&'a str, LedgerError> {
    if note.chars().any(|c| c.is_ascii_control() && c != '\n') {
        return Err(malformed("note contains control characters"));
    }
    // The signatures follow the last blank line.
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("note has no blank line before its signatures"))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(malformed("note signatures must end with a newline"));
    }
    let mut verified = false;
    for (count, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(malformed("note has too many signatures"));
        }
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or_else(|| malformed("signature line must start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("signature line must be `— <name> <signature>`"))?;
        check_key_name(name)?;
        let blob = B64
            .decode(b64)
            .map_err(|_| malformed("signature is not base64"))?;
        if blob.len() < 5 {
            return Err(malformed("signature is too short"));
        }
        let (id, sig) = blob.split_at(4);
        if name != verifier.name || id != verifier.key_id {
            continue; // someone else's signature, e.g. a witness cosignature
        }
        if !verifier.verify(text, sig) {
            return Err(LedgerError::BadSignature);
        }
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(LedgerError::BadSignature)
    }
}

/// Parses exactly: origin, size, root, `time <seconds>`, each number in canonical form.
fn parse_body(text: &str) -> Result<Checkpoint, LedgerError> {
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| malformed("checkpoint body must end with a newline"))?;
    let lines: Vec<&str> = body.split('\n').collect();
    let [origin, size, root_b64, time] = lines[..] else {
        return Err(malformed(format!(
            "checkpoint must have 4 lines (origin, size, root, time), found {}",
            lines.len()
        )));
    };
    if origin.is_empty() {
        return Err(malformed("checkpoint origin is empty"));
    }
    let size = canonical_number::<u64>(size).ok_or_else(|| malformed("checkpoint size"))?;
    let root_bytes = B64
        .decode(root_b64)
        .map_err(|_| malformed("checkpoint root is not base64"))?;
    let root: Hash = root_bytes
        .as_slice()
        .try_into()
        .map_err(|_| malformed("checkpoint root must be 32 bytes"))?;
    if B64.encode(root) != root_b64 {
        return Err(malformed("checkpoint root is not canonical base64"));
    }
    let time = time
        .strip_prefix("time ")
        .and_then(canonical_number::<i64>)
        .ok_or_else(|| malformed("checkpoint 4th line must be `time <unix seconds>`"))?;
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root,
        time_unix: time,
    })
}

/// A decimal number with no sign, leading zeros or spaces (a `-` for negatives only): one text
/// per value, so a signed checkpoint has exactly one valid encoding.
fn canonical_number<T: std::str::FromStr + ToString>(s: &str) -> Option<T> {
    let n: T = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}
