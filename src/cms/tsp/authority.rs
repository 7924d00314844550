//! The built-in timestamp authority: [`LocalTsa`] signs TSTInfos with the key store's TSA
//! credential, in-process through [`Timestamper`] and over HTTP through [`LocalTsa::respond`],
//! with serial numbers unique across replicas and genTime to the millisecond.

use std::sync::{
    atomic::{AtomicU32, Ordering},
    Arc,
};

use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;

use super::failure::{refuse, FailureInfo};
use super::messages::{parse_request, sha256_message_imprint};
use crate::cms::attributes::{SignOptions, SignedAttributes};
use crate::cms::error::CmsError;
use crate::cms::sign::{assemble_signed_data, Encapsulated};
use crate::cms::timestamper::Timestamper;
use crate::crypto::der::{self, oid_text, Writer};
use crate::crypto::{oid, sha256};
use crate::pki::{Credential, KeyStore};

/// The default TSA policy, `1.3.6.1.4.1.32473.3161.1` (see [`oid::DEFAULT_TSA_POLICY`] for why
/// this arc); a production deployment configures the policy OID its CA registered, with
/// [`LocalTsa::with_policy`].
pub const DEFAULT_POLICY: &str = "1.3.6.1.4.1.32473.3161.1";

/// An RFC 3161 timestamp authority backed by the key store's TSA credential. Cloning is cheap
/// (one `Arc`): clone it into every handler and signer that needs it.
#[derive(Clone)]
pub struct LocalTsa {
    inner: Arc<Inner>,
}

struct Inner {
    credential: Arc<Credential>,
    policy_der: Vec<u8>,
    policy: String,
    counter: AtomicU32,
    rng: SystemRandom,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("credential", &self.inner.credential.id())
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl LocalTsa {
    /// A TSA signing with `credential` (normally `KeyStore::tsa_shared()`), under
    /// [`DEFAULT_POLICY`].
    pub fn new(credential: Arc<Credential>) -> Self {
        LocalTsa {
            inner: Arc::new(Inner {
                credential,
                policy_der: oid::DEFAULT_TSA_POLICY.to_vec(),
                policy: DEFAULT_POLICY.to_owned(),
                counter: AtomicU32::new(0),
                rng: SystemRandom::new(),
            }),
        }
    }

    /// The key store's TSA, or `None` when the store has no `[tsa]` entry.
    pub fn from_key_store(keys: &KeyStore) -> Option<Self> {
        keys.tsa_shared().map(Self::new)
    }

    /// The same TSA under another policy OID (dotted text), e.g. one registered by the CA.
    pub fn with_policy(self, policy: &str) -> Result<Self, CmsError> {
        let der = der::oid_from_string(policy)
            .ok_or_else(|| CmsError::Timestamp(format!("`{policy}` is not a dotted OID")))?;
        Ok(LocalTsa {
            inner: Arc::new(Inner {
                credential: self.inner.credential.clone(),
                policy_der: der,
                policy: policy.to_owned(),
                counter: AtomicU32::new(0),
                rng: SystemRandom::new(),
            }),
        })
    }

    /// The TSA policy OID, dotted.
    pub fn policy(&self) -> &str {
        &self.inner.policy
    }

    /// The TSA's certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        self.inner.credential.certificate_der()
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`: `granted` with a token, or
    /// `rejection` with a failure bit and a reason. Never panics, whatever the input.
    pub fn respond(&self, request_der: &[u8]) -> Vec<u8> {
        let outcome = parse_request(request_der)
            .and_then(|req| {
                if let Some(policy) = req.policy {
                    if policy != self.inner.policy_der.as_slice() {
                        return Err(refuse(
                            FailureInfo::UnacceptedPolicy,
                            format!(
                                "policy {} is not offered; this TSA issues under {}",
                                oid_text(policy),
                                self.inner.policy
                            ),
                        ));
                    }
                }
                Ok(req)
            })
            .and_then(|req| {
                self.token(req.message_imprint, req.nonce, req.cert_req)
                    .map_err(|e| {
                        tracing::error!(error = %e, "timestamp authority failed to sign");
                        refuse(FailureInfo::SystemFailure, "the TSA could not sign")
                    })
            });
        match outcome {
            Ok(token) => {
                let mut w = Writer::with_capacity(token.len() + 16);
                w.sequence(|w| {
                    w.sequence(|w| w.small_uint(0)); // granted
                    w.raw(&token);
                });
                w.into_vec()
            }
            Err(refusal) => {
                let mut w = Writer::with_capacity(refusal.reason.len() + 32);
                w.sequence(|w| {
                    w.sequence(|w| {
                        w.small_uint(2); // rejection
                        w.sequence(|w| w.element(der::UTF8_STRING, refusal.reason.as_bytes()));
                        w.raw(&refusal.info.bit_string()[..refusal.info.encoded_len()]);
                    });
                });
                w.into_vec()
            }
        }
    }

    /// A token over `message_imprint` (a complete DER MessageImprint, echoed as RFC 3161
    /// requires), with the TSA certificate and its chain when `include_certificates`.
    fn token(
        &self,
        message_imprint: &[u8],
        nonce: Option<&[u8]>,
        include_certificates: bool,
    ) -> Result<Vec<u8>, CmsError> {
        let credential = &self.inner.credential;
        let gen_time = OffsetDateTime::now_utc();
        let tst_info = self.tst_info(message_imprint, nonce, gen_time)?;
        let attrs = SignedAttributes::for_content_type(
            oid::ID_CT_TST_INFO,
            &sha256(&tst_info),
            credential.certificate_der(),
            &SignOptions::default(),
        )?;
        let signature = credential.sign(attrs.bytes_to_sign())?;
        assemble_signed_data(
            &attrs,
            &signature,
            credential.signature_algorithm(),
            credential.certificate_der(),
            include_certificates.then_some(credential.chain_der()),
            &[],
            Encapsulated {
                content_type: oid::ID_CT_TST_INFO,
                content: Some(&tst_info),
            },
        )
    }

    fn tst_info(
        &self,
        message_imprint: &[u8],
        nonce: Option<&[u8]>,
        gen_time: OffsetDateTime,
    ) -> Result<Vec<u8>, CmsError> {
        let gen_time = generalized_time_millis(gen_time)?;
        let serial = self.serial(&gen_time)?;
        let mut w = Writer::with_capacity(128 + message_imprint.len());
        w.sequence(|w| {
            w.small_uint(1);
            w.oid(&self.inner.policy_der);
            w.raw(message_imprint);
            w.unsigned_integer(&serial);
            w.element(der::GENERALIZED_TIME, gen_time.text.as_bytes());
            // Accuracy { millis 1 }: genTime is the clock read, truncated to the millisecond.
            w.sequence(|w| w.element(der::context_primitive(0), &[1]));
            // ordering is FALSE, its DEFAULT, so DER omits it.
            if let Some(nonce) = nonce {
                w.element(der::INTEGER, nonce);
            }
        });
        Ok(w.into_vec())
    }

    /// A unique serial that grows with time: 16 bytes of milliseconds since 1970 (6 bytes:
    /// its first byte is 0x01..0x7f from 2004 until the year 6429, so the INTEGER always has
    /// 16 content bytes and byte order is numeric order), a per-process counter (unique within
    /// a millisecond) and 6 random bytes (unique across replicas sharing the key).
    fn serial(&self, gen_time: &GenTime) -> Result<[u8; 16], CmsError> {
        let mut serial = [0u8; 16];
        serial[..6].copy_from_slice(&gen_time.unix_millis.to_be_bytes()[2..]);
        let count = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        serial[6..10].copy_from_slice(&count.to_be_bytes());
        self.inner
            .rng
            .fill(&mut serial[10..])
            .map_err(|_| CmsError::Timestamp("no randomness for the serial number".into()))?;
        Ok(serial)
    }
}

impl Timestamper for LocalTsa {
    /// Always includes the TSA certificate and chain: a token inside a signature must be
    /// verifiable on its own, years later.
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CmsError> {
        self.token(&sha256_message_imprint(digest), None, true)
    }
}

/// A genTime: its DER text and the milliseconds the serial number starts with.
pub(super) struct GenTime {
    /// GeneralizedTime text, `YYYYMMDDHHMMSS[.fff]Z`, trailing zeros of the fraction removed.
    pub(super) text: String,
    unix_millis: u64,
}

/// genTime to the millisecond, in the DER form RFC 3161 §2.4.2 prescribes.
pub(super) fn generalized_time_millis(t: OffsetDateTime) -> Result<GenTime, CmsError> {
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(1..=9999).contains(&t.year()) {
        return Err(CmsError::Timestamp(format!("clock reads {t}")));
    }
    let millis = t.millisecond();
    let mut text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if millis != 0 {
        let fraction = format!("{millis:03}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    let unix_millis = u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| CmsError::Timestamp(format!("clock reads {t}, before 1970")))?;
    Ok(GenTime { text, unix_millis })
}
