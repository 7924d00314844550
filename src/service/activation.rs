//! Sole control of an official's key: a credential that requires an activation factor (a PIN
//! or a TOTP code) signs only when the call gives it; a TOTP code is spent by its use. Wrong factors are counted in the archive, so every
//! replica sees them; too many within the window lock the credential until an administrator
//! unlocks it (`ketqua archive unlock-credential`).

use std::time::Duration;

use super::{
    audit::{unix_millis, Call},
    core::Service,
    error::Error,
};
use crate::{
    archive::Archive,
    crypto::sha256,
    pki::{Accepted, Activation, Credential},
};

/// Wrong factors within [`ACTIVATION_WINDOW`] that lock a credential.
pub const ACTIVATION_FAILURE_LIMIT: u32 = 5;
pub const ACTIVATION_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The gRPC metadata key that carries the factor.
pub const ACTIVATION_METADATA: &str = "x-ketqua-activation";

impl<A: Archive> Service<A> {
    /// Checks the call's activation factor for `credential`, if it requires one.
    pub(super) async fn activate(
        &self,
        call: &Call<'_>,
        credential: &Credential,
    ) -> Result<(), Error> {
        let Some(activation) = credential.activation() else {
            return Ok(());
        };
        let id = credential.id();
        if self.archive.credential_lock(id).await?.is_some() {
            return Err(locked(id));
        }
        let Some(factor) = call.caller.activation() else {
            return Err(Error::PermissionDenied(format!(
                "credential {id:?} requires its official's activation factor: send it in the {ACTIVATION_METADATA} metadata"
            )));
        };
        // A PIN accepted once is remembered by its digest, so that each step does not pay for
        // an Argon2id evaluation; a wrong one always does. A TOTP code is never remembered:
        // each is good for one signature.
        let digest = sha256(factor.as_bytes());
        let remembered = matches!(activation, Activation::Pin { .. })
            && self
                .activated
                .lock()
                .map(|map| map.get(id) == Some(&digest))
                .unwrap_or(false);
        if remembered {
            return Ok(());
        }
        let unix_seconds = call.at.unix_timestamp();
        let accepted = tokio::task::block_in_place(|| activation.check(factor, unix_seconds));
        match accepted {
            Accepted::Pin => {
                if let Ok(mut map) = self.activated.lock() {
                    map.insert(id.to_owned(), digest);
                }
                return Ok(());
            }
            // Spent in the database, so a code replayed on another replica is refused too.
            Accepted::TotpStep(step) if self.archive.use_totp_step(id, step).await? => {
                return Ok(());
            }
            Accepted::TotpStep(_) | Accepted::No => {}
        }
        let window = i64::try_from(ACTIVATION_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let now_locked = self
            .archive
            .record_activation_failure(id, unix_millis(call.at), window, ACTIVATION_FAILURE_LIMIT)
            .await?;
        if now_locked {
            tracing::warn!(credential = id, caller = %call.caller.audit_name(), "credential locked after repeated failed activations");
            return Err(locked(id));
        }
        Err(Error::PermissionDenied(format!(
            "the activation factor for credential {id:?} was not accepted"
        )))
    }

    /// Unlocks a credential locked by failed activations; whether it was locked.
    pub async fn unlock_credential(&self, credential_id: &str) -> Result<bool, Error> {
        if let Ok(mut map) = self.activated.lock() {
            map.remove(credential_id);
        }
        Ok(self.archive.unlock_credential(credential_id).await?)
    }
}

fn locked(id: &str) -> Error {
    Error::FailedPrecondition(format!(
        "credential {id:?} is locked after repeated failed activations, until unlocked by an administrator (ketqua archive unlock-credential)"
    ))
}
