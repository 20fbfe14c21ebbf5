//! The bot's HTTP server: the webhook Telegram posts updates to (webhook mode), `GET /healthz` for
//! load balancers and supervisors, and `GET /metrics` for Prometheus.
//!
//! A webhook request is answered only after its update has been handled: its replies are sent and
//! its changes stored. Telegram re-sends an update it got no `200` for, so a replica that stops
//! (or dies) mid-way loses nothing: the update comes again, to whichever replica the proxy picks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use subtle::ConstantTimeEq;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree::di::DependencyMap;
use teloxide::types::Update;
use tokio::net::TcpListener;

use crate::bot::App;
use crate::failure::Failure;

/// The header Telegram repeats the webhook's secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The shortest webhook secret accepted: as many characters as `openssl rand -hex 16` prints.
pub const MIN_SECRET_LEN: usize = 32;

/// How long a health check waits for the database.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// The secret all replicas share and Telegram sends with every update: without it anybody who
/// finds the URL could post forged updates. Parsed once from `ANKETA_WEBHOOK_SECRET`.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn from_env() -> anyhow::Result<Self> {
        let value = std::env::var("ANKETA_WEBHOOK_SECRET").unwrap_or_default();
        Ok(WebhookSecret::parse(value.trim())?)
    }

    /// Telegram's alphabet (`A-Z`, `a-z`, `0-9`, `_`, `-`) and at most 256 characters; at least
    /// [`MIN_SECRET_LEN`], where Telegram takes one, since the secret is all that stops forged
    /// updates from whoever learns the URL.
    pub fn parse(value: &str) -> Result<Self, Failure> {
        let length = value.chars().count();
        if !(MIN_SECRET_LEN..=256).contains(&length) {
            return Err(Failure::WebhookSecretLength { min: MIN_SECRET_LEN, got: length });
        }
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(Failure::WebhookSecretAlphabet);
        }
        Ok(WebhookSecret(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compared in constant time, so response timing tells nothing about the secret.
    fn matches(&self, headers: &HeaderMap) -> bool {
        headers.get(SECRET_HEADER).is_some_and(|given| bool::from(given.as_bytes().ct_eq(self.0.as_bytes())))
    }
}

/// What the webhook route needs to handle an update.
pub struct Webhook {
    /// The path of the public webhook URL.
    pub path: String,
    pub secret: WebhookSecret,
    pub schema: UpdateHandler<anyhow::Error>,
    pub dependencies: DependencyMap,
}

#[derive(Clone)]
struct Probe {
    app: Arc<App>,
    metrics: PrometheusHandle,
}

/// The routes: always `/healthz` and `/metrics`, the webhook when given.
pub fn router(app: Arc<App>, metrics: PrometheusHandle, webhook: Option<Webhook>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(render_metrics))
        .with_state(Probe { app, metrics });
    if let Some(webhook) = webhook {
        let path = webhook.path.clone();
        router = router.merge(Router::new().route(&path, post(receive_update)).with_state(Arc::new(webhook)));
    }
    router
}

/// Binds the listening address (before anything is announced to Telegram, so a taken port stops
/// the start instead of losing updates).
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(address).await.map_err(|e| Failure::CannotListen(address, e))?;
    // The bound address, which differs from the configured one for port 0.
    tracing::info!(address = %listener.local_addr()?, "HTTP server listening");
    Ok(listener)
}

/// Serves until `stop` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(stop).await.context("the HTTP server failed")
}

async fn receive_update(State(webhook): State<Arc<Webhook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !webhook.secret.matches(&headers) {
        tracing::warn!("refused a webhook request without the right secret token");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(error) => {
            // Where, not what: serde's message may quote a value of the update.
            tracing::warn!(
                line = error.line(),
                column = error.column(),
                "a webhook request carried no Telegram update"
            );
            return StatusCode::BAD_REQUEST;
        }
    };
    // Answered 200 all the same: Telegram would only send it again.
    if crate::bot::unreadable(&update) {
        return StatusCode::OK;
    }
    crate::bot::handle_update(&webhook.schema, &webhook.dependencies, update).await;
    StatusCode::OK
}

async fn health(State(probe): State<Probe>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(HEALTH_TIMEOUT, probe.app.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n"),
        Ok(Err(error)) => {
            tracing::warn!(error = format!("{error:#}"), "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n"),
    }
}

async fn render_metrics(State(probe): State<Probe>) -> impl IntoResponse {
    match probe.app.db.count_drafts().await {
        Ok(count) => crate::metrics::drafts_open(count),
        Err(error) => tracing::warn!(error = %error, "metrics: cannot count the open drafts"),
    }
    crate::metrics::drafts_held(probe.app.drafts.held());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], probe.metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_long_follows_telegrams_alphabet_and_must_match_exactly() {
        let fine = "Abc_123-x".repeat(4);
        for bad in ["", "x", "with space", "ключ", &"a".repeat(31), &"a".repeat(257), &format!("{fine} ")] {
            assert!(WebhookSecret::parse(bad).is_err(), "{bad:?}");
        }
        let short = WebhookSecret::parse("Abc_123-x").err().unwrap();
        let short = short.render(&crate::i18n::Texts::default(), crate::survey::Lang::En);
        assert!(short.contains("32 to 256 characters (got 9)") && short.contains("openssl rand"), "{short}");
        assert!(WebhookSecret::parse(&"a".repeat(32)).is_ok() && WebhookSecret::parse(&"-".repeat(256)).is_ok());
        let secret = WebhookSecret::parse(&fine).unwrap();
        let mut headers = HeaderMap::new();
        assert!(!secret.matches(&headers));
        headers.insert(SECRET_HEADER, fine[..fine.len() - 1].parse().unwrap());
        assert!(!secret.matches(&headers));
        headers.insert(SECRET_HEADER, fine.parse().unwrap());
        assert!(secret.matches(&headers));
    }
}
