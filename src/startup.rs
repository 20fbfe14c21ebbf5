//! Wiring for `anketa run`: the one place that knows every part. Builds the bot, the storage, the
//! metrics and the HTTP server, takes updates by polling or by webhook, starts the background
//! purge, digests and reminders, and on SIGTERM/SIGINT (heard from the first moment, during the
//! start too) stops taking updates, lets those in flight and the background work finish (bounded by
//! one [`SHUTDOWN_GRACE`]) and exits. Nothing Telegram may refuse without harm (the command menus)
//! holds the serving back.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use metrics_exporter_prometheus::PrometheusHandle;
use teloxide::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::bot::{self, App};
use crate::clock::Clock;
use crate::config::{Settings, UpdateMode};
use crate::db::Db;
use crate::failure::{Expected, Failure};
use crate::privacy::IdentityKey;
use crate::server::{self, Webhook, WebhookSecret};
use crate::{metrics, shutdown};

/// How often abandoned drafts are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// How long the updates in flight get to finish after SIGTERM or SIGINT (service managers wait
/// longer: deploy/ sets 20 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The bot client from `TELOXIDE_TOKEN` and, if set, `TELOXIDE_API_URL`.
pub fn bot_from_env() -> anyhow::Result<Bot> {
    let token = std::env::var("TELOXIDE_TOKEN").ok().filter(|t| !t.trim().is_empty()).ok_or(Failure::NoToken)?;
    let mut bot = Bot::new(token.trim());
    if let Some(url) = std::env::var("TELOXIDE_API_URL").ok().filter(|u| !u.trim().is_empty()) {
        let url = reqwest::Url::parse(url.trim()).map_err(|_| Failure::Setting {
            name: "TELOXIDE_API_URL",
            got: crate::config::redact_url(&url),
            expected: Expected::Url,
        })?;
        bot = bot.set_api_url(url);
    }
    Ok(bot)
}

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    // Signals first: a SIGTERM while the start waits on the database or Telegram ends it cleanly.
    let (stop_tx, stop_rx) = shutdown::on_signal()?;
    let key = IdentityKey::from_env()?;
    let webhook_secret = match settings.telegram.mode {
        UpdateMode::Webhook => Some(WebhookSecret::from_env()?),
        UpdateMode::Polling => None,
    };
    let bot = bot_from_env()?;
    let metrics = metrics::install()?;
    let mut stopping = stop_rx.clone();
    let (app, listener) = tokio::select! {
        started = start(&settings, &bot, key) => started?,
        _ = stopping.wait_for(|stop| *stop) => {
            tracing::info!("stopped before serving");
            return Ok(());
        }
    };
    let db = app.db.clone();
    let clock = app.clock;
    // The menus are a convenience: updates are served while they are registered.
    tokio::spawn(bot::register_commands(bot.clone(), app.clone()));

    // Digests and reminders share one budget with every other process of the bot.
    let budget = bot::sending::BulkBudget::new(db.clone(), &bot, settings.telegram.bulk_per_second);
    let outbox = bot::digests::Outbox { bot: bot.clone(), budget: budget.clone() };
    let background = [
        tokio::spawn(purge_drafts(db.clone(), settings.survey.draft_retention_days, stop_rx.clone())),
        tokio::spawn(bot::digests::schedule(outbox, db.clone(), settings.clone(), clock, stop_rx.clone())),
        tokio::spawn(bot::reminder::schedule(bot.clone(), budget, app.clone(), stop_rx.clone())),
        tokio::spawn(upkeep_metrics(metrics.clone(), stop_rx.clone())),
        tokio::spawn(app.ballots.clone().keep(stop_rx.clone())),
    ];

    let ballots = app.ballots.clone();
    let serving = async {
        match webhook_secret {
            Some(secret) => {
                let listener = listener.context("webhook mode needs server.listen")?;
                serve_webhook(bot, app, metrics, listener, secret, stop_rx.clone()).await
            }
            None => serve_polling(bot, app, metrics, listener, stop_rx.clone()).await,
        }
    };
    tokio::pin!(serving);
    let mut stopping = stop_rx.clone();
    // One grace from the stop for everything: the updates in flight and the background work (a
    // digest round among them) wind down at the same time.
    let (served, deadline) = tokio::select! {
        served = &mut serving => (served, Instant::now() + SHUTDOWN_GRACE),
        _ = stopping.wait_for(|stop| *stop) => {
            let deadline = Instant::now() + SHUTDOWN_GRACE;
            (tokio::time::timeout_at(deadline, &mut serving).await.unwrap_or_else(|_| Err(unfinished())), deadline)
        }
    };
    // Updates are over (stopped, or the serving failed): the background work ends too, and a digest
    // being sent is finished and recorded before the database closes.
    let _ = stop_tx.send(true);
    let background = async {
        for task in background {
            let _ = task.await;
        }
    };
    let finished = tokio::time::timeout_at(deadline, background).await.map_err(|_| unfinished());
    // The last submits' schools, settled after the updates (not at the stop signal, which the
    // updates in flight outlive).
    ballots.settle_scheduled().await;
    db.close().await;
    served?;
    finished?;
    tracing::info!("stopped");
    Ok(())
}

/// Everything serving needs that waits on the outside: the database, the listening socket,
/// Telegram's word on who the bot is, and drafts rekeyed under the current identity key.
async fn start(settings: &Settings, bot: &Bot, key: IdentityKey) -> anyhow::Result<(Arc<App>, Option<TcpListener>)> {
    let db = Db::connect(&settings.database.url).await?;
    let listener = match settings.server.listen {
        Some(address) => Some(server::bind(address).await?),
        None => None,
    };
    let me = bot.get_me().await.map_err(|e| Failure::TelegramUnreachable(e.into()))?;
    tracing::info!(bot = %me.username(), "connected to Telegram");
    check_username(&settings.telegram.bot_username, me.username())?;
    let clock = Clock::from_env()?;
    let rekeyed = db.rekey_old_drafts(&key).await.map_err(Failure::Rekey)?;
    if rekeyed > 0 {
        tracing::info!(drafts = rekeyed, "unfinished answers rekeyed by chat hash");
    }
    let app = App::new(db, key, settings.clone(), me.username().to_string(), clock);
    Ok((Arc::new(app), listener))
}

/// The links, posters and invitations the command line makes name `telegram.bot_username`; a
/// token of another bot would answer none of them.
fn check_username(configured: &str, from_telegram: &str) -> anyhow::Result<()> {
    if !configured.is_empty() && !configured.eq_ignore_ascii_case(from_telegram) {
        return Err(Failure::OtherBot { configured: configured.to_string(), actual: from_telegram.to_string() }.into());
    }
    Ok(())
}

fn unfinished() -> anyhow::Error {
    Failure::Unfinished(SHUTDOWN_GRACE.as_secs()).into()
}

/// Polling mode: [`bot::polling`] asks Telegram for updates and confirms each only once it is
/// handled; the HTTP server, when configured, serves the health check and the metrics.
async fn serve_polling(
    bot: Bot,
    app: Arc<App>,
    metrics: PrometheusHandle,
    listener: Option<TcpListener>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let router = listener.map(|listener| (listener, server::router(app.clone(), metrics, None)));
    let http = async {
        match router {
            Some((listener, router)) => server::serve(listener, router, stopped(stop.clone())).await,
            None => Ok(()),
        }
    };
    tracing::info!("listening for updates (polling)");
    let polling = bot::polling::serve(bot, app, stop.clone());
    let ((), served) = tokio::join!(polling, http);
    served
}

/// Webhook mode: registers the public URL with the shared secret, then handles each update Telegram
/// posts before answering it. Stopping one replica leaves the webhook registered for the others.
async fn serve_webhook(
    bot: Bot,
    app: Arc<App>,
    metrics: PrometheusHandle,
    listener: TcpListener,
    secret: WebhookSecret,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let url = app.settings.telegram.webhook()?;
    bot.set_webhook(url.clone())
        .secret_token(secret.as_str().to_string())
        .allowed_updates(bot::HANDLED_UPDATES.to_vec())
        .await
        .map_err(|e| Failure::WebhookUnregistered(e.into()))?;
    let webhook = Webhook {
        path: url.path().to_string(),
        secret,
        schema: bot::schema(),
        dependencies: bot::dependencies(bot, app.clone()),
    };
    tracing::info!(path = %webhook.path, "listening for updates (webhook)");
    server::serve(listener, server::router(app, metrics, Some(webhook)), stopped(stop)).await
}

/// Resolves once the stop signal has been given.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Folds recorded samples into the histograms now and then, so memory stays flat between scrapes.
async fn upkeep_metrics(metrics: PrometheusHandle, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(metrics::UPKEEP_EVERY) => metrics.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

/// Deletes drafts untouched for `days`, now and every hour, until told to stop.
async fn purge_drafts(db: Db, days: u32, mut stop: watch::Receiver<bool>) {
    loop {
        let before = Utc::now() - chrono::Duration::days(i64::from(days));
        match db.purge_drafts(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(drafts = n, "purged abandoned drafts"),
            Err(e) => tracing::warn!(error = %e, "cannot purge abandoned drafts"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
