//! Patience with the database: an update whose handling failed because the database was briefly
//! out of reach (a PostgreSQL restart or failover cut the connection in use) is handled again a
//! moment later, instead of the person being told «something went wrong» and having to tap again.
//! While it waits, the update is not confirmed to Telegram (polling holds the offset, the webhook
//! has not answered), so a crash meanwhile loses nothing either.
//!
//! Handling again is safe for the same reason Telegram's own redelivery is: a step is stored with
//! the draft's revision it was taken on, so a step whose commit went through before the cut is not
//! taken twice.

use std::time::Duration;

/// The pauses before each new attempt. A restart's cut costs one attempt (the pool then opens a
/// fresh connection, waiting up to its acquire timeout); the rest covers a failover of seconds.
const PAUSES: [Duration; 3] = [Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(3)];

/// Runs `attempt` until it succeeds, fails for a reason other than the database being out of
/// reach, or has been tried after every pause; the last outcome.
pub async fn patiently<T, F>(mut attempt: impl FnMut() -> F) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    for pause in PAUSES {
        match attempt().await {
            Err(error) if crate::db::is_transient(&error) => {
                crate::metrics::database_retry();
                tracing::warn!(
                    error = format!("{error:#}"),
                    retry_in_ms = pause.as_millis() as u64,
                    "the database is out of reach; handling the update again"
                );
                tokio::time::sleep(pause).await;
            }
            outcome => return outcome,
        }
    }
    attempt().await
}
