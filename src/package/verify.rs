//! Offline verification of an archive package: everything is checked against the two things
//! the verifier trusts on its own (the root certificate and the log's public key), never
//! against the package's own copies of them.

use std::collections::{BTreeMap, HashMap};

use super::{
    manifest::{DossierEntry, Manifest, ProofFile, FORMAT, LOG_KEY_FILE, MANIFEST},
    zip,
};
use crate::{
    archive::LogKind,
    cms, crypto,
    ledger::{self, Checkpoint, LogVerifier},
    record, verify,
};

/// What a verification found. `problems` empty means the package is intact and genuine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub files: usize,
    pub dossiers: usize,
    pub records: usize,
    pub problems: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Verifies `package` (ZIP bytes) against `anchor_der` (the root certificate) and `log`.
pub fn verify_package(package: &[u8], anchor_der: &[u8], log: &LogVerifier) -> Report {
    // Signature checks are memoised within one verification, never across two.
    verify::reset_cache();
    let mut report = Report::default();
    let entries = match zip::read_all(package) {
        Ok(entries) => entries,
        Err(e) => {
            report.problems.push(format!("package: {e}"));
            return report;
        }
    };
    let files: HashMap<&str, &[u8]> = entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let Some(manifest_bytes) = files.get(MANIFEST) else {
        report
            .problems
            .push(format!("package: {MANIFEST} is missing"));
        return report;
    };
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            report
                .problems
                .push(format!("{MANIFEST}: does not parse: {e}"));
            return report;
        }
    };
    if manifest.format != FORMAT {
        report.problems.push(format!(
            "{MANIFEST}: format {:?} is not {FORMAT:?}",
            manifest.format
        ));
        return report;
    }

    // 1. Every file is listed with the right hash, and nothing unlisted rides along.
    let mut listed = BTreeMap::new();
    for entry in &manifest.files {
        listed.insert(entry.path.as_str(), entry);
        match files.get(entry.path.as_str()) {
            None => report.problems.push(format!(
                "{}: listed in the manifest but missing",
                entry.path
            )),
            Some(data) => {
                let found = hex::encode(crypto::sha256(data));
                if found != entry.sha256 || data.len() as u64 != entry.size {
                    report.problems.push(format!(
                        "{}: SHA-256 {found} ({} bytes), the manifest says {} ({} bytes)",
                        entry.path,
                        data.len(),
                        entry.sha256,
                        entry.size
                    ));
                }
            }
        }
    }
    for (name, _) in &entries {
        if name != MANIFEST && !listed.contains_key(name.as_str()) {
            report
                .problems
                .push(format!("{name}: in the package but not in the manifest"));
        }
    }
    report.files = entries.len();
    // Content is only trusted through a listed, matching hash.
    let file = |path: &str| -> Option<&[u8]> {
        let entry = listed.get(path)?;
        let data = files.get(path)?;
        (hex::encode(crypto::sha256(data)) == entry.sha256).then_some(*data)
    };

    match file(&manifest.log_key).map(String::from_utf8_lossy) {
        Some(text) if text.trim() == log.to_vkey() => {}
        Some(_) => report.problems.push(format!(
            "{LOG_KEY_FILE}: differs from the log key given to the verifier ({})",
            log.name
        )),
        None => report
            .problems
            .push(format!("{LOG_KEY_FILE}: missing from the package")),
    }
    let pool: Vec<Vec<u8>> = manifest
        .certificates
        .iter()
        .filter_map(|p| file(p).map(<[u8]>::to_vec))
        .collect();
    let crls: Vec<Vec<u8>> = manifest
        .crls
        .iter()
        .filter_map(|p| file(p).map(<[u8]>::to_vec))
        .collect();

    for dossier in &manifest.dossiers {
        report.dossiers += 1;
        verify_dossier(dossier, &file, &pool, &crls, anchor_der, log, &mut report);
    }
    report
}

#[allow(clippy::too_many_arguments)]
fn verify_dossier<'p>(
    dossier: &DossierEntry,
    file: &impl Fn(&str) -> Option<&'p [u8]>,
    pool: &[Vec<u8>],
    crls: &[Vec<u8>],
    anchor_der: &[u8],
    log: &LogVerifier,
    report: &mut Report,
) {
    let code = &dossier.dossier_code;
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(format!("dossier {code}: {text}"));
    let mut records = dossier.records.clone();
    records.sort_by_key(|r| r.sequence);
    let mut loaded: Vec<(&[u8], &[u8])> = Vec::new();
    let mut decoded = Vec::new();
    for entry in &records {
        let what = format!("record {} ({})", entry.sequence, entry.step);
        let (Some(bytes), Some(signature)) = (file(&entry.record), file(&entry.signature)) else {
            problem(format!(
                "{what}: its record or signature file is missing or damaged"
            ));
            continue;
        };
        loaded.push((bytes, signature));
        let sha = crypto::sha256(bytes);
        if hex::encode(sha) != entry.sha256 {
            problem(format!(
                "{what}: SHA-256 is {}, the manifest says {}",
                hex::encode(sha),
                entry.sha256
            ));
        }
        let record = match record::decode(bytes) {
            Ok(r) => r,
            Err(e) => {
                problem(format!("{what}: does not decode: {e}"));
                continue;
            }
        };
        // The signature and the path from its certificate to the trust anchor, at the time the
        // record says it was signed.
        match cms::verify_detached(signature, bytes) {
            Err(e) => problem(format!("{what}: the CMS signature does not verify: {e}")),
            Ok(verified) => {
                let at = time::OffsetDateTime::from_unix_timestamp(
                    record.time_unix_millis.div_euclid(1000),
                )
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                let mut candidates = verified.certificates_der.clone();
                candidates.extend(pool.iter().cloned());
                // The same path check as every other verification (the `verify` engine),
                // at the time the record claims: the package holds no timestamp for it.
                let crl_sources: Vec<verify::RevocationSource<'_>> = crls
                    .iter()
                    .map(|der| verify::RevocationSource::crl(der, true))
                    .collect();
                let path = verify::check_path(
                    &verified.signer_certificate_der,
                    &candidates,
                    std::slice::from_ref(&anchor_der.to_vec()),
                    &crl_sources,
                    at,
                    false,
                    verify::Purpose::DocumentSigning,
                );
                if !path.trusted || !path.findings.is_empty() {
                    let reasons: Vec<&str> =
                        path.findings.iter().map(|f| f.message.as_str()).collect();
                    problem(format!(
                        "{what}: the signer's certificate does not chain to the trust anchor: {}",
                        if reasons.is_empty() {
                            "no path".to_owned()
                        } else {
                            reasons.join("; ")
                        }
                    ));
                }
            }
        }
        // Inclusion in the log, under a checkpoint signed by the log key the verifier trusts.
        match file(&entry.proof).map(serde_json::from_slice::<ProofFile>) {
            None => problem(format!("{what}: the inclusion proof is missing or damaged")),
            Some(Err(e)) => problem(format!("{what}: the inclusion proof does not parse: {e}")),
            Some(Ok(proof)) => {
                if let Err(e) = check_proof(LogKind::StepRecord, &sha, &proof, log) {
                    problem(format!("{what}: {e}"));
                }
            }
        }
        decoded.push(record);
    }
    let record_count = loaded.len();
    if let Err(e) = record::verify_chain(code, loaded.iter().copied()) {
        problem(format!("the hash chain of records is broken: {e}"));
    }
    for document in &dossier.documents {
        match file(&document.file) {
            None => problem(format!(
                "document {}: the file is missing or damaged",
                document.file
            )),
            Some(data) => {
                let sha = crypto::sha256(data);
                let signed = decoded
                    .iter()
                    .find(|r| r.sequence == document.record_sequence)
                    .is_some_and(|r| r.documents.iter().any(|d| d.sha256 == sha));
                // A form signed after its record is proven by its own leaf instead.
                let logged = || match document.proof.as_deref().and_then(file) {
                    None => Err("no proof that the log holds it".to_owned()),
                    Some(bytes) => serde_json::from_slice::<ProofFile>(bytes)
                        .map_err(|e| format!("its proof does not parse: {e}"))
                        .and_then(|proof| check_proof(LogKind::Form, &sha, &proof, log)),
                };
                if !signed {
                    if let Err(why) = logged() {
                        problem(format!(
                            "document {}: SHA-256 {} is not among the documents record {} signed, \
                             and {why}",
                            document.file,
                            hex::encode(sha),
                            document.record_sequence
                        ));
                    }
                }
            }
        }
    }
    for result in dossier.result.iter().chain(&dossier.more_results) {
        match file(&result.file) {
            None => problem(format!(
                "result {}: the PDF is missing or damaged",
                result.result_code
            )),
            Some(pdf) => {
                let sha = crypto::sha256(pdf);
                let sign_step = record::step_to_proto(crate::flow::Step::Sign) as i32;
                // The Sign record names every result it signed, -KQ1 first.
                let signed: Option<Vec<Vec<u8>>> = decoded
                    .iter()
                    .find(|r| r.step == sign_step)
                    .map(|r| r.documents.iter().map(|d| d.sha256.clone()).collect());
                match signed {
                    None => problem(format!(
                        "result {}: no Sign record names the result's hash",
                        result.result_code
                    )),
                    Some(signed) if !signed.iter().any(|s| s[..] == sha[..]) => problem(format!(
                        "result {}: the PDF's SHA-256 {} is not one the Sign record signed ({})",
                        result.result_code,
                        hex::encode(sha),
                        signed
                            .iter()
                            .map(hex::encode)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(_) => {}
                }
                // Renewals: each begins with the previous version's exact bytes (it only
                // appends), has the hash the manifest names, and is in the log.
                let mut previous: &[u8] = pdf;
                for renewal in &result.renewals {
                    let what = format!("result {} renewal {}", result.result_code, renewal.renewal);
                    let Some(renewed) = file(&renewal.file) else {
                        problem(format!("{what}: the PDF is missing or damaged"));
                        break;
                    };
                    let sha = crypto::sha256(renewed);
                    if hex::encode(sha) != renewal.sha256 {
                        problem(format!(
                            "{what}: SHA-256 is {}, the manifest says {}",
                            hex::encode(sha),
                            renewal.sha256
                        ));
                    }
                    if renewal.previous_sha256 != hex::encode(crypto::sha256(previous))
                        || !renewed.starts_with(previous)
                    {
                        problem(format!(
                            "{what}: does not extend the previous version (a renewal may only append)"
                        ));
                    }
                    match file(&renewal.proof).map(serde_json::from_slice::<ProofFile>) {
                        None => {
                            problem(format!("{what}: the inclusion proof is missing or damaged"))
                        }
                        Some(Err(e)) => {
                            problem(format!("{what}: the inclusion proof does not parse: {e}"))
                        }
                        Some(Ok(proof)) => {
                            if let Err(e) = check_proof(LogKind::RenewedResult, &sha, &proof, log) {
                                problem(format!("{what}: {e}"));
                            }
                        }
                    }
                    previous = renewed;
                }
            }
        }
    }
    report.records += record_count;
    report.problems.extend(problems);
}

fn check_proof(
    kind: LogKind,
    sha256: &[u8; 32],
    proof: &ProofFile,
    log: &LogVerifier,
) -> Result<(), String> {
    let checkpoint = Checkpoint::open(&proof.checkpoint, log)
        .map_err(|e| format!("the checkpoint is not signed by the log key: {e}"))?;
    if checkpoint.size != proof.tree_size {
        return Err(format!(
            "the proof is for tree size {}, its checkpoint for {}",
            proof.tree_size, checkpoint.size
        ));
    }
    let leaf = ledger::leaf_hash(&kind.leaf_data(sha256));
    if decode_hex32(&proof.leaf_hash) != Some(leaf) {
        return Err(format!(
            "the proof is for another leaf than this {}",
            kind.name()
        ));
    }
    let path = proof
        .path
        .iter()
        .map(|h| decode_hex32(h).ok_or_else(|| format!("proof hash {h:?} is not 32 bytes of hex")))
        .collect::<Result<Vec<_>, _>>()?;
    ledger::verify_inclusion(
        proof.leaf_index,
        checkpoint.size,
        &leaf,
        &path,
        &checkpoint.root,
    )
    .map_err(|e| format!("the inclusion proof does not lead to the signed checkpoint: {e}"))
}
