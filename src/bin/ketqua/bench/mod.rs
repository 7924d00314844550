//! `ketqua bench …`: signing and verification rates against pyHanko on the same documents,
//! measured in one run so that the ratio means something on a shared machine; and the whole
//! service's write path, end to end over gRPC (`flow`).

mod flow;
mod sign;
mod verify;

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// PAdES B-B signing against pyHanko and sha256sum (12 KB, 1 MB, 50 MB documents).
    Sign {
        /// PKI directory; a development PKI is created there if it has none.
        #[arg(long, default_value = "target/bench-pki")]
        pki: PathBuf,
        /// Where the generated documents go [default: a directory under the system temp].
        #[arg(long)]
        work: Option<PathBuf>,
        /// Document sizes in bytes [default: 12 KB, 1 MB, 50 MB].
        #[arg(long, value_delimiter = ',')]
        sizes: Vec<usize>,
    },
    /// Verifications per second: our engine against pyHanko on the same result files.
    Verify {
        #[arg(long, default_value = "target/bench-pki")]
        pki: PathBuf,
        #[arg(long)]
        work: Option<PathBuf>,
    },
    /// Dossiers a second through the five gRPC calls of a real server, and each step's p50/p99.
    Flow(flow::FlowArgs),
}

/// Runs a `ketqua bench …` command and prints its table.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Sign { pki, work, sizes } => {
            let sizes = if sizes.is_empty() {
                sign::DEFAULT_SIZES.to_vec()
            } else {
                sizes
            };
            let work = work.unwrap_or_else(sign::default_work_dir);
            println!("{}", sign::sign_benchmark(&pki, &work, &sizes)?);
            Ok(())
        }
        BenchCommand::Verify { pki, work } => {
            let work = work.unwrap_or_else(sign::default_work_dir);
            println!("{}", verify::verify_benchmark(&pki, &work)?);
            Ok(())
        }
        BenchCommand::Flow(args) => {
            println!("{}", flow::flow_benchmark(&args).await?);
            Ok(())
        }
    }
}
