//! Staff in Telegram: accepting an invitation, the command menu of each role, `/stats`, `/link`,
//! `/links`, `/export` and `/help`. Every request is limited to the caller's scope.

use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, InputFile, Recipient};

use super::handlers::{Command, Ctx};
use super::sending;
use crate::args;
use crate::db::{Campaign, ExportRow, Reader, SchoolBase, StaffMember};
use crate::i18n::percent;
use crate::poster::{CampaignNotice, ClassAudiences, Poster, Printer};
use crate::qr::Qr;
use crate::roles::{Role, Scope};
use crate::survey::Lang;
use crate::survey::scoring::{self, Indicator, Scores, Tally};
use crate::telegram_text::split_message;
use crate::{app, report};

pub(super) fn role_name(ctx: &Ctx<'_>, role: Role) -> String {
    ctx.t(app::staff::role_message_id(role))
}

fn role_help(ctx: &Ctx<'_>, role: Role) -> String {
    ctx.t(match role {
        Role::Region => "campaigns-help-region",
        Role::Municipality => "admin-help-municipality",
        Role::School => "admin-help-school",
        Role::Teacher => "admin-help-teacher",
    })
}

/// The commands a role sees in Telegram's menu.
fn menu(ctx: &Ctx<'_>, role: Role) -> Vec<BotCommand> {
    let mut commands = vec![BotCommand::new("stats", ctx.t("admin-command-stats"))];
    match role {
        Role::School => commands.push(BotCommand::new("links", ctx.t("admin-command-links"))),
        Role::Teacher => {
            commands.push(BotCommand::new("link", ctx.t("admin-command-link")));
            commands.push(BotCommand::new("digest", ctx.t("admin-command-digest")));
        }
        Role::Region => {
            commands.push(BotCommand::new("campaigns", ctx.t("campaigns-command-campaigns")));
            commands.push(BotCommand::new("newcampaign", ctx.t("campaigns-command-new")));
            commands.push(BotCommand::new("report", ctx.t("report-bot-command")));
        }
        Role::Municipality => {}
    }
    if role != Role::Teacher {
        commands.push(BotCommand::new("results", ctx.t("admin-command-results")));
        commands.push(BotCommand::new("kit", ctx.t("kit-command")));
        commands.push(BotCommand::new("invite", ctx.t("invite-command-invite")));
        commands.push(BotCommand::new("team", ctx.t("invite-command-team")));
    }
    commands.push(BotCommand::new("export", ctx.t("admin-command-export")));
    commands.push(BotCommand::new("help", ctx.t("survey-command-help")));
    commands
}

/// `/start inv_CODE`: the first account to open an invitation becomes staff.
pub(super) async fn accept(ctx: &Ctx<'_>, code: &str) -> anyhow::Result<()> {
    let name = match &ctx.user.username {
        Some(username) => format!("{} (@{username})", ctx.user.full_name()),
        None => ctx.user.full_name(),
    };
    let user_id = i64::try_from(ctx.user.id.0)?;
    let member =
        match ctx.app.db.accept_invitation(code, user_id, ctx.chat.0, &name, ctx.lang, ctx.app.clock.now()).await? {
            crate::db::Acceptance::Accepted(member) => member,
            crate::db::Acceptance::Invalid => return ctx.say(ctx.t("admin-invitation-invalid")).await,
        };
    let Some(role) = member.scope().map(Scope::role) else { anyhow::bail!("staff member {} has no scope", member.id) };
    tracing::info!(role = role.code(), "invitation accepted");
    let menu = menu(ctx, role);
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ctx.chat) };
    if let Err(e) = sending::send(ctx.bot.set_my_commands(menu).scope(scope)).await {
        tracing::warn!(error = %e, "cannot set the staff command menu");
    }
    let welcome = ctx.app.texts.get_with(
        ctx.lang,
        "admin-welcome",
        &args![("role", role_name(ctx, role)), ("scope", member.scope_name())],
    );
    ctx.say(format!("{welcome}\n\n{}", role_help(ctx, role))).await?;
    if role == Role::Teacher {
        send_class_link(ctx, &member).await?;
    }
    Ok(())
}

/// The caller's broadest active role, if they are staff.
pub(super) async fn member(ctx: &Ctx<'_>) -> anyhow::Result<Option<(StaffMember, Scope)>> {
    let user_id = i64::try_from(ctx.user.id.0)?;
    let roles = ctx.app.db.roles_of(user_id).await?;
    let found = roles.into_iter().find_map(|m| m.scope().map(|scope| (m, scope)));
    if let Some((member, _)) = &found
        && member.language != ctx.lang
    {
        // Their Telegram's language changed: digests follow it.
        ctx.app.db.set_staff_language(user_id, ctx.lang).await?;
    }
    Ok(found)
}

/// The caller's broadest active scope, read from the database on every press.
pub(super) async fn scope_of(ctx: &Ctx<'_>) -> anyhow::Result<Option<Scope>> {
    Ok(member(ctx).await?.map(|(_, scope)| scope))
}

/// The caller, if they are a region administrator now (read from the database every time).
pub(super) async fn region_admin(ctx: &Ctx<'_>) -> anyhow::Result<Option<StaffMember>> {
    Ok(member(ctx).await?.and_then(|(member, scope)| (scope.role() == Role::Region).then_some(member)))
}

/// `/help`: the respondent help, plus the role's commands for staff.
pub(super) async fn help(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    match member(ctx).await? {
        Some((_, scope)) => ctx.say(role_help(ctx, scope.role())).await,
        None => ctx.say(ctx.t("survey-help")).await,
    }
}

/// A staff command; people who are not staff get the respondent help.
pub(super) async fn command(ctx: &Ctx<'_>, command: Command) -> anyhow::Result<()> {
    let Some((member, scope)) = member(ctx).await? else { return ctx.say(ctx.t("survey-help")).await };
    match command {
        Command::Stats(target) => super::stats::command(ctx, scope, target.as_deref()).await,
        Command::Link if scope.role() == Role::Teacher => send_class_link(ctx, &member).await,
        Command::Links if scope.role() == Role::School => send_school_links(ctx, scope, &member).await,
        Command::Export => export(ctx, scope).await,
        Command::Campaigns => super::campaigns::command(ctx, false).await,
        Command::NewCampaign => super::campaigns::command(ctx, true).await,
        Command::Report => super::report::command(ctx).await,
        Command::Kit if scope.role() != Role::Teacher => super::kit::command(ctx, scope).await,
        Command::Invite => super::invite::command(ctx, scope).await,
        Command::Team => super::invite::team(ctx, &member, scope).await,
        Command::Results if scope.role() != Role::Teacher => results(ctx, scope, &member).await,
        Command::Digest(choice) if scope.role() == Role::Teacher => match choice {
            Some(on) => {
                ctx.app.db.set_daily_line(member.id, on).await?;
                ctx.say(ctx.t(if on { "digest-teacher-on" } else { "digest-teacher-off" })).await
            }
            None => ctx.say(ctx.t("digest-teacher-usage")).await,
        },
        _ => ctx.say(role_help(ctx, scope.role())).await,
    }
}

/// Campaigns a link can still be answered in (not closed, not over).
pub(super) async fn answerable_campaigns(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Campaign>> {
    let today = ctx.app.clock.now().date_naive();
    Ok(ctx.app.db.open_campaigns().await?.into_iter().filter(|c| c.ends_on >= today).collect())
}

/// A class teacher's link for each campaign, with a text ready to forward to the parent chat.
async fn send_class_link(ctx: &Ctx<'_>, member: &StaffMember) -> anyhow::Result<()> {
    let Some(Scope::Class { class_id, .. }) = member.scope() else { return Ok(()) };
    let campaigns = answerable_campaigns(ctx).await?;
    if campaigns.is_empty() {
        return ctx.say(ctx.t("admin-no-campaigns")).await;
    }
    let several = campaigns.len() > 1;
    for campaign in campaigns {
        let url = app::links::class_link(&ctx.app.db, campaign.id, class_id, &ctx.app.bot_username).await?;
        let class = member.class.clone().unwrap_or_default();
        // The message calls on the audiences asked in the class's grade, as its poster does.
        let audiences = ClassAudiences::of(&*ctx.app.survey(campaign.id).await?).of_class(&class);
        let mut caption = ctx.app.texts.get_with(
            Lang::Ru,
            "admin-teacher-forward",
            &args![
                ("audience", audiences.code()),
                ("school", member.school.clone().unwrap_or_default()),
                ("class", member.class.clone().unwrap_or_default()),
                ("url", url.as_str()),
                ("ends", ctx.date(campaign.ends_on))
            ],
        );
        if several {
            // Two campaigns' messages would read the same: each names its own.
            let name =
                ctx.app.texts.get_with(Lang::Ru, "kit-campaign-line", &args![("campaign", campaign.name.as_str())]);
            caption = format!("{name}\n{caption}");
        }
        // The QR code as a picture, with the text ready to forward as its caption.
        let png = Qr::new(&url)?.png()?;
        let photo = InputFile::memory(png).file_name(format!("qr-{}.png", member.class.clone().unwrap_or_default()));
        sending::send(ctx.bot.send_photo(ctx.chat, photo).caption(caption)).await?;
    }
    ctx.say(ctx.t("admin-teacher-forward-hint")).await
}

/// A school administrator's class links as a CSV document and the school's posters as a PDF
/// ready to print, one of each per campaign.
async fn send_school_links(ctx: &Ctx<'_>, scope: Scope, member: &StaffMember) -> anyhow::Result<()> {
    let Scope::School { school_id, .. } = scope else { return Ok(()) };
    let campaigns = answerable_campaigns(ctx).await?;
    if campaigns.is_empty() {
        return ctx.say(ctx.t("admin-no-campaigns")).await;
    }
    let several = campaigns.len() > 1;
    for campaign in campaigns {
        let named = several.then_some(campaign.name.as_str());
        let audiences = ClassAudiences::of(&*ctx.app.survey(campaign.id).await?);
        let classes = ctx.app.db.participation_by_class(campaign.id, school_id).await?;
        let mut csv = crate::csv_out::Writer::from_writer(Vec::new(), ctx.app.settings.files.csv)?;
        csv.write_record(["class", "url"])?;
        let mut links = Vec::new();
        for class in classes {
            let url = app::links::class_link(&ctx.app.db, campaign.id, class.id, &ctx.app.bot_username).await?;
            csv.write_record([class.name.as_str(), url.as_str()])?;
            links.push((class.name, url));
        }
        let school = member.school.clone().unwrap_or_default();
        let (name, ends_on) = (named.map(str::to_string), campaign.ends_on);
        let pdf = ctx
            .off_the_loop(move |_| {
                let campaign = CampaignNotice { name: name.as_deref(), ends_on, audiences };
                let codes = links.iter().map(|(_, url)| Qr::new(url)).collect::<Result<Vec<_>, _>>()?;
                let posters: Vec<Poster<'_>> = links
                    .iter()
                    .zip(&codes)
                    .map(|((class, url), qr)| Poster { school: &school, class, link: url, qr, campaign })
                    .collect();
                Ok(Printer::default().pdf(&posters)?)
            })
            .await?;
        let bytes = csv.into_inner().map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"))?;
        let file = InputFile::memory(bytes).file_name(format!("links-{}.csv", campaign.name));
        sending::send(ctx.bot.send_document(ctx.chat, file).caption(campaign.name.clone())).await?;
        let posters = InputFile::memory(pdf).file_name(format!("posters-{}.pdf", campaign.name));
        let mut caption = ctx.t("admin-posters-caption");
        if let Some(name) = named {
            let line = ctx.app.texts.get_with(ctx.lang, "kit-campaign-line", &args![("campaign", name)]);
            caption = format!("{line}\n{caption}");
        }
        sending::send(ctx.bot.send_document(ctx.chat, posters).caption(caption)).await?;
    }
    Ok(())
}

/// `/export`: the scope's anonymous responses of each open campaign as a workbook: only releases
/// shown to staff, each of at least `privacy.min_group_size` new responses, rows in random order
/// within a class, no dates (see [`crate::releases`]).
async fn export(ctx: &Ctx<'_>, scope: Scope) -> anyhow::Result<()> {
    let campaigns = ctx.app.db.open_campaigns().await?;
    if campaigns.is_empty() {
        return ctx.say(ctx.t("admin-no-campaigns")).await;
    }
    let threshold = ctx.app.settings.privacy.min_group_size;
    for campaign in campaigns {
        let rows = app::exports::scope_responses(&ctx.app.db, campaign.id, scope, Reader::Staff).await?;
        if rows.is_empty() {
            let text = ctx.app.texts.get_with(
                ctx.lang,
                "admin-export-too-few",
                &args![("name", campaign.name.as_str()), ("threshold", threshold)],
            );
            ctx.say(text).await?;
            continue;
        }
        let survey = ctx.app.survey(campaign.id).await?;
        let columns = app::exports::question_columns(&survey);
        let (lang, count) = (ctx.lang, rows.len() as i64);
        let bytes = ctx
            .off_the_loop(move |shared| {
                Ok(crate::workbook::build(&shared.texts, lang, &survey, &columns, &rows, Reader::Staff)?)
            })
            .await?;
        let file = InputFile::memory(bytes).file_name(format!("{}.xlsx", campaign.name));
        let caption = ctx.app.texts.get_with(
            ctx.lang,
            "admin-export-caption",
            &args![("name", campaign.name.as_str()), ("count", count), ("threshold", threshold)],
        );
        sending::send(ctx.bot.send_document(ctx.chat, file).caption(caption)).await?;
    }
    Ok(())
}

/// `/results`: the НОКО indicators and the survey parts of the criteria over the scope's responses
/// released to staff so far (so they change in steps of at least `privacy.min_group_size`
/// responses), once there are at least that many.
async fn results(ctx: &Ctx<'_>, scope: Scope, member: &StaffMember) -> anyhow::Result<()> {
    let campaigns = ctx.app.db.open_campaigns().await?;
    if campaigns.is_empty() {
        return ctx.say(ctx.t("admin-no-campaigns")).await;
    }
    let threshold = ctx.app.settings.privacy.min_group_size;
    let texts = &ctx.app.texts;
    let scope_name = if scope == Scope::Region { ctx.t("admin-role-region") } else { member.scope_name() };
    for campaign in campaigns {
        let survey = ctx.app.survey(campaign.id).await?;
        if survey.audiences().any(|a| survey.questionnaire(a).is_some_and(|q| scoring::check(q).is_err())) {
            ctx.say(texts.get_with(ctx.lang, "admin-results-not-noko", &args![("name", campaign.name.as_str())]))
                .await?;
            continue;
        }
        let rows = app::exports::scope_responses(&ctx.app.db, campaign.id, scope, Reader::Staff).await?;
        if (rows.len() as i64) < threshold {
            let text = texts.get_with(
                ctx.lang,
                "admin-results-too-few",
                &args![("name", campaign.name.as_str()), ("count", rows.len() as i64), ("threshold", threshold)],
            );
            ctx.say(text).await?;
            continue;
        }
        let (scores, rows) = ctx
            .off_the_loop(move |shared| {
                let mut tally = Tally::default();
                for row in &rows {
                    tally.add(row.answers.iter().map(|(q, v)| (q.as_str(), v.as_str())));
                }
                Ok((Scores::of(&tally, shared.settings.report.method(), None), rows))
            })
            .await?;
        let value = |v: Option<f64>| v.map_or_else(|| texts.get(ctx.lang, "report-no-data"), |v| percent(ctx.lang, v));
        let mut lines = vec![texts.get_with(
            ctx.lang,
            "admin-results-header",
            &args![("name", campaign.name.as_str()), ("scope", scope_name.as_str()), ("count", rows.len() as i64)],
        )];
        for indicator in Indicator::ALL {
            lines.push(format!(
                "• {} — {}",
                ctx.t(report::indicator_label(indicator)),
                value(scores.indicators.get(indicator))
            ));
        }
        lines.push(String::new());
        for (number, part) in scores.survey_parts.iter().enumerate() {
            let label = texts.get_with(ctx.lang, "report-col-survey-part", &args![("number", number as i64 + 1)]);
            lines.push(format!("• {label} — {}", value(*part)));
        }
        lines.push(String::new());
        lines.extend(sample_lines(ctx, campaign.id, scope, &rows).await?);
        lines.push(String::new());
        lines.push(ctx.t("admin-results-footer"));
        for part in split_message(&lines.join("\n")) {
            ctx.say(part).await?;
        }
    }
    Ok(())
}

/// `/results`' sample check: each school of the scope with its respondents (the responses shown
/// to staff, as everything else `/results` counts) against its minimum sample.
async fn sample_lines(
    ctx: &Ctx<'_>,
    campaign_id: i64,
    scope: Scope,
    rows: &[ExportRow],
) -> anyhow::Result<Vec<String>> {
    let rule = ctx.app.settings.report.sample();
    let texts = &ctx.app.texts;
    let mut lines = vec![texts.get_with(
        ctx.lang,
        "admin-results-sample-header",
        &args![("percent", i64::from(rule.percent)), ("cap", rule.cap as i64)],
    )];
    let in_scope = |base: &SchoolBase| match scope {
        Scope::Region => true,
        Scope::Municipality { municipality_id } => base.municipality_id == municipality_id,
        Scope::School { school_id, .. } | Scope::Class { school_id, .. } => base.school_id == school_id,
    };
    for base in ctx.app.db.school_bases(campaign_id).await?.into_iter().filter(in_scope) {
        let respondents =
            rows.iter().filter(|row| row.municipality == base.municipality && row.school == base.school).count() as u64;
        let required = rule.minimum(u64::try_from(base.students).unwrap_or(0));
        let place = match scope {
            Scope::Region => format!("{} / {}", base.municipality, base.school),
            _ => base.school.clone(),
        };
        lines.push(texts.get_with(
            ctx.lang,
            "admin-results-sample-school",
            &args![
                ("school", place),
                ("respondents", respondents as i64),
                ("required", required as i64),
                ("reached", if respondents >= required { "yes" } else { "no" })
            ],
        ));
    }
    Ok(lines)
}
