//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`). teloxide logs through
//! the `log` crate, which is bridged in. At info level nothing names a user or an answer.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_log::LogTracer::init();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: journald, docker logs and files get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
