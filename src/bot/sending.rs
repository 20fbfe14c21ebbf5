//! Bot API calls that ride out Telegram's passing failures, so a reply is not lost to one: a 429
//! is waited out (its `retry_after`, up to a minute), a 5xx, a proxy's error page or a network
//! failure is retried after 0.5, 1 and 2 s. Anything else (a blocked bot, a bad request) fails at
//! once. Every failed attempt is counted in the metrics.

use std::time::Duration;

use teloxide::requests::{Output, Request};
use teloxide::{ApiError, RequestError};

/// Retries after the first attempt.
const RETRIES: u32 = 3;
/// A longer `retry_after` is not waited for inside one update.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Sends `request`, retrying passing failures (see the module docs).
pub async fn send<R>(request: R) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    let mut retry = 0;
    loop {
        let error = match request.send_ref().await {
            Ok(output) => return Ok(output),
            Err(error) => error,
        };
        crate::metrics::telegram_error(&error);
        match pause_before_retry(&error, retry) {
            Some(pause) if retry < RETRIES => {
                tracing::info!(
                    error = %with_causes(&error),
                    retry_in_ms = pause.as_millis() as u64,
                    "a Telegram call failed; retrying"
                );
                tokio::time::sleep(pause).await;
                retry += 1;
            }
            _ => return Err(error),
        }
    }
}

/// The error with its causes: a network error's own text ("error sending request") does not
/// say whether the connection was refused, cut or timed out.
fn with_causes(error: &RequestError) -> String {
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
}
