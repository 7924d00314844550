//! The `ketqua` binary as operators and department systems use it: the demo, the client
//! commands, the PKI tools, and the standard health and reflection services.

mod common;

use std::{path::Path, process::Command};

use common::*;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("KETQUA_LOG", "warn")
        .output()
        .expect("run ketqua")
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "ketqua failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

#[tokio::test]
async fn the_demo_runs_all_five_steps_and_writes_verifiable_records() {
    let server = Server::start();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let stdout = stdout_of(&run(&["demo", "--server", &server.grpc, "--out", out_dir]));
    let dossier = stdout
        .lines()
        .find_map(|l| l.strip_prefix("dossier "))
        .expect("a `dossier <code>` line")
        .to_owned();
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("result "))
        .expect("a `result <code>` line")
        .to_owned();
    assert_eq!(result, format!("{dossier}-KQ1"));

    let steps = [
        "01-receive",
        "02-appraise",
        "03-approve",
        "04-sign",
        "05-return",
    ];
    let mut records = Vec::new();
    for stem in steps {
        let record = std::fs::read(out.path().join(format!("records/{stem}.bin"))).expect(stem);
        let signature = std::fs::read(out.path().join(format!("records/{stem}.p7s"))).expect(stem);
        records.push((record, signature));
    }
    ketqua::record::verify_chain(
        &dossier,
        records.iter().map(|(r, s)| (r.as_slice(), s.as_slice())),
    )
    .expect("the demo's records form a valid chain");
    let pdf = std::fs::read(out.path().join("result.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    if tool_available("openssl") {
        // Exactly the command the issue names.
        for stem in steps {
            let status = Command::new("openssl")
                .args([
                    "cms",
                    "-verify",
                    "-binary",
                    "-inform",
                    "DER",
                    "-purpose",
                    "any",
                    "-out",
                    "/dev/null",
                ])
                .arg("-in")
                .arg(out.path().join(format!("records/{stem}.p7s")))
                .arg("-content")
                .arg(out.path().join(format!("records/{stem}.bin")))
                .arg("-CAfile")
                .arg(server.root_pem())
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{stem}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
    }
    // The result was rendered by the service: Vietnamese text that extracts exactly, and two
    // valid PAdES signatures (the competent signer's, then the seal's).
    if let Some(report) = pdfsig(&out.path().join("result.pdf")) {
        assert_eq!(report.matches("Signature is Valid.").count(), 2, "{report}");
    }
    if let Some((valid, report)) = pyhanko_judge(&server.root_pem(), &out.path().join("result.pdf"))
    {
        assert!(valid, "pyHanko: {report}");
        // The signer's certification holds: the seal and the DSS are allowed changes.
        assert_eq!(report.matches("docmdp_ok=True").count(), 2, "{report}");
    }
    if tool_available("pdftotext") {
        let text = Command::new("pdftotext")
            .arg(out.path().join("result.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("Không có án tích"), "{text}");
        assert!(
            text.contains(&dossier) || text.contains("Nguyễn Văn An"),
            "{text}"
        );
    }
    if tool_available("qpdf") {
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(out.path().join("result.pdf"))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "qpdf --check: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }

    // `client get` shows the state and the whole history.
    let shown = stdout_of(&run(&["client", "get", &dossier, "--server", &server.grpc]));
    assert!(shown.contains("returned"), "{shown}");
    assert!(shown.contains(&result), "{shown}");
    for step in ["receive", "appraise", "approve", "sign", "return"] {
        assert!(shown.contains(step), "{step} in {shown}");
    }
    let failed = run(&[
        "client",
        "get",
        "000.00.12.H47-261122-9999",
        "--server",
        &server.grpc,
    ]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("NotFound"));
}

#[tokio::test]
async fn client_credentials_prints_one_tab_separated_line_per_credential() {
    let server = Server::start();
    let stdout = stdout_of(&run(&["client", "credentials", "--server", &server.grpc]));
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert!(lines.len() >= 8, "{stdout}");
    for fields in &lines {
        assert_eq!(fields.len(), 4, "{fields:?}");
        assert!(
            ["receiver", "appraiser", "approver", "seal"].contains(&fields[1]),
            "{fields:?}"
        );
        assert!(fields[3].contains("CN="), "{fields:?}");
    }
    for department in ["stp", "skhdt"] {
        for role in ["receiver", "appraiser", "approver", "seal"] {
            assert!(
                lines.iter().any(|f| f[1] == role && f[2] == department),
                "{role} of {department} in {stdout}"
            );
        }
    }
}

#[test]
fn pki_init_writes_a_hierarchy_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let pki_dir = pki.to_str().unwrap();
    stdout_of(&run(&["pki", "init", "--out", pki_dir]));
    assert!(pki.join("root.pem").exists());
    let listing = stdout_of(&run(&["pki", "credentials", "--dir", pki_dir]));
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("stp-approver\tapprover\tstp\t")),
        "{listing}"
    );
    // A second init refuses to overwrite the existing hierarchy.
    let again = run(&["pki", "init", "--out", pki_dir]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"));
    // No private key material is printed.
    assert!(!listing.contains("PRIVATE KEY"));
}

#[tokio::test]
async fn health_and_reflection_are_served() {
    use tonic_health::pb::{
        health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
    };
    let server = Server::start();
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "ketqua.v1.Dossiers", "ketqua.v1.Signing"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap_or_else(|s| panic!("health of {service:?}: {s:?}"))
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }

    use tonic_reflection::pb::v1::{
        server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        ServerReflectionRequest,
    };
    let mut reflection = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream
        .message()
        .await
        .unwrap()
        .expect("a reflection answer");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "ketqua.v1.Dossiers",
        "ketqua.v1.Signing",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }

    // The older v1alpha, which older grpcurl builds, Postman and Python's reflection client
    // speak: the same services, and the file that defines one of them.
    {
        use tonic_reflection::pb::v1alpha::{
            server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
            ServerReflectionRequest,
        };
        let mut reflection = ServerReflectionClient::new(server.channel().await);
        let requests = [
            MessageRequest::ListServices(String::new()),
            MessageRequest::FileContainingSymbol("ketqua.v1.Dossiers".to_owned()),
        ]
        .map(|message| ServerReflectionRequest {
            host: String::new(),
            message_request: Some(message),
        });
        let mut stream = reflection
            .server_reflection_info(tokio_stream::iter(requests))
            .await
            .expect("v1alpha reflection is served")
            .into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) =
            stream.message().await.unwrap().unwrap().message_response
        else {
            panic!("unexpected v1alpha answer");
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        assert!(names.iter().any(|n| n == "ketqua.v1.Dossiers"), "{names:?}");
        let Some(MessageResponse::FileDescriptorResponse(files)) =
            stream.message().await.unwrap().unwrap().message_response
        else {
            panic!("no file descriptor for ketqua.v1.Dossiers");
        };
        // A FileDescriptorProto starts with its name (field 1) and names its services.
        let file = files
            .file_descriptor_proto
            .first()
            .expect("a file descriptor");
        let name = b"ketqua/v1/dossiers.proto";
        assert_eq!(
            &file[2..2 + name.len()],
            name,
            "{:?}",
            String::from_utf8_lossy(file)
        );
        assert!(file.windows(8).any(|w| w == b"Dossiers"));
    }

    // The HTTP side answers too, with the trust anchor.
    let root = http_get(&server.http, "/pki/root.pem").await;
    assert!(root.contains("BEGIN CERTIFICATE"), "{root}");
}

/// Python's reflection client — grpcio-reflection, which speaks only v1alpha — lists the
/// services and resolves a method's request type from the server's descriptors.
#[test]
fn the_python_reflection_client_resolves_the_api() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/reflection_client.py");
    let have = Command::new("python3")
        .args(["-c", "import grpc_reflection"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "grpcio-reflection is required under CI=true (.ci/run installs it)"
        );
        eprintln!("SKIPPED: grpcio-reflection is not installed");
        return;
    }
    let server = Server::start();
    let output = Command::new("python3")
        .arg(script)
        .arg(server.grpc.trim_start_matches("http://"))
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let services: Vec<&str> = seen["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for expected in [
        "ketqua.v1.Dossiers",
        "ketqua.v1.Archive",
        "grpc.health.v1.Health",
    ] {
        assert!(services.contains(&expected), "{expected} in {services:?}");
    }
    assert_eq!(seen["receive_input"], "ketqua.v1.ReceiveRequest");
    assert!(seen["receive_fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "procedure_code"));
}

/// `/metrics` after a few calls, parsed by the reference Prometheus client's parser: calls by
/// method and outcome with their latency histograms, signatures by document and role, writer
/// batches, verification verdicts.
#[tokio::test]
async fn metrics_are_exposed_for_prometheus() {
    let have = Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "prometheus-client is required under CI=true (.ci/run installs it)"
        );
        eprintln!("SKIPPED: prometheus-client is not installed");
        return;
    }
    // A webhook subscriber that is never there: its one attempt fails, a dead letter.
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("ketqua.toml");
    let dead_port = free_port();
    std::fs::write(
        &config,
        format!(
            "[[webhook]]\nname = \"gone\"\nurl = \"http://127.0.0.1:{dead_port}/\"\n\
             secret = \"0123456789abcdef\"\nmax_attempts = 1\n"
        ),
    )
    .unwrap();
    let server = Server::start_with(&["--config", &config.display().to_string()]);
    let mut client = server.dossiers().await;
    client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap();
    client
        .appraise(step_request("not-a-code", "stp-appraiser", "x"))
        .await
        .unwrap_err();
    let mut verification =
        ketqua::proto::v1::verification_client::VerificationClient::new(server.channel().await);
    verification
        .verify_document(tokio_stream::iter([
            ketqua::proto::v1::VerifyDocumentRequest {
                result_code: String::new(),
                chunk: ketqua::pdf::text_document("Khong ky", &["khong co chu ky"]),
            },
        ]))
        .await
        .unwrap();

    // The backlog gauges are refreshed every few seconds.
    let mut body = String::new();
    let mut samples = Vec::new();
    for _ in 0..100 {
        (body, samples) = scrape(&server).await;
        if sample_sum(
            &samples,
            "ketqua_webhook_dead_letters",
            &[("subscriber", "gone")],
        ) >= 1.0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let value = |name: &str, labels: &[(&str, &str)]| sample_sum(&samples, name, labels);
    assert!(
        value(
            "ketqua_webhook_attempts_total",
            &[("subscriber", "gone"), ("outcome", "dead")]
        ) >= 1.0,
        "{body}"
    );
    assert_eq!(
        value("ketqua_webhook_dead_letters", &[("subscriber", "gone")]),
        1.0,
        "{body}"
    );
    assert_eq!(
        value("ketqua_webhook_backlog", &[("subscriber", "gone")]),
        0.0
    );
    assert!(value("ketqua_last_event_sequence", &[]) >= 1.0, "{body}");
    assert_call_metrics(&body, &value);
}

/// The sum of the samples called `name` with these labels.
fn sample_sum(samples: &[serde_json::Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s["name"] == name)
        .filter(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .map(|s| s["value"].as_f64().unwrap())
        .sum()
}

/// `/metrics` as text and as the reference parser reads it.
async fn scrape(server: &Server) -> (String, Vec<serde_json::Value>) {
    let response = http_get(&server.http, "/metrics").await;
    assert!(response.contains("text/plain; version=0.0.4"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap().to_owned();
    let mut parse = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/metrics_check.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    parse
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let output = parse.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let samples: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    (body, samples)
}

/// A metric's value by name and labels.
type Metric<'a> = &'a dyn Fn(&str, &[(&str, &str)]) -> f64;

fn assert_call_metrics(body: &str, value: Metric<'_>) {
    assert!(
        value(
            "ketqua_calls_total",
            &[("method", "Receive"), ("outcome", "ok")]
        ) >= 1.0
    );
    assert!(
        value(
            "ketqua_calls_total",
            &[("method", "Appraise"), ("outcome", "invalid_argument")]
        ) >= 1.0,
        "{body}"
    );
    assert!(
        value(
            "ketqua_call_duration_seconds_count",
            &[("method", "Receive")]
        ) >= 1.0
    );
    assert!(
        value(
            "ketqua_call_duration_seconds_bucket",
            &[("method", "Receive"), ("le", "+Inf")]
        ) >= 1.0
    );
    assert!(
        value(
            "ketqua_signatures_total",
            &[("document", "step_record"), ("role", "receiver")]
        ) >= 1.0
    );
    assert!(
        value("ketqua_signatures_total", &[("document", "form")]) >= 1.0,
        "the slip"
    );
    assert!(value("ketqua_writer_batch_writes_count", &[]) >= 1.0);
    assert!(value("ketqua_writer_batches_total", &[("outcome", "committed")]) >= 1.0);
    assert!(value("ketqua_verifications_total", &[]) >= 1.0, "{body}");
}

/// A minimal HTTP/1.1 GET over a raw socket, to keep an HTTP client out of the dependencies.
async fn http_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

#[test]
fn the_production_profile_never_generates_a_development_pki() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args([
            "serve",
            "--profile",
            "production",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .args(["--trust", "/nonexistent/root.pem"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--pki-dir")
        .arg(dir.path().join("pki"))
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("production"), "{stderr}");
    assert!(
        !dir.path().join("pki/root.pem").exists(),
        "nothing was generated"
    );
}

#[test]
fn the_production_profile_refuses_to_start_without_trust_anchors() {
    let dir = tempfile::tempdir().unwrap();
    stdout_of(&run(&[
        "pki",
        "init",
        "--out",
        dir.path().join("pki").to_str().unwrap(),
    ]));
    let output = Command::new(BIN)
        .args([
            "serve",
            "--profile",
            "production",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--pki-dir")
        .arg(dir.path().join("pki"))
        .arg("--allow-unencrypted-keys")
        .env("KETQUA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--trust"), "{stderr}");
}

/// In production only configured anchors count: a result signed under the service's own
/// development root is not trusted when another root is configured, and is when it is.
#[tokio::test]
async fn verification_trusts_only_the_configured_anchors_in_production() {
    use ketqua::proto::v1::{
        verification_client::VerificationClient, Verdict, VerifyDocumentRequest,
    };
    let other = tempfile::tempdir().unwrap();
    let other_pki = other.path().join("pki");
    stdout_of(&run(&["pki", "init", "--out", other_pki.to_str().unwrap()]));

    // First a server in the development profile makes a result.
    let server = Server::start();
    let out = tempfile::tempdir().unwrap();
    stdout_of(&run(&[
        "demo",
        "--server",
        &server.grpc,
        "--out",
        out.path().to_str().unwrap(),
    ]));
    let pdf = std::fs::read(out.path().join("result.pdf")).unwrap();
    let root = server.root_pem();

    let verdict = |extra: Vec<String>| {
        let pdf = pdf.clone();
        async move {
            let args: Vec<&str> = ["--profile", "production"]
                .into_iter()
                .chain(extra.iter().map(String::as_str))
                .collect();
            // Production never generates a development PKI: the service's signing
            // credentials are installed first.
            let verifier = Server::start_prepared(&args, |dir| {
                stdout_of(&run(&[
                    "pki",
                    "init",
                    "--out",
                    dir.join("pki").to_str().unwrap(),
                ]));
            });
            let mut client = VerificationClient::new(verifier.channel().await);
            let report = client
                .verify_document(tokio_stream::iter([VerifyDocumentRequest {
                    result_code: String::new(),
                    chunk: pdf,
                }]))
                .await
                .expect("verify")
                .into_inner();
            report.verdict()
        }
    };
    let foreign = verdict(vec![
        "--trust".into(),
        other_pki.join("root.pem").display().to_string(),
    ])
    .await;
    assert_ne!(
        foreign,
        Verdict::Valid,
        "a root that did not issue the result must not make it valid"
    );
    let own = verdict(vec!["--trust".into(), root.display().to_string()]).await;
    assert_eq!(own, Verdict::Valid);
}

/// The rows of `ketqua bench flow`'s table: (in flight, dossiers/s).
fn flow_rows(stdout: &str) -> Vec<(usize, f64)> {
    stdout
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            Some((cells.get(1)?.parse().ok()?, cells.get(3)?.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn bench_flow_takes_every_dossier_through_the_five_steps_of_a_given_server() {
    let server = Server::start();
    let pki = server.pki_dir();
    let stdout = stdout_of(&run(&[
        "bench",
        "flow",
        "--server",
        &server.grpc,
        "--pki",
        pki.to_str().unwrap(),
        "--dossiers",
        "5",
        "--concurrency",
        "1,3",
        "--connections",
        "2",
    ]));
    let rows = flow_rows(&stdout);
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 3],
        "{stdout}"
    );
    assert!(rows.iter().all(|r| r.1 > 0.0), "{stdout}");
    assert!(stdout.contains("sign p50 / p99 ms"), "{stdout}");
    // Five dossiers a run and one to warm up, each received, signed and returned: on the
    // server, not only in the table.
    let counts = server.row_counts().await;
    let count = |table: &str| counts.iter().find(|(t, _)| t == table).unwrap().1;
    assert_eq!(count("dossiers"), 11);
    assert_eq!(count("step_records"), 55);
    assert_eq!(count("results"), 11);
}

#[test]
fn bench_flow_starts_its_own_server_and_cleans_up() {
    let pki = tempfile::tempdir().unwrap();
    let stdout = stdout_of(&run(&[
        "bench",
        "flow",
        "--pki",
        pki.path().to_str().unwrap(),
        "--dossiers",
        "2",
        "--concurrency",
        "2",
    ]));
    assert_eq!(flow_rows(&stdout).len(), 1, "{stdout}");
    assert!(stdout.contains("SQLite (a fresh file)"), "{stdout}");
    // The server it started made a development PKI with TLS for the department systems.
    assert!(pki.path().join("client-ca.pem").is_file());
    let bad = run(&[
        "bench",
        "flow",
        "--database",
        "mysql://x",
        "--pki",
        "/nonexistent",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("postgres:// URL"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// One `ketqua client` subcommand per Archive read, each with `--json` for scripts.
#[tokio::test]
async fn the_archive_subcommands_answer_for_people_and_scripts() {
    let server = Server::start();
    let mut client = server.dossiers().await;
    let received = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .unwrap()
        .into_inner();
    let code = received.dossier_code.clone();
    let step = |c: &str, note: &str| step_request(&code, c, note);
    client.appraise(step("stp-appraiser", "Đủ")).await.unwrap();
    client
        .approve(step("stp-approver", "Đồng ý"))
        .await
        .unwrap();
    client
        .sign(sign_request(&code, "stp-approver"))
        .await
        .unwrap();
    let result_code = client
        .r#return(step("stp-receiver", "Đã trả"))
        .await
        .unwrap()
        .into_inner()
        .result_code;
    let record_sha = hex::encode(received.record.unwrap().record_sha256);
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["client"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--json", "--server", &server.grpc]);
        let (ok, out) = run_ketqua(&all);
        assert!(ok, "{args:?}: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    };
    let hits = json(&["search", "--department", "stp", "--state", "returned"]);
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["dossier_code"], code.as_str());
    assert_eq!(hits[0]["result_code"], result_code.as_str());
    for key in [code.as_str(), result_code.as_str(), record_sha.as_str()] {
        let found = json(&["get-record", key]);
        assert_eq!(found["dossier_code"], code.as_str(), "{key}");
        assert_eq!(found["records"].as_array().unwrap().len(), 5);
    }
    let reusable = json(&["find-reusable", "001099012345"]);
    assert_eq!(reusable[0]["result_code"], result_code.as_str());
    let checkpoint = json(&["checkpoint"]);
    let size = checkpoint["size"].as_u64().unwrap();
    assert!(
        size >= 7,
        "five records, a slip, an issued result: {checkpoint}"
    );
    let proof = json(&["inclusion-proof", &record_sha]);
    assert_eq!(proof["leaf_index"], 0);
    assert_eq!(proof["tree_size"], size);
    let consistency = json(&["consistency-proof", "1"]);
    assert_eq!(consistency["new_size"], size);
    let revoked = json(&[
        "revoke",
        &result_code,
        "--credential",
        "stp-approver",
        "--reason",
        "Cấp nhầm",
    ]);
    assert_eq!(revoked["dossier_code"], code.as_str());
    // People get lines.
    let (ok, out) = run_ketqua(&["client", "search", "--server", &server.grpc]);
    assert!(
        ok && out.contains(&code) && out.contains("1 dossiers"),
        "{out}"
    );
    let (ok, out) = run_ketqua(&["client", "checkpoint", "--server", &server.grpc]);
    assert!(ok && out.starts_with("ketqua.local/log\n"), "{out}");
}
