//! The one cryptographic policy: which key, signature and digest algorithms the crate accepts,
//! where, with their OIDs and DER AlgorithmIdentifiers, and which `ring` algorithm implements
//! each. `pki`, `cms` and `verify` ask this module; there is no other table of algorithms.
//!
//! DOMAIN.md sets the floor: RSA of 2048 bits or more or ECDSA of 256 bits or more, SHA-256 or
//! stronger. Within it the policy has three parts, because three different parties choose:
//!
//! - [`SignatureAlgorithm`], with [`KeyAlgorithm`]: what our credentials sign with, and what a
//!   CMS SignerInfo may use (ECDSA P-256 with SHA-256; RSA of 2048 bits or more, PKCS#1 v1.5 or
//!   RSASSA-PSS, with SHA-256).
//! - [`CERTIFICATE_SIGNATURE_ALGORITHMS`]: what a certificate or CRL of a path may be signed
//!   with, chosen by the CAs (ECDSA P-256/P-384 with SHA-256/384; RSA of 2048 to 8192 bits,
//!   PKCS#1 v1.5 or RSASSA-PSS, with SHA-256/384/512).
//! - [`DigestAlgorithm`]: SHA-256 in CMS ([`CMS_DIGESTS`]); SHA-256/384/512 in the message
//!   imprints of timestamp requests and tokens ([`TIMESTAMP_IMPRINT_DIGESTS`]).
//!
//! Reading an AlgorithmIdentifier against this policy is untrusted parsing, so it lives apart,
//! under the parser lints, in `identifier.rs`.

use std::fmt;

use ring::signature::{self as ring_signature, EcdsaSigningAlgorithm, RsaEncoding};

use super::der::{self, context_constructed};
use super::oid;

/// The signature algorithms a credential signs with and a CMS SignerInfo may name. SHA-256 is
/// the only digest: what the signed attributes and the content are hashed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
    /// RSASSA-PSS, MGF1-SHA-256, 32-byte salt (what ring produces and verifies).
    RsaPssSha256,
}

/// How `ring` produces a signature of one [`SignatureAlgorithm`]; the variant is the key type.
#[derive(Debug, Clone, Copy)]
pub enum Signing {
    /// For an ECDSA key read from PKCS#8; signatures come out ASN.1 DER, as CMS and X.509 want.
    Ecdsa(&'static EcdsaSigningAlgorithm),
    /// The padding for an RSA key.
    Rsa(&'static dyn RsaEncoding),
}

impl SignatureAlgorithm {
    /// Every algorithm, in the order error messages list them.
    pub const ALL: [SignatureAlgorithm; 3] = [
        SignatureAlgorithm::EcdsaP256Sha256,
        SignatureAlgorithm::RsaPkcs1Sha256,
        SignatureAlgorithm::RsaPssSha256,
    ];

    /// The OID of the signature algorithm (content bytes).
    pub fn oid(self) -> &'static [u8] {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => oid::ECDSA_WITH_SHA256,
            SignatureAlgorithm::RsaPkcs1Sha256 => oid::SHA256_WITH_RSA,
            SignatureAlgorithm::RsaPssSha256 => oid::RSASSA_PSS,
        }
    }

    /// The complete DER `AlgorithmIdentifier` (SEQUENCE) for a SignerInfo or certificate.
    pub fn algorithm_identifier_der(self) -> &'static [u8] {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => ECDSA_WITH_SHA256_ID.as_slice(),
            SignatureAlgorithm::RsaPkcs1Sha256 => SHA256_WITH_RSA_ID.as_slice(),
            SignatureAlgorithm::RsaPssSha256 => RSA_PSS_SHA256_ID.as_slice(),
        }
    }

    /// Short stable name, also the value of `signature_algorithm` in credentials.toml.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SignatureAlgorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SignatureAlgorithm::RsaPssSha256 => "rsa-pss-sha256",
        }
    }

    pub fn is_rsa(self) -> bool {
        !matches!(self, SignatureAlgorithm::EcdsaP256Sha256)
    }

    /// ring's verifier for signatures made with this algorithm; the public key it expects is the
    /// content of the certificate's subjectPublicKey BIT STRING.
    pub fn verification_algorithm(self) -> &'static dyn ring_signature::VerificationAlgorithm {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => &ring_signature::ECDSA_P256_SHA256_ASN1,
            SignatureAlgorithm::RsaPkcs1Sha256 => &ring_signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureAlgorithm::RsaPssSha256 => &ring_signature::RSA_PSS_2048_8192_SHA256,
        }
    }

    /// How ring signs with this algorithm.
    pub fn signing(self) -> Signing {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => {
                Signing::Ecdsa(&ring_signature::ECDSA_P256_SHA256_ASN1_SIGNING)
            }
            SignatureAlgorithm::RsaPkcs1Sha256 => Signing::Rsa(&ring_signature::RSA_PKCS1_SHA256),
            SignatureAlgorithm::RsaPssSha256 => Signing::Rsa(&ring_signature::RSA_PSS_SHA256),
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SignatureAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SignatureAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown signature algorithm `{s}`; use ecdsa-p256-sha256, rsa-pkcs1-sha256 or rsa-pss-sha256"
                )
            })
    }
}

/// The public keys a credential may hold and a CMS signer's certificate may carry, by the
/// algorithm OID of the SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// id-ecPublicKey; only on the curve [`KeyAlgorithm::accepts_curve`] accepts.
    Ec,
    /// rsaEncryption; at least [`MIN_RSA_BITS`].
    Rsa,
}

/// The smallest RSA modulus accepted, in bits (ring's verifiers also stop at 8192).
pub const MIN_RSA_BITS: usize = 2048;

impl KeyAlgorithm {
    /// The key algorithm named by a SubjectPublicKeyInfo's algorithm OID, if accepted.
    pub fn from_oid(spki_algorithm: &[u8]) -> Option<KeyAlgorithm> {
        if spki_algorithm == oid::EC_PUBLIC_KEY {
            Some(KeyAlgorithm::Ec)
        } else if spki_algorithm == oid::RSA_ENCRYPTION {
            Some(KeyAlgorithm::Rsa)
        } else {
            None
        }
    }

    /// Whether an EC key's named curve (OID content bytes from the SPKI parameters) is accepted:
    /// P-256 only.
    pub fn accepts_curve(curve: &[u8]) -> bool {
        curve == oid::PRIME256V1
    }

    /// What a key of this kind signs with when nothing else is asked for: PKCS#1 v1.5 for RSA,
    /// the form tokens most commonly produce.
    pub fn default_signature_algorithm(self) -> SignatureAlgorithm {
        match self {
            KeyAlgorithm::Ec => SignatureAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::Rsa => SignatureAlgorithm::RsaPkcs1Sha256,
        }
    }

    /// Whether a key of this kind can produce `algorithm`.
    pub fn signs_with(self, algorithm: SignatureAlgorithm) -> bool {
        match self {
            KeyAlgorithm::Ec => algorithm == SignatureAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::Rsa => algorithm.is_rsa(),
        }
    }
}

/// A signature algorithm accepted on certificates and CRLs, known by the OID of its
/// AlgorithmIdentifier. Its parameters are not examined: for RSASSA-PSS each of ring's PSS
/// verifiers is tried, which is as strict as the signature itself.
#[derive(Debug)]
pub struct CertificateSignatureAlgorithm {
    /// OID content bytes.
    pub oid: &'static [u8],
    /// The name RFCs and OpenSSL use.
    pub name: &'static str,
    /// ring's verifiers, tried in turn: the OID names the hash, not the curve or key size.
    verifiers: &'static [&'static dyn ring_signature::VerificationAlgorithm],
}

/// Every signature algorithm accepted on certificates and CRLs.
pub static CERTIFICATE_SIGNATURE_ALGORITHMS: &[CertificateSignatureAlgorithm] = &[
    CertificateSignatureAlgorithm {
        oid: oid::ECDSA_WITH_SHA256,
        name: "ecdsa-with-SHA256",
        verifiers: &[
            &ring_signature::ECDSA_P256_SHA256_ASN1,
            &ring_signature::ECDSA_P384_SHA256_ASN1,
        ],
    },
    CertificateSignatureAlgorithm {
        oid: oid::ECDSA_WITH_SHA384,
        name: "ecdsa-with-SHA384",
        verifiers: &[
            &ring_signature::ECDSA_P384_SHA384_ASN1,
            &ring_signature::ECDSA_P256_SHA384_ASN1,
        ],
    },
    CertificateSignatureAlgorithm {
        oid: oid::SHA256_WITH_RSA,
        name: "sha256WithRSAEncryption",
        verifiers: &[&ring_signature::RSA_PKCS1_2048_8192_SHA256],
    },
    CertificateSignatureAlgorithm {
        oid: oid::SHA384_WITH_RSA,
        name: "sha384WithRSAEncryption",
        verifiers: &[&ring_signature::RSA_PKCS1_2048_8192_SHA384],
    },
    CertificateSignatureAlgorithm {
        oid: oid::SHA512_WITH_RSA,
        name: "sha512WithRSAEncryption",
        verifiers: &[&ring_signature::RSA_PKCS1_2048_8192_SHA512],
    },
    CertificateSignatureAlgorithm {
        oid: oid::RSASSA_PSS,
        name: "RSASSA-PSS",
        verifiers: &[
            &ring_signature::RSA_PSS_2048_8192_SHA256,
            &ring_signature::RSA_PSS_2048_8192_SHA384,
            &ring_signature::RSA_PSS_2048_8192_SHA512,
        ],
    },
];

impl CertificateSignatureAlgorithm {
    /// The accepted algorithm with this OID (content bytes), if any.
    pub fn find(oid: &[u8]) -> Option<&'static CertificateSignatureAlgorithm> {
        CERTIFICATE_SIGNATURE_ALGORITHMS
            .iter()
            .find(|a| a.oid == oid)
    }

    /// Whether `signature` over `message` verifies with `public_key` (the content of the
    /// issuer's subjectPublicKey BIT STRING).
    pub fn verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        self.verifiers.iter().any(|alg| {
            ring_signature::UnparsedPublicKey::new(*alg, public_key)
                .verify(message, signature)
                .is_ok()
        })
    }

    /// The accepted names, for a message telling an operator what to use instead.
    pub fn accepted_names() -> String {
        let names: Vec<&str> = CERTIFICATE_SIGNATURE_ALGORITHMS
            .iter()
            .map(|a| a.name)
            .collect();
        names.join(", ")
    }
}

/// The digest algorithms the crate knows. Which are accepted depends on the place: see
/// [`CMS_DIGESTS`] and [`TIMESTAMP_IMPRINT_DIGESTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

/// The digests a CMS SignedData may use (digestAlgorithms, SignerInfo, ESS): SHA-256 only.
pub const CMS_DIGESTS: &[DigestAlgorithm] = &[DigestAlgorithm::Sha256];

/// The digests a timestamp request's or token's message imprint may use.
pub const TIMESTAMP_IMPRINT_DIGESTS: &[DigestAlgorithm] = &[
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

impl DigestAlgorithm {
    /// The OID (content bytes).
    pub fn oid(self) -> &'static [u8] {
        match self {
            DigestAlgorithm::Sha256 => oid::SHA256,
            DigestAlgorithm::Sha384 => oid::SHA384,
            DigestAlgorithm::Sha512 => oid::SHA512,
        }
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// `AlgorithmIdentifier { digest }` with absent parameters, as RFC 5754 §2 says to
    /// generate (complete DER).
    pub fn algorithm_identifier_der(self) -> &'static [u8] {
        match self {
            DigestAlgorithm::Sha256 => SHA256_ID.as_slice(),
            DigestAlgorithm::Sha384 => SHA384_ID.as_slice(),
            DigestAlgorithm::Sha512 => SHA512_ID.as_slice(),
        }
    }

    /// ring's implementation.
    pub fn ring_algorithm(self) -> &'static ring::digest::Algorithm {
        match self {
            DigestAlgorithm::Sha256 => &ring::digest::SHA256,
            DigestAlgorithm::Sha384 => &ring::digest::SHA384,
            DigestAlgorithm::Sha512 => &ring::digest::SHA512,
        }
    }
}

/// A DER encoding assembled at compile time from the OIDs in [`oid`]: the AlgorithmIdentifiers
/// are fixed, so the CMS encoder copies bytes instead of building them, and no OID is spelled
/// twice. Short-form lengths and 80 bytes at most: anything longer fails to compile.
struct FixedDer {
    bytes: [u8; 80],
    len: usize,
}

impl FixedDer {
    const fn tlv(tag: u8, parts: &[&[u8]]) -> FixedDer {
        let mut bytes = [0u8; 80];
        let mut len = 2;
        let mut p = 0;
        while p < parts.len() {
            let part = parts[p];
            let mut i = 0;
            while i < part.len() {
                bytes[len] = part[i];
                len += 1;
                i += 1;
            }
            p += 1;
        }
        assert!(len - 2 < 0x80, "FixedDer writes short-form lengths only");
        bytes[0] = tag;
        bytes[1] = (len - 2) as u8;
        FixedDer { bytes, len }
    }

    /// `AlgorithmIdentifier { algorithm, parameters }`; `parameters` is complete DER or empty.
    const fn algorithm_identifier(algorithm: &[u8], parameters: &[u8]) -> FixedDer {
        FixedDer::tlv(
            der::SEQUENCE,
            &[FixedDer::tlv(der::OID, &[algorithm]).as_slice(), parameters],
        )
    }

    const fn as_slice(&self) -> &[u8] {
        self.bytes.split_at(self.len).0
    }
}

const DER_NULL: &[u8] = &[der::NULL, 0];

static SHA256_ID: FixedDer = FixedDer::algorithm_identifier(oid::SHA256, &[]);
static SHA384_ID: FixedDer = FixedDer::algorithm_identifier(oid::SHA384, &[]);
static SHA512_ID: FixedDer = FixedDer::algorithm_identifier(oid::SHA512, &[]);
static ECDSA_WITH_SHA256_ID: FixedDer = FixedDer::algorithm_identifier(oid::ECDSA_WITH_SHA256, &[]);
static SHA256_WITH_RSA_ID: FixedDer =
    FixedDer::algorithm_identifier(oid::SHA256_WITH_RSA, DER_NULL);

/// sha256 with NULL parameters, as RSASSA-PSS-params carry it.
const SHA256_NULL_ID: FixedDer = FixedDer::algorithm_identifier(oid::SHA256, DER_NULL);
/// RSASSA-PSS-params { sha256, mgf1(sha256), saltLength 32 }; trailerField left at its default.
const PSS_SHA256_PARAMS: FixedDer = FixedDer::tlv(
    der::SEQUENCE,
    &[
        FixedDer::tlv(context_constructed(0), &[SHA256_NULL_ID.as_slice()]).as_slice(),
        FixedDer::tlv(
            context_constructed(1),
            &[FixedDer::algorithm_identifier(oid::MGF1, SHA256_NULL_ID.as_slice()).as_slice()],
        )
        .as_slice(),
        FixedDer::tlv(context_constructed(2), &[&[der::INTEGER, 1, 32]]).as_slice(),
    ],
);
static RSA_PSS_SHA256_ID: FixedDer =
    FixedDer::algorithm_identifier(oid::RSASSA_PSS, PSS_SHA256_PARAMS.as_slice());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::der::{parse_single, Reader};

    #[test]
    fn signature_algorithm_identifiers_are_well_formed() {
        for alg in SignatureAlgorithm::ALL {
            let der = alg.algorithm_identifier_der();
            let tlv = parse_single(der, der::SEQUENCE).expect("der");
            let mut r = Reader::new(tlv.content);
            let oid = r.read_oid().expect("oid");
            assert_eq!(oid, alg.oid());
            // The identifier we write is one we accept.
            assert_eq!(
                SignatureAlgorithm::from_identifier(tlv.content, "test"),
                Ok(alg)
            );
            assert_eq!(alg.name().parse::<SignatureAlgorithm>(), Ok(alg));
        }
        assert!("dsa".parse::<SignatureAlgorithm>().is_err());
    }

    #[test]
    fn digest_identifiers_have_absent_parameters() {
        for alg in TIMESTAMP_IMPRINT_DIGESTS {
            let der = alg.algorithm_identifier_der();
            let tlv = parse_single(der, der::SEQUENCE).expect("der");
            let mut r = Reader::new(tlv.content);
            assert_eq!(r.read_oid().expect("oid"), alg.oid());
            r.finish().expect("no parameters");
            assert_eq!(alg.ring_algorithm().output_len(), alg.output_len());
        }
    }

    #[test]
    fn pss_identifier_carries_the_one_accepted_profile() {
        let der = SignatureAlgorithm::RsaPssSha256.algorithm_identifier_der();
        let tlv = parse_single(der, der::SEQUENCE).expect("der");
        let mut r = Reader::new(tlv.content);
        r.read_oid().expect("oid");
        let params = r.read_tlv(der::SEQUENCE).expect("params");
        r.finish().expect("end");
        assert_eq!(params.raw, PSS_SHA256_PARAMS.as_slice());
        assert_eq!(der.len(), 67);
    }

    #[test]
    fn keys_sign_only_what_fits_them() {
        assert_eq!(
            KeyAlgorithm::from_oid(oid::EC_PUBLIC_KEY),
            Some(KeyAlgorithm::Ec)
        );
        assert_eq!(
            KeyAlgorithm::from_oid(oid::RSA_ENCRYPTION),
            Some(KeyAlgorithm::Rsa)
        );
        assert_eq!(KeyAlgorithm::from_oid(oid::SHA256), None);
        assert!(KeyAlgorithm::accepts_curve(oid::PRIME256V1));
        for alg in SignatureAlgorithm::ALL {
            assert_eq!(KeyAlgorithm::Ec.signs_with(alg), !alg.is_rsa());
            assert_eq!(KeyAlgorithm::Rsa.signs_with(alg), alg.is_rsa());
            let key = if alg.is_rsa() {
                KeyAlgorithm::Rsa
            } else {
                KeyAlgorithm::Ec
            };
            assert!(matches!(
                (key, alg.signing()),
                (KeyAlgorithm::Ec, Signing::Ecdsa(_)) | (KeyAlgorithm::Rsa, Signing::Rsa(_))
            ));
        }
        for key in [KeyAlgorithm::Ec, KeyAlgorithm::Rsa] {
            assert!(key.signs_with(key.default_signature_algorithm()));
        }
    }

    #[test]
    fn certificate_algorithms_cover_what_credentials_sign_with() {
        for alg in SignatureAlgorithm::ALL {
            assert!(
                CertificateSignatureAlgorithm::find(alg.oid()).is_some(),
                "{alg}"
            );
        }
        assert!(CertificateSignatureAlgorithm::find(oid::RSA_ENCRYPTION).is_none());
        let mut oids: Vec<&[u8]> = CERTIFICATE_SIGNATURE_ALGORITHMS
            .iter()
            .map(|a| a.oid)
            .collect();
        oids.sort();
        oids.dedup();
        assert_eq!(oids.len(), CERTIFICATE_SIGNATURE_ALGORITHMS.len());
    }
}
