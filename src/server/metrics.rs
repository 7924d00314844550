//! Prometheus metrics at `/metrics` on the HTTP side. The code records through the `metrics`
//! facade where things happen (a call's outcome and duration in `service::audit`, signatures
//! made, verification verdicts, the writer's batches); this installs the recorder that keeps
//! them and renders the text exposition format.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a cached read (~0.1 ms) to a large upload's verification (tens of seconds).
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Writes in one group commit: 1 to the writer's maximum of 256.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Installs the process's recorder; `None` if one is installed already (a second server in the
/// same process, as some tests run), in which case that one keeps recording.
pub fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), DURATION_BUCKETS)
        .ok()?
        .set_buckets_for_metric(
            Matcher::Full("ketqua_writer_batch_writes".to_owned()),
            BATCH_BUCKETS,
        )
        .ok()?;
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    describe();
    Some(handle)
}

/// What each metric is, for the exposition's HELP lines.
fn describe() {
    metrics::describe_counter!(
        "ketqua_calls_total",
        "Calls of the service by method (gRPC method or page) and outcome (ok or the error's kind)"
    );
    metrics::describe_histogram!(
        "ketqua_call_duration_seconds",
        metrics::Unit::Seconds,
        "Time a call took in the service, by method"
    );
    metrics::describe_counter!(
        "ketqua_signatures_total",
        "Signatures made, by what was signed (step_record, result, form) and the signer's role"
    );
    metrics::describe_counter!(
        "ketqua_verifications_total",
        "Documents verified, by verdict"
    );
    metrics::describe_histogram!(
        "ketqua_writer_batch_writes",
        "Writes committed together by the archive's writer (one group commit)"
    );
    metrics::describe_counter!("ketqua_writer_batches_total", "Group commits, by outcome");
    metrics::describe_histogram!(
        "ketqua_writer_commit_seconds",
        metrics::Unit::Seconds,
        "Time the archive's writer took for one group commit, from its first statement to the commit (its sum over the elapsed time is how busy the one writer is)"
    );
}
