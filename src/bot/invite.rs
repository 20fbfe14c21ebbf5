//! Invitations delegated down the hierarchy: `/invite` (a region administrator invites municipal
//! administrators, a municipal administrator school administrators, a school administrator class
//! teachers, each choosing the place with buttons, a page at a time) and `/team` (the people the
//! caller invited and their open invitations, each revoked after a confirmation).
//!
//! Buttons are `iv:` followed by [`InviteButton::encode`], parsed once into [`InviteButton`].
//! A button proves nothing: every press re-reads the presser's role and scope from the database
//! and re-checks the place or person against it ([`crate::app::staff::may_invite`],
//! [`crate::app::staff::may_revoke`]); a confirmation re-checks everything, so a stale or repeated one
//! changes nothing and says so.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::MAX_CALLBACK_BYTES;
use super::handlers::Ctx;
use super::staff::{member, role_name};
use crate::app::staff::{self, may_invite, may_revoke};
use crate::db::{OpenInvitation, Place, PlaceRef, StaffMember};
use crate::roles::Scope;
use crate::{args, names};

/// The callback data prefix of this module's buttons.
pub(super) const PREFIX: &str = "iv:";

/// Places on one page of the picker: a municipality may have 100+ schools.
const PLACES_PER_PAGE: usize = 20;
/// People and invitations on one page of `/team`, one button each.
const TEAM_PER_PAGE: usize = 10;
/// Longest invitation code a button carries (ours have 24 characters).
const MAX_CODE_CHARS: usize = 40;

/// What kind of place an invitation button names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PlaceKind {
    Municipality,
    School,
    Class,
}

/// Whose access a `/team` button ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A staff member, by their number.
    Staff(i64),
    /// An invitation not yet accepted, by its code.
    Invitation(String),
}

/// An `iv:` button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum InviteButton {
    /// This page of the places the presser invites to (counted from 0).
    Page(u32),
    /// Invite to this place.
    Place(PlaceKind, i64),
    /// This page of `/team` (counted from 0).
    Team(u32),
    /// «Отозвать»: ask for a confirmation.
    Ask(Target),
    /// «Да, отозвать».
    Confirm(Target),
    /// Close the picker.
    Close,
}

impl InviteButton {
    pub(super) fn encode(&self) -> String {
        let body = match self {
            InviteButton::Page(page) => format!("p{page}"),
            InviteButton::Place(PlaceKind::Municipality, id) => format!("m{id}"),
            InviteButton::Place(PlaceKind::School, id) => format!("s{id}"),
            InviteButton::Place(PlaceKind::Class, id) => format!("c{id}"),
            InviteButton::Team(page) => format!("t{page}"),
            InviteButton::Ask(Target::Staff(id)) => format!("as{id}"),
            InviteButton::Ask(Target::Invitation(code)) => format!("ai{code}"),
            InviteButton::Confirm(Target::Staff(id)) => format!("ys{id}"),
            InviteButton::Confirm(Target::Invitation(code)) => format!("yi{code}"),
            InviteButton::Close => "x".to_string(),
        };
        let data = format!("{PREFIX}{body}");
        debug_assert!(data.len() <= MAX_CALLBACK_BYTES, "callback data too long: {data}");
        data
    }

    /// `None` for anything this module did not produce.
    pub(super) fn parse(data: &str) -> Option<InviteButton> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let body = data.strip_prefix(PREFIX)?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        let id = |s: &str| digits(s).then(|| s.parse::<i64>().ok().filter(|id| *id > 0))?;
        let page = |s: &str| digits(s).then(|| s.parse::<u32>().ok())?;
        let target = |s: &str| -> Option<Target> {
            match s.split_at_checked(1)? {
                ("s", n) => Some(Target::Staff(id(n)?)),
                ("i", code) => {
                    let valid = !code.is_empty()
                        && code.len() <= MAX_CODE_CHARS
                        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    valid.then(|| Target::Invitation(code.to_string()))
                }
                _ => None,
            }
        };
        if body == "x" {
            return Some(InviteButton::Close);
        }
        match body.split_at_checked(1)? {
            ("p", n) => Some(InviteButton::Page(page(n)?)),
            ("t", n) => Some(InviteButton::Team(page(n)?)),
            ("m", n) => Some(InviteButton::Place(PlaceKind::Municipality, id(n)?)),
            ("s", n) => Some(InviteButton::Place(PlaceKind::School, id(n)?)),
            ("c", n) => Some(InviteButton::Place(PlaceKind::Class, id(n)?)),
            ("a", rest) => Some(InviteButton::Ask(target(rest)?)),
            ("y", rest) => Some(InviteButton::Confirm(target(rest)?)),
            _ => None,
        }
    }
}

fn button(text: impl Into<String>, data: &InviteButton) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, data.encode())
}

/// `‹` and `›` between pages, when there is more than one.
fn page_row(page: usize, pages: usize, to: fn(u32) -> InviteButton) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if page > 0 {
        row.push(button("‹", &to(page as u32 - 1)));
    }
    if page + 1 < pages {
        row.push(button("›", &to(page as u32 + 1)));
    }
    row
}

/// `/invite`: the places the caller invites to, first page.
pub(super) async fn command(ctx: &Ctx<'_>, scope: Scope) -> anyhow::Result<()> {
    if staff::invites(scope.role()).is_none() {
        return ctx.say(ctx.t("invite-teacher")).await;
    }
    let (text, keyboard) = picker(ctx, scope, 0).await?;
    ctx.show(None, text, keyboard).await
}

/// A page of the places one level below `scope`, within it.
async fn picker(ctx: &Ctx<'_>, scope: Scope, page: u32) -> anyhow::Result<(String, Option<InlineKeyboardMarkup>)> {
    let db = &ctx.app.db;
    let (kind, mut places): (PlaceKind, Vec<Place>) = match scope {
        Scope::Region => (PlaceKind::Municipality, db.municipality_places().await?),
        Scope::Municipality { municipality_id } => (PlaceKind::School, db.school_places(municipality_id).await?),
        Scope::School { school_id, .. } => (PlaceKind::Class, db.class_places(school_id).await?),
        Scope::Class { .. } => return Ok((ctx.t("invite-teacher"), None)),
    };
    if places.is_empty() {
        return Ok((ctx.t("invite-no-places"), None));
    }
    places.sort_by_cached_key(|p| names::sort_key(&p.name));
    let pages = places.len().div_ceil(PLACES_PER_PAGE);
    let page = (page as usize).min(pages - 1);
    let shown = &places[page * PLACES_PER_PAGE..places.len().min((page + 1) * PLACES_PER_PAGE)];
    // Class names are short: four a row keeps the keyboard small.
    let per_row = if kind == PlaceKind::Class { 4 } else { 1 };
    let mut rows: Vec<Vec<InlineKeyboardButton>> = shown
        .chunks(per_row)
        .map(|chunk| chunk.iter().map(|p| button(p.name.clone(), &InviteButton::Place(kind, p.id))).collect())
        .collect();
    let nav = page_row(page, pages, InviteButton::Page);
    if !nav.is_empty() {
        rows.push(nav);
    }
    rows.push(vec![button(ctx.t("invite-close"), &InviteButton::Close)]);
    let id = match kind {
        PlaceKind::Municipality => "invite-choose-municipality",
        PlaceKind::School => "invite-choose-school",
        PlaceKind::Class => "invite-choose-class",
    };
    let text = ctx.app.texts.get_with(ctx.lang, id, &args![("page", page + 1), ("pages", pages)]);
    Ok((text, Some(InlineKeyboardMarkup::new(rows))))
}

/// `/team`: the people the caller invited and their open invitations, first page.
pub(super) async fn team(ctx: &Ctx<'_>, member: &StaffMember, scope: Scope) -> anyhow::Result<()> {
    if staff::invites(scope.role()).is_none() {
        return ctx.say(ctx.t("invite-teacher")).await;
    }
    let (text, keyboard) = team_page(ctx, member, 0).await?;
    ctx.show(None, text, keyboard).await
}

/// One line of `/team`.
enum Entry {
    Person(StaffMember),
    Invitation(OpenInvitation),
}

impl Entry {
    /// The numbered line, the name on its button and what the button revokes.
    fn render(self, ctx: &Ctx<'_>, number: usize) -> (String, String, Target) {
        let texts = &ctx.app.texts;
        let role = |scope: Option<Scope>| scope.map(|s| role_name(ctx, s.role())).unwrap_or_default();
        match self {
            Entry::Person(person) => {
                let line = texts.get_with(
                    ctx.lang,
                    "invite-team-person",
                    &args![
                        ("number", number),
                        ("name", person.name.as_str()),
                        ("role", role(person.scope())),
                        ("place", person.scope_name())
                    ],
                );
                (line, person.name, Target::Staff(person.id))
            }
            Entry::Invitation(invitation) => {
                let until = staff::local_time(ctx.app.settings.survey.default_timezone, invitation.expires_at);
                let line = texts.get_with(
                    ctx.lang,
                    "invite-team-invitation",
                    &args![
                        ("number", number),
                        ("role", role(invitation.scope())),
                        ("place", invitation.scope_name()),
                        ("until", until)
                    ],
                );
                (line, ctx.t("invite-team-invitation-short"), Target::Invitation(invitation.code))
            }
        }
    }
}

async fn team_page(
    ctx: &Ctx<'_>,
    member: &StaffMember,
    page: u32,
) -> anyhow::Result<(String, Option<InlineKeyboardMarkup>)> {
    let db = &ctx.app.db;
    let mut entries: Vec<Entry> = db.invitees_of(member.id).await?.into_iter().map(Entry::Person).collect();
    let open = db.open_invitations_by(member.id, ctx.app.clock.now()).await?;
    entries.extend(open.into_iter().map(Entry::Invitation));
    if entries.is_empty() {
        return Ok((ctx.t("invite-team-empty"), None));
    }
    let pages = entries.len().div_ceil(TEAM_PER_PAGE);
    let page = (page as usize).min(pages - 1);
    let texts = &ctx.app.texts;
    let mut lines = vec![texts.get_with(ctx.lang, "invite-team-header", &args![("page", page + 1), ("pages", pages)])];
    let mut rows = Vec::new();
    for (i, entry) in entries.into_iter().enumerate().skip(page * TEAM_PER_PAGE).take(TEAM_PER_PAGE) {
        let number = i + 1;
        let (line, who, target) = entry.render(ctx, number);
        lines.push(line);
        let label = texts.get_with(ctx.lang, "invite-revoke-button", &args![("number", number), ("who", who)]);
        rows.push(vec![button(label, &InviteButton::Ask(target))]);
    }
    let nav = page_row(page, pages, InviteButton::Team);
    if !nav.is_empty() {
        rows.push(nav);
    }
    Ok((lines.join("\n"), Some(InlineKeyboardMarkup::new(rows))))
}

/// An `iv:` press; returns the toast to show, if any.
pub(super) async fn press(ctx: &Ctx<'_>, on: MessageId, data: &str) -> anyhow::Result<Option<String>> {
    let Some(button) = InviteButton::parse(data) else { return Ok(Some(ctx.t("survey-forged-button"))) };
    let Some((member, scope)) = member(ctx).await? else { return Ok(Some(ctx.t("invite-not-allowed"))) };
    if staff::invites(scope.role()).is_none() {
        return Ok(Some(ctx.t("invite-teacher")));
    }
    match button {
        InviteButton::Page(page) => {
            let (text, keyboard) = picker(ctx, scope, page).await?;
            ctx.show(Some(on), text, keyboard).await?;
            Ok(None)
        }
        InviteButton::Place(kind, id) => invite(ctx, &member, scope, kind, id).await,
        InviteButton::Team(page) => {
            let (text, keyboard) = team_page(ctx, &member, page).await?;
            ctx.show(Some(on), text, keyboard).await?;
            Ok(None)
        }
        InviteButton::Ask(target) => ask(ctx, on, &member, scope, target).await,
        InviteButton::Confirm(target) => confirm(ctx, on, &member, scope, target).await,
        InviteButton::Close => {
            ctx.show(Some(on), ctx.t("invite-closed"), None).await?;
            Ok(None)
        }
    }
}

/// Creates the invitation to a place, if it is the presser's to invite to, and sends it as a
/// message ready to forward; the picker stays for the next one.
async fn invite(
    ctx: &Ctx<'_>,
    member: &StaffMember,
    scope: Scope,
    kind: PlaceKind,
    id: i64,
) -> anyhow::Result<Option<String>> {
    let db = &ctx.app.db;
    let place: Option<PlaceRef> = match kind {
        PlaceKind::Municipality => db.municipality_place(id).await?,
        PlaceKind::School => db.school_place(id).await?,
        PlaceKind::Class => db.class_place(id).await?,
    };
    // A place that does not exist gets the same answer as one outside the scope.
    let Some(place) = place.filter(|p| may_invite(scope, p.scope())) else {
        tracing::warn!(inviter = member.id, "an invitation button for a place outside the presser's scope");
        return Ok(Some(ctx.t("invite-place-not-yours")));
    };
    let (url, expires_at) = staff::issue(
        db,
        place.scope(),
        Some(member.id),
        staff::DEFAULT_VALID_FOR,
        &ctx.app.bot_username,
        ctx.app.clock.now(),
    )
    .await?;
    tracing::info!(inviter = member.id, role = place.scope().role().code(), "invitation created in the bot");
    let role = role_name(ctx, place.scope().role());
    let until = staff::local_time(ctx.app.settings.survey.default_timezone, expires_at);
    let message = ctx.app.texts.get_with(
        ctx.lang,
        "invite-message",
        &args![("role", role), ("place", place.name()), ("url", url), ("until", until)],
    );
    ctx.say(message).await?;
    ctx.say(ctx.t("invite-forward-hint")).await?;
    Ok(Some(ctx.t("invite-created")))
}

/// Whom a revocation concerns, as the confirmation and its outcome name them.
struct Subject {
    name: Option<String>,
    role: String,
    place: String,
}

/// The target as it is now, if the presser may revoke it; else the toast saying why not.
async fn check(
    ctx: &Ctx<'_>,
    member: &StaffMember,
    scope: Scope,
    target: &Target,
) -> anyhow::Result<Result<Subject, String>> {
    let not_yours = || {
        tracing::warn!(revoker = member.id, "a revocation button for someone outside the presser's reach");
        Ok(Err(ctx.t("invite-not-yours")))
    };
    match target {
        Target::Staff(id) => {
            // One who does not exist gets the same answer as one outside the scope.
            let Some(person) = ctx.app.db.staff_member(*id).await? else { return not_yours() };
            let Some(their) = person.scope() else { return not_yours() };
            if person.user_id == member.user_id || !may_revoke(scope, their) {
                return not_yours();
            }
            if person.revoked {
                return Ok(Err(ctx.t("invite-already-revoked")));
            }
            Ok(Ok(Subject {
                name: Some(person.name.clone()),
                role: role_name(ctx, their.role()),
                place: person.scope_name(),
            }))
        }
        Target::Invitation(code) => {
            let Some(invitation) = ctx.app.db.open_invitation(code, ctx.app.clock.now()).await? else {
                return Ok(Err(ctx.t("invite-invitation-closed")));
            };
            let Some(its) = invitation.scope().filter(|s| may_revoke(scope, *s)) else { return not_yours() };
            Ok(Ok(Subject { name: None, role: role_name(ctx, its.role()), place: invitation.scope_name() }))
        }
    }
}

fn subject_text(ctx: &Ctx<'_>, id: &str, subject: &Subject) -> String {
    ctx.app.texts.get_with(
        ctx.lang,
        id,
        &args![
            ("name", subject.name.clone().unwrap_or_default()),
            ("role", subject.role.as_str()),
            ("place", subject.place.as_str())
        ],
    )
}

/// «Отозвать»: the confirmation, on the `/team` message.
async fn ask(
    ctx: &Ctx<'_>,
    on: MessageId,
    member: &StaffMember,
    scope: Scope,
    target: Target,
) -> anyhow::Result<Option<String>> {
    let subject = match check(ctx, member, scope, &target).await? {
        Ok(subject) => subject,
        Err(toast) => return Ok(Some(toast)),
    };
    let id = match target {
        Target::Staff(_) => "invite-revoke-ask-staff",
        Target::Invitation(_) => "invite-revoke-ask-invitation",
    };
    let keyboard = InlineKeyboardMarkup::new([
        vec![button(ctx.t("invite-revoke-yes"), &InviteButton::Confirm(target))],
        vec![button(ctx.t("invite-revoke-no"), &InviteButton::Team(0))],
    ]);
    ctx.show(Some(on), subject_text(ctx, id, &subject), Some(keyboard)).await?;
    Ok(None)
}

/// «Да, отозвать»: everything checked again, the revocation done once.
async fn confirm(
    ctx: &Ctx<'_>,
    on: MessageId,
    member: &StaffMember,
    scope: Scope,
    target: Target,
) -> anyhow::Result<Option<String>> {
    let subject = match check(ctx, member, scope, &target).await? {
        Ok(subject) => subject,
        Err(toast) => return Ok(Some(toast)),
    };
    let now = ctx.app.clock.now();
    let done = match &target {
        Target::Staff(id) => {
            // The conditional update lets one of two simultaneous confirmations through.
            let revoked = staff::revoke_staff(&ctx.app.db, Some(ctx.bot), &ctx.app.texts, *id, now).await?;
            revoked.map(|_| "invite-revoked-staff")
        }
        Target::Invitation(code) => {
            ctx.app.db.revoke_invitation(code, now).await?.then_some("invite-revoked-invitation")
        }
    };
    let Some(id) = done else {
        return Ok(Some(ctx.t(match target {
            Target::Staff(_) => "invite-already-revoked",
            Target::Invitation(_) => "invite-invitation-closed",
        })));
    };
    tracing::info!(revoker = member.id, "access revoked in the bot");
    let keyboard = InlineKeyboardMarkup::new([[button(ctx.t("invite-back-to-team"), &InviteButton::Team(0))]]);
    ctx.show(Some(on), subject_text(ctx, id, &subject), Some(keyboard)).await?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_round_trip_within_telegrams_limit() {
        let code = "Abc123xyzAbc123xyzAbc123".to_string();
        for button in [
            InviteButton::Page(0),
            InviteButton::Page(u32::MAX),
            InviteButton::Place(PlaceKind::Municipality, 7),
            InviteButton::Place(PlaceKind::School, i64::MAX),
            InviteButton::Place(PlaceKind::Class, 1),
            InviteButton::Team(3),
            InviteButton::Ask(Target::Staff(i64::MAX)),
            InviteButton::Ask(Target::Invitation(code.clone())),
            InviteButton::Confirm(Target::Staff(12)),
            InviteButton::Confirm(Target::Invitation("x".repeat(MAX_CODE_CHARS))),
            InviteButton::Close,
        ] {
            let data = button.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(InviteButton::parse(&data), Some(button), "{data}");
        }
    }

    #[test]
    fn forged_data_is_not_a_button() {
        for data in [
            "iv:",
            "iv:m",
            "iv:m0",
            "iv:m-1",
            "iv:m+5",
            "iv:s1.5",
            "iv:c99999999999999999999",
            "iv:p-1",
            "iv:p99999999999",
            "iv:t",
            "iv:as",
            "iv:as0",
            "iv:ai",
            "iv:ai../etc",
            "iv:yiabc def",
            "iv:zz1",
            "iv:xx",
            "ca:m1",
            "kt:c:1",
            "1iv:m1",
            &format!("iv:yi{}", "x".repeat(MAX_CODE_CHARS + 1)),
            &format!("iv:ai{}", "a".repeat(70)),
        ] {
            assert_eq!(InviteButton::parse(data), None, "{data}");
        }
    }
}
