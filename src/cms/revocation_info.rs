//! The revocation data a signature carries in its own CMS: SignedData.crls (CRLs, and OCSP
//! responses as id-ri-ocsp-response, RFC 5940) and Adobe's revocationInfoArchival signed
//! attribute (ISO 32000-1 §12.8.3.3.2), where Acrobat and pyHanko put it.
//!
//! Best effort by design: these are hints for the path check, which verifies every CRL and
//! response it uses. An entry that does not parse is left out, never an error, so a signature
//! is not refused for data it did not need.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::crypto::der::{self, context_constructed, Reader, Tlv};
use crate::crypto::oid;

/// At most this many entries of each kind are kept: real signatures carry a handful.
const MAX_ENTRIES: usize = 64;

/// CRLs and OCSP responses (DER) found in one SignedData.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationInfo {
    pub crls: Vec<Vec<u8>>,
    pub ocsps: Vec<Vec<u8>>,
}

impl RevocationInfo {
    fn push_crl(&mut self, der: &[u8]) {
        if self.crls.len() < MAX_ENTRIES && !self.crls.iter().any(|c| c == der) {
            self.crls.push(der.to_vec());
        }
    }

    fn push_ocsp(&mut self, der: &[u8]) {
        if self.ocsps.len() < MAX_ENTRIES && !self.ocsps.iter().any(|o| o == der) {
            self.ocsps.push(der.to_vec());
        }
    }

    /// SignedData.crls: `SET OF RevocationInfoChoice` (RFC 5652 §10.2.1), given its content.
    pub(super) fn add_choices(&mut self, content: &[u8]) {
        let mut r = Reader::new(content);
        while let Ok(choice) = r.read_any() {
            if choice.tag == der::SEQUENCE {
                self.push_crl(choice.raw);
            } else if choice.tag == context_constructed(1) {
                // other [1] IMPLICIT OtherRevocationInfoFormat { format OID, info ANY }
                let mut other = Reader::new(choice.content);
                let Ok(format) = other.read_oid() else {
                    continue;
                };
                if let (true, Ok(info)) = (format == oid::RI_OCSP_RESPONSE, other.read_any()) {
                    self.push_ocsp(info.raw);
                }
            }
        }
    }

    /// The value of revocationInfoArchival: `SEQUENCE { crl [0] EXPLICIT SEQUENCE OF
    /// CertificateList OPTIONAL, ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL, … }`.
    pub(super) fn add_archival(&mut self, value: Tlv<'_>) {
        if value.tag != der::SEQUENCE {
            return;
        }
        let mut r = Reader::new(value.content);
        while let Ok(part) = r.read_any() {
            let is_crl = part.tag == context_constructed(0);
            if !is_crl && part.tag != context_constructed(1) {
                continue;
            }
            let Ok(mut list) = Reader::new(part.content).nested(der::SEQUENCE) else {
                continue;
            };
            while let Ok(item) = list.read_tlv(der::SEQUENCE) {
                if is_crl {
                    self.push_crl(item.raw);
                } else {
                    self.push_ocsp(item.raw);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )]
    use super::*;
    use crate::crypto::der::Writer;

    #[test]
    fn reads_both_places_and_skips_what_does_not_parse() {
        let crl = [0x30, 0x03, 0x02, 0x01, 0x01];
        let ocsp = [0x30, 0x03, 0x0a, 0x01, 0x00];
        let mut choices = Writer::with_capacity(64);
        choices.raw(&crl);
        choices.constructed(context_constructed(1), |w| {
            w.oid(oid::RI_OCSP_RESPONSE);
            w.raw(&ocsp);
        });
        choices.constructed(context_constructed(1), |w| w.oid(oid::OCSP_BASIC));
        choices.raw(&[0x04, 0x01]); // truncated: the rest is ignored
        let mut info = RevocationInfo::default();
        info.add_choices(choices.as_slice());
        assert_eq!(info.crls, vec![crl.to_vec()]);
        assert_eq!(info.ocsps, vec![ocsp.to_vec()]);

        let mut archival = Writer::with_capacity(64);
        archival.sequence(|w| {
            w.constructed(context_constructed(0), |w| w.sequence(|w| w.raw(&crl)));
            w.constructed(context_constructed(1), |w| {
                w.sequence(|w| w.raw(&[0x30, 0x00]))
            });
        });
        let bytes = archival.into_vec();
        let value = der::parse_single(&bytes, der::SEQUENCE).expect("built above");
        info.add_archival(value);
        assert_eq!(info.crls.len(), 1, "the same CRL twice is kept once");
        assert_eq!(info.ocsps, vec![ocsp.to_vec(), vec![0x30, 0x00]]);
    }

    #[test]
    fn keeps_a_bounded_number() {
        let mut choices = Writer::with_capacity(4096);
        for i in 0..200u8 {
            choices.raw(&[0x30, 0x03, 0x02, 0x01, i]);
        }
        let mut info = RevocationInfo::default();
        info.add_choices(choices.as_slice());
        assert_eq!(info.crls.len(), MAX_ENTRIES);
    }
}
