//! The `anketa` binary: choose the language, parse the command line, start logging, run one
//! subcommand, and say what went wrong in the operator's language.

use anketa::console::{self, Console};

/// Every update allocates (JSON in and out, screens): mimalloc does that for less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    anketa::telemetry::init();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut console = Console::new(console::early_language(&args));
    let cli = console::parse(args, &console.texts, console.lang);
    match cli.execute(&mut console).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", console.error(&error));
            std::process::ExitCode::FAILURE
        }
    }
}
