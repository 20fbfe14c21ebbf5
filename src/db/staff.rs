//! Staff and their one-time invitations; roster look-ups by name for the operator's commands.

use chrono::{DateTime, Utc};

use super::{BeginWrite, Db, on_pool};
use crate::roles::{Role, Scope};
use crate::survey::Lang;

/// An invitation to create: its code, role and the scope's ids.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub code: String,
    pub scope: Scope,
    pub expires_at: DateTime<Utc>,
    /// The staff member who invited in the bot; `None` from the command line.
    pub invited_by: Option<i64>,
}

/// A staff member, with the names of their scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffMember {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub name: String,
    pub role: String,
    pub municipality_id: Option<i64>,
    pub school_id: Option<i64>,
    pub class_id: Option<i64>,
    pub municipality: Option<String>,
    pub school: Option<String>,
    pub class: Option<String>,
    pub revoked: bool,
    /// The language of their Telegram, for what is sent to them unasked.
    #[sqlx(try_from = "String")]
    pub language: Lang,
}

impl StaffMember {
    pub fn scope(&self) -> Option<Scope> {
        scope_of(&self.role, self.municipality_id, self.school_id, self.class_id)
    }

    /// "Иркутск / Школа № 1 / 5А", as far as the scope goes.
    pub fn scope_name(&self) -> String {
        let parts: Vec<&str> =
            [&self.municipality, &self.school, &self.class].into_iter().filter_map(|p| p.as_deref()).collect();
        if parts.is_empty() { "—".to_string() } else { parts.join(" / ") }
    }
}

pub(super) fn scope_of(
    role: &str,
    municipality_id: Option<i64>,
    school_id: Option<i64>,
    class_id: Option<i64>,
) -> Option<Scope> {
    Some(match Role::from_code(role)? {
        Role::Region => Scope::Region,
        Role::Municipality => Scope::Municipality { municipality_id: municipality_id? },
        Role::School => Scope::School { municipality_id: municipality_id?, school_id: school_id? },
        Role::Teacher => Scope::Class { municipality_id: municipality_id?, school_id: school_id?, class_id: class_id? },
    })
}

/// An invitation as `admin list` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub code: String,
    pub role: String,
    pub municipality: Option<String>,
    pub school: Option<String>,
    pub class: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub accepted: bool,
    pub revoked: bool,
    /// The staff member who sent it from the bot (`None`: the command line).
    pub invited_by: Option<i64>,
    /// The staff member who joined with it.
    pub accepted_by: Option<i64>,
}

/// What opening an invitation link did.
#[derive(Debug, Clone)]
pub enum Acceptance {
    Accepted(StaffMember),
    /// Used by someone else, revoked, expired or never issued: the same answer for all, so a
    /// stranger learns nothing from probing codes.
    Invalid,
}

/// A school found by name, with its municipality.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SchoolRef {
    pub municipality_id: i64,
    pub municipality: String,
    pub school_id: i64,
    pub school: String,
}

pub(super) const STAFF_SELECT: &str =
    "SELECT st.id, st.user_id, st.chat_id, st.name, st.role, st.municipality_id, st.school_id,
            st.class_id, m.name AS municipality, s.name AS school, k.name AS class,
            (st.revoked_at IS NOT NULL) AS revoked, st.language
     FROM staff st
     LEFT JOIN municipalities m ON m.id = st.municipality_id
     LEFT JOIN schools s ON s.id = st.school_id
     LEFT JOIN classes k ON k.id = st.class_id";

impl Db {
    pub async fn create_invitation(&self, invitation: &NewInvitation, now: DateTime<Utc>) -> sqlx::Result<()> {
        let (municipality_id, school_id, class_id) = invitation.scope.ids();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO invitations (code, role, municipality_id, school_id, class_id, created_at, expires_at,
                                      invited_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&invitation.code)
        .bind(invitation.scope.role().code())
        .bind(municipality_id)
        .bind(school_id)
        .bind(class_id)
        .bind(now)
        .bind(invitation.expires_at)
        .bind(invitation.invited_by)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Accepts an invitation for this Telegram account if it is still open. The conditional
    /// update makes the first account win, even when two open the link at once.
    pub async fn accept_invitation(
        &self,
        code: &str,
        user_id: i64,
        chat_id: i64,
        name: &str,
        language: Lang,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Acceptance> {
        let staff_id: Option<i64> = on_pool!(self, pool => async {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(
                "UPDATE invitations SET accepted_at = $1
                 WHERE code = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(code)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(None);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff (user_id, chat_id, name, role, municipality_id, school_id, class_id, invitation_code,
                                    created_at, language)
                 SELECT $1, $2, $3, role, municipality_id, school_id, class_id, code, $4, $6 FROM invitations WHERE code = $5
                 RETURNING id",
            )
            .bind(user_id)
            .bind(chat_id)
            .bind(name)
            .bind(now)
            .bind(code)
            .bind(language.code())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(id))
        }.await)?;
        match staff_id {
            Some(id) => Ok(self.staff_member(id).await?.map_or(Acceptance::Invalid, Acceptance::Accepted)),
            None => Ok(Acceptance::Invalid),
        }
    }

    /// Records the language a staff member's Telegram now speaks.
    pub async fn set_staff_language(&self, user_id: i64, language: Lang) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE staff SET language = $1 WHERE user_id = $2 AND language <> $1")
            .bind(language.code())
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ()))
    }

    pub async fn staff_member(&self, id: i64) -> sqlx::Result<Option<StaffMember>> {
        let sql = format!("{STAFF_SELECT} WHERE st.id = $1");
        on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
    }

    /// The active roles of a Telegram account, broadest first.
    pub async fn roles_of(&self, user_id: i64) -> sqlx::Result<Vec<StaffMember>> {
        let sql = format!("{STAFF_SELECT} WHERE st.user_id = $1 AND st.revoked_at IS NULL ORDER BY st.id");
        let mut staff: Vec<StaffMember> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await)?;
        staff.sort_by_key(|s| Role::from_code(&s.role));
        Ok(staff)
    }

    pub async fn list_staff(&self) -> sqlx::Result<Vec<StaffMember>> {
        let sql = format!("{STAFF_SELECT} ORDER BY st.id");
        on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)
    }

    pub async fn list_invitations(&self) -> sqlx::Result<Vec<InvitationRow>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT i.code, i.role, m.name AS municipality, s.name AS school, k.name AS class, i.expires_at,
                    (i.accepted_at IS NOT NULL) AS accepted, (i.revoked_at IS NOT NULL) AS revoked, i.invited_by,
                    st.id AS accepted_by
             FROM invitations i
             LEFT JOIN staff st ON st.invitation_code = i.code
             LEFT JOIN municipalities m ON m.id = i.municipality_id
             LEFT JOIN schools s ON s.id = i.school_id
             LEFT JOIN classes k ON k.id = i.class_id
             ORDER BY i.created_at",
        )
        .fetch_all(pool)
        .await)
    }

    /// Revokes a staff member; returns the member if there was an active one with this id.
    pub async fn revoke_staff(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<Option<StaffMember>> {
        let done = on_pool!(self, pool => sqlx::query("UPDATE staff SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if done == 0 { Ok(None) } else { self.staff_member(id).await }
    }

    /// Revokes an invitation that has not been accepted; returns whether there was one.
    pub async fn revoke_invitation(&self, code: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE invitations SET revoked_at = $1 WHERE code = $2 AND revoked_at IS NULL AND accepted_at IS NULL",
        )
        .bind(now)
        .bind(code)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    pub async fn find_municipality(&self, name: &str) -> sqlx::Result<Option<(i64, String)>> {
        on_pool!(self, pool => sqlx::query_as("SELECT id, name FROM municipalities WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await)
    }
}
