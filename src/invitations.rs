//! Inviting staff: one-time deep links that make the first Telegram account opening them an
//! administrator of a scope (region, municipality, school) or the teacher of a class.

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::db::{Db, InvitationRow, NewInvitation, SchoolRef, StaffMember};
use crate::places::{self, Found, Level, Place};
use crate::roles::Scope;

/// Deep-link payloads of invitations start with this; class link codes never contain `_`.
pub const PAYLOAD_PREFIX: &str = "inv_";

/// What an invitation is for, as the operator names it.
#[derive(Debug, Clone)]
pub enum InviteFor {
    Region,
    Municipality(String),
    School(String),
    Class { school: String, class: String },
}

/// Parses `7d`, `48h`, `90m` or a plain number of days.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 'd'),
    };
    let n: i64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("{text:?} is not a duration: use e.g. 7d (days), 48h (hours) or 90m (minutes)"))?;
    Ok(match unit {
        'd' => Duration::days(n),
        'h' => Duration::hours(n),
        'm' => Duration::minutes(n),
        _ => bail!("{text:?} is not a duration: use e.g. 7d (days), 48h (hours) or 90m (minutes)"),
    })
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
            bail!("the school name {spec:?} is ambiguous; name one of: {}", named(&found))
        }
        Found::Nearest(found) if !found.is_empty() => {
            bail!("no school named {spec:?} in the roster; did you mean {}?", named(&found))
        }
        Found::One(_) | Found::Nearest(_) => bail!("no school named {spec:?} in the roster"),
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
            bail!("the class name {class:?} is ambiguous in {:?}; name one of: {}", school.school, names.join(", "))
        }
        Found::Nearest(_) => bail!("school {:?} has no class {class:?} in the roster", school.school),
    }
}

async fn scope_for(db: &Db, target: &InviteFor) -> anyhow::Result<Scope> {
    Ok(match target {
        InviteFor::Region => Scope::Region,
        InviteFor::Municipality(name) => {
            let (id, _) = db
                .find_municipality(name.trim())
                .await?
                .with_context(|| format!("no municipality named {name:?} in the roster"))?;
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
        bail!("the bot's username is not set: put it in bot.toml ([telegram] bot_username) or set ANKETA_BOT_USERNAME");
    }
    let scope = scope_for(db, target).await?;
    let code: String = rand::thread_rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect();
    let expires_at = now + valid_for;
    db.create_invitation(&NewInvitation { code: code.clone(), scope, expires_at }, now).await?;
    Ok((format!("https://t.me/{bot_username}?start={PAYLOAD_PREFIX}{code}"), expires_at))
}

/// Staff and invitations, for `admin list`.
pub async fn list(db: &Db) -> anyhow::Result<(Vec<StaffMember>, Vec<InvitationRow>)> {
    Ok((db.list_staff().await?, db.list_invitations().await?))
}

/// What `admin revoke` took away.
#[derive(Debug)]
pub enum Revoked {
    Staff(StaffMember),
    Invitation,
}

/// Revokes a staff member (by the number `admin list` shows) or an unused invitation (by its code).
pub async fn revoke(db: &Db, id_or_code: &str, now: DateTime<Utc>) -> anyhow::Result<Revoked> {
    let id_or_code = invitation_code(id_or_code);
    if let Ok(id) = id_or_code.parse::<i64>() {
        return match db.revoke_staff(id, now).await? {
            Some(member) => Ok(Revoked::Staff(member)),
            None => bail!("no active staff member number {id} (see `anketa admin list`)"),
        };
    }
    if db.revoke_invitation(id_or_code, now).await? {
        Ok(Revoked::Invitation)
    } else {
        bail!("no unused invitation {id_or_code:?} (see `anketa admin list`)")
    }
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
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::days(7));
        assert_eq!(parse_duration("48h").unwrap(), Duration::hours(48));
        assert_eq!(parse_duration("90m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("3").unwrap(), Duration::days(3));
        for bad in ["", "d", "-1d", "0d", "7w", "seven"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
