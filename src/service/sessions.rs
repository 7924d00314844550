//! What the two kinds of external-signing session share: a lifetime, random ids, and the
//! prefix that tells a step session from a document one (both live in `signing_sessions`).

use time::Duration;

use super::error::Error;

/// How long a prepared external signature waits for its value.
pub const SESSION_LIFETIME: Duration = Duration::minutes(15);

/// Step sessions share the signing sessions' table; the prefix tells them apart, so a session
/// completed with the wrong call is refused by name rather than misread.
pub(super) const STEP_SESSION_PREFIX: &str = "step-";

pub(super) fn random_bytes() -> Result<[u8; 16], Error> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| Error::Internal("the system random generator failed".to_owned()))?;
    Ok(bytes)
}
