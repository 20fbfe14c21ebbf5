//! The region administrator's campaign console: `/campaigns` (the list with each campaign's state
//! and buttons to extend, close or reopen it, and to rename or delete it while nobody has answered
//! it, each change confirmed) and `/newcampaign` (a short dialog: name, questionnaires, the grades
//! each is asked in when there are several, first and last day, target, summary). The dialog
//! lives in the database (`staff_dialogs`), so a restart mid-dialog loses nothing; its buttons
//! carry the dialog's revision, so a button of an older screen changes nothing. Every press and
//! every typed answer re-reads the sender's role from the database: a button proves nothing.
//!
//! Buttons are `ca:` followed by [`Button::encode`], parsed once into [`Button`].

use chrono::NaiveDate;
use rand::Rng;
use serde::{Deserialize, Serialize};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::MAX_CALLBACK_BYTES;
use super::handlers::Ctx;
use crate::app;
use crate::app::campaign_edit::MAX_NAME_CHARS;
use crate::app::{campaigns::CampaignRequest, campaigns::CreateGuards};
use crate::args;
use crate::campaign::{CampaignState, parse_date};
use crate::db::{Campaign, StaffMember, StoredDialog};
use crate::digest::report::shares_text;
use crate::survey::Grades;

/// The callback data prefix of this module's buttons.
pub(super) const PREFIX: &str = "ca:";

/// A change of a campaign asked for from the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Extend,
    Close,
    Reopen,
    Rename,
    Delete,
}

/// What a dialog button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DialogAction {
    /// «Да, …» or «Создать».
    Confirm,
    Cancel,
    /// Choose or unchoose the questionnaire at this place in the folder's list.
    Toggle(u8),
    /// The questionnaires are chosen.
    Chosen,
    /// The grades of [`GRADE_CHOICES`] at this place, for the questionnaire being asked about.
    Grades(u8),
    /// A target percent.
    Target(u8),
}

/// A console button, parsed from its callback data (without [`PREFIX`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Button {
    /// From the list: begin a change of a campaign (re-checked against its current state).
    Ask(Change, i64),
    /// On a dialog screen of this revision.
    Dialog { revision: i64, action: DialogAction },
}

impl Button {
    pub(super) fn encode(self) -> String {
        let body = match self {
            Button::Ask(change, id) => {
                let code = match change {
                    Change::Extend => 'e',
                    Change::Close => 'x',
                    Change::Reopen => 'o',
                    Change::Rename => 'r',
                    Change::Delete => 'd',
                };
                format!("{code}{id}")
            }
            Button::Dialog { revision, action } => {
                let action = match action {
                    DialogAction::Confirm => "y".to_string(),
                    DialogAction::Cancel => "n".to_string(),
                    DialogAction::Toggle(i) => format!("q{i}"),
                    DialogAction::Chosen => "d".to_string(),
                    DialogAction::Grades(i) => format!("g{i}"),
                    DialogAction::Target(p) => format!("t{p}"),
                };
                format!("{revision}:{action}")
            }
        };
        let data = format!("{PREFIX}{body}");
        debug_assert!(data.len() <= MAX_CALLBACK_BYTES, "callback data too long: {data}");
        data
    }

    /// `None` for anything this module did not produce.
    pub(super) fn parse(data: &str) -> Option<Button> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let body = data.strip_prefix(PREFIX)?;
        let number = |s: &str| -> Option<i64> {
            (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
        };
        if let Some((revision, action)) = body.split_once(':') {
            let revision = number(revision)?;
            let small = |s: &str| u8::try_from(number(s)?).ok();
            let action = match action {
                "y" => DialogAction::Confirm,
                "n" => DialogAction::Cancel,
                "d" => DialogAction::Chosen,
                _ => match action.split_at_checked(1)? {
                    ("q", i) => DialogAction::Toggle(small(i)?),
                    ("g", i) => DialogAction::Grades(small(i).filter(|i| usize::from(*i) < GRADE_CHOICES.len())?),
                    ("t", p) => DialogAction::Target(small(p).filter(|p| (1..=100).contains(p))?),
                    _ => return None,
                },
            };
            return Some(Button::Dialog { revision, action });
        }
        let (code, id) = body.split_at_checked(1)?;
        let change = match code {
            "e" => Change::Extend,
            "x" => Change::Close,
            "o" => Change::Reopen,
            "r" => Change::Rename,
            "d" => Change::Delete,
            _ => return None,
        };
        Some(Button::Ask(change, number(id)?))
    }
}

/// A change waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Pending {
    Close,
    Extend { ends_on: NaiveDate },
    Reopen { ends_on: NaiveDate },
    Rename { name: String },
    Delete,
}

/// Where the new campaign's dialog stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    Name,
    Questionnaires,
    /// The grades the chosen questionnaire at this place is asked in.
    Grades(u8),
    Starts,
    Ends,
    Target,
    Summary,
}

/// What `/newcampaign` has gathered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct NewCampaign {
    step: Step,
    name: String,
    questionnaires: Vec<String>,
    /// The grades a chosen questionnaire is asked in; one missing here is asked in every grade.
    #[serde(default)]
    grades: Vec<(String, Grades)>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    target_percent: Option<u8>,
}

/// A region administrator's dialog, stored as JSON between updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Dialog {
    /// Waiting for a typed last day (to extend, or to reopen a campaign whose last day is past).
    AskEnd {
        campaign_id: i64,
        reopen: bool,
    },
    Confirm {
        campaign_id: i64,
        change: Pending,
    },
    /// Waiting for a typed new name of a campaign nobody has answered.
    AskName {
        campaign_id: i64,
    },
    New(NewCampaign),
}

/// Targets offered as buttons.
const TARGETS: [u8; 4] = [40, 50, 70, 100];

/// Grades offered as buttons (others are typed): every grade, then the common splits of parents
/// of the younger grades and students of the older ones.
const GRADE_CHOICES: [&str; 4] = ["1-11", "1-8", "9-11", "5-11"];

impl NewCampaign {
    /// The next step once the grades of the questionnaire at `asked` are known: the next
    /// questionnaire's grades, or the first day.
    fn after_grades(&self, asked: u8) -> Step {
        let next = asked.saturating_add(1);
        if usize::from(next) < self.questionnaires.len() { Step::Grades(next) } else { Step::Starts }
    }

    /// Records the grades of the questionnaire at `asked` and moves on.
    fn set_grades(&mut self, asked: u8, grades: Grades) {
        let Some(id) = self.questionnaires.get(usize::from(asked)).cloned() else { return };
        self.grades.retain(|(named, _)| *named != id);
        if !grades.is_all() {
            self.grades.push((id, grades));
        }
        self.step = self.after_grades(asked);
    }

    /// «noko-parents (1–8), noko-students (9–11)»: the questionnaires with their grades when
    /// some are asked in some grades only.
    fn questionnaires_text(&self, ctx: &Ctx<'_>) -> String {
        let grades = |id: &String| match self.grades.iter().find(|(named, _)| named == id) {
            Some((_, grades)) => grades.to_string(),
            None => ctx.t("campaigns-grades-every"),
        };
        if self.questionnaires.len() < 2 {
            return self.questionnaires.join(", ");
        }
        self.questionnaires.iter().map(|id| format!("{id} ({})", grades(id))).collect::<Vec<_>>().join(", ")
    }
}

/// The earliest day it is anywhere in the region (UTC: Russia's time zones are all ahead of it),
/// as the command line counts it.
fn today(ctx: &Ctx<'_>) -> NaiveDate {
    ctx.app.clock.now().date_naive()
}

fn button(ctx: &Ctx<'_>, id: &str, data: Button) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(ctx.t(id), data.encode())
}

fn dialog_button(ctx: &Ctx<'_>, id: &str, revision: i64, action: DialogAction) -> InlineKeyboardButton {
    button(ctx, id, Button::Dialog { revision, action })
}

/// `/campaigns` and `/newcampaign`: region administrators only.
pub(super) async fn command(ctx: &Ctx<'_>, new: bool) -> anyhow::Result<()> {
    let Some(member) = super::staff::region_admin(ctx).await? else {
        return ctx.say(ctx.t("campaigns-region-only")).await;
    };
    if new {
        let dialog = Dialog::New(NewCampaign {
            step: Step::Name,
            name: String::new(),
            questionnaires: Vec::new(),
            grades: Vec::new(),
            starts_on: None,
            ends_on: None,
            target_percent: None,
        });
        let revision = save(ctx, &member, &dialog, None).await?;
        return screen(ctx, None, &dialog, revision).await;
    }
    list(ctx).await
}

/// The list of campaigns, one message each with its buttons.
async fn list(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let campaigns = app::campaigns::list_campaigns(&ctx.app.db).await?;
    if campaigns.is_empty() {
        return ctx.say(ctx.t("campaigns-none")).await;
    }
    let today = ctx.local_today();
    for summary in campaigns {
        let c = &summary.campaign;
        let state = CampaignState::on(today, c.starts_on, c.ends_on, c.closed);
        let shares = shares_text(&ctx.app.texts, ctx.lang, &summary.participation, None);
        let text = ctx.app.texts.get_with(
            ctx.lang,
            "campaigns-item",
            &args![
                ("name", c.name.as_str()),
                ("state", ctx.t(state.message_id())),
                ("starts", ctx.date(c.starts_on)),
                ("ends", ctx.date(c.ends_on)),
                ("questionnaires", summary.questionnaires.as_str()),
                ("shares", shares),
                ("target", c.target_percent)
            ],
        );
        let row = if state == CampaignState::Closed {
            vec![button(ctx, "campaigns-button-reopen", Button::Ask(Change::Reopen, c.id))]
        } else {
            vec![
                button(ctx, "campaigns-button-extend", Button::Ask(Change::Extend, c.id)),
                button(ctx, "campaigns-button-close", Button::Ask(Change::Close, c.id)),
            ]
        };
        let mut rows = vec![row];
        if ctx.app.db.campaign_unanswered(c.id).await? {
            // Nobody has answered it: it may still be renamed or deleted.
            rows.push(vec![
                button(ctx, "campaign-edit-button-rename", Button::Ask(Change::Rename, c.id)),
                button(ctx, "campaign-edit-button-delete", Button::Ask(Change::Delete, c.id)),
            ]);
        }
        ctx.show(None, text, Some(InlineKeyboardMarkup::new(rows))).await?;
    }
    Ok(())
}

/// Stores the dialog, moved on by the typed `message` if one did; returns its revision.
async fn save(ctx: &Ctx<'_>, member: &StaffMember, dialog: &Dialog, message: Option<MessageId>) -> anyhow::Result<i64> {
    let first = rand::thread_rng().gen_range(1..1_i64 << 40);
    let state = serde_json::to_string(dialog)?;
    let message = message.map(|m| i64::from(m.0));
    Ok(ctx.app.db.save_dialog(member.id, &state, first, message, ctx.app.clock.now()).await?)
}

/// The stored dialog; an unreadable one (from an incompatible version) is ended.
async fn load(ctx: &Ctx<'_>, member: &StaffMember) -> anyhow::Result<Option<(Dialog, i64)>> {
    Ok(load_stored(ctx, member).await?.map(|(dialog, stored)| (dialog, stored.revision)))
}

/// The stored dialog with its row; an unreadable one (from an incompatible version) is ended.
async fn load_stored(ctx: &Ctx<'_>, member: &StaffMember) -> anyhow::Result<Option<(Dialog, StoredDialog)>> {
    let Some(stored) = ctx.app.db.load_dialog(member.id).await? else { return Ok(None) };
    match serde_json::from_str(&stored.state) {
        Ok(dialog) => Ok(Some((dialog, stored))),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable staff dialog, ended");
            ctx.app.db.end_dialog(member.id).await?;
            Ok(None)
        }
    }
}

/// `/cancel`: ends a region administrator's dialog; `false` if there was none (the survey's
/// `/cancel` then applies).
pub(super) async fn cancel(ctx: &Ctx<'_>) -> anyhow::Result<bool> {
    let Some(member) = super::staff::region_admin(ctx).await? else { return Ok(false) };
    if !ctx.app.db.end_dialog(member.id).await? {
        return Ok(false);
    }
    ctx.say(ctx.t("campaigns-cancelled")).await?;
    Ok(true)
}

async fn campaign(ctx: &Ctx<'_>, id: i64) -> anyhow::Result<Option<Campaign>> {
    Ok(ctx.app.db.campaign_by_id(id).await?)
}

/// Shows the dialog's current screen: replacing the message `on`, or as a new message.
async fn screen(ctx: &Ctx<'_>, on: Option<MessageId>, dialog: &Dialog, revision: i64) -> anyhow::Result<()> {
    let cancel = || dialog_button(ctx, "campaigns-button-cancel", revision, DialogAction::Cancel);
    let texts = &ctx.app.texts;
    let (text, rows) = match dialog {
        Dialog::AskEnd { campaign_id, .. } => {
            let Some(c) = campaign(ctx, *campaign_id).await? else { return ctx.say(ctx.t("campaigns-gone")).await };
            let text = texts.get_with(
                ctx.lang,
                "campaigns-ask-end",
                &args![("name", c.name.as_str()), ("ends", ctx.date(c.ends_on))],
            );
            (text, vec![vec![cancel()]])
        }
        Dialog::AskName { campaign_id } => {
            let Some(c) = campaign(ctx, *campaign_id).await? else { return ctx.say(ctx.t("campaigns-gone")).await };
            (
                texts.get_with(ctx.lang, "campaign-edit-ask-name", &args![("name", c.name.as_str())]),
                vec![vec![cancel()]],
            )
        }
        Dialog::Confirm { campaign_id, change } => {
            let Some(c) = campaign(ctx, *campaign_id).await? else { return ctx.say(ctx.t("campaigns-gone")).await };
            let name = c.name.as_str();
            let (text, yes) = match change {
                Pending::Close => (
                    texts.get_with(ctx.lang, "campaigns-confirm-close", &args![("name", name)]),
                    "campaigns-button-yes-close",
                ),
                Pending::Extend { ends_on } => (
                    texts.get_with(
                        ctx.lang,
                        "campaigns-confirm-extend",
                        &args![("name", name), ("old", ctx.date(c.ends_on)), ("new", ctx.date(*ends_on))],
                    ),
                    "campaigns-button-yes-extend",
                ),
                Pending::Reopen { ends_on } => (
                    texts.get_with(
                        ctx.lang,
                        "campaigns-confirm-reopen",
                        &args![("name", name), ("ends", ctx.date(*ends_on))],
                    ),
                    "campaigns-button-yes-reopen",
                ),
                Pending::Rename { name: new } => (
                    texts.get_with(
                        ctx.lang,
                        "campaign-edit-confirm-rename",
                        &args![("name", name), ("new", new.as_str())],
                    ),
                    "campaign-edit-button-yes-rename",
                ),
                Pending::Delete => (
                    texts.get_with(ctx.lang, "campaign-edit-confirm-delete", &args![("name", name)]),
                    "campaign-edit-button-yes-delete",
                ),
            };
            (text, vec![vec![dialog_button(ctx, yes, revision, DialogAction::Confirm), cancel()]])
        }
        Dialog::New(new) => match new.step {
            Step::Name => (ctx.t("campaigns-new-name"), vec![vec![cancel()]]),
            Step::Questionnaires => {
                let available = app::campaigns::list_questionnaires(&ctx.app.settings.survey.questionnaires_dir)?;
                let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
                for (i, q) in available.iter().enumerate().take(usize::from(u8::MAX)) {
                    let mark = if new.questionnaires.contains(&q.id) { "☑" } else { "☐" };
                    // Both НОКО questionnaires share one title: the id tells them apart.
                    let label =
                        crate::telegram_text::shorten(&format!("{mark} {}: {}", q.id, q.title.get(ctx.lang)), 60);
                    let data = Button::Dialog { revision, action: DialogAction::Toggle(u8::try_from(i)?) };
                    rows.push(vec![InlineKeyboardButton::callback(label, data.encode())]);
                }
                rows.push(vec![dialog_button(ctx, "campaigns-button-done", revision, DialogAction::Chosen), cancel()]);
                (texts.get_with(ctx.lang, "campaigns-new-questionnaires", &args![("name", new.name.as_str())]), rows)
            }
            Step::Grades(asked) => {
                let id = new.questionnaires.get(usize::from(asked)).map_or("", String::as_str);
                let mut rows: Vec<Vec<InlineKeyboardButton>> = GRADE_CHOICES
                    .iter()
                    .enumerate()
                    .map(|(i, grades)| {
                        let label = match i {
                            0 => ctx.t("campaigns-grades-every"),
                            _ => texts.get_with(ctx.lang, "campaigns-grades-button", &args![("grades", *grades)]),
                        };
                        let data = Button::Dialog { revision, action: DialogAction::Grades(i as u8) };
                        vec![InlineKeyboardButton::callback(label, data.encode())]
                    })
                    .collect();
                rows.push(vec![cancel()]);
                (texts.get_with(ctx.lang, "campaigns-new-grades", &args![("questionnaire", id)]), rows)
            }
            Step::Starts => (ctx.t("campaigns-new-starts"), vec![vec![cancel()]]),
            Step::Ends => (ctx.t("campaigns-new-ends"), vec![vec![cancel()]]),
            Step::Target => {
                let mut row: Vec<InlineKeyboardButton> = TARGETS
                    .iter()
                    .map(|&p| {
                        let data = Button::Dialog { revision, action: DialogAction::Target(p) };
                        InlineKeyboardButton::callback(format!("{p}%"), data.encode())
                    })
                    .collect();
                row.push(cancel());
                (ctx.t("campaigns-new-target"), vec![row])
            }
            Step::Summary => {
                let (Some(starts), Some(ends), Some(target)) = (new.starts_on, new.ends_on, new.target_percent) else {
                    anyhow::bail!("the campaign dialog reached its summary without dates or target");
                };
                let text = texts.get_with(
                    ctx.lang,
                    "campaigns-new-summary",
                    &args![
                        ("name", new.name.as_str()),
                        ("questionnaires", new.questionnaires_text(ctx)),
                        ("starts", ctx.date(starts)),
                        ("ends", ctx.date(ends)),
                        ("target", i64::from(target))
                    ],
                );
                let create = dialog_button(ctx, "campaigns-button-create", revision, DialogAction::Confirm);
                (text, vec![vec![create, cancel()]])
            }
        },
    };
    ctx.show(on, text, Some(InlineKeyboardMarkup::new(rows))).await
}

/// A typed message; `false` if it is not for a region administrator's dialog (the survey takes it).
pub(super) async fn on_text(ctx: &Ctx<'_>, message: MessageId, text: Option<&str>) -> anyhow::Result<bool> {
    let Some(text) = text.map(str::trim).filter(|t| !t.starts_with('/')) else { return Ok(false) };
    let Some(member) = super::staff::region_admin(ctx).await? else { return Ok(false) };
    let Some((dialog, stored)) = load_stored(ctx, &member).await? else { return Ok(false) };
    let revision = stored.revision;
    if stored.last_message.is_some_and(|last| i64::from(message.0) <= last) {
        // Handed over again after a crash, already taken in: the dialog's screen, not a second step.
        screen(ctx, None, &dialog, revision).await?;
        return Ok(true);
    }
    let next = match answer(ctx, &dialog, text).await? {
        Ok(next) => next,
        Err(problem) => {
            ctx.say(problem).await?;
            screen(ctx, None, &dialog, revision).await?;
            return Ok(true);
        }
    };
    let revision = save(ctx, &member, &next, Some(message)).await?;
    screen(ctx, None, &next, revision).await?;
    Ok(true)
}

/// A day typed in the dialog, or what is wrong with it.
fn typed_day(ctx: &Ctx<'_>, text: &str) -> Result<NaiveDate, String> {
    parse_date(text).map_err(|_| ctx.app.texts.get_with(ctx.lang, "campaigns-date-unreadable", &args![("text", text)]))
}

/// Why `ends_on` cannot be a last day after `starts_on`, if it cannot.
fn end_problem(ctx: &Ctx<'_>, starts_on: NaiveDate, ends_on: NaiveDate) -> Option<String> {
    if ends_on < starts_on {
        Some(ctx.app.texts.get_with(ctx.lang, "campaigns-date-before-start", &args![("starts", ctx.date(starts_on))]))
    } else if ends_on < today(ctx) {
        Some(ctx.app.texts.get_with(ctx.lang, "campaigns-date-past", &args![("today", ctx.date(today(ctx)))]))
    } else {
        None
    }
}

/// The dialog after a typed answer, or what to tell the person (the same question is asked again).
async fn answer(ctx: &Ctx<'_>, dialog: &Dialog, text: &str) -> anyhow::Result<Result<Dialog, String>> {
    let use_buttons = || Ok(Err(ctx.t("campaigns-use-buttons")));
    match dialog {
        Dialog::AskEnd { campaign_id, reopen } => {
            let Some(c) = campaign(ctx, *campaign_id).await? else { return Ok(Err(ctx.t("campaigns-gone"))) };
            let ends_on = match typed_day(ctx, text) {
                Ok(day) => day,
                Err(problem) => return Ok(Err(problem)),
            };
            if let Some(problem) = end_problem(ctx, c.starts_on, ends_on) {
                return Ok(Err(problem));
            }
            let change = if *reopen { Pending::Reopen { ends_on } } else { Pending::Extend { ends_on } };
            Ok(Ok(Dialog::Confirm { campaign_id: *campaign_id, change }))
        }
        Dialog::Confirm { .. } => use_buttons(),
        Dialog::AskName { campaign_id } => {
            // The same checks as a new campaign's name; whether it is answered is checked at «Да».
            let name = match app::campaign_edit::checked_name(text) {
                Ok(name) => name,
                Err(problem) => return Ok(Err(problem.message(&ctx.app.texts, ctx.lang))),
            };
            if ctx.app.db.campaign_by_name(name).await?.is_some() {
                return Ok(Err(ctx.app.texts.get_with(ctx.lang, "campaigns-name-taken", &args![("name", name)])));
            }
            Ok(Ok(Dialog::Confirm { campaign_id: *campaign_id, change: Pending::Rename { name: name.to_string() } }))
        }
        Dialog::New(new) => {
            let mut next = new.clone();
            match new.step {
                Step::Name => {
                    if text.is_empty() || text.chars().count() > MAX_NAME_CHARS {
                        return Ok(Err(ctx.t("campaigns-name-invalid")));
                    }
                    if ctx.app.db.campaign_by_name(text).await?.is_some() {
                        return Ok(Err(ctx.app.texts.get_with(
                            ctx.lang,
                            "campaigns-name-taken",
                            &args![("name", text)],
                        )));
                    }
                    next.name = text.to_string();
                    next.step = Step::Questionnaires;
                }
                Step::Grades(asked) => {
                    let Ok(grades) = Grades::parse(text) else {
                        return Ok(Err(ctx.app.texts.get_with(
                            ctx.lang,
                            "campaigns-grades-invalid",
                            &args![("text", text)],
                        )));
                    };
                    next.set_grades(asked, grades);
                }
                Step::Starts => {
                    let starts_on = match typed_day(ctx, text) {
                        Ok(day) => day,
                        Err(problem) => return Ok(Err(problem)),
                    };
                    if starts_on < today(ctx) {
                        let today = ctx.date(today(ctx));
                        return Ok(Err(ctx.app.texts.get_with(
                            ctx.lang,
                            "campaigns-date-past",
                            &args![("today", today)],
                        )));
                    }
                    next.starts_on = Some(starts_on);
                    next.step = Step::Ends;
                }
                Step::Ends => {
                    let ends_on = match typed_day(ctx, text) {
                        Ok(day) => day,
                        Err(problem) => return Ok(Err(problem)),
                    };
                    let starts_on = new.starts_on.unwrap_or(ends_on);
                    if let Some(problem) = end_problem(ctx, starts_on, ends_on) {
                        return Ok(Err(problem));
                    }
                    next.ends_on = Some(ends_on);
                    next.step = Step::Target;
                }
                Step::Target => {
                    let percent =
                        text.trim_end_matches('%').trim().parse::<u8>().ok().filter(|p| (1..=100).contains(p));
                    let Some(percent) = percent else { return Ok(Err(ctx.t("campaigns-target-invalid"))) };
                    next.target_percent = Some(percent);
                    next.step = Step::Summary;
                }
                Step::Questionnaires | Step::Summary => return use_buttons(),
            }
            Ok(Ok(Dialog::New(next)))
        }
    }
}

/// A `ca:` button press; returns the toast to show, if any.
pub(super) async fn press(ctx: &Ctx<'_>, on: MessageId, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = Button::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    let Some(member) = super::staff::region_admin(ctx).await? else {
        tracing::warn!("a campaign console button was pressed by someone who is not a region administrator");
        return Ok(Some(ctx.t("campaigns-region-only")));
    };
    match button {
        Button::Ask(change, campaign_id) => ask(ctx, &member, change, campaign_id).await,
        Button::Dialog { revision, action } => {
            let Some((dialog, stored)) = load(ctx, &member).await? else {
                return Ok(Some(ctx.t("campaigns-stale-button")));
            };
            if stored != revision {
                return Ok(Some(ctx.t("campaigns-stale-button")));
            }
            if action == DialogAction::Cancel {
                ctx.app.db.end_dialog(member.id).await?;
                ctx.show(Some(on), ctx.t("campaigns-cancelled"), None).await?;
                return Ok(None);
            }
            dialog_press(ctx, &member, on, dialog, action).await
        }
    }
}

/// A change asked for from the list, checked against the campaign as it is now.
async fn ask(ctx: &Ctx<'_>, member: &StaffMember, change: Change, campaign_id: i64) -> anyhow::Result<Option<String>> {
    let Some(c) = campaign(ctx, campaign_id).await? else { return Ok(Some(ctx.t("campaigns-gone"))) };
    let dialog = match change {
        Change::Close if c.closed => return Ok(Some(ctx.t("campaigns-already-closed"))),
        Change::Close => Dialog::Confirm { campaign_id, change: Pending::Close },
        Change::Extend if c.closed => return Ok(Some(ctx.t("campaigns-closed-reopen-first"))),
        Change::Extend => Dialog::AskEnd { campaign_id, reopen: false },
        Change::Reopen if !c.closed => return Ok(Some(ctx.t("campaigns-not-closed"))),
        Change::Reopen if c.ends_on < today(ctx) => Dialog::AskEnd { campaign_id, reopen: true },
        Change::Reopen => Dialog::Confirm { campaign_id, change: Pending::Reopen { ends_on: c.ends_on } },
        Change::Rename | Change::Delete if !ctx.app.db.campaign_unanswered(campaign_id).await? => {
            let refusal = app::campaign_edit::EditError::Answered(c.name);
            return Ok(Some(refusal.message(&ctx.app.texts, ctx.lang)));
        }
        Change::Rename => Dialog::AskName { campaign_id },
        Change::Delete => Dialog::Confirm { campaign_id, change: Pending::Delete },
    };
    let revision = save(ctx, member, &dialog, None).await?;
    screen(ctx, None, &dialog, revision).await?;
    Ok(None)
}

async fn dialog_press(
    ctx: &Ctx<'_>,
    member: &StaffMember,
    on: MessageId,
    dialog: Dialog,
    action: DialogAction,
) -> anyhow::Result<Option<String>> {
    let not_expected = || Ok(Some(ctx.t("campaigns-stale-button")));
    match (dialog, action) {
        (Dialog::Confirm { campaign_id, change }, DialogAction::Confirm) => {
            let Some(c) = campaign(ctx, campaign_id).await? else { return Ok(Some(ctx.t("campaigns-gone"))) };
            ctx.app.db.end_dialog(member.id).await?;
            let db = &ctx.app.db;
            let outcome = match &change {
                Pending::Close => app::campaigns::close_campaign(db, &c.name)
                    .await
                    .map(|()| ctx.app.texts.get_with(ctx.lang, "campaigns-closed", &args![("name", c.name.as_str())])),
                Pending::Extend { ends_on } => app::campaigns::extend_campaign(db, &c.name, *ends_on).await.map(|()| {
                    ctx.app.texts.get_with(
                        ctx.lang,
                        "campaigns-extended",
                        &args![("name", c.name.as_str()), ("ends", ctx.date(*ends_on))],
                    )
                }),
                Pending::Reopen { ends_on } => {
                    app::campaigns::reopen_campaign(db, &c.name, Some(*ends_on), today(ctx)).await.map(|ends| {
                        ctx.app.texts.get_with(
                            ctx.lang,
                            "campaigns-reopened",
                            &args![("name", c.name.as_str()), ("ends", ctx.date(ends))],
                        )
                    })
                }
                // Re-checked in the statement itself: someone may have answered since the list.
                Pending::Rename { name } => app::campaign_edit::rename(db, &c, name)
                    .await
                    .map(|()| {
                        ctx.app.texts.get_with(
                            ctx.lang,
                            "campaign-edit-renamed",
                            &args![("name", c.name.as_str()), ("new", name.as_str())],
                        )
                    })
                    .map_err(|e| anyhow::anyhow!(e.message(&ctx.app.texts, ctx.lang))),
                Pending::Delete => app::campaign_edit::delete(db, &c)
                    .await
                    .map(|()| {
                        ctx.app.texts.get_with(ctx.lang, "campaign-edit-deleted", &args![("name", c.name.as_str())])
                    })
                    .map_err(|e| anyhow::anyhow!(e.message(&ctx.app.texts, ctx.lang))),
            };
            let text = match outcome {
                Ok(text) => {
                    tracing::info!(campaign = campaign_id, change = ?change, "campaign changed from the bot");
                    if change == Pending::Close {
                        // What is left in the ballot box leaves it now, as `campaign close` does.
                        ctx.app.ballots.settle_all().await?;
                    }
                    text
                }
                Err(e) => {
                    let reason = crate::failure::render(&e, &ctx.app.texts, ctx.lang);
                    ctx.app.texts.get_with(ctx.lang, "campaigns-change-failed", &args![("reason", reason)])
                }
            };
            ctx.show(Some(on), text, None).await?;
            Ok(None)
        }
        (Dialog::New(mut new), action) => {
            match (new.step, action) {
                (Step::Questionnaires, DialogAction::Toggle(i)) => {
                    let available = app::campaigns::list_questionnaires(&ctx.app.settings.survey.questionnaires_dir)?;
                    let Some(q) = available.get(usize::from(i)) else { return not_expected() };
                    if let Some(at) = new.questionnaires.iter().position(|id| *id == q.id) {
                        new.questionnaires.remove(at);
                    } else {
                        new.questionnaires.push(q.id.clone());
                    }
                }
                (Step::Questionnaires, DialogAction::Chosen) if new.questionnaires.is_empty() => {
                    return Ok(Some(ctx.t("campaigns-choose-one")));
                }
                (Step::Questionnaires, DialogAction::Chosen) => {
                    // Grades are asked when there are audiences to tell apart.
                    new.grades.retain(|(id, _)| new.questionnaires.contains(id));
                    new.step = if new.questionnaires.len() > 1 { Step::Grades(0) } else { Step::Starts };
                }
                (Step::Grades(asked), DialogAction::Grades(i)) => {
                    let Some(grades) = GRADE_CHOICES.get(usize::from(i)).and_then(|g| Grades::parse(g).ok()) else {
                        return not_expected();
                    };
                    new.set_grades(asked, grades);
                }
                (Step::Target, DialogAction::Target(p)) => {
                    new.target_percent = Some(p);
                    new.step = Step::Summary;
                }
                (Step::Summary, DialogAction::Confirm) => return create(ctx, member, on, &new).await,
                _ => return not_expected(),
            }
            let dialog = Dialog::New(new);
            let revision = save(ctx, member, &dialog, None).await?;
            screen(ctx, Some(on), &dialog, revision).await?;
            Ok(None)
        }
        _ => not_expected(),
    }
}

/// «Создать»: the campaign is created by the same operation as `anketa campaign create`.
async fn create(
    ctx: &Ctx<'_>,
    member: &StaffMember,
    on: MessageId,
    new: &NewCampaign,
) -> anyhow::Result<Option<String>> {
    let (Some(starts_on), Some(ends_on), Some(target)) = (new.starts_on, new.ends_on, new.target_percent) else {
        return Ok(Some(ctx.t("campaigns-stale-button")));
    };
    let request = CampaignRequest {
        name: &new.name,
        questionnaires: &new.questionnaires,
        starts_on,
        ends_on,
        target_percent: i64::from(target),
        grades: &new.grades,
    };
    let guards = CreateGuards { today: today(ctx), allow_past_start: false };
    let dir = &ctx.app.settings.survey.questionnaires_dir;
    ctx.app.db.end_dialog(member.id).await?;
    let text = match app::campaigns::create_campaign_checked(&ctx.app.db, dir, request, guards).await {
        Ok(created) => {
            tracing::info!(campaign = created.id, "campaign created from the bot");
            let mut text = ctx.app.texts.get_with(ctx.lang, "campaigns-created", &args![("name", new.name.as_str())]);
            if !created.ungraded.is_empty() {
                text.push_str("\n\n");
                text.push_str(&ctx.app.texts.get_with(
                    ctx.lang,
                    "cli-campaign-ungraded",
                    &args![("count", created.ungraded.len()), ("classes", created.ungraded.join("\n"))],
                ));
            }
            crate::telegram_text::fit(text)
        }
        Err(e) => {
            let reason = crate::failure::render(&e, &ctx.app.texts, ctx.lang);
            ctx.app.texts.get_with(ctx.lang, "campaigns-create-failed", &args![("reason", reason)])
        }
    };
    ctx.show(Some(on), text, None).await?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_within_telegrams_limit() {
        let buttons = [
            Button::Ask(Change::Extend, 1),
            Button::Ask(Change::Close, i64::MAX),
            Button::Ask(Change::Reopen, 42),
            Button::Ask(Change::Rename, 42),
            Button::Ask(Change::Delete, i64::MAX),
            Button::Dialog { revision: i64::MAX, action: DialogAction::Confirm },
            Button::Dialog { revision: 7, action: DialogAction::Cancel },
            Button::Dialog { revision: 7, action: DialogAction::Toggle(255) },
            Button::Dialog { revision: 7, action: DialogAction::Chosen },
            Button::Dialog { revision: 1 << 40, action: DialogAction::Target(100) },
            Button::Dialog { revision: 7, action: DialogAction::Grades(0) },
            Button::Dialog { revision: 7, action: DialogAction::Grades(3) },
        ];
        for b in buttons {
            let data = b.encode();
            assert!(data.starts_with(PREFIX) && data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(Button::parse(&data), Some(b), "{data}");
        }
    }

    #[test]
    fn forged_data_is_refused() {
        for forged in [
            "",
            "ca:",
            "ca:x",
            "ca:z1",
            "ca:x-1",
            "ca:x1a",
            "ca:x+1",
            "ca:x99999999999999999999",
            "ca:7:g4",
            "ca:7:g",
            "ca:7:g-1",
            "ca:1:",
            "ca:1:z",
            "ca:-1:y",
            "ca::y",
            "ca:1:q256",
            "ca:1:q",
            "ca:1:t0",
            "ca:1:t101",
            "ca:1:y:1",
            "xx:x1",
            "1:b",
            "ca:1:tй",
            "ca:x١",
        ] {
            assert_eq!(Button::parse(forged), None, "{forged:?}");
        }
        assert_eq!(Button::parse(&format!("ca:x{}", "1".repeat(70))), None);
    }
}
