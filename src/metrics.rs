//! The bot's Prometheus metrics: their names, the one place that records each, and the recorder
//! that `anketa run` installs (`GET /metrics` renders it). Without an installed recorder (the
//! command line, library tests) recording does nothing.
//!
//! Counters are per process; Prometheus sums them over the replicas. Nothing here carries a user,
//! a chat or an answer: labels are update kinds and error codes only.

use std::time::{Duration, Instant};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use teloxide::types::UpdateKind;
use teloxide::{ApiError, RequestError};

const UPDATES: &str = "anketa_updates_total";
const UPDATES_DROPPED: &str = "anketa_updates_dropped_total";
const STEP_SECONDS: &str = "anketa_step_duration_seconds";
const RESPONSES: &str = "anketa_responses_released_total";
const DRAFTS_OPEN: &str = "anketa_drafts_open";
const DRAFTS_HELD: &str = "anketa_drafts_held";
const DIGESTS: &str = "anketa_digests_sent_total";
const REMINDERS: &str = "anketa_reminders_sent_total";
const TELEGRAM_ERRORS: &str = "anketa_telegram_api_errors_total";
const DATABASE_RETRIES: &str = "anketa_database_retries_total";

/// Step latency buckets: a step is a few milliseconds; anything near a second is an incident.
const STEP_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// How often histogram samples are folded into buckets when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder; the handle renders the text format.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(STEP_SECONDS.into()), &STEP_BUCKETS)?
        .install_recorder()?;
    describe();
    Ok(handle)
}

fn describe() {
    metrics::describe_counter!(UPDATES, "Telegram updates received, by kind.");
    metrics::describe_counter!(
        UPDATES_DROPPED,
        "Telegram updates dropped unhandled, by reason (flood: flood control)."
    );
    metrics::describe_histogram!(
        STEP_SECONDS,
        metrics::Unit::Seconds,
        "Time to handle one private-chat update (a dialog step), replies to Telegram included."
    );
    metrics::describe_counter!(RESPONSES, "Completed questionnaires released from the ballot box (in groups).");
    metrics::describe_gauge!(DRAFTS_OPEN, "Unfinished questionnaires in the database (all replicas).");
    metrics::describe_gauge!(
        DRAFTS_HELD,
        "Unfinished questionnaires this process keeps in memory until their chat's next update."
    );
    metrics::describe_counter!(DIGESTS, "Daily digests delivered to staff.");
    metrics::describe_counter!(REMINDERS, "Reminders of an unfinished survey delivered to respondents.");
    metrics::describe_counter!(TELEGRAM_ERRORS, "Failed Telegram Bot API calls, by HTTP status or failure kind.");
    metrics::describe_counter!(
        DATABASE_RETRIES,
        "Updates handled again because the database was briefly out of reach (a restart, a failover)."
    );
}

pub fn update_received(kind: &UpdateKind) {
    let kind = match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::Error(_) => "unparsed",
        _ => "other",
    };
    counter!(UPDATES, "kind" => kind).increment(1);
}

/// Counts an update left unhandled on purpose; `reason` says why (`flood`: its sender was over
/// their flood budget). Dropped silently otherwise, so this is how an operator sees a flood.
pub fn update_dropped(reason: &'static str) {
    counter!(UPDATES_DROPPED, "reason" => reason).increment(1);
}

/// Counts an update handled again after the database was out of reach (see `bot::patience`).
pub fn database_retry() {
    counter!(DATABASE_RETRIES).increment(1);
}

/// Times a dialog step from its creation until it is dropped, whatever way the handler leaves.
pub struct StepTimer(Instant);

impl StepTimer {
    pub fn start() -> Self {
        StepTimer(Instant::now())
    }
}

impl Drop for StepTimer {
    fn drop(&mut self) {
        histogram!(STEP_SECONDS).record(self.0.elapsed().as_secs_f64());
    }
}

/// Moves per release of the ballot box, never per submit: a counter that moved at each response
/// would date it.
pub fn responses_released(count: u64) {
    if count > 0 {
        counter!(RESPONSES).increment(count);
    }
}

pub fn digest_sent() {
    counter!(DIGESTS).increment(1);
}

pub fn reminder_sent() {
    counter!(REMINDERS).increment(1);
}

pub fn drafts_open(count: i64) {
    gauge!(DRAFTS_OPEN).set(count as f64);
}

/// Read when the metrics are scraped, like [`drafts_open`]: moved at each step, it would date one.
pub fn drafts_held(count: usize) {
    gauge!(DRAFTS_HELD).set(count as f64);
}

/// Counts a failed Bot API call.
pub fn telegram_error(error: &RequestError) {
    counter!(TELEGRAM_ERRORS, "code" => error_code(error)).increment(1);
}

/// Telegram's HTTP status for an error, read off the description teloxide keeps ("Forbidden: bot
/// was blocked by the user" is a 403); transport failures by kind.
fn error_code(error: &RequestError) -> &'static str {
    match error {
        RequestError::RetryAfter(_) => "429",
        RequestError::MigrateToChatId(_) => "400",
        RequestError::Api(ApiError::InvalidToken) => "401",
        RequestError::Api(api) => {
            let description = api.to_string();
            [
                ("Bad Request", "400"),
                ("Unauthorized", "401"),
                ("Forbidden", "403"),
                ("Not Found", "404"),
                ("Conflict", "409"),
            ]
            .into_iter()
            .find_map(|(prefix, code)| description.starts_with(prefix).then_some(code))
            .unwrap_or("other")
        }
        RequestError::Network(_) => "network",
        RequestError::InvalidJson { .. } => "invalid_json",
        // The outbox's own deadline on an attempt.
        RequestError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => "timeout",
        RequestError::Io(_) => "io",
    }
}
