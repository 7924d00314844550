//! Shared test harness: the real `ketqua serve` binary on ephemeral ports with a temporary data
//! and PKI directory, driven by the generated tonic clients.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use ketqua::{
    archive::{IntegrityStore, PgArchive, SqliteArchive},
    proto::v1::{self as pb, dossiers_client::DossiersClient, signing_client::SigningClient},
};
use tonic::transport::Channel;

pub const BIN: &str = env!("CARGO_BIN_EXE_ketqua");
pub const JUDICIAL_RECORD: &str = "2.000488";
pub const ENTERPRISE: &str = "2.001610";

/// The archive backend a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A fresh database on the server named by `KETQUA_TEST_DATABASE_URL` (or `DATABASE_URL`).
    Postgres,
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The PostgreSQL server tests may use, if any. Under CI its absence is an error.
pub fn postgres_base_url() -> Option<String> {
    let url = std::env::var("KETQUA_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
        .filter(|u| u.starts_with("postgres"));
    if url.is_none() {
        assert!(
            !under_ci(),
            "KETQUA_TEST_DATABASE_URL must name a PostgreSQL server under CI=true (.ci/run sets it)"
        );
        eprintln!("SKIPPED: PostgreSQL tests need KETQUA_TEST_DATABASE_URL");
    }
    url
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_end..]
        .find('/')
        .map(|i| i + authority_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A PostgreSQL database created for one test server and dropped with it.
pub struct TempDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TempDatabase {
    pub async fn create(base_url: &str) -> TempDatabase {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "ketqua_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let pool = sqlx::PgPool::connect(base_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&pool)
            .await
            .expect("create a test database");
        pool.close().await;
        TempDatabase {
            admin_url: base_url.to_owned(),
            url: with_database(base_url, &name),
            name,
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside or outside a runtime; a thread with its own runtime works in both.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&pool)
                            .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    database: Option<TempDatabase>,
    pub grpc: String,
    pub http: String,
    extra_args: Vec<String>,
    /// Environment variables of the server process besides the test's own (e.g. the
    /// SOFTHSM2_CONF of a test's own token).
    envs: Vec<(String, std::ffi::OsString)>,
    /// TLS with client certificates, as `serve` runs by default; otherwise the server is
    /// started with `--insecure` (plaintext, every caller unrestricted), which is what the
    /// tests of everything but access control need.
    secure: bool,
    child: Option<Child>,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> Server {
        Self::spawn_new(Backend::Sqlite, None, extra_args)
    }

    /// A server on its TLS defaults: gRPC over TLS, callers known by the development PKI's
    /// client certificates. `None` when PostgreSQL is asked for and not configured.
    pub async fn start_secure(backend: Backend, extra_args: &[&str]) -> Option<Server> {
        let dir = tempfile::tempdir().expect("temp dir");
        init_pki_without_activation(dir.path());
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TempDatabase::create(&postgres_base_url()?).await),
        };
        let mut server = Server::unstarted(dir, backend, database, extra_args);
        server.secure = true;
        server.spawn();
        Some(server)
    }

    /// A server on `backend`; `None` when PostgreSQL is not configured (outside CI).
    pub async fn start_on(backend: Backend, extra_args: &[&str]) -> Option<Server> {
        match backend {
            Backend::Sqlite => Some(Self::spawn_new(backend, None, extra_args)),
            Backend::Postgres => {
                let base = postgres_base_url()?;
                let database = TempDatabase::create(&base).await;
                Some(Self::spawn_new(backend, Some(database), extra_args))
            }
        }
    }

    /// A SQLite server whose directory `setup` prepares first (e.g. a PKI made by `pki init`).
    pub fn start_prepared(extra_args: &[&str], setup: impl FnOnce(&Path)) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        setup(dir.path());
        Self::spawn_in(dir, Backend::Sqlite, None, extra_args)
    }

    /// [`Server::start_prepared`] with extra environment variables for the server process.
    pub fn start_prepared_with_env(
        extra_args: &[&str],
        envs: &[(&str, &Path)],
        setup: impl FnOnce(&Path),
    ) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        setup(dir.path());
        let mut server = Server::unstarted(dir, Backend::Sqlite, None, extra_args);
        server.envs = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        server.spawn();
        server
    }

    fn spawn_new(backend: Backend, database: Option<TempDatabase>, extra_args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        init_pki_without_activation(dir.path());
        Self::spawn_in(dir, backend, database, extra_args)
    }

    /// A server on a development PKI whose officials need their PIN
    /// (`<pki>/credentials/<id>/pin`), as `serve` makes it on first start. `None` when
    /// PostgreSQL is asked for and not configured.
    pub async fn start_with_activation(backend: Backend, extra_args: &[&str]) -> Option<Server> {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TempDatabase::create(&postgres_base_url()?).await),
        };
        Some(Self::spawn_in(dir, backend, database, extra_args))
    }

    fn spawn_in(
        dir: tempfile::TempDir,
        backend: Backend,
        database: Option<TempDatabase>,
        extra_args: &[&str],
    ) -> Server {
        let mut server = Server::unstarted(dir, backend, database, extra_args);
        // The production profile refuses --insecure: it gets TLS.
        server.secure = extra_args
            .windows(2)
            .any(|w| w == ["--profile", "production"]);
        server.spawn();
        server
    }

    fn unstarted(
        dir: tempfile::TempDir,
        backend: Backend,
        database: Option<TempDatabase>,
        extra_args: &[&str],
    ) -> Server {
        Server {
            dir,
            backend,
            database,
            grpc: String::new(),
            http: String::new(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            envs: Vec::new(),
            secure: false,
            child: None,
        }
    }

    pub fn pki_dir(&self) -> PathBuf {
        self.dir.path().join("pki")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The files blob store's directory (the default `<data dir>/blobs`).
    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir().join("blobs")
    }

    /// Where the files store keeps the blob with this SHA-256.
    pub fn blob_path(&self, sha256: &[u8]) -> PathBuf {
        let name = hex::encode(sha256);
        self.blob_dir().join(&name[..2]).join(name)
    }

    pub fn root_pem(&self) -> PathBuf {
        self.pki_dir().join("root.pem")
    }

    pub fn database_url(&self) -> String {
        match &self.database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", self.data_dir().join("ketqua.db").display()),
        }
    }

    fn spawn(&mut self) {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(["--grpc-addr", "127.0.0.1:0"])
            // A test that needs a known HTTP address (certificates pointing at the server's
            // CRLs and OCSP responder) gives its own.
            .args(
                (!self.extra_args.iter().any(|a| a == "--http-addr"))
                    .then_some(["--http-addr", "127.0.0.1:0"])
                    .into_iter()
                    .flatten(),
            )
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--pki-dir")
            .arg(self.pki_dir())
            .arg("--database")
            .arg(self.database_url())
            .args(&self.extra_args)
            .args(self.transport_args())
            .env("KETQUA_LOG", "error")
            .env_remove("KETQUA_CONFIG")
            .env_remove("KETQUA_DATABASE_URL")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ketqua serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut grpc = None;
        let mut http = None;
        while grpc.is_none() || http.is_none() {
            let line = lines
                .next()
                .expect("ketqua serve exited before listening")
                .expect("read stdout");
            if let Some(addr) = line.strip_prefix("grpc listening on ") {
                let scheme = if self.secure { "https" } else { "http" };
                grpc = Some(format!("{scheme}://{addr}"));
            } else if let Some(addr) = line.strip_prefix("http listening on ") {
                http = Some(format!("http://{addr}"));
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.grpc = grpc.unwrap_or_default();
        self.http = http.unwrap_or_default();
        self.child = Some(child);
    }

    /// Stops the server gracefully (SIGTERM) and starts it again on the same directories.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Kills the server with SIGKILL, as a crash or a power cut would: no shutdown runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same directories and database, after `kill` or `stop`.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.spawn();
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            for _ in 0..100 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `--insecure`, or on a secure server in the production profile (which has no
    /// development defaults) the development PKI's TLS files named explicitly.
    fn transport_args(&self) -> Vec<String> {
        if !self.secure {
            return vec!["--insecure".to_owned()];
        }
        if !self.extra_args.iter().any(|a| a == "production") {
            return Vec::new();
        }
        let pki = self.pki_dir();
        let path = |name: &str| pki.join(name).display().to_string();
        vec![
            "--tls-cert".into(),
            path("server.pem"),
            "--tls-key".into(),
            path("server.key"),
            "--client-ca".into(),
            path("client-ca.pem"),
            "--callers-file".into(),
            path("callers.toml"),
            // The development PKI's keys are not encrypted (tests/keys.rs encrypts them).
            "--allow-unencrypted-keys".into(),
        ]
    }

    /// A channel to the server: plaintext, or on a secure server TLS as the archivist.
    pub async fn channel(&self) -> Channel {
        if self.secure {
            return self
                .channel_as(Some("archivist"))
                .await
                .expect("connect to ketqua");
        }
        Channel::from_shared(self.grpc.clone())
            .expect("url")
            .connect()
            .await
            .expect("connect to ketqua")
    }

    /// A TLS channel presenting the development client certificate `client` (a department
    /// id or "archivist"), or none.
    pub async fn channel_as(
        &self,
        client: Option<&str>,
    ) -> Result<Channel, tonic::transport::Error> {
        tls_channel(&self.grpc, &self.pki_dir(), client).await
    }

    pub async fn dossiers(&self) -> DossiersClient<Channel> {
        DossiersClient::new(self.channel().await)
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024)
    }

    pub async fn signing(&self) -> SigningClient<Channel> {
        SigningClient::new(self.channel().await)
    }

    /// Rows per table, read straight from the database file.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        match self.backend {
            Backend::Sqlite => {
                let archive = SqliteArchive::open(&self.database_url())
                    .await
                    .expect("open the archive");
                archive.row_counts().await.expect("row counts")
            }
            Backend::Postgres => {
                let archive = PgArchive::open(&self.database_url())
                    .await
                    .expect("open the archive");
                archive.row_counts().await.expect("row counts")
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // The server is gone; now its database may be dropped (field order would do it too).
        self.database.take();
    }
}

/// A second `ketqua serve` on the first one's PKI, database and blob directory (replicas share
/// the directory, e.g. on a network file system; its own data directory holds nothing).
pub struct Replica {
    child: Child,
    pub grpc: String,
    pub dir: tempfile::TempDir,
}

impl Replica {
    pub fn start(server: &Server) -> Replica {
        Replica::start_with(server, &[])
    }

    /// A replica with flags of its own (e.g. the primary's `--config`).
    pub fn start_with(server: &Server, extra_args: &[&str]) -> Replica {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--pki-dir")
            .arg(server.pki_dir())
            .arg("--database")
            .arg(server.database_url())
            .arg("--blob-dir")
            .arg(server.blob_dir())
            .arg("--insecure")
            .args(extra_args)
            .env("KETQUA_LOG", "error")
            .env_remove("KETQUA_CONFIG")
            .env_remove("KETQUA_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let grpc = loop {
            let line = lines.next().expect("replica exited").unwrap();
            if let Some(addr) = line.strip_prefix("grpc listening on ") {
                break format!("http://{addr}");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Replica { child, grpc, dir }
    }

    pub async fn dossiers(&self) -> DossiersClient<Channel> {
        DossiersClient::new(
            Channel::from_shared(self.grpc.clone())
                .unwrap()
                .connect()
                .await
                .unwrap(),
        )
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The development PKI of a test server, made before it starts, without activation PINs:
/// only the tests of activation give them.
pub fn init_pki_without_activation(dir: &Path) {
    let output = Command::new(BIN)
        .args(["pki", "init", "--without-activation", "--out"])
        .arg(dir.join("pki"))
        .env("KETQUA_LOG", "error")
        .output()
        .expect("run ketqua pki init");
    assert!(
        output.status.success(),
        "pki init: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A TLS channel to `url`, trusting the development client CA of `pki_dir` and presenting
/// `clients/<client>.pem` if a client is named.
pub async fn tls_channel(
    url: &str,
    pki_dir: &Path,
    client: Option<&str>,
) -> Result<Channel, tonic::transport::Error> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let ca = std::fs::read(pki_dir.join("client-ca.pem")).expect("the client CA");
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
    if let Some(client) = client {
        let read = |ext: &str| {
            std::fs::read(pki_dir.join(format!("clients/{client}.{ext}"))).expect("client files")
        };
        tls = tls.identity(Identity::from_pem(read("pem"), read("key")));
    }
    Channel::from_shared(url.to_owned())
        .expect("url")
        .tls_config(tls)?
        .connect()
        .await
}

/// Generates, for each named `async fn NAME(backend: Backend)`, a module `NAME` with one test
/// per archive backend, so the whole integration suite runs on SQLite and PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}

/// Runs one bad call and checks its status, and that the archive's row counts are exactly as
/// before but for the one audit line recording the refused call.
#[macro_export]
macro_rules! refused_without_trace {
    ($server:expr, $what:expr, $code:expr, $call:expr) => {{
        let before = $server.row_counts().await;
        let status = $call.await.expect_err($what);
        assert_eq!(status.code(), $code, "{}: {status:?}", $what);
        assert!(!status.message().is_empty(), "{} has a message", $what);
        let after = $server.row_counts().await;
        for ((table, count_before), (_, count_after)) in before.iter().zip(&after) {
            let expected = if table == "audit_log" {
                count_before + 1
            } else {
                *count_before
            };
            assert_eq!(*count_after, expected, "{}: table {table}", $what);
        }
        status
    }};
}

/// Runs the `ketqua` binary with `args` (logs kept to errors): whether it succeeded, and what
/// it printed on stdout and stderr.
pub fn run_ketqua(args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("KETQUA_LOG", "error")
        .output()
        .expect("run ketqua");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// `Dossiers.Get` without the result's bytes.
pub async fn get_dossier(client: &mut DossiersClient<Channel>, code: &str) -> pb::Dossier {
    client
        .get(pb::GetRequest {
            dossier_code: code.to_owned(),
            include_result_content: false,
        })
        .await
        .expect("get")
        .into_inner()
}

/// The dossier's records form one verified hash chain.
pub fn assert_chain(code: &str, dossier: &pb::Dossier) {
    ketqua::record::verify_chain(
        code,
        dossier
            .records
            .iter()
            .map(|r| (r.record.as_slice(), r.signature.as_slice())),
    )
    .unwrap();
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A request id unique within the test process.
pub fn request_id(label: &str) -> String {
    format!(
        "{label}-{}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn pdf_document(name: &str, text: &str) -> pb::Document {
    pb::Document {
        name: name.to_owned(),
        media_type: "application/pdf".to_owned(),
        content: ketqua::pdf::text_document(name, &[text]),
    }
}

pub fn receive_request(procedure: &str, credential: &str) -> pb::ReceiveRequest {
    pb::ReceiveRequest {
        request_id: request_id("receive"),
        credential_id: credential.to_owned(),
        procedure_code: procedure.to_owned(),
        applicant: Some(pb::Applicant {
            id: "001099012345".to_owned(),
            name: "Nguyễn Văn An".to_owned(),
        }),
        documents: vec![
            pdf_document("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "to khai"),
            pdf_document("Bản chụp Căn cước công dân", "can cuoc"),
        ],
        note: "Hồ sơ đầy đủ".to_owned(),
        supplement_of: String::new(),
        cited_results: Vec::new(),
        ..Default::default()
    }
}

pub fn step_request(code: &str, credential: &str, note: &str) -> pb::StepRequest {
    pb::StepRequest {
        request_id: request_id("step"),
        credential_id: credential.to_owned(),
        dossier_code: code.to_owned(),
        note: note.to_owned(),
        documents: Vec::new(),
    }
}

/// Step 4 with a result PDF the department made (the service adds the QR code and signs).
pub fn sign_request(code: &str, credential: &str) -> pb::SignRequest {
    pb::SignRequest {
        request_id: request_id("sign"),
        credential_id: credential.to_owned(),
        dossier_code: code.to_owned(),
        note: String::new(),
        result: Some(pb::Document {
            name: "Phiếu lý lịch tư pháp số 1".to_owned(),
            media_type: "application/pdf".to_owned(),
            content: ketqua::pdf::text_document(
                "Phieu ly lich tu phap so 1",
                &[&format!("Ma ho so: {code}"), "Khong co an tich"],
            ),
        }),
        content: None,
        metadata: None,
        more_results: Vec::new(),
    }
}

/// Step 4 with the result's content, for the service to render.
pub fn sign_rendered_request(code: &str, credential: &str) -> pb::SignRequest {
    pb::SignRequest {
        request_id: request_id("sign"),
        credential_id: credential.to_owned(),
        dossier_code: code.to_owned(),
        note: String::new(),
        result: None,
        content: Some(pb::ResultContent {
            issuing_body: "UBND TỈNH QUẢNG NINH\nSỞ TƯ PHÁP".to_owned(),
            number_notation: "Số: 42/LLTP-STP".to_owned(),
            place_and_date: "Quảng Ninh, ngày 22 tháng 11 năm 2026".to_owned(),
            title: "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1".to_owned(),
            subtitle: String::new(),
            body: vec![
                "Họ và tên: Nguyễn Thị Hương.".to_owned(),
                "Tình trạng án tích: Không có án tích.".to_owned(),
            ],
            signer_position: String::new(),
        }),
        metadata: Some(pb::ResultMetadata {
            document_type: "Phiếu".to_owned(),
            number_notation: "42/LLTP-STP".to_owned(),
            subject: "Phiếu lý lịch tư pháp số 1".to_owned(),
            ..pb::ResultMetadata::default()
        }),
        more_results: Vec::new(),
    }
}

/// pyHanko's verdict on every signature and document timestamp of a PDF (through its Python
/// API: tests/support/pyhanko_judge.py), or None when pyHanko is missing outside CI.
pub fn pyhanko_judge(root_pem: &Path, pdf: &Path) -> Option<(bool, String)> {
    if !tool_available("pyhanko") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pyhanko_judge.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(root_pem)
        .arg(pdf)
        .output()
        .expect("run python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.success() && text.contains("ALL VALID"), text))
}

/// The text of a PDF by `pdftotext`, whitespace runs collapsed; `None` when pdftotext is
/// missing outside CI.
pub fn pdf_text(file: &Path) -> Option<String> {
    if !tool_available("pdftotext") {
        return None;
    }
    let out = Command::new("pdftotext")
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// What the QR code on the first page of a PDF says (pdftoppm at 200 dpi, then zbarimg);
/// `None` when the tools are missing outside CI.
pub fn qr_of_first_page(file: &Path) -> Option<String> {
    if !tool_available("pdftoppm") || !tool_available("zbarimg") {
        return None;
    }
    let prefix = file.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-r", "200", "-f", "1", "-l", "1", "-singlefile", "-png"])
        .arg(file)
        .arg(&prefix)
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sbinary"])
        .arg(format!("{}.png", prefix.display()))
        .output()
        .expect("zbarimg");
    assert!(
        out.status.success(),
        "zbarimg found no QR code in {}",
        file.display()
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 payload"))
}

/// `pdfsig` on a PDF: its output, or None when pdfsig is missing outside CI.
pub fn pdfsig(path: &Path) -> Option<String> {
    if !tool_available("pdfsig") {
        return None;
    }
    let output = Command::new("pdfsig")
        .arg(path)
        .output()
        .expect("run pdfsig");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Is an external tool installed? Under CI a missing tool fails the test instead of skipping it.
pub fn tool_available(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is required under CI=true but is not installed (.ci/run installs it)");
        }
        eprintln!("SKIPPED: {name} is not installed");
    }
    found
}

/// `openssl cms -verify` of a detached signature against the root; returns openssl's verdict.
pub fn openssl_cms_verify(
    dir: &Path,
    root_pem: &Path,
    content: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let content_path = dir.join(format!("content-{n}.bin"));
    let signature_path = dir.join(format!("signature-{n}.p7s"));
    std::fs::write(&content_path, content).expect("write content");
    std::fs::write(&signature_path, signature).expect("write signature");
    let output = Command::new("openssl")
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
        .arg(&signature_path)
        .arg("-content")
        .arg(&content_path)
        .arg("-CAfile")
        .arg(root_pem)
        .output()
        .expect("run openssl");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The first credential of a role in a department, skipping the negative-test variants.
pub async fn credential(server: &Server, department: &str, role: pb::Role) -> String {
    let response = server
        .signing()
        .await
        .list_credentials(pb::ListCredentialsRequest {
            department: department.to_owned(),
        })
        .await
        .expect("list credentials")
        .into_inner();
    response
        .credentials
        .into_iter()
        .filter(|c| c.role == role as i32)
        .map(|c| c.id)
        .min_by_key(|id| id.len())
        .unwrap_or_else(|| panic!("no {role:?} credential in {department}"))
}

/// A port nothing listens on (for a moment): a subscriber or server to start there, or one
/// that is never there.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// A dossier received and refused by the appraiser: two state changes.
pub async fn receive_and_refuse(client: &mut DossiersClient<Channel>) -> String {
    let code = client
        .receive(receive_request(JUDICIAL_RECORD, "stp-receiver"))
        .await
        .expect("receive")
        .into_inner()
        .dossier_code;
    client
        .refuse(step_request(
            &code,
            "stp-appraiser",
            "Không thuộc thẩm quyền",
        ))
        .await
        .expect("refuse");
    code
}

/// `ketqua serve --insecure` on free ports with its data and PKI under `dir` (`dir/data`,
/// `dir/pki`), logs kept to errors and no configuration from the environment: for tests that
/// need the process itself (its exit status, its stderr) rather than a [`Server`].
pub fn serve_command(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--insecure"])
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--pki-dir")
        .arg(dir.join("pki"))
        .env("KETQUA_LOG", "error")
        .env_remove("KETQUA_CONFIG")
        .env_remove("KETQUA_DATABASE_URL");
    command
}
