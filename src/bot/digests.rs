//! The daily digests through the outbox: the rounds the scheduler runs while the bot is up, and
//! one digest's texts and chart sent to one chat (for `anketa digest send` too).

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::InputFile;
use tokio::sync::watch;

use super::sending::{self, Bulk, BulkBudget};
use crate::config::Settings;
use crate::db::Db;
use crate::digest::{Deliver, Delivery, Digests, Only, Prepared, RunSummary};
use crate::i18n::Texts;
use crate::telegram_text::split_message;

/// How often the scheduler looks for digests that are due.
const ROUND_EVERY: Duration = Duration::from_secs(30);

/// The bot sending digests within the bot's bulk budget.
pub struct Outbox {
    pub bot: Bot,
    pub budget: BulkBudget,
}

impl Deliver for Outbox {
    fn deliver(
        &self,
        chat: i64,
        digest: Prepared,
        stop: &mut watch::Receiver<bool>,
    ) -> impl Future<Output = Delivery> + Send {
        deliver(&self.bot, &self.budget, ChatId(chat), digest, stop)
    }
}

/// Sends one digest, split at line boundaries, then its chart. A stop cuts short only the waits
/// before its first part is out; after that the rest is sent too: a digest goes out whole, or not
/// at all (and again after the restart), never twice.
async fn deliver(
    bot: &Bot,
    budget: &BulkBudget,
    chat: ChatId,
    digest: Prepared,
    stop: &mut watch::Receiver<bool>,
) -> Delivery {
    // Once the first part is out, waits are not cut short.
    let (_never_raised, mut never) = watch::channel(false);
    let texts = split_message(&digest.text);
    for (index, part) in texts.iter().enumerate() {
        let stop = if index == 0 { &mut *stop } else { &mut never };
        match sending::send_bulk(bot.send_message(chat, part.clone()), budget, stop).await {
            Bulk::Sent => {}
            outcome => return unsent(outcome, index > 0),
        }
    }
    if let Some(png) = digest.chart {
        let photo = InputFile::memory(png).file_name("digest.png");
        let outcome = sending::send_bulk(bot.send_photo(chat, photo), budget, &mut never).await;
        if !matches!(outcome, Bulk::Sent) {
            return unsent(outcome, true);
        }
    }
    Delivery::Sent
}

/// What a digest whose part failed comes to; once some of it is out, the rest is not repeated.
fn unsent(outcome: Bulk, partly_sent: bool) -> Delivery {
    match outcome {
        Bulk::Unreachable => Delivery::Unreachable,
        Bulk::Failed(e) if partly_sent => {
            tracing::warn!(error = %sending::with_causes(&e), "a digest went out in part; the rest is lost");
            Delivery::Sent
        }
        Bulk::Failed(e) => {
            tracing::warn!(error = %sending::with_causes(&e), "cannot send a digest; it will be retried");
            Delivery::Unsent
        }
        Bulk::Stopped | Bulk::Sent => Delivery::Unsent,
    }
}

/// Runs digest rounds until told to stop.
pub async fn schedule(
    outbox: Outbox,
    db: Db,
    settings: Settings,
    clock: crate::clock::Clock,
    mut stop: watch::Receiver<bool>,
) {
    let texts = Texts::default();
    let digests = Digests { db: &db, texts: &texts, settings: &settings };
    loop {
        match digests.run(clock.now(), Only::Everyone, false, &mut stop, &outbox).await {
            Ok(summary) if summary != RunSummary::default() => tracing::info!(?summary, "digests sent"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "a digest round failed"),
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(ROUND_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
