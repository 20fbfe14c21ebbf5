//! The `anketa` binary: choose the language, parse the command line, start logging, run one
//! subcommand, and say what went wrong in the operator's language.

use anketa::console::{self, Console};

/// Every update allocates (JSON in and out, screens): mimalloc does that for less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    anketa::telemetry::init();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut console = Console::new(console::early_language(&args));
    let cli = console::parse(args, &console.texts, console.lang);
    let runtime = match cli.runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}", console.error(&anyhow::Error::new(error).context("cannot start the async runtime")));
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.execute(&mut console)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", console.error(&error));
            std::process::ExitCode::FAILURE
        }
    }
}
