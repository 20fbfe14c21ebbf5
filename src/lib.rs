//! Anketa: anonymous, counted-once school surveys in Telegram.
//!
//! Crate map:
//! - [`survey`]: the engine — questionnaires, the respondent's state machine, answers (no I/O).
//! - [`app`]: the use cases (roster, campaigns, links, exports, reports, staff), one home each,
//!   called alike by the command line and the bot.
//! - [`campaign`]: campaign days as operators type them, and a campaign's state on a day.
//! - [`roster`]: the roster file (CSV or XLSX), checked whole and compared with the database for a preview.
//! - [`expert`]: the expert CSV of audited indicators per school, checked the same way.
//! - [`privacy`]: the keyed hashes of a Telegram identity and of a chat.
//! - [`releases`]: the release rule — which sealed answers leave the box together, and for whom;
//!   [`ballot_box`]: when they leave it.
//! - [`roles`]: staff roles and the scope of what each may see; [`names`]: names compared as people read them;
//!   [`places`]: municipalities, schools and classes found by a typed name.
//! - [`db`]: every SQL statement, on SQLite or PostgreSQL.
//! - [`digest`]: the daily participation digests: who is due, what each shows, claimed and recorded
//!   once (sent and scheduled by `bot::digests`).
//! - [`bot`]: the Telegram adapter — update tree, callback data, screens, handlers, the one reminder,
//!   the polling loop that confirms only handled updates.
//! - [`server`]: the HTTP server — the webhook, `/healthz`, `/metrics`; [`metrics`]: what is counted.
//! - [`i18n`]: Fluent messages in Russian and English.
//! - [`workbook`]: the responses workbook (XLSX) with answer distributions.
//! - [`report`]: the results report by the official НОКО criteria, and the free-text proposals.
//! - [`telegram_text`]: texts cut or split to Telegram's limits.
//! - [`csv_out`]: every CSV file written, each cell guarded against spreadsheet formula injection.
//! - [`qr`]: QR codes of class links as PNG and SVG.
//! - [`poster`]: printable A4 class posters (PDF) with the QR code; [`kit`]: them all as ZIP parts.
//! - [`preview`]: a questionnaire walked in the terminal as the bot would show it.
//! - [`clock`]: the time, settable for rehearsals and tests.
//! - [`config`], [`telemetry`], [`shutdown`], [`startup`], [`cli`]: settings, logs, signals, wiring, arguments;
//!   [`console`]: the command line's language, lines and `--help` through Fluent; [`failure`]: refusals
//!   operators read, typed and worded in Fluent.

pub mod app;
pub mod ballot_box;
pub mod bot;
pub mod campaign;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod csv_out;
pub mod db;
pub mod digest;
pub mod expert;
pub mod failure;
pub mod i18n;
pub mod kit;
pub mod metrics;
pub mod names;
pub mod places;
pub mod poster;
pub mod preview;
pub mod privacy;
pub mod qr;
pub mod releases;
pub mod report;
pub mod roles;
pub mod roster;
pub mod server;
pub mod shutdown;
pub mod startup;
pub mod survey;
pub mod telegram_text;
pub mod telemetry;
pub mod workbook;
