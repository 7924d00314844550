//! The service every interface calls: what all use cases share (the archive, the key store,
//! the catalog and its working calendar, limits, the clock, the timestamp authority, what
//! verification trusts, the public address of the verification page), and how it is built.

use std::sync::Arc;

use time::OffsetDateTime;

use super::{admission::Gates, error::Error, input::Limits, validation_data::RevocationData};
use crate::{
    access::{Caller, Policy},
    archive::Archive,
    cms,
    flow::{Catalog, WorkingCalendar},
    pki::{self, Credential, KeyStore},
    verify::TrustConfig,
};

/// Where "now" comes from; tests of deadlines substitute a fixed clock.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

pub struct Service<A> {
    pub(super) archive: A,
    pub(super) keys: KeyStore,
    pub(super) catalog: Catalog,
    pub(super) calendar: WorkingCalendar,
    pub(super) limits: Limits,
    pub(super) clock: Clock,
    pub(super) timestamper: Option<Arc<dyn cms::Timestamper>>,
    /// What verification trusts; `None`: the PKI's own root and CRLs.
    pub(super) trust: Option<TrustConfig>,
    /// Where citizens verify results; the QR code links to `<public_url>/v/<result code>`.
    pub(super) public_url: String,
    /// Admission of verifications and signings of uploaded documents.
    pub(super) gates: Gates,
    /// Who the callers are and what they may do.
    pub(super) access: Policy,
    /// Which revocation data B-LT documents carry.
    pub(super) revocation_data: RevocationData,
    /// The digest of the activation factor last accepted, per credential.
    pub(super) activated: std::sync::Mutex<std::collections::HashMap<String, [u8; 32]>>,
}

/// The public address of the verification page when none is configured.
pub const DEFAULT_PUBLIC_URL: &str = crate::pki::DEFAULT_PUBLIC_URL;

impl<A: Archive> Service<A> {
    pub fn new(archive: A, keys: KeyStore, catalog: Catalog, limits: Limits, clock: Clock) -> Self {
        let calendar = catalog.calendar();
        let gates = Gates::new(&limits);
        Self {
            archive,
            keys,
            catalog,
            calendar,
            limits,
            clock,
            timestamper: None,
            trust: None,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            gates,
            access: Policy::default(),
            revocation_data: Default::default(),
            activated: Default::default(),
        }
    }

    /// How callers are known and what they may do; without it nobody is granted anything.
    pub fn with_access(mut self, access: Policy) -> Self {
        self.access = access;
        self
    }

    /// The caller behind a client certificate (leaf, DER), or behind none.
    pub fn caller(&self, certificate_der: Option<&[u8]>) -> Caller {
        self.access.caller(certificate_der)
    }

    /// The timestamp authority for PAdES B-T and above (the built-in one in `serve`).
    pub fn with_timestamper(mut self, timestamper: Arc<dyn cms::Timestamper>) -> Self {
        self.timestamper = Some(timestamper);
        self
    }

    /// The trust anchors and CRLs every verification uses.
    pub fn with_trust(mut self, trust: TrustConfig) -> Self {
        self.trust = Some(trust);
        self
    }

    /// Which revocation data B-LT documents carry (default: CRLs and OCSP responses).
    pub fn with_revocation_data(mut self, data: RevocationData) -> Self {
        self.revocation_data = data;
        self
    }

    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    pub fn timestamper(&self) -> Option<&dyn cms::Timestamper> {
        self.timestamper.as_deref()
    }

    pub fn archive(&self) -> &A {
        &self.archive
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The credentials the service can sign with, optionally of one department.
    pub fn credentials(&self, department: &str) -> Vec<&pki::CredentialInfo> {
        self.keys
            .credentials()
            .map(Credential::info)
            .filter(|info| department.is_empty() || info.department == department)
            .collect()
    }

    /// The credentials of the departments `caller` acts for, optionally of one department.
    pub fn credentials_for(
        &self,
        caller: &Caller,
        department: &str,
    ) -> Result<Vec<&pki::CredentialInfo>, Error> {
        caller.require_known()?;
        Ok(self
            .credentials(department)
            .into_iter()
            .filter(|info| caller.acts_for(&info.department))
            .collect())
    }
}
