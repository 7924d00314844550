//! What other systems are told (issue 16, docs/events.md): every state change is an event in
//! the outbox, written with its step; `Watch` streams them from any cursor, missing nothing and
//! repeating nothing; webhook subscribers receive each as a signed POST, retried, in order per
//! dossier, through restarts, with dead letters an operator can replay; the applicant's channel
//! and contact reach the subscribers but never a public page.

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::*;
use ketqua::proto::v1::{self as pb, dossiers_client::DossiersClient};
use tonic::{transport::Channel, Code};

const RECEIVER: &str = "stp-receiver";
const APPRAISER: &str = "stp-appraiser";
const APPROVER: &str = "stp-approver";
const SECRET: &str = "a webhook secret of enough bytes";

type Client = DossiersClient<Channel>;

/// One dossier through the five steps (five events).
async fn full_flow(client: &mut Client) -> String {
    try_full_flow(client).await.expect("the five steps")
}

async fn try_full_flow(client: &mut Client) -> Result<String, tonic::Status> {
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await?
        .into_inner()
        .dossier_code;
    client
        .appraise(step_request(&code, APPRAISER, "Đủ điều kiện"))
        .await?;
    client
        .approve(step_request(&code, APPROVER, "Đồng ý"))
        .await?;
    client.sign(sign_request(&code, APPROVER)).await?;
    client
        .r#return(step_request(&code, RECEIVER, "Đã trả kết quả"))
        .await?;
    Ok(code)
}

async fn watch_all(client: &mut Client, after: u64) -> Vec<pb::Event> {
    let mut stream = client
        .watch(pb::WatchRequest {
            after_sequence: after,
            stop_at_end: true,
            ..Default::default()
        })
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("watch stream") {
        events.push(event);
    }
    events
}

/// Each dossier's events match its signed records, one for one, in order.
async fn assert_events_match_records(client: &mut Client, events: &[pb::Event]) {
    let mut by_dossier: BTreeMap<&str, Vec<&pb::Event>> = BTreeMap::new();
    for event in events {
        by_dossier
            .entry(&event.dossier_code)
            .or_default()
            .push(event);
    }
    for (code, events) in by_dossier {
        let dossier = get_dossier(client, code).await;
        assert_eq!(
            events.len(),
            dossier.records.len(),
            "{code}: an event per record"
        );
        for (event, record) in events.iter().zip(&dossier.records) {
            assert_eq!(event.record_sha256, record.record_sha256, "{code}");
            let decoded = record.decoded.as_ref().unwrap();
            assert_eq!(event.record_sequence, decoded.sequence, "{code}");
            assert_eq!(event.step, decoded.step, "{code}");
            assert_eq!(event.state, decoded.state_after, "{code}");
            assert_eq!(event.department, dossier.department);
            assert_eq!(event.procedure_code, dossier.procedure_code);
        }
        let last = events.last().unwrap();
        assert_eq!(
            last.state, dossier.state,
            "{code}: the last event is the state now"
        );
        assert_eq!(last.national_status, dossier.national_status, "{code}");
    }
}

async fn the_outbox_holds_every_change_and_watch_resumes_anywhere(backend: Backend) {
    let Some(server) = Server::start_on(backend, &[]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(full_flow(&mut client).await);
    }
    codes.push(receive_and_refuse(&mut client).await);
    let events = watch_all(&mut client, 0).await;
    assert_eq!(events.len(), 3 * 5 + 2, "one event per state change");
    let sequences: Vec<u64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gap-free and in order"
    );
    assert_events_match_records(&mut client, &events).await;
    let returns: Vec<&pb::Event> = events
        .iter()
        .filter(|e| e.step == pb::Step::Return as i32)
        .collect();
    assert_eq!(returns.len(), 3);
    for event in returns {
        assert_eq!(
            event.result_codes,
            vec![format!("{}-KQ1", event.dossier_code)]
        );
        assert_eq!(event.national_status, 10);
    }
    // Sign names the result it signed; a step that touches no result names none.
    for event in &events {
        let expected = match pb::Step::try_from(event.step) {
            Ok(pb::Step::Sign | pb::Step::Return) => vec![format!("{}-KQ1", event.dossier_code)],
            _ => Vec::new(),
        };
        assert_eq!(event.result_codes, expected, "event {}", event.sequence);
    }
    // Resumed from any cursor: exactly the events after it.
    for after in [1u64, 4, 9, 16, 17, 40] {
        let resumed = watch_all(&mut client, after).await;
        let expected: Vec<u64> = sequences.iter().copied().filter(|s| *s > after).collect();
        assert_eq!(
            resumed.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            expected,
            "after {after}"
        );
        assert_eq!(&resumed[..], &events[events.len() - expected.len()..]);
    }
    // Filtered by step.
    let mut stream = client
        .watch(pb::WatchRequest {
            steps: vec![pb::Step::Receive as i32],
            stop_at_end: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut received = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        received.push(event.dossier_code);
    }
    assert_eq!(received, codes);
    // Live: a watcher waiting at the end sees the next step as it commits, and only it.
    let last = *sequences.last().unwrap();
    let mut live = client
        .watch(pb::WatchRequest {
            after_sequence: last,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let next = tokio::time::timeout(Duration::from_secs(10), live.message())
        .await
        .expect("the live event arrives")
        .unwrap()
        .unwrap();
    assert_eq!((next.sequence, next.dossier_code), (last + 1, code));
    // A cursor no event can have is refused, audited, and changes nothing.
    let mut watcher = client.clone();
    refused_without_trace!(
        server,
        "a cursor beyond any event number",
        Code::InvalidArgument,
        watcher.watch(pb::WatchRequest {
            after_sequence: u64::MAX,
            ..Default::default()
        })
    );
    // A bad step name is refused before anything is streamed.
    let status = client
        .watch(pb::WatchRequest {
            steps: vec![999],
            ..Default::default()
        })
        .await
        .expect_err("unknown step");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn the_outbox_holds_every_change_and_watch_resumes_anywhere_sqlite() {
    the_outbox_holds_every_change_and_watch_resumes_anywhere(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_outbox_holds_every_change_and_watch_resumes_anywhere_postgres() {
    the_outbox_holds_every_change_and_watch_resumes_anywhere(Backend::Postgres).await;
}

#[tokio::test]
async fn watch_shows_a_caller_only_the_departments_it_may_read() {
    let server = Server::start_secure(Backend::Sqlite, &[]).await.unwrap();
    let stp = server.channel_as(Some("stp")).await.unwrap();
    let mut client = DossiersClient::new(stp);
    receive_and_refuse(&mut client).await;
    let events = watch_all(&mut client, 0).await;
    assert_eq!(events.len(), 2);
    let status = client
        .watch(pb::WatchRequest {
            departments: vec!["skhdt".into()],
            stop_at_end: true,
            ..Default::default()
        })
        .await
        .expect_err("another department");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let anonymous = server.channel_as(None).await.unwrap();
    let status = DossiersClient::new(anonymous)
        .watch(pb::WatchRequest::default())
        .await
        .expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    // The archivist reads every department.
    let archivist = server.channel_as(Some("archivist")).await.unwrap();
    assert_eq!(
        watch_all(&mut DossiersClient::new(archivist), 0)
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn the_channel_and_contact_reach_subscribers_but_no_public_page() {
    let server = Server::start();
    let mut client = server.dossiers().await;
    let phone = "0912 345 678";
    let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
    request.channel = pb::Channel::Online as i32;
    request.contact = Some(pb::Contact {
        phone: phone.into(),
        email: "an.nguyen@example.vn".into(),
    });
    let code = client
        .receive(request)
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let events = watch_all(&mut client, 0).await;
    assert_eq!(events[0].channel, pb::Channel::Online as i32);
    let contact = events[0].contact.clone().expect("the contact is carried");
    assert_eq!(contact.phone, "0912345678");
    assert_eq!(contact.email, "an.nguyen@example.vn");
    let dossier = get_dossier(&mut client, &code).await;
    assert_eq!(dossier.channel, pb::Channel::Online as i32);
    assert_eq!(
        dossier.contact.as_ref().map(|c| c.phone.as_str()),
        Some("0912345678")
    );
    // Search tells the channel too (what an independent count of the online share needs).
    let mut archive = ketqua::proto::v1::archive_client::ArchiveClient::new(server.channel().await);
    let mut hits = archive
        .search(pb::SearchRequest::default())
        .await
        .unwrap()
        .into_inner();
    let hit = hits.message().await.unwrap().expect("a hit");
    assert_eq!(
        (hit.dossier_code.as_str(), hit.channel),
        (code.as_str(), pb::Channel::Online as i32)
    );
    assert_eq!(hit.finished_on, "", "in progress");
    // A dossier received without a channel came to the desk, with no contact.
    let plain = client
        .receive(receive_request(JUDICIAL_RECORD, RECEIVER))
        .await
        .unwrap()
        .into_inner()
        .dossier_code;
    let plain = get_dossier(&mut client, &plain).await;
    assert_eq!(plain.channel, pb::Channel::Desk as i32);
    assert!(plain.contact.is_none());
    // Public: neither Track nor the progress page carries it.
    let progress = client
        .track(pb::TrackRequest {
            dossier_code: code.clone(),
            applicant_id: "001099012345".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let progress = format!("{progress:?}");
    assert!(!progress.contains("0912345678") && !progress.contains("example.vn"));
    let page = http_get(&format!("{}/d/{code}", server.http)).await;
    assert!(page.contains(&code), "the progress page shows the dossier");
    assert!(!page.contains("0912345678") && !page.contains("example.vn"));
    // Malformed contacts are refused and leave nothing behind.
    for (phone, email) in [("12", ""), ("", "not-an-address"), ("0912abc678", "")] {
        let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
        request.contact = Some(pb::Contact {
            phone: phone.into(),
            email: email.into(),
        });
        refused_without_trace!(server, "a malformed contact", Code::InvalidArgument, {
            let mut client = client.clone();
            async move { client.receive(request).await }
        });
    }
    let mut request = receive_request(JUDICIAL_RECORD, RECEIVER);
    request.channel = 17;
    refused_without_trace!(server, "an unknown channel", Code::InvalidArgument, {
        let mut client = client.clone();
        async move { client.receive(request).await }
    });
}

async fn http_get(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

// --- Webhooks ------------------------------------------------------------------------------

/// What the test's subscriber received: each POST's id, timestamp, signature check and body.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: serde_json::Value,
    signature_ok: bool,
}

#[derive(Default)]
struct Subscriber {
    received: Mutex<Vec<Received>>,
    /// Event ids answered 500 once already.
    failed_once: Mutex<BTreeSet<String>>,
    /// Until then, every POST is answered 503 (an outage).
    down_until: Mutex<Option<std::time::Instant>>,
}

/// A listener for a subscriber, and its port. Bound before the port is written into a
/// configuration and held until the subscriber serves on it: a port chosen and let go first
/// (`free_port`) can be taken meanwhile by any outgoing connection of the tests running
/// beside this one, as its source port (seen: `AddrInUse` when the subscriber started).
async fn subscriber_listener() -> (tokio::net::TcpListener, u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A listener on `port` again, for a subscriber restarted where its predecessor was: the port
/// cannot be held in between, so a few more tries if something holds it for a moment.
async fn listen_again(port: u16) -> tokio::net::TcpListener {
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("listening on port {port} again: {e}"),
        }
    }
}

/// An HTTP subscriber on `listener` that checks each signature with its own HMAC, and
/// answers 500 the first time it sees an event whose number is a multiple of three.
async fn start_subscriber(
    listener: tokio::net::TcpListener,
) -> (Arc<Subscriber>, tokio::task::JoinHandle<()>) {
    let state = Arc::new(Subscriber::default());
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let state = shared.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let id = header("webhook-id");
                    let timestamp = header("webhook-timestamp");
                    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
                    let signed = [id.as_bytes(), b".", timestamp.as_bytes(), b".", &body].concat();
                    let expected = format!(
                        "v1,{}",
                        STANDARD.encode(ring::hmac::sign(&key, &signed).as_ref())
                    );
                    let signature_ok = header("webhook-signature") == expected;
                    let down = *state.down_until.lock().unwrap();
                    if down.is_some_and(|until| std::time::Instant::now() < until) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let number: u64 = id.parse().unwrap_or(0);
                    if number % 3 == 0 && state.failed_once.lock().unwrap().insert(id.clone()) {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    state.received.lock().unwrap().push(Received {
                        id,
                        body: serde_json::from_slice(&body).unwrap_or_default(),
                        signature_ok,
                    });
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (state, task)
}

fn write_config(dir: &Path, port: u16, dead_port: u16) -> String {
    let path = dir.join("ketqua.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[webhook]]
name = "portal"
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"
start = "beginning"

[[webhook]]
name = "gone"
url = "http://127.0.0.1:{dead_port}/hook"
secret = "{SECRET}"
steps = ["receive"]
max_attempts = 2
"#
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// Waits until the subscribers together hold `count` distinct events, or fails after a
/// minute; everything they received, in order.
async fn wait_for(subscribers: &[&Subscriber], count: usize) -> Vec<Received> {
    let mut received = Vec::new();
    for _ in 0..600 {
        received = subscribers
            .iter()
            .flat_map(|s| s.received.lock().unwrap().clone())
            .collect::<Vec<_>>();
        let distinct: BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
        if distinct.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the subscribers received {} events, not {count}",
        received.len()
    );
}

/// Every event once at least, repeats only with the same id and body, each dossier's in
/// order of its records, and each as `Watch` tells it.
fn assert_delivered(received: &[Received], watched: &[pb::Event]) {
    assert!(
        received.iter().all(|r| r.signature_ok),
        "every signature checks"
    );
    let mut first: BTreeMap<String, &Received> = BTreeMap::new();
    for r in received {
        if let Some(earlier) = first.get(&r.id) {
            assert_eq!(earlier.body, r.body, "a repeat is the same event");
        } else {
            first.insert(r.id.clone(), r);
        }
    }
    assert_eq!(first.len(), watched.len(), "every event delivered");
    let mut last_per_dossier: BTreeMap<String, u64> = BTreeMap::new();
    for r in received {
        let code = r.body["dossier_code"].as_str().unwrap().to_owned();
        let sequence = r.body["sequence"].as_u64().unwrap();
        let previous = last_per_dossier.insert(code.clone(), sequence).unwrap_or(0);
        assert!(
            sequence >= previous,
            "{code}: event {sequence} after {previous}: out of order"
        );
    }
    for event in watched {
        let r = first[&event.sequence.to_string()];
        assert_eq!(r.body["dossier_code"], event.dossier_code.as_str());
        assert_eq!(
            r.body["record_sha256"],
            hex::encode(&event.record_sha256).as_str()
        );
        assert_eq!(r.body["national_status"], event.national_status);
        assert_eq!(r.body["id"], event.sequence.to_string().as_str());
        assert!(r.body["type"].as_str().unwrap().starts_with("dossier."));
    }
}

async fn webhooks_deliver_every_event_through_restarts(backend: Backend) {
    let config_dir = tempfile::tempdir().unwrap();
    let (listener, port) = subscriber_listener().await;
    let config = write_config(config_dir.path(), port, free_port());
    let (subscriber, task) = start_subscriber(listener).await;
    let Some(mut server) = Server::start_on(backend, &["--config", &config]).await else {
        return;
    };
    let mut client = server.dossiers().await;
    full_flow(&mut client).await;
    receive_and_refuse(&mut client).await;
    let received = wait_for(&[&subscriber], 7).await;
    assert!(
        subscriber.failed_once.lock().unwrap().len() >= 2,
        "events 3 and 6 were refused once and retried"
    );
    assert_delivered(&received, &watch_all(&mut client, 0).await);

    // The subscriber goes away and the server is killed (SIGKILL) in the middle of a run;
    // both come back: every committed event still arrives, a repeat only around the restart.
    let runs = (0..3).map(|_| {
        let mut client = client.clone();
        async move { try_full_flow(&mut client).await.ok() }
    });
    let flows = tokio::spawn(futures_util::future::join_all(runs));
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let _ = flows.await;
    server.start_again();
    let mut client = server.dossiers().await;
    full_flow(&mut client).await;
    let (restarted, _task) = start_subscriber(listen_again(port).await).await;
    let watched = watch_all(&mut client, 0).await;
    let all = wait_for(&[&subscriber, &restarted], watched.len()).await;
    assert_delivered(&all, &watched);

    // The subscriber that never answers: its receipts are dead letters after two attempts,
    // listed for operators and replayed on demand.
    let url = server.database_url();
    let receipts = watched
        .iter()
        .filter(|e| e.step == pb::Step::Receive as i32)
        .count();
    let mut dead = String::new();
    for _ in 0..100 {
        let (ok, out) = run_ketqua(&[
            "archive",
            "webhooks",
            "--database",
            &url,
            "list",
            "--subscriber",
            "gone",
            "--state",
            "dead",
        ]);
        assert!(ok, "{out}");
        dead = out;
        if dead.lines().count() >= receipts {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(dead.lines().count(), receipts, "{dead}");
    assert!(dead.contains("dead after 2 attempts"), "{dead}");
    let (ok, status) = run_ketqua(&["archive", "webhooks", "--database", &url, "status"]);
    assert!(ok, "{status}");
    assert!(
        status.contains(&format!("gone: 0 open, {receipts} dead")),
        "{status}"
    );
    let (ok, out) = run_ketqua(&[
        "archive",
        "webhooks",
        "--database",
        &url,
        "replay",
        "--subscriber",
        "gone",
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{receipts} deliveries to gone are owed again")),
        "{out}"
    );
    let (ok, out) = run_ketqua(&[
        "archive",
        "webhooks",
        "--database",
        &url,
        "replay",
        "--subscriber",
        "nobody",
    ]);
    assert!(!ok, "nothing to replay is an error: {out}");
}

#[tokio::test]
async fn webhooks_deliver_every_event_through_restarts_sqlite() {
    webhooks_deliver_every_event_through_restarts(Backend::Sqlite).await;
}

#[tokio::test]
async fn webhooks_deliver_every_event_through_restarts_postgres() {
    webhooks_deliver_every_event_through_restarts(Backend::Postgres).await;
}

#[tokio::test]
async fn a_bad_webhook_configuration_stops_the_server_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ketqua.toml");
    for (config, reason) in [
        (
            "name = \"a\"\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"",
            "not http or https",
        ),
        (
            "name = \"a\"\nurl = \"http://x\"\nsecret = \"short\"",
            "at least 16",
        ),
        ("name = \"a\"\nurl = \"http://x\"", "exactly once"),
        (
            "name = \"a\"\nurl = \"http://x\"\nsecret = \"0123456789abcdef\"\nsteps = [\"dance\"]",
            "unknown step",
        ),
        (
            "name = \"a\"\nurl = \"http://x\"\nsecret = \"0123456789abcdef\"\ndepartments = [\"nowhere\"]",
            "not in the catalog",
        ),
    ] {
        std::fs::write(&path, format!("[[webhook]]\n{config}\n")).unwrap();
        // A configuration wrongly accepted would serve for ever: the test gives it a minute.
        let mut child = serve_command(dir.path())
            .arg("--config")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{config}: serve accepted the configuration and kept running");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut out).unwrap();
        let ok = status.success();
        assert!(!ok, "{config}: {out}");
        assert!(out.contains(reason), "{config}: {out}");
    }
}

#[tokio::test]
async fn the_cli_watches_events_and_prints_the_periods_figures() {
    let server = Server::start();
    let mut client = server.dossiers().await;
    let code = receive_and_refuse(&mut client).await;
    let (ok, out) = run_ketqua(&[
        "client",
        "watch",
        "--until-end",
        "--json",
        "--server",
        &server.grpc,
    ]);
    assert!(ok, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["sequence"], 1);
    assert_eq!(lines[0]["step"], "receive");
    assert_eq!(lines[1]["step"], "refuse");
    assert_eq!(lines[1]["dossier_code"], code.as_str());
    let (ok, out) = run_ketqua(&[
        "client",
        "watch",
        "--until-end",
        "--after",
        "1",
        "--server",
        &server.grpc,
    ]);
    assert!(ok, "{out}");
    assert_eq!(out.trim(), format!("2 {code} refuse -> refused (stp)"));

    let (ok, out) = run_ketqua(&["client", "stats", "--json", "--server", &server.grpc]);
    assert!(ok, "{out}");
    let stats: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(stats["received_new"], 1, "{out}");
    assert_eq!(stats["refused"], 1, "{out}");
    assert_eq!(stats["resolved"], 0, "{out}");
    assert!(stats["on_time_rate"].is_null(), "nothing resolved: no rate");
    let (ok, out) = run_ketqua(&["client", "stats", "--server", &server.grpc]);
    assert!(ok, "{out}");
    assert!(
        out.contains("received      1 (0 carried over, 1 new"),
        "{out}"
    );
    let (ok, out) = run_ketqua(&[
        "client",
        "stats",
        "--from",
        "2026-02-30",
        "--server",
        &server.grpc,
    ]);
    assert!(!ok && out.contains("not a date"), "{out}");
}

/// Two replicas on one PostgreSQL database: a watcher on either sees every event, whichever
/// replica committed it, and one subscriber configured on both receives each event once —
/// the replicas share the deliveries through the database instead of each sending all.
#[tokio::test]
async fn replicas_share_the_stream_and_the_deliveries() {
    let config_dir = tempfile::tempdir().unwrap();
    let (listener, port) = subscriber_listener().await;
    let path = config_dir.path().join("ketqua.toml");
    std::fs::write(
        &path,
        format!(
            "[[webhook]]\nname = \"portal\"\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"{SECRET}\"\n"
        ),
    )
    .unwrap();
    let config = path.display().to_string();
    let Some(server) = Server::start_on(Backend::Postgres, &["--config", &config]).await else {
        return;
    };
    let replica = Replica::start_with(&server, &["--config", &config]);
    let (subscriber, _task) = start_subscriber(listener).await;
    let mut primary = server.dossiers().await;
    let mut secondary = replica.dossiers().await;
    let runs = (0..4).map(|i| {
        let mut client = if i % 2 == 0 {
            primary.clone()
        } else {
            secondary.clone()
        };
        async move { full_flow(&mut client).await }
    });
    futures_util::future::join_all(runs).await;
    receive_and_refuse(&mut secondary).await;
    let on_primary = watch_all(&mut primary, 0).await;
    let on_replica = watch_all(&mut secondary, 0).await;
    assert_eq!(on_primary.len(), 4 * 5 + 2);
    assert_eq!(on_primary, on_replica, "both replicas tell the same stream");
    let received = wait_for(&[&subscriber], on_primary.len()).await;
    assert_delivered(&received, &on_primary);
    // The subscriber records what it accepted (not the attempts it refused on purpose): each
    // event exactly once, though both replicas deliver.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = subscriber.received.lock().unwrap().clone();
    assert_eq!(
        received.len(),
        on_primary.len(),
        "each event taken once: {:?}",
        received.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
}

/// A subscriber back from an outage gets the events that were waiting out their backoff as
/// soon as one attempt succeeds, not when each backoff ends.
#[tokio::test]
async fn a_subscriber_back_from_an_outage_gets_its_backlog_at_once() {
    let config_dir = tempfile::tempdir().unwrap();
    let (listener, port) = subscriber_listener().await;
    let config = write_config(config_dir.path(), port, free_port());
    let (subscriber, _task) = start_subscriber(listener).await;
    // Only the outage refuses here: events 3 and 6 count as refused once already.
    subscriber
        .failed_once
        .lock()
        .unwrap()
        .extend(["3".to_owned(), "6".to_owned()]);
    let outage = Duration::from_secs(10);
    *subscriber.down_until.lock().unwrap() = Some(std::time::Instant::now() + outage);
    let server = Server::start_with(&["--config", &config]);
    let mut client = server.dossiers().await;
    // Two events now: attempted at 0, 1, 3 and 7 s, all refused; next due at 15 s.
    receive_and_refuse(&mut client).await;
    tokio::time::sleep(outage + Duration::from_millis(500)).await;
    assert!(
        subscriber.received.lock().unwrap().is_empty(),
        "nothing got through"
    );
    let back = std::time::Instant::now();
    // A new dossier's first attempt succeeds: the waiting ones follow within a round or two.
    receive_and_refuse(&mut client).await;
    let received = wait_for(&[&subscriber], 4).await;
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "the backlog took {:?} after the subscriber answered",
        back.elapsed()
    );
    assert_delivered(&received, &watch_all(&mut client, 0).await);
}
