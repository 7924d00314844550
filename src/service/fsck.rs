//! fsck's checks of what only the service understands: each dossier's record chain (every
//! record's hash, sequence and link to the one before, the place it names), the signature on
//! every record by the actor it names, the dossier row's summary of the chain, and each result
//! against the Sign record that signed it and the renewals that extend it. The archive's own
//! storage checks (blobs before, the log after) write into the same report, so its order is
//! blobs, dossiers, log. Read-only.

use crate::{
    archive::{
        self, FsckReport, IntegrityStore, RenewalStore, ResultVersions, RetrievalStore,
        StoredChain, StoredRecord,
    },
    cms,
    flow::Step,
    ledger::LogVerifier,
    pki,
    proto::v1 as pb,
    record,
};

/// How many dossiers are read from the archive at a time.
const PAGE: i64 = 100;

/// Checks the whole archive, naming each difference by table, key, expected and found value.
/// Checkpoint signatures are checked with `log`.
pub async fn fsck<A>(archive: &A, log: &LogVerifier) -> archive::Result<FsckReport>
where
    A: IntegrityStore + RetrievalStore + RenewalStore,
{
    let mut report = FsckReport::default();
    archive.check_blobs(&mut report).await?;
    let mut after: Option<String> = None;
    loop {
        let page = archive.chains(after.as_deref(), PAGE).await?;
        for chain in &page {
            check_chain(archive, chain, &mut report).await?;
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = Some(last.code.clone()),
            _ => break,
        }
    }
    archive.check_log(log, &mut report).await?;
    Ok(report)
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// One dossier: each record's hash, its link to the previous one, its signature by the actor
/// it names; the dossier row's summary of them; the result's hash and its renewals.
async fn check_chain<A>(
    archive: &A,
    chain: &StoredChain,
    report: &mut FsckReport,
) -> archive::Result<()>
where
    A: RetrievalStore + RenewalStore,
{
    report.dossiers += 1;
    let code = &chain.code;
    let mut previous: Vec<u8> = Vec::new();
    let mut sign_digests: Vec<Vec<u8>> = Vec::new();
    for (index, stored) in chain.records.iter().enumerate() {
        report.records += 1;
        let decoded = check_record(code, index, stored, &previous, report);
        if let Some(sign) = decoded.filter(|d| d.step == record::step_to_proto(Step::Sign) as i32) {
            sign_digests = sign.documents.iter().map(|d| d.sha256.clone()).collect();
        }
        previous = crate::crypto::sha256(&stored.record).to_vec();
    }
    let count = chain.records.len();
    if count as i64 != chain.record_count {
        report.push(
            "dossiers",
            format!("code={code}"),
            "record_count differs from the records stored",
            Some(count.to_string()),
            Some(chain.record_count.to_string()),
        );
    }
    if count > 0 && previous != chain.last_record_sha256 {
        report.push(
            "dossiers",
            format!("code={code}"),
            "last_record_sha256 is not the hash of the last record",
            Some(hex(&previous)),
            Some(hex(&chain.last_record_sha256)),
        );
    }
    for result in &chain.results {
        if !sign_digests.contains(&result.sha256) {
            report.push(
                "results",
                format!("result_code={}", result.result_code),
                "the result's hash is not one its Sign record signed",
                Some(
                    sign_digests
                        .iter()
                        .map(|d| hex(d))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Some(hex(&result.sha256)),
            );
        }
        check_renewals(archive, result, report).await?;
    }
    Ok(())
}

/// One stored record, the `index`th of its dossier, whose predecessor hashes to `previous`;
/// the record decoded, if it decodes.
fn check_record(
    code: &str,
    index: usize,
    stored: &StoredRecord,
    previous: &[u8],
    report: &mut FsckReport,
) -> Option<pb::StepRecord> {
    let sequence = stored.sequence;
    let key = format!("dossier_code={code}, sequence={sequence}");
    let actual = crate::crypto::sha256(&stored.record);
    if actual[..] != stored.record_sha256[..] {
        report.push(
            "step_records",
            key.clone(),
            "record bytes do not match record_sha256",
            Some(hex(&stored.record_sha256)),
            Some(hex(&actual)),
        );
    }
    if sequence != index as i64 + 1 {
        report.push(
            "step_records",
            key.clone(),
            "sequence has a gap",
            Some((index + 1).to_string()),
            Some(sequence.to_string()),
        );
    }
    let decoded = match record::decode(&stored.record) {
        Ok(decoded) => decoded,
        Err(e) => {
            let problem = format!("record does not decode: {e}");
            report.push("step_records", key, problem, None, None);
            return None;
        }
    };
    if decoded.previous_record_sha256 != previous {
        report.push(
            "step_records",
            key.clone(),
            "does not link to the previous record",
            Some(hex(previous)),
            Some(hex(&decoded.previous_record_sha256)),
        );
    }
    if decoded.dossier_code != code || i64::from(decoded.sequence) != sequence {
        report.push(
            "step_records",
            key.clone(),
            "the signed record names another place",
            Some(format!("{code} #{sequence}")),
            Some(format!("{} #{}", decoded.dossier_code, decoded.sequence)),
        );
    }
    match cms::verify_detached(&stored.signature, &stored.record) {
        Err(e) => {
            let problem = format!("signature does not verify: {e}");
            report.push("step_records", key, problem, None, None);
        }
        Ok(verified) => {
            let signer = pki::fingerprint(&verified.signer_certificate_der);
            let actor = decoded
                .actor
                .as_ref()
                .map(|a| a.certificate_sha256.clone())
                .unwrap_or_default();
            if signer[..] != actor[..] {
                report.push(
                    "step_records",
                    key,
                    "signed by another certificate than the record's actor",
                    Some(hex(&actor)),
                    Some(hex(&signer)),
                );
            }
        }
    }
    Some(decoded)
}

/// A result's renewals: each extends the previous version by appending only, and the last
/// one is the current version.
async fn check_renewals<A>(
    archive: &A,
    result: &ResultVersions,
    report: &mut FsckReport,
) -> archive::Result<()>
where
    A: RetrievalStore + RenewalStore,
{
    let result_code = &result.result_code;
    let mut previous = result.sha256.clone();
    // Each version is read once and compared with the next.
    let mut previous_bytes = archive.blob(&result.sha256).await.ok().flatten();
    for renewal in archive.renewals(result_code).await? {
        let key = format!("result_code={result_code}, renewal={}", renewal.renewal);
        if renewal.previous_sha256 != previous {
            report.push(
                "result_renewals",
                key.clone(),
                "does not extend the previous version",
                Some(hex(&previous)),
                Some(hex(&renewal.previous_sha256)),
            );
        }
        let bytes = archive.blob(&renewal.sha256).await.ok().flatten();
        if let (Some(old), Some(new)) = (&previous_bytes, &bytes) {
            if !new.starts_with(old) {
                report.push(
                    "result_renewals",
                    key,
                    "the renewed file does not begin with the previous version's bytes",
                    None,
                    None,
                );
            }
        }
        previous = renewal.sha256;
        previous_bytes = bytes;
    }
    let current = &result.current_sha256;
    if current.as_ref().is_some_and(|c| *c != previous)
        || (current.is_none() && previous != result.sha256)
    {
        report.push(
            "results",
            format!("result_code={result_code}"),
            "current_sha256 is not the last renewal",
            Some(hex(&previous)),
            current.as_deref().map(hex),
        );
    }
    Ok(())
}
