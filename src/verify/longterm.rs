//! PAdES B-LTA: a timestamp is worth what its authority's certificates are worth at the time
//! its existence is proven — now, or the time of a later document timestamp covering it.
//!
//! Each timestamp's path was checked at its own time (`chain`). That is not enough for the
//! decades an archive keeps a result: once a TSA certificate has expired, or been revoked, a
//! token it signed could have been made afterwards, with a stolen or broken key, and back-dated.
//! A document timestamp made while the certificate was still sound proves the earlier token
//! existed then (ETSI EN 319 102-1 §5.6.2.5, "proof of existence"). So the document timestamps
//! are walked from the newest to the oldest: the proof time starts at the verification time;
//! each document timestamp's authority must be sound at the proof time, and if it is, its own
//! time becomes the proof for everything it covers. Signature timestamps are judged at the proof
//! time of the first document timestamp that covers them. This is what archive renewal relies
//! on: it adds a document timestamp before the newest one's authority lapses.

use time::OffsetDateTime;

use super::report::{verdict_of, Finding, Severity, SignatureReport, TimestampReport, Verdict};

/// Adds a finding to every timestamp whose authority had lapsed by the time its existence is
/// proven, and sets the verdicts again.
pub(super) fn check_long_term(signatures: &mut [SignatureReport], now: OffsetDateTime) {
    let mut order: Vec<usize> = (0..signatures.len()).collect();
    // Newest first: a later revision's signature covers more bytes.
    order.sort_by_key(|&i| {
        std::cmp::Reverse(signatures.get(i).map_or(0, |s| s.coverage.signed_bytes))
    });
    // (where a document timestamp's coverage ends, the time it proves), for the sound ones.
    let mut proofs: Vec<(u64, OffsetDateTime)> = Vec::new();
    for i in order {
        let Some(s) = signatures.get_mut(i) else {
            continue;
        };
        let Some(ts) = &s.timestamp else { continue };
        let end = s.coverage.signed_bytes;
        let proof = proofs
            .iter()
            .filter(|(covers, _)| *covers > end)
            .map(|(_, t)| *t)
            .min()
            .unwrap_or(now);
        let is_dts = s.kind == "document timestamp";
        let lapse = lapse_before(ts, proof);
        if let Some(lapse) = lapse {
            s.findings.push(lapse.finding(is_dts, proof == now));
            s.verdict = verdict_of(&s.findings);
        }
        if is_dts && s.verdict == Verdict::Valid {
            proofs.push((end, ts.time));
        }
    }
}

/// Why a timestamp's authority stopped being sound before `proof`.
struct Lapse {
    name: String,
    at: OffsetDateTime,
    revoked: bool,
}

fn lapse_before(ts: &TimestampReport, proof: OffsetDateTime) -> Option<Lapse> {
    let mut first: Option<Lapse> = None;
    let chain = &ts.chain;
    for (i, cert) in chain.path.iter().enumerate() {
        let name = if cert.common_name.is_empty() {
            cert.subject.clone()
        } else {
            cert.common_name.clone()
        };
        let mut candidates = vec![(cert.not_after, false)];
        // The status of path[i] by its issuer; the anchor has none.
        if let Some(r) = chain.revocation.get(i).and_then(|s| s.revoked_at) {
            candidates.push((r, true));
        }
        for (at, revoked) in candidates {
            // Lapses at or before the token's own time are the path check's (INVALID there).
            if at < proof && at > ts.time && first.as_ref().is_none_or(|f| at < f.at) {
                first = Some(Lapse {
                    name: name.clone(),
                    at,
                    revoked,
                });
            }
        }
    }
    first
}

impl Lapse {
    fn finding(&self, is_dts: bool, proof_is_now: bool) -> Finding {
        let what = if is_dts {
            ("document timestamp", "dấu thời gian của văn bản")
        } else {
            ("signature timestamp", "dấu thời gian của chữ ký")
        };
        let (event, event_vi) = if self.revoked {
            ("was revoked", "đã bị thu hồi")
        } else {
            ("expired", "đã hết hạn")
        };
        let at = crate::pki::rfc3339(self.at);
        let (proof, proof_vi) = if proof_is_now {
            (
                "and no later document timestamp proves the token existed before then",
                "và không có dấu thời gian nào sau đó chứng minh dấu thời gian này đã tồn tại trước thời điểm đó",
            )
        } else {
            (
                "before the later document timestamp that covers it",
                "trước dấu thời gian của văn bản được thêm vào sau",
            )
        };
        Finding::new(
            Severity::Indeterminate,
            "timestamp_lapsed",
            format!(
                "{}: the timestamp authority's certificate `{}` {event} at {at}, {proof}",
                what.0, self.name
            ),
            format!(
                "{}: chứng thư số “{}” của đơn vị cấp dấu thời gian {event_vi} lúc {at}, {proof_vi}",
                what.1, self.name
            ),
        )
    }
}
