//! One gentle reminder: a respondent who left a survey unfinished for `survey.remind_after` gets
//! one message while the campaign is open, outside the school's quiet hours: how far they got,
//! «Продолжить» and «Нет, спасибо». Each reminder is claimed in the database before it is sent,
//! so neither a restart nor a second replica sends another for the same draft; a process that
//! dies between the claim and the send loses that reminder (at most once, never twice).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use teloxide::prelude::*;
use tokio::sync::watch;

use super::App;
use super::screens::{Painter, Screen};
use super::sending::{self, Bulk, BulkBudget};
use crate::db::{Campaign, DueReminder};
use crate::privacy::ChatKey;
use crate::survey::Draft;

/// How often drafts due for their reminder are looked for.
const ROUND_EVERY: Duration = Duration::from_secs(60);

/// Whether a campaign takes answers on the school's `today` (a reminder of one that does not
/// would only lead to a refusal).
fn open_on(campaign: &Campaign, today: NaiveDate) -> bool {
    !campaign.closed && campaign.starts_on <= today && today <= campaign.ends_on
}

/// Sends the reminders due at `now`, within the bulk budget the digests share; returns how many went out.
async fn round(
    bot: &Bot,
    budget: &BulkBudget,
    app: &App,
    now: DateTime<Utc>,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<usize> {
    let settings = &app.settings.survey;
    // No timezone's date is more than a day behind UTC's: the database leaves out the campaigns
    // over everywhere, the exact day is the school's below.
    let earliest_today = now.date_naive().pred_opt().unwrap_or(now.date_naive());
    let mut sent = 0;
    for due in app.db.due_reminders(now - settings.remind_after, earliest_today).await? {
        if *stop.borrow() {
            break;
        }
        let timezone = due.target.timezone.parse().unwrap_or(settings.default_timezone);
        let local = now.with_timezone(&timezone);
        if !open_on(&due.target.campaign, local.date_naive()) || settings.quiet_hours.contains(local.time()) {
            continue;
        }
        let Some(key) = ChatKey::from_bytes(&due.chat_key) else { continue };
        if !app.db.claim_reminder(&key, due.revision, now).await? {
            continue;
        }
        // Claimed first: a draft whose reminder cannot be written is not looked at again.
        let Some((chat, reminder)) = prepare(app, &key, &due).await? else { continue };
        let message = bot.send_message(chat, reminder.text).reply_markup(reminder.keyboard);
        match sending::send_bulk(message, budget, stop).await {
            Bulk::Sent => {
                crate::metrics::reminder_sent();
                sent += 1;
            }
            // Claimed: not retried, a reminder is better lost than sent twice.
            Bulk::Unreachable => tracing::info!("a respondent blocked the bot; their reminder is dropped"),
            Bulk::Failed(e) => tracing::info!(error = %sending::with_causes(&e), "a reminder could not be sent"),
            Bulk::Stopped => break,
        }
    }
    Ok(sent)
}

/// The chat and the reminder screen of a due draft; `None` when its chat cannot be opened (a
/// draft sealed under another identity key) or its class is no longer asked anything.
async fn prepare(app: &App, key: &ChatKey, due: &DueReminder) -> anyhow::Result<Option<(ChatId, Screen)>> {
    let Some(chat) = app.key.open_chat(key, &due.reminder_chat) else {
        tracing::warn!("a draft's chat was sealed under another identity key; no reminder for it");
        return Ok(None);
    };
    let Some(survey) = app.class_survey(&due.target).await? else { return Ok(None) };
    let draft: Draft = serde_json::from_str(&due.state).unwrap_or_default();
    let painter = Painter { texts: &app.texts, lang: due.language, revision: due.revision };
    Ok(Some((ChatId(chat), painter.reminder(&survey, &draft, &due.target.school))))
}

/// Runs reminder rounds, now and every [`ROUND_EVERY`], until told to stop.
pub async fn schedule(bot: Bot, budget: BulkBudget, app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        match round(&bot, &budget, &app, app.clock.now(), &mut stop).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "reminders sent"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "a reminder round failed"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Texts;
    use crate::survey::{Input, Lang, Questionnaire, Survey};

    #[test]
    fn the_reminder_says_how_far_the_survey_got_in_either_language() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires/noko-parents.toml");
        let survey = Survey::new([Arc::new(Questionnaire::load(std::path::Path::new(path)).unwrap())]);
        let texts = Texts::default();
        let started = Draft::default().step(&survey, Input::Begin).unwrap();
        let one = started.step(&survey, Input::Choose("no".into())).unwrap();
        // Skip logic: the number of questions left to see depends on the answers so far.
        let (total, all) = (one.progress(&survey).unwrap().total, started.progress(&survey).unwrap().total);
        for (lang, draft, expected) in [
            (Lang::Ru, &one, format!("Вы ответили на 1 из {total} вопросов анкеты")),
            (Lang::En, &one, format!("You have answered 1 of {total} questions of the questionnaire")),
            (Lang::Ru, &started, format!("но ещё не ответили ни на один из {all} вопросов")),
            (Lang::Ru, &Draft::default(), "но ещё не начали его".to_string()),
        ] {
            let screen = Painter { texts: &texts, lang, revision: 7 }.reminder(&survey, draft, "Школа № 1");
            assert!(screen.text.contains(&expected) && screen.text.contains("Школа № 1"), "{}", screen.text);
            let buttons: Vec<_> = screen.keyboard.inline_keyboard.iter().flatten().collect();
            assert_eq!(buttons.len(), 2, "continue and no thanks");
        }
    }

    #[test]
    fn a_campaign_is_open_from_its_first_to_its_last_day_unless_closed() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let mut campaign = Campaign {
            id: 1,
            name: "НОКО".into(),
            starts_on: day(1),
            ends_on: day(20),
            target_percent: 40,
            closed: false,
        };
        assert!(open_on(&campaign, day(1)) && open_on(&campaign, day(20)));
        assert!(!open_on(&campaign, day(21)) && !open_on(&campaign, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()));
        campaign.closed = true;
        assert!(!open_on(&campaign, day(10)));
    }
}
