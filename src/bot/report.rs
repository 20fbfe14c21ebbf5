//! `/report`: the results report by the official НОКО criteria and the free-text proposals as
//! workbooks, for the region administrator, the person who publishes them. Its `rp:` buttons pick
//! the campaign; every press re-reads the presser's role.
//!
//! Once a campaign is over (closed or past its last day, and its ballot box empty) the report is
//! the final one, with every answer, exactly as `anketa report` writes it. While it runs the
//! report is interim and holds only the releases shown to staff (as `/results` and `/export`
//! do), so it grows by whole groups and never shows a few new answers by difference.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message};

use super::handlers::Ctx;
use super::sending;
use crate::app;
use crate::app::{exports::ExportFormat, reports::ReportOptions};
use crate::args;
use crate::campaign::CampaignState;
use crate::db::{Campaign, Reader};

/// The prefix of the report's button data.
pub(super) const PREFIX: &str = "rp:";

/// A report button: the campaign chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ReportButton {
    pub campaign_id: i64,
}

impl ReportButton {
    pub(super) fn encode(self) -> String {
        format!("{PREFIX}{}", self.campaign_id)
    }

    /// `None` for anything this module did not produce.
    pub(super) fn parse(data: &str) -> Option<ReportButton> {
        let id = data.strip_prefix(PREFIX)?;
        let valid = !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit());
        let campaign_id = id.parse().ok().filter(|id| valid && *id > 0)?;
        Some(ReportButton { campaign_id })
    }
}

/// The campaign a report message of ours is about, read from its «Обновить отчёт» button.
pub(super) fn campaign_of(message: &Message) -> Option<i64> {
    let keyboard = message.reply_markup()?;
    keyboard
        .inline_keyboard
        .iter()
        .flatten()
        .find_map(|button| match &button.kind {
            teloxide::types::InlineKeyboardButtonKind::CallbackData(data) => ReportButton::parse(data),
            _ => None,
        })
        .map(|button| button.campaign_id)
}

/// An expert file from a region administrator (checked by the caller): its scores become the
/// campaign's, for the report's criteria К1–К5 and the total. The campaign is the one of the
/// report message the file answers, or the only one there is.
pub(super) async fn on_expert_file(ctx: &Ctx<'_>, bytes: &[u8], replied_campaign: Option<i64>) -> anyhow::Result<()> {
    let campaign = match replied_campaign {
        Some(id) => ctx.app.db.campaign_by_id(id).await?,
        None => match app::campaigns::list_campaigns(&ctx.app.db).await?.as_slice() {
            [only] => Some(only.campaign.clone()),
            [] => None,
            _ => return ctx.say(ctx.t("report-bot-expert-which")).await,
        },
    };
    let Some(campaign) = campaign else { return ctx.say(ctx.t("report-bot-not-found")).await };
    let name = campaign.name.as_str();
    match app::reports::store_expert(&ctx.app.db, campaign.id, bytes).await {
        Ok(stored) => {
            let text = ctx.app.texts.get_with(
                ctx.lang,
                "report-bot-expert-stored",
                &args![
                    ("name", name),
                    ("schools", stored.schools as i64),
                    ("without", stored.without.len() as i64),
                    ("missing", stored.without.join("; "))
                ],
            );
            let again = InlineKeyboardButton::callback(
                ctx.t("report-bot-again"),
                ReportButton { campaign_id: campaign.id }.encode(),
            );
            let message = ctx.bot.send_message(ctx.chat, crate::telegram_text::fit(text));
            sending::send(message.reply_markup(InlineKeyboardMarkup::new([[again]]))).await?;
            Ok(())
        }
        Err(error) => {
            let reason = crate::failure::render(&error, &ctx.app.texts, ctx.lang);
            ctx.say(ctx.app.texts.get_with(ctx.lang, "report-bot-expert-refused", &args![("reason", reason)])).await
        }
    }
}

/// `/report`: the campaign to choose when there are several, else its report.
pub(super) async fn command(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    if super::staff::region_admin(ctx).await?.is_none() {
        return ctx.say(ctx.t("report-bot-region-only")).await;
    }
    let campaigns = app::campaigns::list_campaigns(&ctx.app.db).await?;
    match campaigns.as_slice() {
        [] => ctx.say(ctx.t("campaigns-none")).await,
        [only] => send_report(ctx, &only.campaign).await,
        several => {
            let today = ctx.local_today();
            let rows = several.iter().rev().map(|summary| {
                let c = &summary.campaign;
                let state = ctx.t(CampaignState::on(today, c.starts_on, c.ends_on, c.closed).message_id());
                let label = crate::telegram_text::shorten(&format!("{} — {state}", c.name), 60);
                [InlineKeyboardButton::callback(label, ReportButton { campaign_id: c.id }.encode())]
            });
            let message = ctx.bot.send_message(ctx.chat, ctx.t("report-bot-choose-campaign"));
            sending::send(message.reply_markup(InlineKeyboardMarkup::new(rows))).await?;
            Ok(())
        }
    }
}

/// An `rp:` press; returns the notice to show.
pub(super) async fn press(ctx: &Ctx<'_>, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = ReportButton::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    if super::staff::region_admin(ctx).await?.is_none() {
        return Ok(Some(ctx.t("report-bot-region-only")));
    }
    let Some(campaign) = ctx.app.db.campaign_by_id(button.campaign_id).await? else {
        return Ok(Some(ctx.t("report-bot-not-found")));
    };
    send_report(ctx, &campaign).await?;
    Ok(None)
}

/// Settles the ballot box, then sends the campaign's report and proposals as two workbooks.
async fn send_report(ctx: &Ctx<'_>, campaign: &Campaign) -> anyhow::Result<()> {
    let name = campaign.name.as_str();
    ctx.say(ctx.app.texts.get_with(ctx.lang, "report-bot-preparing", &args![("name", name)])).await?;
    // What the ballot box may release now goes out first, as `anketa report` does.
    ctx.app.ballots.settle_all().await?;
    let state = CampaignState::on(ctx.local_today(), campaign.starts_on, campaign.ends_on, campaign.closed);
    let over = matches!(state, CampaignState::Ended | CampaignState::Closed)
        && ctx.app.db.sealed_count(campaign.id).await? == 0;
    let min_group_size = usize::try_from(ctx.app.settings.privacy.min_group_size)?;
    let options = ReportOptions {
        format: ExportFormat::Xlsx,
        method: ctx.app.settings.report.method(),
        sample: ctx.app.settings.report.sample(),
        min_group_size,
        csv_dialect: ctx.app.settings.files.csv,
        reader: if over { Reader::Operator } else { Reader::Staff },
        lang: ctx.lang,
    };
    // The audited indicators of the expert file, if one was sent for the campaign.
    let expert = ctx.app.db.expert_scores(campaign.id).await?;
    let expert_given = !expert.is_empty();
    // Its tallies and workbooks are seconds of CPU for a region: read and built off the loop.
    let (db, reported) = (ctx.app.db.clone(), campaign.clone());
    let building = ctx.off_the_loop(move |_| {
        let expert = Some(&expert).filter(|_| expert_given);
        Ok(tokio::runtime::Handle::current().block_on(app::reports::report_files(&db, &reported, expert, options)))
    });
    let files = match building.await? {
        Ok(files) => files,
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "no report for a campaign");
            let text = ctx.app.texts.get_with(ctx.lang, "admin-results-not-noko", &args![("name", name)]);
            return ctx.say(text).await;
        }
    };
    let kind = if over { "final" } else { "interim" };
    let file_name = |id: &str| {
        let stem = ctx.app.texts.get_with(ctx.lang, id, &args![("name", name), ("kind", kind)]);
        format!("{}.xlsx", app::links::safe_file_name(&stem))
    };
    let caption = ctx.app.texts.get_with(
        ctx.lang,
        "report-bot-caption",
        &args![
            ("name", name),
            ("kind", kind),
            ("schools", files.schools as i64),
            ("respondents", files.respondents as i64),
            ("threshold", ctx.app.settings.privacy.min_group_size),
            ("expert", if expert_given { "yes" } else { "no" })
        ],
    );
    let results = InputFile::memory(files.results).file_name(file_name("report-bot-file-results"));
    // Its button makes the report again; answering this message with an expert file sends the
    // audited indicators for this campaign.
    let again =
        InlineKeyboardButton::callback(ctx.t("report-bot-again"), ReportButton { campaign_id: campaign.id }.encode());
    let keyboard = InlineKeyboardMarkup::new([[again]]);
    sending::send(ctx.bot.send_document(ctx.chat, results).caption(caption).reply_markup(keyboard)).await?;
    let proposals_caption = ctx.app.texts.get_with(
        ctx.lang,
        "report-bot-proposals-caption",
        &args![
            ("count", files.proposal_count as i64),
            ("held_back", files.proposals_held_back as i64),
            ("threshold", ctx.app.settings.privacy.min_group_size)
        ],
    );
    let proposals = InputFile::memory(files.proposals).file_name(file_name("report-bot-file-proposals"));
    sending::send(ctx.bot.send_document(ctx.chat, proposals).caption(proposals_caption)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_and_forged_data_is_refused() {
        let button = ReportButton { campaign_id: 42 };
        assert_eq!(ReportButton::parse(&button.encode()), Some(button));
        for forged in ["rp:", "rp:0", "rp:-1", "rp:+1", "rp:1a", "rp:99999999999999999999", "kt:1", "rp:1:2"] {
            assert_eq!(ReportButton::parse(forged), None, "{forged:?}");
        }
    }
}
