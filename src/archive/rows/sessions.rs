//! External signing sessions: the prepared revision kept between the two halves of a
//! CSC-style signature, so any replica can complete it.

/// An external signature waiting for its value (CSC-style two-step signing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSession {
    pub session_id: String,
    pub input_sha256: Vec<u8>,
    /// The prepared revision, JSON.
    pub prepared: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}
