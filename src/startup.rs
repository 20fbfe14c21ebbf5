//! Wiring for `anketa run`: the one place that knows every part. Builds the bot, the storage and
//! the dispatcher, starts the background purge, and stops everything on a signal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use tokio::sync::watch;

use crate::bot::{self, App};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::digest;
use crate::privacy::IdentityKey;
use crate::shutdown;

/// How often abandoned drafts are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The bot client from `TELOXIDE_TOKEN` and, if set, `TELOXIDE_API_URL`.
pub fn bot_from_env() -> anyhow::Result<Bot> {
    let token = std::env::var("TELOXIDE_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context("TELOXIDE_TOKEN is not set: put the token @BotFather gave you in the environment")?;
    let mut bot = Bot::new(token.trim());
    if let Some(url) = std::env::var("TELOXIDE_API_URL").ok().filter(|u| !u.trim().is_empty()) {
        let url = reqwest::Url::parse(url.trim()).with_context(|| format!("TELOXIDE_API_URL {url:?} is not a URL"))?;
        bot = bot.set_api_url(url);
    }
    Ok(bot)
}

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let key = IdentityKey::from_env()?;
    let bot = bot_from_env()?;
    let db = Db::connect(&settings.database.url).await?;
    let me = bot.get_me().await.context("cannot reach the Telegram Bot API with this token")?;
    tracing::info!(bot = %me.username(), "connected to Telegram");

    let clock = Clock::from_env()?;
    let app = Arc::new(App::new(db.clone(), key, settings.clone(), me.username().to_string(), clock));
    if let Err(e) = bot::register_commands(&bot, &app).await {
        tracing::warn!(error = %e, "cannot register the command menu");
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let purge = tokio::spawn(purge_drafts(db.clone(), settings.survey.draft_retention_days, stop_rx.clone()));
    let digests = tokio::spawn(digest::schedule(bot.clone(), db.clone(), settings.clone(), clock, stop_rx));

    let mut dispatcher = Dispatcher::builder(bot, bot::schema())
        .dependencies(dptree::deps![app])
        // Updates the schema does not handle (group chats, edits) are dropped without logging
        // their content, which would name the sender.
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("an update handler failed"))
        .build();
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("stopping: finishing the updates in flight");
        // The dispatcher may not be running yet; retry until it accepts the request.
        loop {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    tracing::info!("listening for updates");
    dispatcher.dispatch().await;

    let _ = stop_tx.send(true);
    let _ = purge.await;
    let _ = digests.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
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
