//! The `anketa` binary: parse the command line, start logging, run one subcommand.

use clap::Parser;

/// Every update allocates (JSON in and out, screens): mimalloc does that for less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    anketa::telemetry::init();
    let cli = anketa::cli::Cli::parse();
    match cli.execute().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
