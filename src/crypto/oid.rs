//! Every OBJECT IDENTIFIER the crate uses, in one place, as DER content bytes (no tag, no
//! length): what the reader returns and the writer takes, so parsers compare bytes and never
//! dotted text. Each entry also carries its dotted form, and a test checks that the two agree.

/// Declares each OID as a `pub const NAME: &[u8]` documented with its dotted form, and the
/// table of all of them that the test below checks.
macro_rules! oids {
    ($( $(#[doc = $doc:literal])* $name:ident = $dotted:literal [$($byte:literal),+]; )+) => {
        $(
            $(#[doc = $doc])*
            #[doc = concat!("\n\n`", $dotted, "`")]
            pub const $name: &[u8] = &[$($byte),+];
        )+

        /// Every OID above: (name, content bytes, dotted text).
        #[cfg(test)]
        const ALL: &[(&str, &[u8], &str)] = &[$((stringify!($name), $name, $dotted)),+];
    };
}

oids! {
    // CMS content types (RFC 5652, RFC 3161).
    /// id-data: the content type of a detached signature over arbitrary bytes.
    ID_DATA = "1.2.840.113549.1.7.1" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    /// id-signedData.
    ID_SIGNED_DATA = "1.2.840.113549.1.7.2" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    /// id-ct-TSTInfo: the encapsulated content of a timestamp token.
    ID_CT_TST_INFO = "1.2.840.113549.1.9.16.1.4"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04];

    // CMS attributes (RFC 5652 §11, RFC 5035, RFC 3161 appendix A).
    /// id-contentType.
    CONTENT_TYPE = "1.2.840.113549.1.9.3" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
    /// id-messageDigest.
    MESSAGE_DIGEST = "1.2.840.113549.1.9.4" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
    /// id-signingTime.
    SIGNING_TIME = "1.2.840.113549.1.9.5" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];
    /// id-aa-signingCertificateV2 (ESS).
    SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f];
    /// id-aa-signatureTimeStampToken: the unsigned attribute holding a B-T timestamp.
    SIGNATURE_TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e];

    // Digest algorithms (RFC 5754).
    /// id-sha1: only to match the CertIDs of OCSP requests, which clients still hash with
    /// SHA-1 by default; never to sign or verify.
    SHA1 = "1.3.14.3.2.26" [0x2b, 0x0e, 0x03, 0x02, 0x1a];
    /// id-sha256.
    SHA256 = "2.16.840.1.101.3.4.2.1" [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// id-sha384.
    SHA384 = "2.16.840.1.101.3.4.2.2" [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    /// id-sha512.
    SHA512 = "2.16.840.1.101.3.4.2.3" [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

    // Signature algorithms (RFC 5758, RFC 8017, RFC 4055).
    /// ecdsa-with-SHA256.
    ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2" [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    /// ecdsa-with-SHA384.
    ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3" [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    /// sha256WithRSAEncryption (PKCS#1 v1.5).
    SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    /// sha384WithRSAEncryption (PKCS#1 v1.5).
    SHA384_WITH_RSA = "1.2.840.113549.1.1.12"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    /// sha512WithRSAEncryption (PKCS#1 v1.5).
    SHA512_WITH_RSA = "1.2.840.113549.1.1.13"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    /// id-RSASSA-PSS.
    RSASSA_PSS = "1.2.840.113549.1.1.10" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    /// id-mgf1, the mask generation function of RSASSA-PSS.
    MGF1 = "1.2.840.113549.1.1.8" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];

    // Public keys (RFC 3279, RFC 5480).
    /// rsaEncryption: an RSA public key (and, in CMS, PKCS#1 v1.5 signatures).
    RSA_ENCRYPTION = "1.2.840.113549.1.1.1" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-ecPublicKey.
    EC_PUBLIC_KEY = "1.2.840.10045.2.1" [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1 (secp256r1, NIST P-256).
    PRIME256V1 = "1.2.840.10045.3.1.7" [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

    // Certificate extensions and key purposes (RFC 5280, RFC 3161, RFC 9336).
    /// id-ce-extKeyUsage.
    EXTENDED_KEY_USAGE = "2.5.29.37" [0x55, 0x1d, 0x25];
    /// id-kp-timeStamping.
    KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
    /// id-kp-documentSigning.
    KP_DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];
    /// id-kp-OCSPSigning: a delegated OCSP responder (RFC 6960 §4.2.2.2).
    KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];
    /// id-pe-authorityInfoAccess (RFC 5280 §4.2.2.1).
    AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];
    /// id-ad-ocsp: an access description naming an OCSP responder.
    AD_OCSP = "1.3.6.1.5.5.7.48.1" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    /// id-ad-caIssuers: an access description naming where the issuer's certificate is.
    AD_CA_ISSUERS = "1.3.6.1.5.5.7.48.2" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];

    // OCSP (RFC 6960).
    /// id-pkix-ocsp-basic: the response type of a BasicOCSPResponse.
    OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
    /// id-pkix-ocsp-nonce.
    OCSP_NONCE = "1.3.6.1.5.5.7.48.1.2" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02];
    /// id-pkix-ocsp-nocheck: the responder's own certificate needs no revocation check.
    OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05];
    /// id-ri-ocsp-response: an OCSP response among a SignedData's revocation data (RFC 5940).
    RI_OCSP_RESPONSE = "1.3.6.1.5.5.7.16.2" [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02];
    /// adbe-revocationInfoArchival: CRLs and OCSP responses as a signed attribute (ISO
    /// 32000-1 §12.8.3.3.2), how Acrobat and pyHanko embed revocation data in the CMS.
    ADBE_REVOCATION_INFO_ARCHIVAL = "1.2.840.113583.1.1.8"
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f, 0x01, 0x01, 0x08];

    // Name attributes (RFC 4519, RFC 4514's short names).
    /// commonName (CN).
    COMMON_NAME = "2.5.4.3" [0x55, 0x04, 0x03];
    /// surname (SN).
    SURNAME = "2.5.4.4" [0x55, 0x04, 0x04];
    /// serialNumber.
    SERIAL_NUMBER = "2.5.4.5" [0x55, 0x04, 0x05];
    /// countryName (C).
    COUNTRY_NAME = "2.5.4.6" [0x55, 0x04, 0x06];
    /// localityName (L).
    LOCALITY_NAME = "2.5.4.7" [0x55, 0x04, 0x07];
    /// stateOrProvinceName (ST).
    STATE_OR_PROVINCE_NAME = "2.5.4.8" [0x55, 0x04, 0x08];
    /// streetAddress (STREET).
    STREET_ADDRESS = "2.5.4.9" [0x55, 0x04, 0x09];
    /// organizationName (O).
    ORGANIZATION_NAME = "2.5.4.10" [0x55, 0x04, 0x0a];
    /// organizationalUnitName (OU).
    ORGANIZATIONAL_UNIT_NAME = "2.5.4.11" [0x55, 0x04, 0x0b];
    /// title: an official's position.
    TITLE = "2.5.4.12" [0x55, 0x04, 0x0c];
    /// givenName (GN).
    GIVEN_NAME = "2.5.4.42" [0x55, 0x04, 0x2a];
    /// userId (UID).
    USER_ID = "0.9.2342.19200300.100.1.1"
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01];
    /// domainComponent (DC).
    DOMAIN_COMPONENT = "0.9.2342.19200300.100.1.25"
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];
    /// emailAddress (PKCS#9).
    EMAIL_ADDRESS = "1.2.840.113549.1.9.1" [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

    // Our own.
    /// The built-in TSA's default policy. Arc 32473 is the IANA enterprise number reserved for
    /// documentation and examples (RFC 5612), so this default squats on nobody's arc; a
    /// production deployment configures the policy OID its CA registered.
    DEFAULT_TSA_POLICY = "1.3.6.1.4.1.32473.3161.1"
        [0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xfd, 0x59, 0x98, 0x59, 0x01];
}

#[cfg(test)]
mod tests {
    use super::super::der;
    use super::ALL;

    #[test]
    fn every_oid_matches_its_dotted_text() {
        for (name, der_bytes, dotted) in ALL {
            assert_eq!(
                der::oid_to_string(der_bytes).as_deref(),
                Ok(*dotted),
                "{name}"
            );
            assert_eq!(
                der::oid_from_string(dotted).as_deref(),
                Some(*der_bytes),
                "{name}"
            );
        }
        let mut names: Vec<&[u8]> = ALL.iter().map(|(_, d, _)| *d).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "an OID is declared twice");
    }
}
