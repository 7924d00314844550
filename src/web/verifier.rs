//! What the citizens' page needs from the service, as an object-safe trait so that the HTTP
//! router does not carry the archive's type parameter.

use std::{future::Future, pin::Pin, sync::Arc};

use crate::{
    archive::Archive,
    service::{Error, Service},
    verify::Report,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the page needs from the service, without naming the archive type.
pub trait WebVerifier: Send + Sync + 'static {
    fn verify_upload(
        &self,
        pdf: Vec<u8>,
        code: Option<String>,
    ) -> BoxFuture<'_, Result<Report, Error>>;
    fn verify_code(&self, code: String) -> BoxFuture<'_, Result<Report, Error>>;
    fn max_upload(&self) -> usize;
}

impl<A: Archive> WebVerifier for Service<A> {
    fn verify_upload(
        &self,
        pdf: Vec<u8>,
        code: Option<String>,
    ) -> BoxFuture<'_, Result<Report, Error>> {
        Box::pin(async move { self.verify_document(&pdf, code.as_deref()).await })
    }
    fn verify_code(&self, code: String) -> BoxFuture<'_, Result<Report, Error>> {
        Box::pin(async move { self.verify_issued(&code).await })
    }
    fn max_upload(&self) -> usize {
        usize::try_from(self.limits().max_document_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024)
    }
}

pub type Verifier = Arc<dyn WebVerifier>;
