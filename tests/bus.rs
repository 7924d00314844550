//! The optional NATS JetStream publisher (issue 16, docs/events.md): every event once on
//! `<prefix>.<department>.<step>`, through a restart of the bus and a kill of the server,
//! against real `nats-server` processes — one of the test's own (so it can be stopped) and the
//! machine's JetStream on 127.0.0.1:4222.

mod common;

use std::{
    collections::BTreeSet,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::*;

const NATS_SERVER: &str = "nats-server";

/// A JetStream server of the test's own, on `port`, keeping its store in `dir`.
struct Nats {
    child: Child,
}

impl Nats {
    fn start(port: u16, dir: &Path) -> Nats {
        let child = Command::new(NATS_SERVER)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Nats { child }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bus_config(dir: &Path, url: &str, stream: &str, prefix: &str) -> String {
    let path = dir.join("ketqua.toml");
    std::fs::write(
        &path,
        format!(
            "[bus]\nurl = \"{url}\"\nstream = \"{stream}\"\nsubject_prefix = \"{prefix}\"\nstart = \"beginning\"\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// Every message of the stream: (subject, event sequence from the body, Nats-Msg-Id).
async fn stream_messages(url: &str, stream: &str) -> Vec<(String, u64, String)> {
    let client = async_nats::connect(url).await.expect("connect to the bus");
    let context = async_nats::jetstream::new(client);
    let mut handle = context.get_stream(stream).await.expect("the stream exists");
    let count = handle.info().await.expect("stream info").state.messages;
    let mut messages = Vec::new();
    for sequence in 1..=count {
        let message = handle.get_raw_message(sequence).await.expect("message");
        let body: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        let id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        messages.push((
            message.subject.to_string(),
            body["sequence"].as_u64().unwrap(),
            id,
        ));
    }
    messages
}

/// Waits until the stream holds `count` messages (or a minute passes); its messages.
async fn wait_for_messages(url: &str, stream: &str, count: usize) -> Vec<(String, u64, String)> {
    let mut messages = Vec::new();
    for _ in 0..300 {
        if let Ok(client) = async_nats::connect(url).await {
            let context = async_nats::jetstream::new(client);
            if let Ok(mut handle) = context.get_stream(stream).await {
                if let Ok(info) = handle.info().await {
                    if info.state.messages as usize >= count {
                        messages = stream_messages(url, stream).await;
                        break;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        messages.len() >= count,
        "the stream holds {} messages, not {count}",
        messages.len()
    );
    messages
}

/// Exactly the events 1..=count, once each, on their subjects.
fn assert_once_each(messages: &[(String, u64, String)], count: u64, prefix: &str) {
    let sequences: Vec<u64> = messages.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(
        sequences,
        (1..=count).collect::<Vec<_>>(),
        "once each, in order"
    );
    let subjects: BTreeSet<&str> = messages.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(
        subjects,
        BTreeSet::from([
            format!("{prefix}.stp.receive").as_str(),
            format!("{prefix}.stp.refuse").as_str()
        ])
    );
    for (_, sequence, id) in messages {
        assert_eq!(id, &sequence.to_string(), "the message id is the event id");
    }
}

#[tokio::test]
async fn each_event_reaches_the_bus_once_through_a_restart_of_the_bus_and_of_the_server() {
    if !tool_available(NATS_SERVER) {
        return;
    }
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let mut nats = Some(Nats::start(port, store.path()));
    let config_dir = tempfile::tempdir().unwrap();
    let config = bus_config(config_dir.path(), &url, "KETQUA", "ketqua");
    let mut server = Server::start_with(&["--config", &config]);
    let mut client = server.dossiers().await;
    for _ in 0..2 {
        receive_and_refuse(&mut client).await;
    }
    assert_once_each(&wait_for_messages(&url, "KETQUA", 4).await, 4, "ketqua");

    // The bus goes away: steps still commit (the outbox holds their events), and reach the
    // bus when it is back.
    drop(nats.take());
    for _ in 0..2 {
        receive_and_refuse(&mut client).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats = Some(Nats::start(port, store.path()));
    assert_once_each(&wait_for_messages(&url, "KETQUA", 8).await, 8, "ketqua");

    // The server is killed and started again: nothing is published twice.
    server.kill();
    server.start_again();
    let mut client = server.dossiers().await;
    receive_and_refuse(&mut client).await;
    let messages = wait_for_messages(&url, "KETQUA", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_once_each(&stream_messages(&url, "KETQUA").await, 10, "ketqua");
    assert_eq!(messages.len(), 10);
    drop(nats);
}

#[tokio::test]
async fn events_reach_the_machines_jetstream() {
    let url = "nats://127.0.0.1:4222";
    if std::net::TcpStream::connect("127.0.0.1:4222").is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true: the machine's NATS JetStream on 127.0.0.1:4222 is down (.ci/run starts it)"
        );
        eprintln!("skipped: no NATS on 127.0.0.1:4222");
        return;
    }
    // A stream and subjects of this run only, so runs never see each other's events.
    let tag = format!("t{}x{}", std::process::id(), free_port());
    let stream = format!("KETQUA_{tag}");
    let prefix = format!("kq{tag}");
    let config_dir = tempfile::tempdir().unwrap();
    let config = bus_config(config_dir.path(), url, &stream, &prefix);
    let server = Server::start_with(&["--config", &config]);
    let mut client = server.dossiers().await;
    receive_and_refuse(&mut client).await;
    let messages = wait_for_messages(url, &stream, 2).await;
    assert_once_each(&messages, 2, &prefix);
    let context = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    context
        .delete_stream(&stream)
        .await
        .expect("clean up the stream");
}
