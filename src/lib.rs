//! Anketa: anonymous, counted-once school surveys in Telegram.
//!
//! Crate map:
//! - [`survey`]: the engine — questionnaires, the respondent's state machine, answers (no I/O).
//! - [`roster`]: the roster CSV, parsed and checked whole before anything is stored.
//! - [`privacy`]: the keyed hash of a Telegram identity.
//! - [`db`]: every SQL statement, on SQLite or PostgreSQL.
//! - [`bot`]: the Telegram adapter — update tree, callback data, screens, handlers.
//! - [`i18n`]: Fluent messages in Russian and English.
//! - [`qr`]: QR codes of class links as PNG and SVG.
//! - [`poster`]: printable A4 class posters (PDF) with the QR code.
//! - [`operations`]: what the operator's commands do.
//! - [`config`], [`telemetry`], [`shutdown`], [`startup`], [`cli`]: settings, logs, signals, wiring, arguments.

pub mod bot;
pub mod cli;
pub mod config;
pub mod db;
pub mod i18n;
pub mod operations;
pub mod poster;
pub mod privacy;
pub mod qr;
pub mod roster;
pub mod shutdown;
pub mod startup;
pub mod survey;
pub mod telemetry;
