//! `/stats`: each audience's responses against its own base for each open campaign, for the
//! caller's scope or a place in it, tapped down (region → municipalities → schools → classes,
//! «Назад» one level up, never above the caller's own scope) in one message edited in place, or
//! named by typing (matched by [`crate::places::find`]: candidates and near misses come back as
//! buttons).
//!
//! Buttons are `st:` followed by [`StatsButton::encode`], parsed once into [`StatsButton`]. A
//! button proves nothing: every press re-reads the presser's scope from the database, and a place
//! outside it gets the same answer as a place that does not exist.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::MAX_CALLBACK_BYTES;
use super::handlers::Ctx;
use crate::args;
use crate::db::{Campaign, Participation};
use crate::digest::report::{participation_line, shares_text};
use crate::places::{self, Found, Level, Place};
use crate::roles::Scope;
use crate::telegram_text::fit;

/// The callback data prefix of this module's buttons.
pub(super) const PREFIX: &str = "st:";

/// Places shown per page.
const PAGE: usize = 20;

/// What a `/stats` screen looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Region,
    Place(Level, i64),
}

/// A `/stats` button: a place (or the region) and the page of the places within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StatsButton {
    target: Target,
    page: u16,
}

impl StatsButton {
    fn encode(self) -> String {
        let body = match self.target {
            Target::Region => format!("r:{}", self.page),
            Target::Place(level, id) => {
                let code = match level {
                    Level::Municipality => 'm',
                    Level::School => 's',
                    Level::Class => 'c',
                };
                format!("{code}{id}:{}", self.page)
            }
        };
        let data = format!("{PREFIX}{body}");
        debug_assert!(data.len() <= MAX_CALLBACK_BYTES, "callback data too long: {data}");
        data
    }

    /// `None` for anything this module did not produce.
    fn parse(data: &str) -> Option<StatsButton> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        let (target, page) = data.strip_prefix(PREFIX)?.split_once(':')?;
        let page = digits(page).then(|| page.parse::<u16>().ok())??;
        let target = match target.split_at_checked(1)? {
            ("r", "") => Target::Region,
            (code, id) if digits(id) => {
                let level = match code {
                    "m" => Level::Municipality,
                    "s" => Level::School,
                    "c" => Level::Class,
                    _ => return None,
                };
                Target::Place(level, id.parse().ok().filter(|id| *id > 0)?)
            }
            _ => return None,
        };
        Some(StatsButton { target, page })
    }
}

/// A place the caller may see, with what lies in it.
enum View {
    Region,
    Place(Place),
}

impl View {
    fn scope(&self) -> Scope {
        match self {
            View::Region => Scope::Region,
            View::Place(place) => place.scope(),
        }
    }

    /// The level of the places listed under this one.
    fn below(&self) -> Option<Level> {
        match self {
            View::Region => Some(Level::Municipality),
            View::Place(place) => place.level.below(),
        }
    }

    /// One level up, as a target and the scope it stands for.
    fn parent(&self) -> Option<(Target, Scope)> {
        let View::Place(place) = self else { return None };
        let municipality_id = place.municipality_id;
        Some(match (place.level, &place.school) {
            (Level::Municipality, _) => (Target::Region, Scope::Region),
            (Level::School, _) => {
                (Target::Place(Level::Municipality, municipality_id), Scope::Municipality { municipality_id })
            }
            (Level::Class, Some((school_id, _))) => {
                (Target::Place(Level::School, *school_id), Scope::School { municipality_id, school_id: *school_id })
            }
            (Level::Class, None) => return None,
        })
    }
}

/// How a place is named on a button or in a heading: a school with its municipality, a class
/// with its school.
fn label(ctx: &Ctx<'_>, place: &Place) -> String {
    let texts = &ctx.app.texts;
    match (place.level, &place.school) {
        (Level::Municipality, _) => place.name.clone(),
        (Level::School, _) => texts.get_with(
            ctx.lang,
            "stats-school-label",
            &args![("school", place.name.as_str()), ("municipality", place.municipality.as_str())],
        ),
        (Level::Class, school) => texts.get_with(
            ctx.lang,
            "stats-class-label",
            &args![("class", place.name.as_str()), ("school", school.as_ref().map_or("", |(_, s)| s.as_str()))],
        ),
    }
}

fn place_button(place: &Place, text: String) -> InlineKeyboardButton {
    let data = StatsButton { target: Target::Place(place.level, place.id), page: 0 };
    InlineKeyboardButton::callback(crate::telegram_text::shorten(&text, 60), data.encode())
}

/// `/stats [name]`.
pub(super) async fn command(ctx: &Ctx<'_>, scope: Scope, typed: Option<&str>) -> anyhow::Result<()> {
    let Some(typed) = typed else {
        let view = match scope {
            Scope::Region => View::Region,
            _ => match own_place(ctx, scope).await? {
                Some(place) => View::Place(place),
                None => return ctx.say(ctx.t("stats-not-found")).await,
            },
        };
        let (text, keyboard) = screen(ctx, scope, &view, 0).await?;
        return ctx.show(None, text, Some(keyboard)).await;
    };
    let places = ctx.app.db.places_within(scope).await?;
    // A class is named alone within one school; in a broader scope, with its school.
    let alone = match scope {
        Scope::Region | Scope::Municipality { .. } => &[Level::Municipality, Level::School][..],
        Scope::School { .. } | Scope::Class { .. } => &[Level::School, Level::Class][..],
    };
    let (text, found) = match places::find(&places, typed, alone) {
        Found::One(place) => {
            let (text, keyboard) = screen(ctx, scope, &View::Place(place.clone()), 0).await?;
            return ctx.show(None, text, Some(keyboard)).await;
        }
        Found::Several(found) => (ctx.app.texts.get_with(ctx.lang, "stats-several", &args![("typed", typed)]), found),
        Found::Nearest(found) if found.is_empty() => {
            let text = ctx.app.texts.get_with(ctx.lang, "stats-no-such-place", &args![("typed", typed)]);
            return ctx.say(text).await;
        }
        Found::Nearest(found) => {
            (ctx.app.texts.get_with(ctx.lang, "stats-did-you-mean", &args![("typed", typed)]), found)
        }
    };
    let rows = found.iter().take(PAGE).map(|p| vec![place_button(p, label(ctx, p))]).collect::<Vec<_>>();
    ctx.show(None, text, Some(InlineKeyboardMarkup::new(rows))).await
}

/// The place a municipal, school or class scope stands for.
async fn own_place(ctx: &Ctx<'_>, scope: Scope) -> anyhow::Result<Option<Place>> {
    let (level, id) = match scope {
        Scope::Region => return Ok(None),
        Scope::Municipality { municipality_id } => (Level::Municipality, municipality_id),
        Scope::School { school_id, .. } => (Level::School, school_id),
        Scope::Class { class_id, .. } => (Level::Class, class_id),
    };
    Ok(ctx.app.db.place(level, id).await?)
}

/// A `st:` press; returns the toast to show, if any.
pub(super) async fn press(ctx: &Ctx<'_>, on: MessageId, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = StatsButton::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    let Some(scope) = super::staff::scope_of(ctx).await? else { return Ok(Some(ctx.t("stats-gone"))) };
    let view = match button.target {
        Target::Region => View::Region,
        Target::Place(level, id) => match ctx.app.db.place(level, id).await? {
            Some(place) => View::Place(place),
            None => return Ok(Some(ctx.t("stats-gone"))),
        },
    };
    if !scope.covers(view.scope()) {
        // The same answer as for a place that does not exist: a forged button learns nothing.
        tracing::warn!("a /stats button for a place outside the presser's scope");
        return Ok(Some(ctx.t("stats-gone")));
    }
    let (text, keyboard) = screen(ctx, scope, &view, usize::from(button.page)).await?;
    ctx.show(Some(on), text, Some(keyboard)).await?;
    Ok(None)
}

/// The screen of a place: its participation in each open campaign (the rows of this page's
/// places), the places within it as buttons, ‹ › between pages and «Назад» while still within
/// the caller's scope.
async fn screen(
    ctx: &Ctx<'_>,
    caller: Scope,
    view: &View,
    page: usize,
) -> anyhow::Result<(String, InlineKeyboardMarkup)> {
    let within = match view.below() {
        Some(level) => ctx.app.db.places_at(level, view.scope()).await?,
        None => Vec::new(),
    };
    let pages = within.len().div_ceil(PAGE).max(1);
    let page = page.min(pages - 1);
    let shown = &within[(page * PAGE).min(within.len())..((page + 1) * PAGE).min(within.len())];

    let heading = match view {
        View::Region => ctx.t("stats-region"),
        View::Place(place) => label(ctx, place),
    };
    let mut text = vec![heading];
    let campaigns = ctx.app.db.open_campaigns().await?;
    if campaigns.is_empty() {
        text.push(ctx.t("admin-no-campaigns"));
    }
    for campaign in &campaigns {
        let all = participation(ctx, campaign, view).await?;
        let rows: Vec<&Participation> = match view {
            View::Place(place) if place.level == Level::Class => all.iter().filter(|r| r.id == place.id).collect(),
            _ => all.iter().filter(|r| shown.iter().any(|p| p.id == r.id)).collect(),
        };
        text.push(block(ctx, campaign, &rows, total(&all, view)));
    }
    if pages > 1 {
        text.push(ctx.app.texts.get_with(
            ctx.lang,
            "stats-page",
            &args![("page", page as i64 + 1), ("pages", pages as i64)],
        ));
    }

    let mut keyboard: Vec<Vec<InlineKeyboardButton>> = match view.below() {
        // Classes have short names: several a row.
        Some(Level::Class) => {
            shown.chunks(4).map(|row| row.iter().map(|p| place_button(p, p.name.clone())).collect()).collect()
        }
        _ => shown.iter().map(|p| vec![place_button(p, p.name.clone())]).collect(),
    };
    let here = match view {
        View::Region => Target::Region,
        View::Place(place) => Target::Place(place.level, place.id),
    };
    let mut turn = Vec::new();
    let to_page = |page: usize| StatsButton { target: here, page: u16::try_from(page).unwrap_or(u16::MAX) }.encode();
    if page > 0 {
        turn.push(InlineKeyboardButton::callback("‹", to_page(page - 1)));
    }
    if page + 1 < pages {
        turn.push(InlineKeyboardButton::callback("›", to_page(page + 1)));
    }
    if !turn.is_empty() {
        keyboard.push(turn);
    }
    if let Some((parent, parent_scope)) = view.parent()
        && caller.covers(parent_scope)
    {
        let back = StatsButton { target: parent, page: 0 };
        keyboard.push(vec![InlineKeyboardButton::callback(ctx.t("stats-back"), back.encode())]);
    }
    Ok((fit(text.join("\n\n")), InlineKeyboardMarkup::new(keyboard)))
}

/// The rows of the places within the view (for a class: its school's classes).
async fn participation(ctx: &Ctx<'_>, campaign: &Campaign, view: &View) -> anyhow::Result<Vec<Participation>> {
    let db = &ctx.app.db;
    Ok(match view {
        View::Region => db.participation_by_municipality(campaign.id).await?,
        View::Place(place) => match (place.level, &place.school) {
            (Level::Municipality, _) => db.participation_by_school(campaign.id, place.id).await?,
            (Level::School, _) => db.participation_by_class(campaign.id, place.id).await?,
            (Level::Class, Some((school_id, _))) => db.participation_by_class(campaign.id, *school_id).await?,
            (Level::Class, None) => Vec::new(),
        },
    })
}

/// The view's own totals: all its rows (a class: its own row).
fn total(rows: &[Participation], view: &View) -> Participation {
    let counted: Vec<Participation> = rows
        .iter()
        .filter(|r| match view {
            View::Place(place) if place.level == Level::Class => r.id == place.id,
            _ => true,
        })
        .cloned()
        .collect();
    Participation::sum(&counted)
}

fn block(ctx: &Ctx<'_>, campaign: &Campaign, rows: &[&Participation], total: Participation) -> String {
    let lang = ctx.lang;
    let texts = &ctx.app.texts;
    let mut lines = vec![texts.get_with(
        lang,
        "admin-stats-campaign",
        &args![
            ("name", campaign.name.as_str()),
            ("starts", ctx.date(campaign.starts_on)),
            ("ends", ctx.date(campaign.ends_on)),
            ("target", campaign.target_percent)
        ],
    )];
    lines.push(texts.get_with(lang, "admin-stats-total", &args![("shares", shares_text(texts, lang, &total, None))]));
    lines.extend(rows.iter().map(|row| participation_line(texts, lang, row, campaign.target_percent, None)));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_within_telegrams_limit() {
        for button in [
            StatsButton { target: Target::Region, page: 0 },
            StatsButton { target: Target::Region, page: u16::MAX },
            StatsButton { target: Target::Place(Level::Municipality, 1), page: 3 },
            StatsButton { target: Target::Place(Level::School, i64::MAX), page: u16::MAX },
            StatsButton { target: Target::Place(Level::Class, 42), page: 0 },
        ] {
            let data = button.encode();
            assert!(data.starts_with(PREFIX) && data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(StatsButton::parse(&data), Some(button), "{data}");
        }
    }

    #[test]
    fn forged_data_is_not_a_button() {
        for forged in [
            "",
            "st:",
            "st:r",
            "st:r:",
            "st:r1:0",
            "st:x1:0",
            "st:s:0",
            "st:s0:0",
            "st:s-1:0",
            "st:s+1:0",
            "st:s1:",
            "st:s1:-1",
            "st:s1:65536",
            "st:s1:0:0",
            "st:s99999999999999999999:0",
            "ca:s1:0",
            "st:s1١:0",
            "st:sй:0",
        ] {
            assert_eq!(StatsButton::parse(forged), None, "{forged:?}");
        }
        assert_eq!(StatsButton::parse(&format!("st:s{}:0", "1".repeat(70))), None);
    }
}
