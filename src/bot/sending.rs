//! The outbox: every Bot API call the bot makes goes through here, the one place that rides out
//! Telegram's passing failures and classifies the rest. A 429 is waited out (its `retry_after`, up
//! to a minute), a 5xx, a proxy's error page, a network failure or an attempt without an answer
//! within [`ATTEMPT_DEADLINE`] is retried after 0.5, 1 and 2 s. Anything else (a blocked bot, a bad
//! request) fails at once. Every failed attempt is counted in the metrics. Bulk messages (digests,
//! reminders) are paced by one [`BulkBudget`] per bot that every process on the database shares,
//! say whether the recipient is unreachable and stop waiting on SIGTERM.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use teloxide::Bot;
use teloxide::payloads::{SendDocument, SendPhoto};
use teloxide::requests::{Output, Payload, Request};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::db::Db;

/// Retries after the first attempt.
const RETRIES: u32 = 3;
/// A longer `retry_after` is not waited for inside one update.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long one attempt of a call without a file gets. teloxide sleeps 10 s after any 5xx before
/// it returns the error (teloxide-core's `DELAY_ON_SERVER_ERROR`); a 5xx arrives within
/// milliseconds, so the deadline cuts that sleep short and the call is retried on our schedule.
/// Telegram answers a call in well under a second; one this slow is taken as lost and retried.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(2);
/// A bulk message is nobody's next screen, and repeating one whose answer was only slow would
/// send it twice (Telegram keeps no request ids): its attempts wait for an answer this long, still
/// cutting teloxide's 10 s sleep after a 5xx, and within the shutdown grace.
const BULK_ATTEMPT_DEADLINE: Duration = Duration::from_secs(8);

/// Telegram asks a bot to stay under about 30 messages a second overall, whichever of its
/// processes sends them. Every attempt of a bulk message claims the next free slot of the bot's
/// budget in the database (so replicas, and `anketa digest send` beside them, share it) and waits
/// for it: at most `telegram.bulk_per_second` attempts a second in all. The slots run on the
/// wall clock, which the processes of one bot share (a clock running behind only slows its own
/// process down).
#[derive(Clone, Debug)]
pub struct BulkBudget {
    db: Db,
    /// The bot's Telegram id: the budget is Telegram's per bot.
    bot: i64,
    /// The time between two slots.
    interval: Duration,
}

impl BulkBudget {
    pub fn new(db: Db, bot: &Bot, per_second: f64) -> BulkBudget {
        // A token is "<bot id>:<secret>"; only the id is kept.
        let id = bot.token().split(':').next().and_then(|id| id.parse().ok()).unwrap_or_default();
        BulkBudget { db, bot: id, interval: Duration::from_secs_f64(1.0 / per_second) }
    }

    /// Waits for this process's next slot. When the database cannot be asked, the process keeps
    /// to the budget on its own (the pause of one slot), and the message is still sent.
    async fn slot(&self) {
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let since_epoch = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let pause = match self.db.claim_bulk_slot(self.bot, micros(since_epoch()), micros(self.interval)).await {
            Ok(slot) => Duration::from_micros(u64::try_from(slot - micros(since_epoch())).unwrap_or(0)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a slot of the bulk budget; pacing this process alone");
                self.interval
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// Sends `request`, retrying passing failures (see the module docs).
pub async fn send<R>(request: R) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
    Output<R>: DeserializeOwned,
{
    match with_retries(&request, None, std::future::pending()).await {
        Ok(output) => Ok(output),
        Err(Unsent::Failed(error)) => Err(error),
        Err(Unsent::Stopped) => unreachable!("a pending stop never comes"),
    }
}

/// What became of a bulk message.
#[derive(Debug)]
pub enum Bulk {
    Sent,
    /// The recipient blocked the bot, or their account or chat is gone: nothing more to them.
    Unreachable,
    /// Failed for now (after the retries); worth another try later.
    Failed(RequestError),
    /// SIGTERM came while waiting for a slot of the budget or to retry: not sent.
    Stopped,
}

/// Sends one bulk message within `budget`, with the retries of [`send`] (each attempt waits for a
/// slot of its own); a stop given meanwhile ends the waits before attempts (an attempt in flight
/// is let finish, so a message is never left in doubt).
pub async fn send_bulk<R>(request: R, budget: &BulkBudget, stop: &mut watch::Receiver<bool>) -> Bulk
where
    R: Request<Err = RequestError>,
    Output<R>: DeserializeOwned,
{
    let stopped = async {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    match with_retries(&request, Some(budget), stopped).await {
        Ok(_) => Bulk::Sent,
        Err(Unsent::Stopped) => Bulk::Stopped,
        Err(Unsent::Failed(RequestError::Api(
            ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound | ApiError::BotKicked,
        ))) => Bulk::Unreachable,
        Err(Unsent::Failed(error)) => Bulk::Failed(error),
    }
}

enum Unsent {
    Failed(RequestError),
    Stopped,
}

async fn with_retries<R>(
    request: &R,
    budget: Option<&BulkBudget>,
    stop: impl Future<Output = ()>,
) -> Result<Output<R>, Unsent>
where
    R: Request<Err = RequestError>,
    Output<R>: DeserializeOwned,
{
    tokio::pin!(stop);
    let method = <R::Payload as Payload>::NAME;
    let mut retry = 0;
    loop {
        if let Some(budget) = budget {
            tokio::select! {
                _ = budget.slot() => {}
                _ = &mut stop => return Err(Unsent::Stopped),
            }
        }
        let deadline = if budget.is_some() { BULK_ATTEMPT_DEADLINE } else { ATTEMPT_DEADLINE };
        let error = match attempt(request, deadline).await {
            Ok(output) => return Ok(output),
            Err(error) => error,
        };
        if carried_out(&error) {
            // Telegram did it, but its result is not the documented one. A bare confirmation
            // (`True`) needs nothing read; anything else is not repeated, which would do it twice.
            if let Ok(output) = serde_json::from_value(serde_json::Value::Bool(true)) {
                tracing::debug!(method, "Telegram confirmed a call with an unexpected result");
                return Ok(output);
            }
            crate::metrics::telegram_error(&error);
            return Err(Unsent::Failed(error));
        }
        crate::metrics::telegram_error(&error);
        if budget.is_none() && matches!(error, RequestError::RetryAfter(_)) {
            super::polling::throttled();
        }
        match pause_before_retry(&error, retry) {
            Some(pause) if retry < RETRIES => {
                tracing::info!(
                    method,
                    error = %with_causes(&error),
                    retry_in_ms = pause.as_millis() as u64,
                    "a Telegram call failed; retrying"
                );
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = &mut stop => return Err(Unsent::Stopped),
                }
                retry += 1;
            }
            _ => return Err(Unsent::Failed(error)),
        }
    }
}

/// One attempt, given `deadline` unless it uploads a document or a photo, which may take longer
/// (teloxide's client gives every call 17 s; a 5xx on an upload still costs its 10 s sleep).
async fn attempt<R>(request: &R, deadline: Duration) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    let method = <R::Payload as Payload>::NAME;
    if [SendDocument::NAME, SendPhoto::NAME].contains(&method) {
        return request.send_ref().await;
    }
    // A long poll (getUpdates) is told how long it may hold the answer back.
    let deadline = deadline + request.payload_ref().timeout_hint().unwrap_or_default();
    tokio::time::timeout(deadline, request.send_ref()).await.unwrap_or_else(|_| {
        let late = std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no readable answer within {} s", deadline.as_secs()),
        );
        Err(RequestError::Io(Arc::new(late)))
    })
}

/// Whether Telegram answered `ok: true` with a result teloxide cannot read: the call was carried out.
fn carried_out(error: &RequestError) -> bool {
    match error {
        RequestError::InvalidJson { raw, .. } => serde_json::from_str::<serde_json::Value>(raw)
            .is_ok_and(|answer| answer.get("ok") == Some(&serde_json::Value::Bool(true))),
        _ => false,
    }
}

/// The error with its causes: a network error's own text ("error sending request") does not
/// say whether the connection was refused, cut or timed out.
pub fn with_causes(error: &RequestError) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// How long to wait before retrying after `error`, if it may pass.
fn pause_before_retry(error: &RequestError, retry: u32) -> Option<Duration> {
    let backoff = Duration::from_millis(500) * 2u32.pow(retry);
    match error {
        RequestError::RetryAfter(wait) => Some(wait.duration()).filter(|wait| *wait <= LONGEST_RETRY_AFTER),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => Some(backoff),
        RequestError::Api(ApiError::Unknown(description)) if is_server_error(description) => Some(backoff),
        _ => None,
    }
}

/// Telegram's descriptions of its own 5xx answers.
fn is_server_error(description: &str) -> bool {
    ["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"]
        .iter()
        .any(|prefix| description.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn passing_failures_are_retried_with_a_bounded_pause() {
        let too_many = RequestError::RetryAfter(Seconds::from_seconds(3));
        assert_eq!(pause_before_retry(&too_many, 0), Some(Duration::from_secs(3)));
        let much_too_many = RequestError::RetryAfter(Seconds::from_seconds(600));
        assert_eq!(pause_before_retry(&much_too_many, 0), None);
        let bad_gateway = RequestError::Api(ApiError::Unknown("Bad Gateway".into()));
        assert_eq!(pause_before_retry(&bad_gateway, 2), Some(Duration::from_secs(2)));
        assert_eq!(pause_before_retry(&RequestError::Api(ApiError::BotBlocked), 0), None);
        let bad_request = RequestError::Api(ApiError::Unknown("Bad Request: chat not found".into()));
        assert_eq!(pause_before_retry(&bad_request, 0), None);
    }

    #[test]
    fn an_unreadable_ok_answer_is_a_call_carried_out_and_a_proxy_page_is_not() {
        let unreadable = |raw: &str| RequestError::InvalidJson {
            source: Arc::new(serde_json::from_str::<bool>("x").unwrap_err()),
            raw: raw.into(),
        };
        assert!(carried_out(&unreadable(r#"{"ok":true,"result":{"unexpected":1}}"#)));
        assert!(!carried_out(&unreadable("<html><body>502 Bad Gateway</body></html>")));
        assert!(!carried_out(&RequestError::Api(ApiError::BotBlocked)));
        // A bare confirmation is what the bot needed to know.
        assert!(serde_json::from_value::<teloxide::types::True>(serde_json::Value::Bool(true)).is_ok());
    }
}
