//! Handlers: load the draft, apply the engine, store the result, show the next screen.
//! Every callback is answered, whatever happens, so the phone's spinner stops: first, before the
//! screen is redrawn.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rand::Rng;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, InlineKeyboardMarkup, MessageId, User};
use teloxide::{ApiError, RequestError};
use tokio::sync::oneshot;

use super::callback::{Action, CallbackData};
use super::patience::patiently;
use super::screens::{Painter, Screen};
use super::{App, campaigns, sending, staff};
use crate::args;
use crate::db::{DraftWrite, LinkTarget, NewResponse, Participation, Reachable, Share, StoredDraft, SubmitOutcome};
use crate::digest::report::shares_text;
use crate::metrics;
use crate::privacy::ChatKey;
use crate::survey::{Draft, Input, Lang, StepError, Survey};
use crate::telegram_text::fit;

/// Commands a respondent can type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/start` with the deep-link payload, if any (already checked to be a possible link code).
    Start(Option<LinkPayload>),
    Cancel,
    Help,
    /// Staff: participation of their scope, or of a named school, class or municipality within it.
    Stats(Option<String>),
    /// School administrators: the class links of their school.
    Links,
    /// Class teachers: their class's link and QR code.
    Link,
    /// Administrators: the link kit of their place as ZIP documents.
    Kit,
    /// Staff: the scope's anonymous responses as a workbook.
    Export,
    /// Administrators: the НОКО indicators of their scope so far.
    Results,
    /// Class teachers: the daily line about their class, on or off (`None`: not understood).
    Digest(Option<bool>),
    /// Region administrators: the campaigns with their state, to extend, close or reopen.
    Campaigns,
    /// Region administrators: create a campaign in a dialog.
    NewCampaign,
    /// Region administrators: a campaign's НОКО report and proposals as workbooks.
    Report,
    /// Administrators: invite someone one level down, choosing the place with buttons.
    Invite,
    /// Administrators: the people they invited and their open invitations, to revoke.
    Team,
}

/// A deep-link payload: at most 64 of `A-Za-z0-9_-`, as Telegram allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPayload {
    Code(String),
    /// Something no link of ours could carry.
    Malformed,
}

impl Command {
    pub fn parse(message: Message) -> Option<Command> {
        Self::from_text(message.text()?)
    }

    /// Reads a command from a message's text; `None` for anything that is not one of ours.
    /// Kept apart from [`Command::parse`] so it can be checked without a Telegram message.
    pub fn from_text(text: &str) -> Option<Command> {
        let text = text.trim();
        let (head, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let name = head.strip_prefix('/')?.split('@').next()?;
        match name.to_ascii_lowercase().as_str() {
            "start" => {
                let payload = rest.trim();
                Some(Command::Start((!payload.is_empty()).then(|| {
                    let valid = payload.len() <= 64
                        && payload.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if valid { LinkPayload::Code(payload.to_string()) } else { LinkPayload::Malformed }
                })))
            }
            "cancel" => Some(Command::Cancel),
            "help" => Some(Command::Help),
            "stats" => Some(Command::Stats(Some(rest.trim()).filter(|r| !r.is_empty()).map(str::to_string))),
            "links" => Some(Command::Links),
            "link" => Some(Command::Link),
            "kit" => Some(Command::Kit),
            "export" => Some(Command::Export),
            "results" => Some(Command::Results),
            "campaigns" => Some(Command::Campaigns),
            "newcampaign" => Some(Command::NewCampaign),
            "report" => Some(Command::Report),
            "invite" => Some(Command::Invite),
            "team" => Some(Command::Team),
            "digest" => Some(Command::Digest(match rest.trim().to_lowercase().as_str() {
                "on" | "вкл" => Some(true),
                "off" | "выкл" => Some(false),
                _ => None,
            })),
            _ => None,
        }
    }
}

/// One update's context: who, where, in which language.
pub(super) struct Ctx<'a> {
    pub(super) app: &'a Arc<App>,
    pub(super) bot: &'a Bot,
    pub(super) chat: ChatId,
    pub(super) user: &'a User,
    pub(super) lang: Lang,
    /// The key of this chat's draft (no chat id is stored), an HMAC computed once per update.
    draft_key: ChatKey,
}

impl<'a> Ctx<'a> {
    fn new(app: &'a Arc<App>, bot: &'a Bot, chat: ChatId, user: &'a User) -> Self {
        Ctx { app, bot, chat, user, lang: language(user), draft_key: app.key.chat_key(chat.0) }
    }
}

impl Ctx<'_> {
    pub(super) fn t(&self, id: &str) -> String {
        self.app.texts.get(self.lang, id)
    }

    fn draft_key(&self) -> ChatKey {
        self.draft_key
    }

    /// Runs CPU-heavy work (a workbook, posters, a tally over a region) on the blocking pool: the
    /// bot's one runtime thread handles every chat's updates, and none should wait seconds for it.
    pub(super) async fn off_the_loop<T: Send + 'static>(
        &self,
        work: impl FnOnce(&App) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || work(&app)).await?
    }

    fn painter(&self, revision: i64) -> Painter<'_> {
        Painter { texts: &self.app.texts, lang: self.lang, revision }
    }

    pub(super) async fn say(&self, text: impl Into<String>) -> anyhow::Result<()> {
        sending::send(self.bot.send_message(self.chat, fit(text.into()))).await?;
        Ok(())
    }

    async fn send(&self, screen: Screen) -> anyhow::Result<()> {
        sending::send(self.bot.send_message(self.chat, screen.text).reply_markup(screen.keyboard)).await?;
        Ok(())
    }

    /// Replaces the message the button was on; sends a new one if it can no longer be edited.
    pub(super) async fn show(
        &self,
        on: Option<MessageId>,
        text: String,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> anyhow::Result<()> {
        if let Some(message_id) = on {
            let mut edit = self.bot.edit_message_text(self.chat, message_id, text.clone());
            if let Some(keyboard) = &keyboard {
                edit = edit.reply_markup(keyboard.clone());
            }
            match sending::send(edit).await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
                Err(e) => tracing::debug!(error = %e, "cannot edit the screen, sending a new one"),
            }
        }
        let mut message = self.bot.send_message(self.chat, text);
        if let Some(keyboard) = keyboard {
            message = message.reply_markup(keyboard);
        }
        sending::send(message).await?;
        Ok(())
    }

    fn today(&self, target: &LinkTarget) -> NaiveDate {
        let tz: chrono_tz::Tz = target.timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        self.app.clock.now().with_timezone(&tz).date_naive()
    }

    /// Today as the region's people count days (`survey.default_timezone`), for campaign states.
    pub(super) fn local_today(&self) -> NaiveDate {
        self.app.clock.now().with_timezone(&self.app.settings.survey.default_timezone).date_naive()
    }

    pub(super) fn date(&self, date: NaiveDate) -> String {
        match self.lang {
            Lang::Ru => date.format("%d.%m.%Y").to_string(),
            Lang::En => date.format("%-d %B %Y").to_string(),
        }
    }

    /// Why this link cannot be answered now, if it cannot.
    async fn refusal(&self, target: &LinkTarget) -> anyhow::Result<Option<String>> {
        if let Some(refusal) = self.campaign_refusal(target) {
            return Ok(Some(refusal));
        }
        if self.app.class_survey(target).await?.is_none() {
            return Ok(Some(self.t("survey-class-not-asked")));
        }
        if self.already_answered(target).await? {
            let school = args![("school", target.school.as_str())];
            return Ok(Some(self.app.texts.get_with(self.lang, "survey-already-answered", &school)));
        }
        Ok(None)
    }

    /// Why the link's campaign takes no answers today, if it does not.
    fn campaign_refusal(&self, target: &LinkTarget) -> Option<String> {
        let campaign = &target.campaign;
        let today = self.today(target);
        if target.revoked {
            Some(self.t("survey-link-invalid"))
        } else if campaign.closed {
            Some(self.t("survey-campaign-closed"))
        } else if today < campaign.starts_on {
            Some(self.app.texts.get_with(
                self.lang,
                "survey-campaign-not-started",
                &args![("date", self.date(campaign.starts_on))],
            ))
        } else if today > campaign.ends_on {
            Some(self.app.texts.get_with(
                self.lang,
                "survey-campaign-ended",
                &args![("date", self.date(campaign.ends_on))],
            ))
        } else {
            None
        }
    }

    async fn already_answered(&self, target: &LinkTarget) -> anyhow::Result<bool> {
        let identity = self.app.key.identity(self.user.id.0, target.campaign.id, target.school_id);
        Ok(self.app.db.has_participated(target.campaign.id, identity.as_bytes()).await?)
    }

    /// The survey of the link's class: only the audiences asked in its grade. A link of a class
    /// asked nothing is refused before a draft starts ([`Ctx::refusal`]), so none has a draft.
    async fn survey(&self, target: &LinkTarget) -> anyhow::Result<Arc<Survey>> {
        let survey = self.app.class_survey(target).await?;
        survey.ok_or_else(|| anyhow::anyhow!("campaign {} asks no audience in this class", target.campaign.id))
    }

    /// A fresh draft at the welcome screen for this link, replacing any other draft of the chat,
    /// kept for the chat's next press; returns the welcome screen to show.
    async fn begin(&self, target: &LinkTarget) -> anyhow::Result<Screen> {
        let survey = self.survey(target).await?;
        let draft = Draft::default();
        // A random first revision keeps buttons of a discarded draft from matching the new one.
        let revision = rand::thread_rng().gen_range(1..1_i64 << 40);
        let state = serde_json::to_string(&draft)?;
        let reachable = Reachable { sealed_chat: self.app.key.seal_chat(self.chat.0), language: self.lang };
        let now = self.app.clock.now();
        self.app.db.start_draft(&self.draft_key(), &target.code, &state, revision, now, Some(&reachable)).await?;
        let stored = StoredDraft { link_code: target.code.clone(), state, revision, last_text_message: None };
        self.app.drafts.keep(self.draft_key(), stored, target.clone());
        Ok(self.painter(revision).draft(&survey, &draft, target.into()))
    }

    /// Stores a step taken on `stored` (see [`super::draft_writes`]); returns the draft's new
    /// revision, or `None` when something else changed or removed the draft first.
    async fn store_step(
        &self,
        stored: &StoredDraft,
        state: String,
        text_message: Option<i64>,
    ) -> anyhow::Result<Option<i64>> {
        let write = DraftWrite {
            chat: self.draft_key(),
            expected_revision: stored.revision,
            state,
            text_message,
            at: self.app.clock.now(),
        };
        self.app.draft_writes.store(write).await
    }

    /// The chat's draft with where it leads, if the link still resolves.
    async fn load(&self) -> anyhow::Result<Option<(StoredDraft, LinkTarget)>> {
        match self.app.db.load_draft_with_target(&self.draft_key()).await? {
            None => Ok(None),
            Some((stored, Some(target))) => Ok(Some((stored, target))),
            Some((_, None)) => {
                self.app.db.delete_draft(&self.draft_key()).await?;
                Ok(None)
            }
        }
    }

    /// The stored engine state; a draft written by an incompatible version starts again at the welcome.
    fn decode(&self, stored: &StoredDraft) -> Draft {
        serde_json::from_str(&stored.state).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable draft state, starting at the welcome screen");
            Draft::default()
        })
    }

    async fn current_screen(&self, stored: &StoredDraft, target: &LinkTarget) -> anyhow::Result<Screen> {
        let survey = self.survey(target).await?;
        Ok(self.painter(stored.revision).draft(&survey, &self.decode(stored), target.into()))
    }
}

fn language(user: &User) -> Lang {
    Lang::from_code(user.language_code.as_deref())
}

pub async fn on_command(bot: Bot, app: Arc<App>, message: Message, command: Command) -> anyhow::Result<()> {
    let _step = metrics::StepTimer::start();
    let Some(user) = message.from.as_ref() else {
        return Ok(());
    };
    let ctx = Ctx::new(&app, &bot, message.chat.id, user);
    app.drafts.forget(&ctx.draft_key());
    let result = patiently(|| run_command(&ctx, command.clone())).await;
    apologise_on_error(&ctx, result).await
}

async fn run_command(ctx: &Ctx<'_>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Start(None) => resume(ctx).await,
        Command::Start(Some(LinkPayload::Malformed)) => ctx.say(ctx.t("survey-link-invalid")).await,
        Command::Start(Some(LinkPayload::Code(code))) => match code.strip_prefix(crate::app::staff::PAYLOAD_PREFIX) {
            Some(invitation) => staff::accept(ctx, invitation).await,
            None => start(ctx, &code).await,
        },
        Command::Cancel if campaigns::cancel(ctx).await? => Ok(()),
        Command::Cancel => {
            let cancelled = ctx.app.db.delete_draft(&ctx.draft_key()).await?;
            ctx.say(ctx.t(if cancelled { "survey-cancelled" } else { "survey-nothing-to-cancel" })).await
        }
        Command::Help => staff::help(ctx).await,
        staff_command => staff::command(ctx, staff_command).await,
    }
}

/// Logs a failed update and tells the person, without their id or answers in the log.
async fn apologise_on_error(ctx: &Ctx<'_>, result: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(error) = result {
        tracing::error!(error = format!("{error:#}"), "update failed");
        let _ = ctx.say(ctx.t("survey-error")).await;
    }
    Ok(())
}

/// `/start` without a link: continue the unfinished survey, if there is one.
async fn resume(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    match ctx.load().await? {
        Some((stored, target)) => {
            let screen = ctx.painter(stored.revision).resume_offer(&target.school, None, &target.code);
            ctx.send(screen).await
        }
        None => ctx.say(ctx.t("survey-no-draft")).await,
    }
}

/// `/start CODE`: a class link was opened.
async fn start(ctx: &Ctx<'_>, code: &str) -> anyhow::Result<()> {
    let Some(target) = ctx.app.db.resolve_link(code).await? else {
        return ctx.say(ctx.t("survey-link-invalid")).await;
    };
    if let Some(refusal) = ctx.refusal(&target).await? {
        return ctx.say(refusal).await;
    }
    if let Some((stored, draft_target)) = ctx.load().await? {
        let same = draft_target.campaign.id == target.campaign.id && draft_target.school_id == target.school_id;
        let screen = ctx.painter(stored.revision).resume_offer(
            &draft_target.school,
            (!same).then_some(target.school.as_str()),
            &target.code,
        );
        return ctx.send(screen).await;
    }
    tracing::info!(campaign = target.campaign.id, "survey started");
    ctx.send(ctx.begin(&target).await?).await
}

pub async fn on_message(bot: Bot, app: Arc<App>, message: Message) -> anyhow::Result<()> {
    let _step = metrics::StepTimer::start();
    let Some(user) = message.from.as_ref() else {
        return Ok(());
    };
    let ctx = Ctx::new(&app, &bot, message.chat.id, user);
    app.drafts.forget(&ctx.draft_key());
    let result = patiently(|| respond(&ctx, &message)).await;
    apologise_on_error(&ctx, result).await
}

/// A message that is not a command: a roster file, a staff dialog's text, or a survey answer.
async fn respond(ctx: &Ctx<'_>, message: &Message) -> anyhow::Result<()> {
    let handled = match message.document() {
        Some(document) => {
            let replied = message.reply_to_message().and_then(super::report::campaign_of);
            super::roster::on_document(ctx, document, replied).await?
        }
        None => campaigns::on_text(ctx, message.id, message.text()).await?,
    };
    if handled { Ok(()) } else { answer_message(ctx, message.id, message.text()).await }
}

/// How often a typed answer is re-applied when another update of the same chat changed the draft
/// meanwhile (webhook replicas handle one chat's updates concurrently).
const TEXT_ATTEMPTS: usize = 3;

async fn answer_message(ctx: &Ctx<'_>, message: MessageId, text: Option<&str>) -> anyhow::Result<()> {
    let message = i64::from(message.0);
    for _ in 0..TEXT_ATTEMPTS {
        let Some((stored, target)) = ctx.load().await? else {
            let hint = if text.is_some() { "survey-no-draft" } else { "survey-unsupported-message" };
            return ctx.say(ctx.t(hint)).await;
        };
        let Some(text) = text.filter(|t| !t.starts_with('/')) else {
            let reason = if text.is_some() { "survey-use-buttons" } else { "survey-unsupported-message" };
            return ctx.send(noticed(ctx.t(reason), ctx.current_screen(&stored, &target).await?)).await;
        };
        if stored.last_text_message.is_some_and(|last| message <= last) {
            // Telegram handed this message over again (the bot stopped before it was confirmed):
            // it answered its question already, so it must not answer the next one too.
            return ctx.send(ctx.current_screen(&stored, &target).await?).await;
        }
        let survey = ctx.survey(&target).await?;
        let draft = ctx.decode(&stored);
        match draft.step(&survey, Input::Text(text.to_string())) {
            Ok(next) => {
                let state = serde_json::to_string(&next)?;
                // `None`: the draft changed since it was loaded; apply the text to the new state.
                let key = ctx.draft_key();
                if let Some(revision) = ctx.store_step(&stored, state.clone(), Some(message)).await? {
                    let screen = ctx.painter(revision).draft(&survey, &next, (&target).into());
                    let kept = StoredDraft { state, revision, last_text_message: Some(message), ..stored };
                    ctx.app.drafts.keep(key, kept, target);
                    return ctx.send(screen).await;
                }
            }
            Err(error) => {
                let notice = ctx.painter(0).step_error(&error);
                if error == StepError::UseButtons {
                    let screen = ctx.painter(stored.revision).draft(&survey, &draft, (&target).into());
                    return ctx.send(noticed(notice, screen)).await;
                }
                return ctx.say(notice).await;
            }
        }
    }
    ctx.say(ctx.t("survey-error")).await
}

/// `screen` with `notice` above it: one reply to one message, not the notice and the screen
/// apart (two replies to each message would spend the chat's Telegram budget twice as fast).
fn noticed(notice: String, screen: Screen) -> Screen {
    Screen { text: fit(format!("{notice}\n\n{}", screen.text)), ..screen }
}

/// How long after a press its button is answered at the latest, whatever the press still waits
/// for (the database, or an edit that hangs): the phone's spinner then stops.
const ANSWER_DEADLINE: Duration = Duration::from_secs(1);

/// A button press: its outcome (and notice) is decided in the database first, then the screen is
/// redrawn, and the button is answered once it is, or once [`ANSWER_DEADLINE`] passed, whichever
/// comes first. Answered after the redraw, the spinner stops on the new screen, not on the old
/// one whose buttons a person would press again; answered at the deadline, an edit that hangs
/// cannot keep it turning. A notice decided after the deadline (the database was slow) comes as a
/// message in the chat instead.
pub async fn on_callback(bot: Bot, app: Arc<App>, query: CallbackQuery) -> anyhow::Result<()> {
    let _step = metrics::StepTimer::start();
    let deadline = tokio::time::Instant::now() + ANSWER_DEADLINE;
    let lang = language(&query.from);
    let (decided, notice) = oneshot::channel();
    let (redrawn, screen_shown) = oneshot::channel::<()>();
    let handling = async {
        let Some((chat, message_id)) = query.message.as_ref().map(|m| (m.chat().id, m.id())) else {
            let _ = decided.send(Some(app.texts.get(lang, "survey-forged-button")));
            drop(redrawn);
            return;
        };
        let ctx = Ctx::new(&app, &bot, chat, &query.from);
        let pressed = patiently(|| press(&ctx, message_id, query.data.as_deref())).await.unwrap_or_else(|error| {
            tracing::error!(error = format!("{error:#}"), "button press failed");
            Pressed::notice(app.texts.get(lang, "survey-error"))
        });
        if let Err(Some(late)) = decided.send(pressed.notice)
            && let Err(error) = ctx.say(late).await
        {
            tracing::error!(error = format!("{error:#}"), "cannot send a button's notice");
        }
        if let Some(redraw) = pressed.redraw
            && let Err(error) = redraw.show(&ctx, message_id).await
        {
            tracing::error!(error = format!("{error:#}"), "cannot show the screen after a button press");
        }
        drop(redrawn);
    };
    let answering = async {
        let mut notice = notice;
        let notice = match tokio::time::timeout_at(deadline, &mut notice).await {
            Ok(decided) => decided.ok().flatten(),
            // Closed, the notice goes to the chat instead; unless it came just now.
            Err(_) => {
                notice.close();
                notice.try_recv().ok().flatten()
            }
        };
        // Ends when the redraw is done (the sender is dropped) or at the deadline.
        let _ = tokio::time::timeout_at(deadline, screen_shown).await;
        let mut answer = bot.answer_callback_query(query.id.clone());
        if let Some(text) = notice {
            answer = answer.text(crate::telegram_text::shorten(&text, 200));
        }
        sending::send(answer).await
    };
    let ((), answered) = tokio::join!(handling, answering);
    answered?;
    Ok(())
}

/// What a button press comes to: the notice on the button, then the screen to show.
struct Pressed {
    notice: Option<String>,
    redraw: Option<Redraw>,
}

/// The screen a press leads to, shown once the button is answered.
enum Redraw {
    /// Replaces the message the button was on (see [`Ctx::show`]).
    InPlace { text: String, keyboard: Option<InlineKeyboardMarkup> },
    /// A new message below, the button's message left as it is.
    Below(Screen),
}

impl Pressed {
    fn notice(text: String) -> Self {
        Pressed { notice: Some(text), redraw: None }
    }

    fn screen(screen: Screen) -> Self {
        Pressed { notice: None, redraw: Some(Redraw::InPlace { text: screen.text, keyboard: Some(screen.keyboard) }) }
    }

    fn text(text: String) -> Self {
        Pressed { notice: None, redraw: Some(Redraw::InPlace { text, keyboard: None }) }
    }

    /// A press handled to the end, redraws included, that has only its notice left to give.
    fn handled(notice: Option<String>) -> Self {
        Pressed { notice, redraw: None }
    }
}

impl Redraw {
    async fn show(self, ctx: &Ctx<'_>, on: MessageId) -> anyhow::Result<()> {
        match self {
            Redraw::InPlace { text, keyboard } => ctx.show(Some(on), text, keyboard).await,
            Redraw::Below(screen) => ctx.send(screen).await,
        }
    }
}

/// Handles a button press as far as deciding its outcome (see [`Pressed`]).
async fn press(ctx: &Ctx<'_>, message_id: MessageId, data: Option<&str>) -> anyhow::Result<Pressed> {
    if let Some(data) = data.filter(|d| d.starts_with(campaigns::PREFIX)) {
        return campaigns::press(ctx, message_id, data).await.map(Pressed::handled);
    }
    if let Some(data) = data.filter(|d| d.starts_with(super::kit::PREFIX)) {
        return super::kit::press(ctx, data).await.map(Pressed::handled);
    }
    if let Some(data) = data.filter(|d| d.starts_with(super::report::PREFIX)) {
        return super::report::press(ctx, data).await.map(Pressed::handled);
    }
    if let Some(data) = data.filter(|d| d.starts_with(super::invite::PREFIX)) {
        return super::invite::press(ctx, message_id, data).await.map(Pressed::handled);
    }
    if let Some(data) = data.filter(|d| d.starts_with(super::stats::PREFIX)) {
        return super::stats::press(ctx, message_id, data).await.map(Pressed::handled);
    }
    if let Some(data) = data.filter(|d| d.starts_with(super::roster::PREFIX)) {
        return super::roster::press(ctx, message_id, data).await.map(Pressed::handled);
    }
    let Some(data) = data.and_then(CallbackData::parse) else {
        return Ok(Pressed::notice(ctx.t("survey-forged-button")));
    };
    // The usual press: a step or the submit on the screen this process drew last, whose draft it
    // still holds. When the database no longer has it at that revision, the press is handled again
    // from what the database has.
    if let Some((stored, target)) = ctx.app.drafts.take_at(&ctx.draft_key(), data.revision) {
        let pressed = match &data.action {
            Action::Step(input) => step(ctx, stored, target, input.clone()).await?,
            Action::Submit => submit(ctx, &stored, &target, &ctx.decode(&stored)).await?,
            _ => None,
        };
        if let Some(pressed) = pressed {
            return Ok(pressed);
        }
    }
    let Some((stored, target)) = ctx.load().await? else {
        return Ok(Pressed::notice(ctx.t("survey-no-survey-button")));
    };
    if stored.revision == data.revision + 1 {
        // A press on the screen just before the last step: a second tap, or the press that made
        // the step handed over again by Telegram after a crash. The step is not taken twice, and
        // the screen pressed on is brought to the current step in place (it already is, unless
        // the crash came before it was redrawn) rather than repeated in a new message.
        let screen = ctx.current_screen(&stored, &target).await?;
        return Ok(Pressed { notice: Some(ctx.t("survey-stale-button")), ..Pressed::screen(screen) });
    }
    if stored.revision != data.revision {
        let current = ctx.current_screen(&stored, &target).await?;
        return Ok(Pressed { notice: Some(ctx.t("survey-stale-button")), redraw: Some(Redraw::Below(current)) });
    }
    match data.action {
        Action::Resume => Ok(Pressed::screen(ctx.current_screen(&stored, &target).await?)),
        Action::StartOver(code) => {
            let Some(new_target) = ctx.app.db.resolve_link(&code).await? else {
                return Ok(Pressed::notice(ctx.t("survey-link-invalid")));
            };
            if let Some(refusal) = ctx.refusal(&new_target).await? {
                return Ok(Pressed::text(refusal));
            }
            Ok(Pressed::screen(ctx.begin(&new_target).await?))
        }
        Action::Submit => Ok(submit(ctx, &stored, &target, &ctx.decode(&stored))
            .await?
            .unwrap_or_else(|| Pressed::notice(ctx.t("survey-already-saved")))),
        Action::Decline => {
            ctx.app.db.delete_draft(&ctx.draft_key()).await?;
            Ok(Pressed::text(ctx.t("survey-reminder-declined")))
        }
        Action::Step(input) => {
            Ok(step(ctx, stored, target, input).await?.unwrap_or_else(|| Pressed::notice(ctx.t("survey-stale-button"))))
        }
    }
}

/// Takes a step on `stored` and keeps the new draft for the chat's next press; `None` when the
/// draft is no longer at `stored`'s revision (another update changed or removed it).
async fn step(ctx: &Ctx<'_>, stored: StoredDraft, target: LinkTarget, input: Input) -> anyhow::Result<Option<Pressed>> {
    let survey = ctx.survey(&target).await?;
    let next = match ctx.decode(&stored).step(&survey, input) {
        Ok(next) => next,
        Err(error) => return Ok(Some(Pressed::notice(ctx.painter(0).step_error(&error)))),
    };
    let state = serde_json::to_string(&next)?;
    let Some(revision) = ctx.store_step(&stored, state.clone(), None).await? else {
        return Ok(None);
    };
    let screen = ctx.painter(revision).draft(&survey, &next, (&target).into());
    ctx.app.drafts.keep(ctx.draft_key(), StoredDraft { state, revision, ..stored }, target);
    Ok(Some(Pressed::screen(screen)))
}

/// Submits `stored`; `None` when the draft is no longer at its revision (another update changed or
/// removed it first).
async fn submit(
    ctx: &Ctx<'_>,
    stored: &StoredDraft,
    target: &LinkTarget,
    draft: &Draft,
) -> anyhow::Result<Option<Pressed>> {
    let survey = ctx.survey(target).await?;
    let (Some(answers), Some(questionnaire)) = (draft.completed_answers(&survey), draft.questionnaire(&survey)) else {
        return Ok(Some(Pressed::notice(ctx.t("survey-not-expected"))));
    };
    // Whether this person answered meanwhile is settled by `submit_response` itself, after it made
    // sure this press is the one that submits (a second press must not read its twin's response).
    if let Some(refusal) = ctx.campaign_refusal(target) {
        // The campaign ended or closed meanwhile: the draft can never be submitted, so it goes.
        ctx.app.db.delete_draft(&ctx.draft_key()).await?;
        return Ok(Some(Pressed::text(refusal)));
    }
    let response = NewResponse {
        campaign_id: target.campaign.id,
        school_id: target.school_id,
        class_id: target.class_id,
        audience: questionnaire.audience,
        questionnaire_id: questionnaire.id.clone(),
        answers: answers.iter().map(|(id, answer)| (id.clone(), answer.to_value())).collect(),
    };
    let identity = ctx.app.key.identity(ctx.user.id.0, target.campaign.id, target.school_id);
    match ctx.app.db.submit_response(&ctx.draft_key(), stored.revision, identity.as_bytes(), &response).await? {
        SubmitOutcome::Stored => {
            // No log line and no counter here: either would date the response.
            ctx.app.ballots.settle_soon(target.campaign.id, target.school_id);
            let mut text = ctx.t("survey-thanks");
            if let Some(class) = ctx.app.db.class_participation(target.campaign.id, target.class_id).await? {
                // Each audience's count only once it reached the privacy threshold, as before.
                let threshold = ctx.app.settings.privacy.min_group_size;
                let shown = Participation {
                    parents: shown_share(class.parents, threshold),
                    students: shown_share(class.students, threshold),
                    ..class
                };
                if shown.responses() > 0 {
                    let shares = shares_text(&ctx.app.texts, ctx.lang, &shown, None);
                    text.push_str("\n\n");
                    text.push_str(&ctx.app.texts.get_with(
                        ctx.lang,
                        "survey-class-count",
                        &args![("shares", shares), ("class", target.class.as_str())],
                    ));
                }
            }
            Ok(Some(Pressed::text(text)))
        }
        SubmitOutcome::AlreadyAnswered => {
            let text =
                ctx.app.texts.get_with(ctx.lang, "survey-already-answered", &args![("school", target.school.as_str())]);
            Ok(Some(Pressed::text(text)))
        }
        SubmitOutcome::DraftChanged => Ok(None),
    }
}

/// An audience's share as the thanks screen may show it: nothing below the privacy threshold.
fn shown_share(share: Share, threshold: i64) -> Share {
    if share.responses >= threshold { share } else { Share::default() }
}

/// Shows the respondent commands in Telegram's menu, in Russian and English, each language on
/// its own (the English menu is tried even when the Russian one was refused). Run in the
/// background: the bot serves without a menu, and a failure is logged, not fatal.
pub async fn register_commands(bot: Bot, app: Arc<App>) {
    for (lang, code) in [(Lang::Ru, None), (Lang::En, Some("en"))] {
        let commands =
            [("start", "survey-command-start"), ("cancel", "survey-command-cancel"), ("help", "survey-command-help")]
                .map(|(name, id)| BotCommand::new(name, app.texts.get(lang, id)));
        let mut request = bot.set_my_commands(commands).scope(BotCommandScope::AllPrivateChats);
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = sending::send(request).await {
            tracing::warn!(language = ?lang, error = %sending::with_causes(&e), "cannot register the command menu");
        }
    }
}
