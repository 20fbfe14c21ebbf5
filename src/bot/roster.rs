//! The roster by upload: a region administrator sends the roster file (CSV or XLSX) as a document,
//! gets the preview of [`crate::roster::Preview`], and loads it with the `ro:` buttons
//! («Загрузить», «Загрузить и удалить отсутствующие», «Отмена»). Nothing changes before a press;
//! the file waits in the database (a restart loses nothing), and a press is refused when another
//! file was sent since or the stored roster changed since the preview. Every press re-reads the
//! presser's role.

use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{Document, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::handlers::Ctx;
use super::sending;
use crate::args;
use crate::db::{ImportOutcome, StaffMember, UploadGuard};
use crate::roles::Role;
use crate::roster::{self, Preview};
use crate::telegram_text::split_message;

/// The prefix of the roster's button data.
pub(super) const PREFIX: &str = "ro:";

/// The largest file a bot may download from Telegram.
const MAX_DOWNLOAD_BYTES: u32 = 20 * 1024 * 1024;

/// A roster button: what to do with the file of `revision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RosterButton {
    /// «Загрузить»: add and update, keep what the file lacks.
    Load { revision: i64 },
    /// «Загрузить и удалить отсутствующие».
    LoadAndRemove { revision: i64 },
    /// «Отмена».
    Cancel { revision: i64 },
}

impl RosterButton {
    pub(super) fn encode(self) -> String {
        match self {
            RosterButton::Load { revision } => format!("{PREFIX}l:{revision}"),
            RosterButton::LoadAndRemove { revision } => format!("{PREFIX}d:{revision}"),
            RosterButton::Cancel { revision } => format!("{PREFIX}x:{revision}"),
        }
    }

    pub(super) fn parse(data: &str) -> Option<RosterButton> {
        let (kind, revision) = data.strip_prefix(PREFIX)?.split_once(':')?;
        if revision.is_empty() || !revision.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let revision = revision.parse::<i64>().ok().filter(|r| *r > 0)?;
        match kind {
            "l" => Some(RosterButton::Load { revision }),
            "d" => Some(RosterButton::LoadAndRemove { revision }),
            "x" => Some(RosterButton::Cancel { revision }),
            _ => None,
        }
    }
}

/// The presser if they are a region administrator, else the refusal to show.
async fn region_admin(ctx: &Ctx<'_>) -> anyhow::Result<Result<StaffMember, String>> {
    Ok(super::staff::region_admin(ctx).await?.ok_or_else(|| ctx.t("roster-region-only")))
}

/// A document in a private chat. Staff get an answer here; returns `false` for anyone else, whose
/// file the survey answers (a respondent mid-survey is shown their question again).
/// `replied_campaign`: the campaign of the report message the document answers, if it does (an
/// expert file is sent that way when there are several campaigns).
pub(super) async fn on_document(
    ctx: &Ctx<'_>,
    document: &Document,
    replied_campaign: Option<i64>,
) -> anyhow::Result<bool> {
    let member = match super::staff::member(ctx).await? {
        None => return Ok(false),
        Some((member, scope)) if scope.role() == Role::Region => member,
        Some(_) => {
            ctx.say(ctx.t("roster-region-only")).await?;
            return Ok(true);
        }
    };
    if document.file.size > MAX_DOWNLOAD_BYTES {
        let megabytes = format!("{:.1}", f64::from(document.file.size) / (1024.0 * 1024.0));
        let megabytes = if ctx.lang == crate::survey::Lang::Ru { megabytes.replace('.', ",") } else { megabytes };
        ctx.say(ctx.app.texts.get_with(ctx.lang, "roster-too-big", &args![("size", megabytes)])).await?;
        return Ok(true);
    }
    let Some(bytes) = download(ctx, document).await else {
        ctx.say(ctx.t("roster-download-failed")).await?;
        return Ok(true);
    };
    if crate::expert::looks_like(&bytes) {
        super::report::on_expert_file(ctx, &bytes, replied_campaign).await?;
        return Ok(true);
    }
    let file_name = document.file_name.clone().unwrap_or_default();
    let title = ctx.app.texts.get_with(ctx.lang, "roster-preview-title", &args![("file", file_name.as_str())]);
    let (bytes, checked) = tokio::task::spawn_blocking(move || {
        // An XLSX of a whole region takes a while to read: not on the runtime's threads.
        let checked = roster::check(&bytes);
        (bytes, checked)
    })
    .await?;
    let checked = match checked {
        Ok(checked) => checked,
        Err(error) => {
            // An earlier file's buttons must not load it now that another was sent.
            ctx.app.db.clear_roster_upload(member.id).await?;
            ctx.say(format!("{title}\n\n{}", error.render(&ctx.app.texts, ctx.lang))).await?;
            return Ok(true);
        }
    };
    let stored = ctx.app.db.stored_roster().await?;
    let fingerprint = roster::fingerprint(&stored);
    let preview = Preview::new(checked, &stored);
    let revision =
        ctx.app.db.save_roster_upload(member.id, &file_name, &bytes, &fingerprint, ctx.app.clock.now()).await?;
    tracing::info!(staff = member.id, bytes = bytes.len(), "roster file checked");
    let mut text = format!("{title}\n\n{}", preview.render(&ctx.app.texts, ctx.lang));
    let keyboard = if preview.has_errors() {
        text.push_str("\n\n");
        text.push_str(&ctx.t("roster-preview-fix"));
        None
    } else {
        text.push_str("\n\n");
        text.push_str(&ctx.t("roster-preview-confirm"));
        let mut rows = vec![[InlineKeyboardButton::callback(
            ctx.t("roster-button-load"),
            RosterButton::Load { revision }.encode(),
        )]];
        if !preview.diff.absent.is_empty() {
            rows.push([InlineKeyboardButton::callback(
                ctx.t("roster-button-load-remove"),
                RosterButton::LoadAndRemove { revision }.encode(),
            )]);
        }
        rows.push([InlineKeyboardButton::callback(
            ctx.t("roster-button-cancel"),
            RosterButton::Cancel { revision }.encode(),
        )]);
        Some(InlineKeyboardMarkup::new(rows))
    };
    let parts = split_message(&text);
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        let mut message = ctx.bot.send_message(ctx.chat, part);
        if i == last
            && let Some(keyboard) = &keyboard
        {
            message = message.reply_markup(keyboard.clone());
        }
        sending::send(message).await?;
    }
    Ok(true)
}

/// The document's bytes from Telegram, or `None` when they cannot be had.
async fn download(ctx: &Ctx<'_>, document: &Document) -> Option<Vec<u8>> {
    let file = match sending::send(ctx.bot.get_file(document.file.id.clone())).await {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(error = %e, "cannot get the roster file from Telegram");
            return None;
        }
    };
    let mut bytes = Vec::with_capacity(file.size as usize);
    match ctx.bot.download_file(&file.path, &mut bytes).await {
        Ok(()) => Some(bytes),
        Err(e) => {
            tracing::warn!(error = %e, "cannot download the roster file");
            None
        }
    }
}

/// A `ro:` press; returns the notice to show.
pub(super) async fn press(ctx: &Ctx<'_>, message_id: MessageId, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = RosterButton::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    let member = match region_admin(ctx).await? {
        Ok(member) => member,
        Err(refusal) => return Ok(Some(refusal)),
    };
    let (revision, remove_missing) = match button {
        RosterButton::Cancel { revision } => {
            if !ctx.app.db.cancel_roster_upload(member.id, revision).await? {
                return Ok(Some(ctx.t("roster-no-upload")));
            }
            ctx.show(Some(message_id), ctx.t("roster-cancelled"), None).await?;
            return Ok(None);
        }
        RosterButton::Load { revision } => (revision, false),
        RosterButton::LoadAndRemove { revision } => (revision, true),
    };
    let Some(upload) = ctx.app.db.roster_upload(member.id).await? else {
        return Ok(Some(ctx.t("roster-no-upload")));
    };
    if upload.revision != revision {
        return Ok(Some(ctx.t("roster-stale-file")));
    }
    let file = upload.file;
    let rows = match tokio::task::spawn_blocking(move || roster::check(&file)).await? {
        Ok(checked) if checked.problems.is_empty() => checked.rows,
        _ => return Ok(Some(ctx.t("roster-no-upload"))),
    };
    let guard = UploadGuard { staff_id: member.id, revision, fingerprint: &upload.fingerprint };
    let timezone = ctx.app.settings.survey.default_timezone;
    match ctx.app.db.apply_roster(&rows, timezone, remove_missing, Some(guard)).await? {
        ImportOutcome::Imported(applied) => {
            tracing::info!(staff = member.id, added = applied.added, removed = applied.removed.len(), "roster loaded");
            let done = ctx.bot.edit_message_reply_markup(ctx.chat, message_id);
            if let Err(e) = sending::send(done).await {
                tracing::debug!(error = %e, "cannot take the buttons off the preview");
            }
            for part in split_message(&applied.render(&ctx.app.texts, ctx.lang)) {
                ctx.say(part).await?;
            }
            Ok(None)
        }
        ImportOutcome::NotAllowed => Ok(Some(ctx.t("roster-region-only"))),
        ImportOutcome::OtherFile => Ok(Some(ctx.t("roster-stale-file"))),
        ImportOutcome::RosterChanged => {
            ctx.say(ctx.t("roster-stale-roster")).await?;
            Ok(Some(ctx.t("roster-stale-roster")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_within_64_bytes() {
        for button in [
            RosterButton::Load { revision: 7 },
            RosterButton::LoadAndRemove { revision: i64::MAX },
            RosterButton::Cancel { revision: 1 << 40 },
        ] {
            let data = button.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(RosterButton::parse(&data), Some(button));
        }
    }

    #[test]
    fn forged_data_is_not_a_button() {
        for data in [
            "ro:",
            "ro:l:",
            "ro:l:-1",
            "ro:l:0",
            "ro:l:+5",
            "ro:q:1",
            "ro:l:1:2",
            "ro:l:x",
            "kt:l:1",
            "ro:l:99999999999999999999",
        ] {
            assert_eq!(RosterButton::parse(data), None, "{data}");
        }
    }
}
