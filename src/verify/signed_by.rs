//! "Did this key sign these bytes?" for certificates, CRLs and OCSP responses, memoised within
//! one verification: the two signatures of a result share their CA, root, TSA and revocation
//! data, and each path is checked more than once (signer, timestamp, responders).

use x509_parser::certificate::X509Certificate;

use crate::crypto::{CertificateSignatureAlgorithm, Sha256};

thread_local! {
    /// Signature checks already made during the current [`super::verify`] call. Cleared at
    /// every call, so nothing is remembered between documents.
    static CHECKED: std::cell::RefCell<std::collections::HashMap<[u8; 32], bool>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Forgets the signature checks of the previous call.
pub fn reset_cache() {
    CHECKED.with(|c| c.borrow_mut().clear());
    super::names::forget_names();
}

/// Verifies `signed` with the key of `signer`, for the algorithm named by `alg_oid` (content
/// bytes): one of the policy's certificate signature algorithms, or the check fails.
pub(super) fn signed_by(
    signer: &X509Certificate<'_>,
    alg_oid: &[u8],
    signed: &[u8],
    sig: &[u8],
) -> bool {
    let key = signer.public_key().subject_public_key.data.as_ref();
    let mut hasher = Sha256::new();
    for part in [key, alg_oid, signed, sig] {
        hasher.update(&(part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let id = hasher.finish();
    if let Some(known) = CHECKED.with(|c| c.borrow().get(&id).copied()) {
        return known;
    }
    let ok = CertificateSignatureAlgorithm::find(alg_oid)
        .is_some_and(|algorithm| algorithm.verify(key, signed, sig));
    CHECKED.with(|c| c.borrow_mut().insert(id, ok));
    ok
}

/// Whether `issuer` issued `child`: names chain and `issuer`'s key signed it.
pub(super) fn issued_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == issuer.subject().as_raw()
        && signed_by(
            issuer,
            child.signature_algorithm.algorithm.as_bytes(),
            child.tbs_certificate.as_ref(),
            child.signature_value.data.as_ref(),
        )
}

/// How many signature checks are remembered now, and a way to plant one: for the test that
/// each verification starts afresh.
#[cfg(test)]
pub(super) fn remembered_checks(plant: bool) -> usize {
    CHECKED.with(|c| {
        if plant {
            c.borrow_mut().insert([7; 32], true);
        }
        c.borrow().len()
    })
}
