//! Inviting staff: one-time deep links that make the first Telegram account opening them an
//! administrator of a scope (region, municipality, school) or the teacher of a class.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::db::{Db, InvitationRow, NewInvitation, SchoolRef, StaffMember};
use crate::failure::Failure;
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
    let n: i64 = number.parse().ok().filter(|n| *n > 0).ok_or_else(|| Failure::BadDuration(text.to_string()))?;
    Ok(match unit {
        'd' => Duration::days(n),
        'h' => Duration::hours(n),
        'm' => Duration::minutes(n),
        _ => return Err(Failure::BadDuration(text.to_string()).into()),
    })
}

/// Finds a school by `name`, or by `municipality/name` when the name alone is ambiguous.
pub async fn resolve_school(db: &Db, spec: &str) -> anyhow::Result<SchoolRef> {
    let spec = spec.trim();
    let mut found = db.find_schools(None, spec).await?;
    if found.is_empty()
        && let Some((municipality, school)) = spec.split_once('/')
    {
        found = db.find_schools(Some(municipality.trim()), school.trim()).await?;
    }
    match found.len() {
        0 => Err(Failure::NoSchool(spec.to_string()).into()),
        1 => Ok(found.remove(0)),
        _ => {
            let candidates: Vec<String> =
                found.iter().map(|s| format!("\"{}/{}\"", s.municipality, s.school)).collect();
            Err(Failure::AmbiguousSchool { name: spec.to_string(), candidates: candidates.join(", ") }.into())
        }
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
            let class_id = db
                .find_class(school.school_id, class.trim())
                .await?
                .ok_or_else(|| Failure::NoClass { school: school.school.clone(), class: class.clone() })?;
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
            None => Err(Failure::NoStaffMember(id).into()),
        };
    }
    if db.revoke_invitation(id_or_code, now).await? {
        Ok(Revoked::Invitation)
    } else {
        Err(Failure::NoInvitation(id_or_code.to_string()).into())
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
