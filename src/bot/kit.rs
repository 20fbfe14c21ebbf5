//! `/kit`: the link kit (links table, QR codes, posters) as ZIP documents, for region, municipal
//! and school administrators, and its `kt:` buttons (the campaign, the municipality). Every press
//! re-reads the presser's scope; the kit itself is built by [`crate::kit`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use super::handlers::Ctx;
use super::sending;
use crate::args;
use crate::db::{Campaign, ClassLink};
use crate::poster::{CampaignNotice, ClassAudiences};
use crate::roles::Scope;
use crate::{app, kit};

/// The prefix of the kit's button data.
pub(super) const PREFIX: &str = "kt:";

/// A kit button: ids only, well under Telegram's 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KitButton {
    /// This campaign was chosen.
    Campaign { campaign_id: i64 },
    /// The kit of one municipality.
    Municipality { campaign_id: i64, municipality_id: i64 },
    /// One kit per municipality of the region.
    Region { campaign_id: i64 },
}

impl KitButton {
    pub(super) fn encode(self) -> String {
        match self {
            KitButton::Campaign { campaign_id } => format!("{PREFIX}c:{campaign_id}"),
            KitButton::Municipality { campaign_id, municipality_id } => {
                format!("{PREFIX}m:{campaign_id}:{municipality_id}")
            }
            KitButton::Region { campaign_id } => format!("{PREFIX}r:{campaign_id}"),
        }
    }

    pub(super) fn parse(data: &str) -> Option<KitButton> {
        let rest = data.strip_prefix(PREFIX)?;
        let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0 && s.bytes().all(|b| b.is_ascii_digit()));
        let (kind, ids) = rest.split_once(':')?;
        match kind {
            "c" => Some(KitButton::Campaign { campaign_id: id(ids)? }),
            "r" => Some(KitButton::Region { campaign_id: id(ids)? }),
            "m" => {
                let (campaign, municipality) = ids.split_once(':')?;
                Some(KitButton::Municipality { campaign_id: id(campaign)?, municipality_id: id(municipality)? })
            }
            _ => None,
        }
    }
}

/// `/kit`: the campaign to choose when several can be answered, else the place or the kit.
pub(super) async fn command(ctx: &Ctx<'_>, scope: Scope) -> anyhow::Result<()> {
    let campaigns = super::staff::answerable_campaigns(ctx).await?;
    match campaigns.as_slice() {
        [] => ctx.say(ctx.t("admin-no-campaigns")).await,
        [only] => place(ctx, scope, only, false).await,
        several => {
            let rows = several.iter().map(|c| {
                [InlineKeyboardButton::callback(c.name.clone(), KitButton::Campaign { campaign_id: c.id }.encode())]
            });
            let message = ctx.bot.send_message(ctx.chat, ctx.t("kit-choose-campaign"));
            sending::send(message.reply_markup(InlineKeyboardMarkup::new(rows))).await?;
            Ok(())
        }
    }
}

/// A `kt:` press; returns the notice to show. The presser's scope is read again, never trusted
/// from the button: a place outside it gets the same answer as one that does not exist.
pub(super) async fn press(ctx: &Ctx<'_>, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = KitButton::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    let Some(scope) = super::staff::scope_of(ctx).await? else { return Ok(Some(ctx.t("kit-not-found"))) };
    if !matches!(scope, Scope::Region | Scope::Municipality { .. } | Scope::School { .. }) {
        return Ok(Some(ctx.t("kit-not-found")));
    }
    let campaign_id = match button {
        KitButton::Campaign { campaign_id }
        | KitButton::Municipality { campaign_id, .. }
        | KitButton::Region { campaign_id } => campaign_id,
    };
    let campaigns = super::staff::answerable_campaigns(ctx).await?;
    let Some(campaign) = campaigns.iter().find(|c| c.id == campaign_id) else {
        return Ok(Some(ctx.t("kit-not-found")));
    };
    let several = campaigns.len() > 1;
    match button {
        KitButton::Campaign { .. } => place(ctx, scope, campaign, several).await?,
        KitButton::Municipality { municipality_id, .. } => {
            let allowed = match scope {
                Scope::Region => true,
                Scope::Municipality { municipality_id: own } => own == municipality_id,
                _ => false,
            };
            let links = app::links::campaign_links(&ctx.app.db, campaign.id).await?;
            let links: Vec<ClassLink> = links.into_iter().filter(|l| l.municipality_id == municipality_id).collect();
            if !allowed || links.is_empty() {
                return Ok(Some(ctx.t("kit-not-found")));
            }
            send_kit(ctx, campaign, several, &links).await?;
        }
        KitButton::Region { .. } => {
            if scope != Scope::Region {
                return Ok(Some(ctx.t("kit-not-found")));
            }
            let links = app::links::campaign_links(&ctx.app.db, campaign.id).await?;
            let mut start = 0;
            while start < links.len() {
                let id = links[start].municipality_id;
                let end = start + links[start..].iter().take_while(|l| l.municipality_id == id).count();
                send_kit(ctx, campaign, several, &links[start..end]).await?;
                start = end;
            }
        }
    }
    Ok(None)
}

/// The region administrator picks a municipality; the others get their own place's kit.
async fn place(ctx: &Ctx<'_>, scope: Scope, campaign: &Campaign, several: bool) -> anyhow::Result<()> {
    let links = app::links::campaign_links(&ctx.app.db, campaign.id).await?;
    let links: Vec<ClassLink> = match scope {
        Scope::Region => {
            let municipalities = ctx.app.db.participation_by_municipality(campaign.id).await?;
            if municipalities.is_empty() {
                return ctx.say(ctx.t("kit-empty")).await;
            }
            let campaign_id = campaign.id;
            let mut rows: Vec<[InlineKeyboardButton; 1]> = municipalities
                .into_iter()
                .map(|m| {
                    let button = KitButton::Municipality { campaign_id, municipality_id: m.id };
                    [InlineKeyboardButton::callback(m.name, button.encode())]
                })
                .collect();
            rows.push([InlineKeyboardButton::callback(
                ctx.t("kit-whole-region"),
                KitButton::Region { campaign_id }.encode(),
            )]);
            let message = ctx.bot.send_message(ctx.chat, ctx.t("kit-choose-municipality"));
            sending::send(message.reply_markup(InlineKeyboardMarkup::new(rows))).await?;
            return Ok(());
        }
        Scope::Municipality { municipality_id } => {
            links.into_iter().filter(|l| l.municipality_id == municipality_id).collect()
        }
        Scope::School { school_id, .. } => links.into_iter().filter(|l| l.school_id == school_id).collect(),
        Scope::Class { .. } => return Ok(()),
    };
    if links.is_empty() {
        return ctx.say(ctx.t("kit-empty")).await;
    }
    send_kit(ctx, campaign, several, &links).await
}

/// How often the progress message is edited while a kit is drawn.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// Builds the kit of one municipality or school and sends its parts, captioned with the place
/// (and the campaign when several can be answered).
async fn send_kit(ctx: &Ctx<'_>, campaign: &Campaign, several: bool, links: &[ClassLink]) -> anyhow::Result<()> {
    let Some(first) = links.first() else { return Ok(()) };
    let one_school = links.iter().all(|l| l.school_id == first.school_id);
    let place = if one_school { first.school.clone() } else { first.municipality.clone() };
    let classes = app::links::kit_classes(links, &ctx.app.bot_username);
    let total = classes.len();
    let preparing =
        |done: usize| ctx.app.texts.get_with(ctx.lang, "kit-preparing", &args![("done", done), ("total", total)]);
    let status = sending::send(ctx.bot.send_message(ctx.chat, preparing(0))).await?;
    let done = Arc::new(AtomicUsize::new(0));
    let title = match several {
        true => format!("{} — {place}", campaign.name),
        false => place.clone(),
    };
    let limit = ctx.app.settings.files.kit_part_bytes;
    let counter = done.clone();
    let named = several.then(|| campaign.name.clone());
    let (ends_on, audiences) = (campaign.ends_on, ClassAudiences::of(&*ctx.app.survey(campaign.id).await?));
    let mut building = tokio::task::spawn_blocking(move || {
        let notice = CampaignNotice { name: named.as_deref(), ends_on, audiences };
        kit::build(&title, notice, &classes, limit, |schools_done, _| {
            counter.store(schools_done, Ordering::Relaxed);
        })
    });
    let schools = links.iter().map(|l| l.school_id).collect::<std::collections::BTreeSet<_>>().len();
    let parts = loop {
        tokio::select! {
            built = &mut building => break built??,
            () = tokio::time::sleep(PROGRESS_EVERY) => {
                // Schools drawn, shown as the classes they hold on average.
                let classes_done = done.load(Ordering::Relaxed) * total / schools.max(1);
                let edit = ctx.bot.edit_message_text(ctx.chat, status.id, preparing(classes_done));
                if let Err(e) = sending::send(edit).await {
                    tracing::warn!(error = %e, "cannot show the kit's progress");
                }
            }
        }
    };
    let caption = match several {
        true => ctx.app.texts.get_with(
            ctx.lang,
            "kit-caption-campaign",
            &args![("campaign", campaign.name.as_str()), ("place", place.as_str())],
        ),
        false => ctx.app.texts.get_with(ctx.lang, "kit-caption", &args![("place", place.as_str())]),
    };
    for part in parts {
        let file = InputFile::memory(part.bytes).file_name(part.name);
        sending::send(ctx.bot.send_document(ctx.chat, file).caption(caption.clone())).await?;
    }
    let finished = ctx.bot.edit_message_text(ctx.chat, status.id, preparing(total));
    if let Err(e) = sending::send(finished).await {
        tracing::warn!(error = %e, "cannot show the kit's progress");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_within_64_bytes() {
        for button in [
            KitButton::Campaign { campaign_id: 7 },
            KitButton::Region { campaign_id: i64::MAX },
            KitButton::Municipality { campaign_id: i64::MAX, municipality_id: i64::MAX },
        ] {
            let data = button.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(KitButton::parse(&data), Some(button));
        }
    }

    #[test]
    fn forged_data_is_not_a_button() {
        for data in [
            "kt:",
            "kt:c:",
            "kt:c:-1",
            "kt:c:0",
            "kt:c:+5",
            "kt:m:1",
            "kt:m:1:x",
            "kt:x:1",
            "kt:r:99999999999999999999",
            "1:kt:c:1",
            "kt:c:1:2",
        ] {
            assert_eq!(KitButton::parse(data), None, "{data}");
        }
    }
}
