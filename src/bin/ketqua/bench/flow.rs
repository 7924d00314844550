//! `ketqua bench flow`: the service as department systems use it. A real server (started here
//! on SQLite or PostgreSQL, or one given with `--server`) receives N dossiers, each taken
//! through the five gRPC calls over TLS with the departments' client certificates, with a
//! result rendered and signed at Sign; C dossiers are in flight at once (or started at a fixed
//! rate). Printed: dossiers per second, step calls per second, and p50/p99 of each step.

use std::{
    fmt::Write as _,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use ketqua::proto::v1::dossiers_client::DossiersClient;
use tonic::transport::Channel;

use crate::{
    department::{Department, STEPS},
    remote::Remote,
};

#[derive(Debug, clap::Args)]
pub struct FlowArgs {
    /// A running server to load (https://HOST:PORT) [default: one started here, on
    /// --database, and stopped after].
    #[arg(long)]
    pub server: Option<String>,
    /// The database of the server started here: `sqlite` (a file in a fresh directory) or a
    /// PostgreSQL URL, on whose server a fresh database is created and dropped after.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// The PKI: the started server makes a development PKI there if none exists; with
    /// --server, the server's own, for the departments' client certificates and PINs.
    #[arg(long, default_value = "target/bench-pki")]
    pub pki: PathBuf,
    /// Dossiers in each run.
    #[arg(long, default_value_t = 1000)]
    pub dossiers: usize,
    /// Dossiers in flight at once; one run for each value.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 16, 64])]
    pub concurrency: Vec<usize>,
    /// Start dossiers at this many a second (an open loop, at most --concurrency in flight)
    /// instead of each as soon as one finishes.
    #[arg(long)]
    pub rate: Option<f64>,
    /// gRPC connections (HTTP/2, TLS) the load is spread over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// An argument for the server started here, e.g. `--serve-arg=--sqlite-synchronous=full`
    /// (repeatable).
    #[arg(long = "serve-arg", allow_hyphen_values = true)]
    pub serve_args: Vec<String>,
    /// The procedure to run [default: the first procedure of the embedded catalog].
    #[arg(long)]
    pub procedure: Option<String>,
}

/// Runs the benchmark and returns its table.
pub async fn flow_benchmark(args: &FlowArgs) -> anyhow::Result<String> {
    if args.dossiers == 0 || args.concurrency.contains(&0) || args.connections == 0 {
        bail!("--dossiers, --concurrency and --connections must be at least 1");
    }
    let load_before = load_average();
    let server = match &args.server {
        Some(url) => Target::Given(url.clone()),
        None => Target::Started(StartedServer::start(args).await?),
    };
    let outcome = run_all(args, server.url()).await;
    let backend = match &server {
        Target::Given(url) => format!("server {url}"),
        Target::Started(started) => started.backend.clone(),
    };
    if let Target::Started(started) = server {
        started.stop().await;
    }
    let runs = outcome?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ketqua bench flow: {} dossiers a run, five steps each (Sign renders and signs the \
         result), {backend}, {} gRPC connections over TLS",
        args.dossiers, args.connections
    );
    let _ = writeln!(
        out,
        "machine: {} cores, load average before {load_before}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = write!(
        out,
        "\n| in flight | {} | dossiers/s | steps/s |",
        if args.rate.is_some() {
            "rate asked"
        } else {
            "mode"
        }
    );
    for step in STEPS {
        let _ = write!(out, " {step} p50 / p99 ms |");
    }
    let _ = write!(out, "\n|---|---|---|---|");
    for _ in STEPS {
        let _ = write!(out, "---|");
    }
    for run in &runs {
        let _ = write!(
            out,
            "\n| {} | {} | {:.1} | {:.0} |",
            run.concurrency,
            args.rate
                .map_or_else(|| "closed loop".to_owned(), |r| format!("{r}/s")),
            run.dossiers_per_second(),
            run.dossiers_per_second() * STEPS.len() as f64,
        );
        for step in &run.latencies {
            let _ = write!(
                out,
                " {:.1} / {:.1} |",
                millis(percentile(step, 50)),
                millis(percentile(step, 99))
            );
        }
    }
    out.push('\n');
    Ok(out)
}

enum Target {
    Given(String),
    Started(StartedServer),
}

impl Target {
    fn url(&self) -> &str {
        match self {
            Target::Given(url) => url,
            Target::Started(started) => &started.url,
        }
    }
}

/// What one run measured.
struct Run {
    concurrency: usize,
    dossiers: usize,
    elapsed: Duration,
    /// Each step's call durations, sorted.
    latencies: Vec<Vec<Duration>>,
}

impl Run {
    fn dossiers_per_second(&self) -> f64 {
        self.dossiers as f64 / self.elapsed.as_secs_f64()
    }
}

async fn run_all(args: &FlowArgs, url: &str) -> anyhow::Result<Vec<Run>> {
    let mut department = Department::for_procedure(args.procedure.as_deref(), None)?;
    let remote = Remote {
        server: url.to_owned(),
        client_cert: None,
        client_key: None,
        ca: None,
        pki_dir: args.pki.clone(),
        as_client: None,
        activation: None,
    };
    let mut channels = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        channels.push(remote.connect(&department.id).await?);
    }
    department.find_officials(channels[0].clone()).await?;
    let load = Arc::new(Load {
        department,
        remote,
        channels,
        prefix: format!(
            "bench-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp()
        ),
        next: AtomicUsize::new(0),
    });
    // One dossier first: connections, TLS sessions and the officials' activation are paid
    // before anything is timed.
    load.dossier(0, &mut |_, _| {}).await?;
    let mut runs = Vec::new();
    for &concurrency in &args.concurrency {
        let run = match args.rate {
            None => load.clone().closed_loop(args.dossiers, concurrency).await?,
            Some(rate) => {
                load.clone()
                    .open_loop(args.dossiers, concurrency, rate)
                    .await?
            }
        };
        eprintln!(
            "{concurrency} in flight: {:.1} dossiers/s",
            run.dossiers_per_second()
        );
        runs.push(run);
    }
    Ok(runs)
}

/// What every dossier of a benchmark shares.
struct Load {
    department: Department,
    remote: Remote,
    channels: Vec<Channel>,
    /// Request ids are `<prefix>-<n>-<step>`, unique across runs and benchmarks.
    prefix: String,
    next: AtomicUsize,
}

type Latencies = Vec<Vec<Duration>>;

impl Load {
    async fn dossier(
        &self,
        worker: usize,
        timed: &mut (dyn FnMut(usize, Duration) + Send),
    ) -> anyhow::Result<()> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let channel = self.channels[worker % self.channels.len()].clone();
        let mut dossiers = DossiersClient::new(channel);
        let run = format!("{}-{n}", self.prefix);
        self.department
            .run_dossier(&mut dossiers, &self.remote, &run, timed)
            .await?;
        Ok(())
    }

    /// `concurrency` workers, each starting a dossier as soon as its last one is returned.
    async fn closed_loop(
        self: Arc<Self>,
        dossiers: usize,
        concurrency: usize,
    ) -> anyhow::Result<Run> {
        let started = Arc::new(AtomicUsize::new(0));
        let begin = Instant::now();
        let mut workers = Vec::with_capacity(concurrency);
        for worker in 0..concurrency {
            let load = self.clone();
            let started = started.clone();
            workers.push(tokio::spawn(async move {
                let mut latencies: Latencies = vec![Vec::new(); STEPS.len()];
                while started.fetch_add(1, Ordering::Relaxed) < dossiers {
                    load.dossier(worker, &mut |step, took| latencies[step].push(took))
                        .await?;
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut all: Latencies = vec![Vec::new(); STEPS.len()];
        for worker in workers {
            let latencies = worker.await.context("a load worker panicked")??;
            for (into, from) in all.iter_mut().zip(latencies) {
                into.extend(from);
            }
        }
        Ok(Run::new(concurrency, dossiers, begin.elapsed(), all))
    }

    /// Dossiers started `rate` a second whatever the answers, at most `concurrency` at once.
    async fn open_loop(
        self: Arc<Self>,
        dossiers: usize,
        concurrency: usize,
        rate: f64,
    ) -> anyhow::Result<Run> {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("--rate must be a positive number of dossiers a second");
        }
        let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let all = Arc::new(Mutex::new(vec![Vec::new(); STEPS.len()]));
        let begin = Instant::now();
        let mut tasks = Vec::with_capacity(dossiers);
        for n in 0..dossiers {
            let due = begin + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let slot = slots.clone().acquire_owned().await?;
            let load = self.clone();
            let all = all.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine: Latencies = vec![Vec::new(); STEPS.len()];
                let outcome = load
                    .dossier(n, &mut |step, took| mine[step].push(took))
                    .await;
                drop(slot);
                let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
                for (into, from) in all.iter_mut().zip(mine) {
                    into.extend(from);
                }
                outcome
            }));
        }
        for task in tasks {
            task.await.context("a load task panicked")??;
        }
        let all = std::mem::take(&mut *all.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(Run::new(concurrency, dossiers, begin.elapsed(), all))
    }
}

impl Run {
    fn new(
        concurrency: usize,
        dossiers: usize,
        elapsed: Duration,
        mut latencies: Latencies,
    ) -> Self {
        for step in &mut latencies {
            step.sort_unstable();
        }
        Run {
            concurrency,
            dossiers,
            elapsed,
            latencies,
        }
    }
}

/// The `p`th percentile of sorted durations (nearest rank).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// A `ketqua serve` of this binary on a fresh data directory (and, on PostgreSQL, a fresh
/// database), stopped and cleaned up after the benchmark.
struct StartedServer {
    child: Child,
    url: String,
    backend: String,
    data_dir: PathBuf,
    /// The database created for this benchmark: (server URL, name), dropped after.
    postgres: Option<(String, String)>,
}

impl StartedServer {
    async fn start(args: &FlowArgs) -> anyhow::Result<Self> {
        let data_dir = std::env::temp_dir().join(format!(
            "ketqua-bench-flow-{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let (database_url, postgres, backend) = if args.database == "sqlite" {
            let file = data_dir.join("ketqua.db");
            (
                format!("sqlite://{}", file.display()),
                None,
                "SQLite (a fresh file)".to_owned(),
            )
        } else if args.database.starts_with("postgres://")
            || args.database.starts_with("postgresql://")
        {
            let name = format!("ketqua_bench_{}", std::process::id());
            let url = create_postgres_database(&args.database, &name).await?;
            (
                url,
                Some((args.database.clone(), name)),
                "PostgreSQL (a fresh database)".to_owned(),
            )
        } else {
            bail!(
                "--database: `sqlite` or a postgres:// URL, not {:?}",
                args.database
            );
        };
        let mut child = Command::new(std::env::current_exe().context("the ketqua binary")?)
            .arg("serve")
            .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--pki-dir")
            .arg(&args.pki)
            .arg("--database")
            .arg(&database_url)
            .args(&args.serve_args)
            .env("KETQUA_LOG", "error")
            .env_remove("KETQUA_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting ketqua serve")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let grpc = loop {
            let Some(line) = lines.next() else {
                let status = child.wait()?;
                bail!("ketqua serve exited before listening ({status})");
            };
            if let Some(addr) = line?.strip_prefix("grpc listening on ") {
                break addr.to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self {
            child,
            url: format!("https://{grpc}"),
            backend,
            data_dir,
            postgres,
        })
    }

    async fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((server, name)) = &self.postgres {
            if let Err(error) = drop_postgres_database(server, name).await {
                eprintln!("could not drop the benchmark's database {name}: {error:#}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The URL of database `name` on the server of `url`, created empty.
async fn create_postgres_database(url: &str, name: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {name}"))?;
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = match path.rsplit_once('/') {
        Some((server, _)) if server.contains("//") && !server.ends_with('/') => server,
        _ => path.trim_end_matches('/'),
    };
    Ok(format!("{server}/{name}{query}"))
}

async fn drop_postgres_database(url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}
