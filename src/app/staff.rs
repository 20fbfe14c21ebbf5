//! Inviting staff and ending their access, for the command line and the bot alike: one-time deep
//! links that make the first Telegram account opening them an administrator of a scope (region,
//! municipality, school) or the teacher of a class; who may invite and revoke whom; revocation,
//! which also takes the person's command menu away and tells them.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use teloxide::prelude::*;
use teloxide::types::{BotCommandScope, Recipient};

use crate::args;
use crate::db::{Db, InvitationRow, NewInvitation, SchoolRef, StaffMember};
use crate::failure::Failure;
use crate::i18n::Texts;
use crate::places::{self, Found, Level, Place};
use crate::roles::{Role, Scope};

/// Deep-link payloads of invitations start with this; class link codes never contain `_`.
pub const PAYLOAD_PREFIX: &str = "inv_";

/// How long an invitation made in the bot stays valid: the command line's default (`7d`).
pub const DEFAULT_VALID_FOR: Duration = Duration::days(7);

/// The message id of a role's name ("администратор школы").
pub fn role_message_id(role: Role) -> &'static str {
    match role {
        Role::Region => "admin-role-region",
        Role::Municipality => "admin-role-municipality",
        Role::School => "admin-role-school",
        Role::Teacher => "admin-role-teacher",
    }
}

/// The role a staff member of `role` invites: one level down; a class teacher invites nobody.
pub fn invites(role: Role) -> Option<Role> {
    match role {
        Role::Region => Some(Role::Municipality),
        Role::Municipality => Some(Role::School),
        Role::School => Some(Role::Teacher),
        Role::Teacher => None,
    }
}

/// Whether someone of `inviter`'s scope may invite to `place`: the place is one level below
/// their role and lies within their scope.
pub fn may_invite(inviter: Scope, place: Scope) -> bool {
    invites(inviter.role()) == Some(place.role()) && inviter.covers(place)
}

/// Whether someone of `revoker`'s scope may end access of `target`'s scope: a role below theirs,
/// within their scope (so never their own role, a higher one, or another place's people).
pub fn may_revoke(revoker: Scope, target: Scope) -> bool {
    revoker.role() < target.role() && revoker.covers(target)
}

/// A moment as the region reads it: in its time zone (`survey.default_timezone`), the zone named.
pub fn local_time(zone: chrono_tz::Tz, moment: DateTime<Utc>) -> String {
    format!("{} ({zone})", moment.with_timezone(&zone).format("%d.%m.%Y %H:%M"))
}

/// What an invitation is for, as the operator names it.
#[derive(Debug, Clone)]
pub enum InviteFor {
    Region,
    Municipality(String),
    School(String),
    Class { school: String, class: String },
}

/// Finds a school by its name as people type it (any quotes, case, a part of the name: see
/// [`places::find`]), or by `municipality/name` when the name alone is ambiguous.
pub async fn resolve_school(db: &Db, spec: &str) -> anyhow::Result<SchoolRef> {
    let spec = spec.trim();
    let mut roster = db.places_at(Level::Municipality, Scope::Region).await?;
    roster.extend(db.places_at(Level::School, Scope::Region).await?);
    let named = |found: &[&Place]| -> String {
        found.iter().map(|s| format!("\"{}/{}\"", s.municipality, s.name)).collect::<Vec<_>>().join(", ")
    };
    match places::find(&roster, spec, &[Level::School]) {
        Found::One(school) if school.level == Level::School => Ok(SchoolRef {
            municipality_id: school.municipality_id,
            municipality: school.municipality.clone(),
            school_id: school.id,
            school: school.name.clone(),
        }),
        Found::Several(found) => {
            Err(Failure::AmbiguousSchool { name: spec.to_string(), candidates: named(&found) }.into())
        }
        Found::Nearest(found) if !found.is_empty() => {
            Err(Failure::NoSchoolNear { name: spec.to_string(), candidates: named(&found) }.into())
        }
        Found::One(_) | Found::Nearest(_) => Err(Failure::NoSchool(spec.to_string()).into()),
    }
}

/// Finds a class of `school` by its name as people type it (`5a`, `5 А` and `5А` are one class).
pub async fn resolve_class(db: &Db, school: &SchoolRef, class: &str) -> anyhow::Result<i64> {
    let scope = Scope::School { municipality_id: school.municipality_id, school_id: school.school_id };
    let classes = db.places_at(Level::Class, scope).await?;
    match places::find(&classes, class, &[Level::Class]) {
        Found::One(found) => Ok(found.id),
        Found::Several(found) => {
            let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
            let (school, class, candidates) = (school.school.clone(), class.to_string(), names.join(", "));
            Err(Failure::AmbiguousClass { school, class, candidates }.into())
        }
        Found::Nearest(_) => Err(Failure::NoClass { school: school.school.clone(), class: class.to_string() }.into()),
    }
}

async fn scope_for(db: &Db, target: &InviteFor) -> anyhow::Result<Scope> {
    Ok(match target {
        InviteFor::Region => Scope::Region,
        InviteFor::Municipality(name) => {
            let (id, _) =
                db.find_municipality(name.trim()).await?.ok_or_else(|| Failure::NoMunicipality(name.clone()))?;
            Scope::Municipality { municipality_id: id }
        }
        InviteFor::School(spec) => {
            let school = resolve_school(db, spec).await?;
            Scope::School { municipality_id: school.municipality_id, school_id: school.school_id }
        }
        InviteFor::Class { school, class } => {
            let school = resolve_school(db, school).await?;
            let class_id = resolve_class(db, &school, class).await?;
            Scope::Class { municipality_id: school.municipality_id, school_id: school.school_id, class_id }
        }
    })
}

/// Creates an invitation and returns its deep link and expiry.
pub async fn invite(
    db: &Db,
    target: &InviteFor,
    valid_for: Duration,
    bot_username: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    if bot_username.is_empty() {
        return Err(Failure::NoBotUsername.into());
    }
    let scope = scope_for(db, target).await?;
    issue(db, scope, None, valid_for, bot_username, now).await
}

/// Creates an invitation to `scope` sent by `invited_by` (a staff member in the bot; `None` from
/// the command line); returns its deep link and expiry.
pub async fn issue(
    db: &Db,
    scope: Scope,
    invited_by: Option<i64>,
    valid_for: Duration,
    bot_username: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let code: String = rand::thread_rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect();
    let expires_at = now + valid_for;
    db.create_invitation(&NewInvitation { code: code.clone(), scope, expires_at, invited_by }, now).await?;
    Ok((format!("https://t.me/{bot_username}?start={PAYLOAD_PREFIX}{code}"), expires_at))
}

/// Staff and invitations, for `admin list`.
pub async fn list(db: &Db) -> anyhow::Result<(Vec<StaffMember>, Vec<InvitationRow>)> {
    Ok((db.list_staff().await?, db.list_invitations().await?))
}

/// What `admin revoke` took away.
#[derive(Debug)]
pub enum Revoked {
    /// `told`: their menu was removed and they were told (Telegram was reached).
    Staff {
        member: Box<StaffMember>,
        told: bool,
    },
    Invitation,
}

/// Revokes a staff member (by the number `admin list` shows) or an unused invitation (by its code).
/// `bot`: the bot to remove the member's menu and tell them with (`None`: no token at hand).
pub async fn revoke(
    db: &Db,
    bot: Option<&Bot>,
    texts: &Texts,
    id_or_code: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Revoked> {
    let id_or_code = invitation_code(id_or_code);
    if let Ok(id) = id_or_code.parse::<i64>() {
        return match revoke_staff(db, bot, texts, id, now).await? {
            Some((member, told)) => Ok(Revoked::Staff { member: Box::new(member), told }),
            None => Err(Failure::NoStaffMember(id).into()),
        };
    }
    if db.revoke_invitation(id_or_code, now).await? {
        Ok(Revoked::Invitation)
    } else {
        Err(Failure::NoInvitation(id_or_code.to_string()).into())
    }
}

/// Ends a staff member's access at once, with the invitations they sent that nobody accepted,
/// then removes their Telegram command menu and tells them politely, in their language. Returns the member (`None` if there was no active one with this
/// id: a repeated revocation changes nothing) and whether Telegram was reached.
pub async fn revoke_staff(
    db: &Db,
    bot: Option<&Bot>,
    texts: &Texts,
    id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(StaffMember, bool)>> {
    let Some(member) = db.revoke_staff(id, now).await? else { return Ok(None) };
    // An unused link they sent would still make someone staff on their word after their word
    // stopped counting: such links end with their access.
    db.revoke_invitations_by(member.id, now).await?;
    let told = match bot {
        Some(bot) => match farewell(bot, texts, &member).await {
            Ok(()) => true,
            Err(error) => {
                // Access ended in the database already; the menu goes when they next use a command.
                tracing::warn!(error = %error, "cannot remove a revoked staff member's menu or tell them");
                false
            }
        },
        None => false,
    };
    Ok(Some((member, told)))
}

async fn farewell(bot: &Bot, texts: &Texts, member: &StaffMember) -> Result<(), teloxide::RequestError> {
    let chat = ChatId(member.chat_id);
    bot.delete_my_commands().scope(BotCommandScope::Chat { chat_id: Recipient::Id(chat) }).await?;
    let role = member.scope().map_or(String::new(), |scope| texts.get(member.language, role_message_id(scope.role())));
    let text =
        texts.get_with(member.language, "invite-access-ended", &args![("role", role), ("scope", member.scope_name())]);
    bot.send_message(chat, text).await?;
    Ok(())
}

/// The code of an invitation as the operator may have it: the link they were given, the
/// `inv_` payload, or the bare code.
fn invitation_code(text: &str) -> &str {
    let text = text.trim();
    let payload = text.rsplit_once("?start=").map_or(text, |(_, payload)| payload);
    payload.trim_start_matches(PAYLOAD_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_is_found_by_its_link_its_payload_or_its_code() {
        for given in ["https://t.me/anketa_bot?start=inv_Abc123", " inv_Abc123", "Abc123", "t.me/x?start=Abc123\n"] {
            assert_eq!(invitation_code(given), "Abc123", "{given:?}");
        }
        assert_eq!(invitation_code("7"), "7", "a staff member's number stays a number");
    }

    #[test]
    fn each_role_invites_the_next_one_within_its_scope() {
        let region = Scope::Region;
        let irkutsk = Scope::Municipality { municipality_id: 1 };
        let perm = Scope::Municipality { municipality_id: 2 };
        let school = Scope::School { municipality_id: 1, school_id: 10 };
        let perm_school = Scope::School { municipality_id: 2, school_id: 20 };
        let class = Scope::Class { municipality_id: 1, school_id: 10, class_id: 100 };
        let other_class = Scope::Class { municipality_id: 1, school_id: 11, class_id: 110 };
        assert!(may_invite(region, irkutsk) && may_invite(irkutsk, school) && may_invite(school, class));
        assert!(!may_invite(region, school), "one level down only");
        assert!(!may_invite(irkutsk, perm_school) && !may_invite(school, other_class), "another place");
        assert!(!may_invite(irkutsk, perm) && !may_invite(irkutsk, irkutsk), "their own level");
        assert!(!may_invite(class, class), "a class teacher invites nobody");
    }

    #[test]
    fn only_people_below_within_the_scope_are_revoked() {
        let region = Scope::Region;
        let irkutsk = Scope::Municipality { municipality_id: 1 };
        let school = Scope::School { municipality_id: 1, school_id: 10 };
        let class = Scope::Class { municipality_id: 1, school_id: 10, class_id: 100 };
        let perm_class = Scope::Class { municipality_id: 2, school_id: 20, class_id: 200 };
        assert!(may_revoke(region, irkutsk) && may_revoke(region, class) && may_revoke(region, perm_class));
        assert!(may_revoke(irkutsk, school) && may_revoke(irkutsk, class) && !may_revoke(irkutsk, perm_class));
        assert!(may_revoke(school, class) && !may_revoke(school, perm_class));
        assert!(!may_revoke(region, region) && !may_revoke(irkutsk, irkutsk) && !may_revoke(school, school));
        assert!(!may_revoke(school, irkutsk) && !may_revoke(class, class) && !may_revoke(irkutsk, region));
    }
}
