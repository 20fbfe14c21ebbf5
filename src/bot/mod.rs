//! The Telegram adapter: turns updates into survey-engine inputs and engine states into screens.
//!
//! [`schema`] is the whole update tree, readable as the flow chart: private messages are either
//! commands (`/start [code]`, `/cancel`, `/help`) or answers; button presses are callbacks; an
//! update in a private chat from anyone but that chat's user is forged and goes nowhere; a person
//! sending faster than flood control admits has the excess dropped before any handler.

pub mod callback;
mod campaigns;
pub mod digests;
mod draft_cache;
mod draft_writes;
pub mod flood;
mod handlers;
mod invite;
mod kit;
mod patience;
pub mod polling;
pub mod reminder;
mod report;
mod roster;
pub mod screens;
pub mod sending;
mod staff;
mod stats;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, RwLock};

use teloxide::dispatching::UpdateHandler;
use teloxide::dptree::di::DependencyMap;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, UpdateKind};

use crate::ballot_box::BallotBox;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::i18n::Texts;
use crate::privacy::IdentityKey;
use crate::survey::Survey;

pub use handlers::{Command, LinkPayload};

/// A campaign and a class's grade (`None`: a grade its name does not give).
type ClassSurveyKey = (i64, Option<u8>);

/// Everything a handler needs, shared by all of them.
pub struct App {
    pub db: Db,
    pub key: IdentityKey,
    pub texts: Texts,
    pub settings: Settings,
    /// The bot's username (from Telegram), for the links it hands out.
    pub bot_username: String,
    pub clock: Clock,
    /// Where submitted answers wait for their release.
    pub ballots: BallotBox,
    /// Flood control: each person's budget of updates.
    pub flood: flood::FloodGate,
    /// The drafts this process stored last, until their chat's next update.
    pub drafts: draft_cache::DraftCache,
    /// Where the steps' new drafts are stored, many chats' at once.
    pub draft_writes: draft_writes::DraftWrites,
    /// Campaign questionnaires never change after creation, so each is parsed once.
    surveys: RwLock<HashMap<i64, Arc<Survey>>>,
    /// The survey of a class link by campaign and grade (`None`: nothing asked in that grade).
    class_surveys: RwLock<HashMap<ClassSurveyKey, Option<Arc<Survey>>>>,
}

impl App {
    /// Starts the draft writer: call it within the Tokio runtime.
    pub fn new(db: Db, key: IdentityKey, settings: Settings, bot_username: String, clock: Clock) -> Self {
        let min_group = usize::try_from(settings.privacy.min_group_size).unwrap_or(1);
        let ballots = BallotBox::new(db.clone(), min_group, settings.survey.default_timezone, clock);
        let flood = flood::FloodGate::new(settings.telegram.flood_burst, settings.telegram.flood_per_second);
        let draft_writes = draft_writes::DraftWrites::start(db.clone());
        App {
            db,
            key,
            texts: Texts::default(),
            settings,
            bot_username,
            clock,
            ballots,
            flood,
            drafts: draft_cache::DraftCache::default(),
            draft_writes,
            surveys: RwLock::default(),
            class_surveys: RwLock::default(),
        }
    }

    /// The campaign's questionnaires, as they were when the campaign was created (parsed by
    /// [`crate::app::campaigns::campaign_survey`] once per campaign and process).
    pub async fn survey(&self, campaign_id: i64) -> anyhow::Result<Arc<Survey>> {
        if let Some(survey) = self.surveys.read().expect("lock not poisoned").get(&campaign_id) {
            return Ok(survey.clone());
        }
        let survey = Arc::new(crate::app::campaigns::campaign_survey(&self.db, campaign_id).await?);
        self.surveys.write().expect("lock not poisoned").insert(campaign_id, survey.clone());
        Ok(survey)
    }

    /// The survey a class link leads to: the campaign's questionnaires for the audiences asked
    /// in the class's grade (`None`: none is asked there).
    /// Kept per campaign and grade: a respondent's every step needs it, and a campaign's
    /// questionnaires and grades never change once it is created.
    pub async fn class_survey(&self, target: &crate::db::LinkTarget) -> anyhow::Result<Option<Arc<Survey>>> {
        let key = (target.campaign.id, crate::survey::class_grade(&target.class));
        if let Some(survey) = self.class_surveys.read().expect("lock not poisoned").get(&key) {
            return Ok(survey.clone());
        }
        let survey = self.survey(target.campaign.id).await?.for_grade(key.1).map(Arc::new);
        self.class_surveys.write().expect("lock not poisoned").insert(key, survey.clone());
        Ok(survey)
    }
}

/// The update tree, for updates [`handle_update`] let in.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let private_messages = Update::filter_message()
        .filter(|message: Message| message.chat.is_private())
        .branch(dptree::filter_map(Command::parse).endpoint(handlers::on_command))
        .endpoint(handlers::on_message);
    let button_presses = Update::filter_callback_query().endpoint(handlers::on_callback);
    dptree::entry().branch(private_messages).branch(button_presses)
}

/// Telegram sends a private chat's messages and button presses from that chat's own user only. An
/// update claiming another sender is forged (e.g. posted to a leaked webhook URL): acted on, it
/// would answer as one person in another's chat, or hand an administrator's export to a stranger.
fn from_the_chats_own_user(update: &Update) -> bool {
    match (update.chat(), update.from()) {
        (Some(chat), Some(user)) if chat.is_private() => chat.id == ChatId::from(user.id),
        _ => true,
    }
}

/// The update kinds [`schema`] handles, asked of Telegram by the webhook and by polling.
pub const HANDLED_UPDATES: [AllowedUpdate; 2] = [AllowedUpdate::Message, AllowedUpdate::CallbackQuery];

/// Runs one update through `schema` with the handlers' dependencies (the bot and the [`App`]), as
/// the polling loop does; returns when its replies are sent and its changes are stored.
/// Updates the schema does not take (group chats, edits) are dropped without logging their content,
/// which would name the sender.
pub async fn handle_update(schema: &UpdateHandler<anyhow::Error>, dependencies: &DependencyMap, update: Update) {
    crate::metrics::update_received(&update.kind);
    // Checked here rather than as filters of the tree, where each would take its own copy of the
    // update (a button press carries the whole message it was on).
    let admitted =
        || flood::admits(&update, &dependencies.get::<Bot>(), &dependencies.get::<Arc<App>>(), flood::Stage::Handling);
    if !from_the_chats_own_user(&update) || !admitted() {
        return;
    }
    let mut dependencies = dependencies.clone();
    dependencies.insert(update);
    if let ControlFlow::Break(Err(error)) = schema.dispatch(dependencies).await {
        handler_failed(error);
    }
}

/// Whether teloxide could not read the update: it then holds the raw JSON, sender and all, which
/// teloxide's dispatcher would log whole at ERROR. Such an update (a field teloxide does not know
/// yet, or one a Bot API emulator leaves out) is dropped with its id alone in the log.
pub fn unreadable(update: &Update) -> bool {
    let unreadable = matches!(update.kind, UpdateKind::Error(_));
    if unreadable {
        tracing::warn!(update_id = update.id.0, "dropped an update teloxide cannot read");
    }
    unreadable
}

/// The handlers' dependencies.
pub fn dependencies(bot: Bot, app: Arc<App>) -> DependencyMap {
    dptree::deps![bot, app]
}

/// Logs a handler's error, never an update's content (failed Telegram calls were counted where
/// they were made).
pub fn handler_failed(error: anyhow::Error) {
    tracing::error!(error = format!("{error:#}"), "an update handler failed");
}

pub use handlers::register_commands;
