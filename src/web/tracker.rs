//! What the progress page needs from the service, object-safe like [`super::verifier`], so
//! that the router does not carry the archive's type parameter.

use std::sync::Arc;

use super::verifier::BoxFuture;
use crate::{
    access::Caller,
    archive::Archive,
    service::{Error, ProgressView, Service},
};

pub trait WebTracker: Send + Sync + 'static {
    /// The public view of a dossier; `applicant_id` is the optional second factor.
    fn track(
        &self,
        dossier_code: String,
        applicant_id: String,
    ) -> BoxFuture<'_, Result<ProgressView, Error>>;
}

impl<A: Archive> WebTracker for Service<A> {
    fn track(
        &self,
        dossier_code: String,
        applicant_id: String,
    ) -> BoxFuture<'_, Result<ProgressView, Error>> {
        Box::pin(async move {
            // The page has no caller certificate: citizens are anonymous.
            Service::track(self, &Caller::anonymous(), &dossier_code, &applicant_id).await
        })
    }
}

pub type Tracker = Arc<dyn WebTracker>;
