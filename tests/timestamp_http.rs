//! The built-in timestamp authority over HTTP (`POST /tsa`), as a standard RFC 3161 client sees
//! it: an `openssl ts -query` sent with a raw HTTP/1.1 request to the real `ketqua serve`, the
//! reply judged by `openssl ts -verify`.

mod common;

use std::{path::Path, process::Command};

use common::{tool_available, Server};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Status, headers (lower-cased names) and body of one HTTP/1.1 exchange.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn post(server: &Server, path: &str, content_type: &str, body: &[u8]) -> Reply {
    let authority = server.http.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer 413 and close before reading a large body: that is not an error.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let reply = Reply {
        status,
        headers,
        body,
    };
    if let Some(len) = reply.header("content-length") {
        assert_eq!(len.parse::<usize>().ok(), Some(reply.body.len()));
    }
    assert_ne!(reply.header("transfer-encoding"), Some("chunked"));
    reply
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_query_over_http_verifies() {
    let server = Server::start();
    if !tool_available("openssl") {
        return;
    }
    let dir = server.dir.path();
    let pki = server.pki_dir();
    std::fs::write(
        dir.join("data.txt"),
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    )
    .unwrap();
    let (ok, out) = openssl(
        dir,
        &[
            "ts", "-query", "-data", "data.txt", "-sha256", "-cert", "-out", "q.tsq",
        ],
    );
    assert!(ok, "{out}");
    let query = std::fs::read(dir.join("q.tsq")).unwrap();

    let reply = post(&server, "/tsa", "application/timestamp-query", &query).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/timestamp-reply")
    );
    std::fs::write(dir.join("r.tsr"), &reply.body).unwrap();
    let root = pki.join("root.pem");
    let tsa_cert = pki.join("tsa/cert.pem");
    let (ok, out) = openssl(
        dir,
        &[
            "ts",
            "-verify",
            "-data",
            "data.txt",
            "-in",
            "r.tsr",
            "-CAfile",
            root.to_str().unwrap(),
            "-untrusted",
            tsa_cert.to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("Verification: OK"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_queries_get_precise_answers() {
    let mut server = Server::start();

    // Not a timestamp query at all.
    let reply = post(&server, "/tsa", "application/json", b"{}").await;
    assert_eq!(reply.status, 415);
    let reply = post(
        &server,
        "/tsa",
        "application/timestamp-query",
        &vec![0x30; 64 * 1024 + 1],
    )
    .await;
    assert_eq!(reply.status, 413);

    // A timestamp query that is malformed: the protocol's own rejection, not an HTTP error.
    let reply = post(
        &server,
        "/tsa",
        "application/timestamp-query",
        b"\x30\x03\x02\x01\x01",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/timestamp-reply")
    );
    let err = ketqua::cms::tsp::token_from_response(&reply.body).expect_err("rejected");
    assert!(err.to_string().contains("refused (status 2"), "{err}");

    // Exactly at the limit is still read (and rejected by the TSA, not by HTTP).
    let reply = post(
        &server,
        "/tsa",
        "application/timestamp-query",
        &vec![0; 64 * 1024],
    )
    .await;
    assert_eq!(reply.status, 200);

    // Without a [tsa] entry in the key store the route says so.
    server.stop();
    let manifest = server.pki_dir().join("credentials.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut doc: toml::Table = toml::from_str(&text).unwrap();
    assert!(doc.remove("tsa").is_some(), "dev PKI has a [tsa] entry");
    std::fs::write(&manifest, toml::to_string(&doc).unwrap()).unwrap();
    server.restart();
    let reply = post(&server, "/tsa", "application/timestamp-query", b"\x30\x00").await;
    assert_eq!(reply.status, 503);
    assert!(String::from_utf8_lossy(&reply.body).contains("No timestamp authority"));
}
