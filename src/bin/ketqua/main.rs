//! The `ketqua` binary: the server, the PKI tools, the demo, a small gRPC client, the
//! archivists' tools, offline verification and the benchmarks. Each command lives in its own
//! file; everything they share with other programs is in the `ketqua` library.

#![forbid(unsafe_code)]

mod archive;
mod bench;
mod check_path;
mod client;
mod demo;
mod department;
mod fsck;
mod lookup;
mod pki;
mod remote;
mod reports;
mod show;
mod verify;
mod webhooks;

use std::io::IsTerminal;

use clap::{Parser, Subcommand};
use ketqua::server::{self, ServeArgs};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "ketqua",
    version,
    about = "Electronic results of administrative procedures: signed at every step, verifiable by anyone, archived for decades"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC service and the web page.
    Serve(Box<ServeArgs>),
    /// Manage the signing PKI.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// Play a department system: run a dossier through all five steps against a server.
    Demo(demo::DemoArgs),
    /// Call the service.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Measure performance.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Archivists' tools: export and verify packages, check the archive.
    #[command(subcommand)]
    Archive(archive::ArchiveCommand),
    /// Verify a signed PDF offline; exit status 0 only for VALID (1 INVALID, 2 INDETERMINATE).
    Verify(verify::VerifyArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr so that stdout stays for results scripts read. Each line of a call
    // carries its span (method, request id, dossier code): as `call{…}:` text, or as JSON.
    let filter =
        || EnvFilter::try_from_env("KETQUA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if std::env::var("KETQUA_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init();
    }
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = args.resolve()?;
            server::serve(settings, server::shutdown_signal()).await
        }
        Command::Pki(command) => pki::run(command),
        Command::Demo(args) => demo::run(args).await,
        Command::Client(command) => client::run(command).await,
        Command::Archive(command) => archive::run(command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Verify(args) => {
            let code = verify::run(&args)?;
            if code != 0 {
                let _ = std::io::Write::flush(&mut std::io::stdout());
                std::process::exit(code.into());
            }
            Ok(())
        }
    }
}
