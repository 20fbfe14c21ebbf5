//! Campaigns, their questionnaires and the class links respondents arrive through.

use chrono::{DateTime, NaiveDate, Utc};

use super::{BeginWrite, Db, Participation, is_unique_violation, on_pool};
use std::collections::BTreeMap;

use crate::survey::{Audience, Grades};

/// A campaign to create; its questionnaires are copied in as they are now.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_percent: i64,
    /// (audience, questionnaire id, the questionnaire's TOML text)
    pub questionnaires: Vec<(Audience, String, String)>,
    /// The grades an audience is asked in; an audience missing here is asked in every grade.
    pub grades: BTreeMap<Audience, Grades>,
}

/// A questionnaire a campaign was created with, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredQuestionnaire {
    pub questionnaire_id: String,
    /// The questionnaire's TOML text.
    pub definition: String,
    /// As [`Grades`] writes them; `None`: every grade.
    pub grades: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_percent: i64,
    pub closed: bool,
}

/// A campaign with its participation so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignSummary {
    #[sqlx(flatten)]
    pub campaign: Campaign,
    pub questionnaires: String,
    /// Filled in by [`Db::list_campaigns`] from the class tallies.
    #[sqlx(skip)]
    pub participation: Participation,
}

/// One class's link, with the names a person recognises.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClassLink {
    pub municipality_id: i64,
    pub school_id: i64,
    pub municipality: String,
    pub school: String,
    pub class: String,
    pub headcount: i64,
    pub code: String,
}

/// Where a deep-link code leads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkTarget {
    pub code: String,
    #[sqlx(flatten)]
    pub campaign: Campaign,
    pub school_id: i64,
    pub school: String,
    pub timezone: String,
    pub class_id: i64,
    pub class: String,
    pub revoked: bool,
}

/// The columns of a [`Campaign`] `c`, as a literal for `concat!`.
macro_rules! campaign_columns {
    () => {
        "c.id, c.name, c.starts_on, c.ends_on, c.target_percent, c.closed"
    };
}
const CAMPAIGN_COLUMNS: &str = campaign_columns!();

/// The columns of a [`LinkTarget`], as a literal for `concat!`; they come from a link `l` joined
/// to its campaign `c`, class `k` and school `s` by [`link_target_joins!`].
macro_rules! link_target_columns {
    () => {
        concat!(
            "l.code, ",
            $crate::db::campaigns::campaign_columns!(),
            ", s.id AS school_id, s.name AS school, s.timezone, k.id AS class_id, k.name AS class,
             (l.revoked_at IS NOT NULL) AS revoked"
        )
    };
}

/// From a link `l` to its campaign, class and school, with `JOIN` or `LEFT JOIN`.
macro_rules! link_target_joins {
    ($join:literal) => {
        concat!(
            " ",
            $join,
            " campaigns c ON c.id = l.campaign_id ",
            $join,
            " classes k ON k.id = l.class_id ",
            $join,
            " schools s ON s.id = k.school_id"
        )
    };
}
pub(super) use {campaign_columns, link_target_columns, link_target_joins};

/// Why a campaign could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("a campaign named {0:?} already exists (see `anketa campaign list`)")]
    NameTaken(String),
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

/// Nobody has answered the campaign `$1`: no participation, ballot, response or tally. Only such
/// a campaign may be renamed (its name may already be on posters, but on no answer) or deleted.
const UNANSWERED: &str = "NOT EXISTS (SELECT 1 FROM participations WHERE campaign_id = $1)
     AND NOT EXISTS (SELECT 1 FROM ballots WHERE campaign_id = $1)
     AND NOT EXISTS (SELECT 1 FROM responses WHERE campaign_id = $1)
     AND NOT EXISTS (SELECT 1 FROM class_tallies WHERE campaign_id = $1)";

/// What a rename or a deletion of a campaign came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    Done,
    /// Someone has answered it: it stays as it is.
    Answered,
    /// There is no such campaign (any more).
    Gone,
}

impl Db {
    pub async fn create_campaign(&self, new: &NewCampaign, now: DateTime<Utc>) -> Result<i64, CampaignError> {
        // An async block, so `?` ends the block (to be mapped below), not the function.
        let result: Result<i64, sqlx::Error> = on_pool!(self, pool => async {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (name, starts_on, ends_on, target_percent, closed, created_at)
                 VALUES ($1, $2, $3, $4, FALSE, $5) RETURNING id",
            )
            .bind(&new.name)
            .bind(new.starts_on)
            .bind(new.ends_on)
            .bind(new.target_percent)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (audience, questionnaire_id, definition) in &new.questionnaires {
                sqlx::query(
                    "INSERT INTO campaign_questionnaires (campaign_id, audience, questionnaire_id, definition, grades)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(audience.code())
                .bind(questionnaire_id)
                .bind(definition)
                .bind(new.grades.get(audience).map(Grades::to_string))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        }.await);
        result.map_err(|e| if is_unique_violation(&e) { CampaignError::NameTaken(new.name.clone()) } else { e.into() })
    }

    pub async fn campaign_by_name(&self, name: &str) -> sqlx::Result<Option<Campaign>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.name = $1");
        on_pool!(self, pool => sqlx::query_as(&sql).bind(name).fetch_optional(pool).await)
    }

    /// Every campaign with its questionnaires and its participation so far.
    pub async fn list_campaigns(&self) -> sqlx::Result<Vec<CampaignSummary>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS},
                    (SELECT COALESCE(string_agg(q.questionnaire_id, ', '), '') FROM campaign_questionnaires q
                      WHERE q.campaign_id = c.id) AS questionnaires
             FROM campaigns c ORDER BY c.starts_on, c.name"
        );
        let mut campaigns: Vec<CampaignSummary> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        for summary in &mut campaigns {
            summary.participation = self.participation_in_region(summary.campaign.id).await?;
        }
        Ok(campaigns)
    }

    /// The questionnaires a campaign was created with.
    pub async fn campaign_questionnaires(&self, campaign_id: i64) -> sqlx::Result<Vec<StoredQuestionnaire>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT questionnaire_id, definition, grades FROM campaign_questionnaires WHERE campaign_id = $1
             ORDER BY audience",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)
    }

    /// Gives every class of the roster an active link for the campaign (existing links are kept)
    /// and returns them all, ordered by municipality, school and class.
    pub async fn ensure_links(
        &self,
        campaign_id: i64,
        now: DateTime<Utc>,
        mut new_code: impl FnMut() -> String,
    ) -> sqlx::Result<Vec<ClassLink>> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let missing: Vec<i64> = sqlx::query_scalar(
                "SELECT k.id FROM classes k WHERE NOT EXISTS (
                     SELECT 1 FROM class_links l
                     WHERE l.class_id = k.id AND l.campaign_id = $1 AND l.revoked_at IS NULL)
                 ORDER BY k.id",
            )
            .bind(campaign_id)
            .fetch_all(&mut *tx)
            .await?;
            for class_id in missing {
                sqlx::query("INSERT INTO class_links (code, campaign_id, class_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(new_code())
                    .bind(campaign_id)
                    .bind(class_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            let links = sqlx::query_as(
                "SELECT m.id AS municipality_id, s.id AS school_id, m.name AS municipality, s.name AS school,
                        k.name AS class, k.headcount, l.code
                 FROM class_links l
                 JOIN classes k ON k.id = l.class_id
                 JOIN schools s ON s.id = k.school_id
                 JOIN municipalities m ON m.id = s.municipality_id
                 WHERE l.campaign_id = $1 AND l.revoked_at IS NULL
                 ORDER BY m.name, s.name, k.name",
            )
            .bind(campaign_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(links)
        })
    }

    /// Closes a campaign: its links then answer politely and store nothing. Returns whether it was open.
    pub async fn close_campaign(&self, campaign_id: i64) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query("UPDATE campaigns SET closed = TRUE WHERE id = $1 AND closed = FALSE")
            .bind(campaign_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// Reopens a closed campaign with the given last day. Returns whether it was closed.
    pub async fn reopen_campaign(&self, campaign_id: i64, ends_on: NaiveDate) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE campaigns SET closed = FALSE, ends_on = $1 WHERE id = $2 AND closed = TRUE",
        )
        .bind(ends_on)
        .bind(campaign_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// A campaign by its id.
    pub async fn campaign_by_id(&self, id: i64) -> sqlx::Result<Option<Campaign>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.id = $1");
        on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
    }

    /// Moves a campaign's last day.
    pub async fn extend_campaign(&self, campaign_id: i64, ends_on: NaiveDate) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE campaigns SET ends_on = $1 WHERE id = $2")
            .bind(ends_on)
            .bind(campaign_id)
            .execute(pool)
            .await
            .map(|_| ()))
    }

    /// Revokes a class's active link and issues a new code in one transaction; returns the new code,
    /// or `None` if the class had no active link in this campaign.
    pub async fn reissue_link(
        &self,
        campaign_id: i64,
        class_id: i64,
        new_code: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin_write().await?;
            let revoked = sqlx::query(
                "UPDATE class_links SET revoked_at = $1 WHERE campaign_id = $2 AND class_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(campaign_id)
            .bind(class_id)
            .execute(&mut *tx)
            .await?;
            if revoked.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            sqlx::query("INSERT INTO class_links (code, campaign_id, class_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(new_code)
                .bind(campaign_id)
                .bind(class_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(new_code.to_string()))
        }.await)
    }

    /// Campaigns that are not closed, newest first.
    pub async fn open_campaigns(&self) -> sqlx::Result<Vec<Campaign>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.closed = FALSE ORDER BY c.starts_on DESC, c.id DESC"
        );
        on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)
    }

    /// The active link of a class in a campaign, created if missing.
    pub async fn class_link(
        &self,
        campaign_id: i64,
        class_id: i64,
        now: DateTime<Utc>,
        new_code: &str,
    ) -> sqlx::Result<String> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO class_links (code, campaign_id, class_id, created_at)
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS (
                     SELECT 1 FROM class_links WHERE campaign_id = $2 AND class_id = $3 AND revoked_at IS NULL)
                 ON CONFLICT DO NOTHING",
            )
            .bind(new_code)
            .bind(campaign_id)
            .bind(class_id)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT code FROM class_links WHERE campaign_id = $1 AND class_id = $2 AND revoked_at IS NULL")
                .bind(campaign_id)
                .bind(class_id)
                .fetch_one(pool)
                .await
        })
    }

    /// Resolves a deep-link code to its campaign, school and class.
    pub async fn resolve_link(&self, code: &str) -> sqlx::Result<Option<LinkTarget>> {
        const SQL: &str = concat!(
            "SELECT ",
            link_target_columns!(),
            " FROM class_links l",
            link_target_joins!("JOIN"),
            " WHERE l.code = $1"
        );
        on_pool!(self, pool => sqlx::query_as(SQL).bind(code).fetch_optional(pool).await)
    }

    /// Whether nobody has answered the campaign yet (so it may be renamed or deleted).
    pub async fn campaign_unanswered(&self, campaign_id: i64) -> sqlx::Result<bool> {
        let sql = format!("SELECT ({UNANSWERED})");
        on_pool!(self, pool => sqlx::query_scalar(&sql).bind(campaign_id).fetch_one(pool).await)
    }

    /// Renames a campaign nobody has answered.
    pub async fn rename_campaign(&self, campaign_id: i64, name: &str) -> Result<Edited, CampaignError> {
        let sql = format!("UPDATE campaigns SET name = $2 WHERE id = $1 AND {UNANSWERED}");
        let renamed = on_pool!(self, pool => sqlx::query(&sql).bind(campaign_id).bind(name).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(|e| if is_unique_violation(&e) { CampaignError::NameTaken(name.to_string()) } else { e.into() })?;
        if renamed > 0 {
            return Ok(Edited::Done);
        }
        Ok(if self.campaign_by_id(campaign_id).await?.is_some() { Edited::Answered } else { Edited::Gone })
    }

    /// Deletes a campaign nobody has answered, with its questionnaires, links, the drafts begun
    /// through them and its digest records, in one transaction.
    pub async fn delete_campaign(&self, campaign_id: i64) -> sqlx::Result<Edited> {
        let check = format!("SELECT ({UNANSWERED}) FROM campaigns WHERE id = $1");
        on_pool!(self, pool => async {
            let mut tx = pool.begin_write().await?;
            let unanswered: Option<bool> = sqlx::query_scalar(&check).bind(campaign_id).fetch_optional(&mut *tx).await?;
            match unanswered {
                None => return Ok(Edited::Gone),
                Some(false) => return Ok(Edited::Answered),
                Some(true) => {}
            }
            for sql in [
                "DELETE FROM drafts WHERE link_code IN (SELECT code FROM class_links WHERE campaign_id = $1)",
                "DELETE FROM digest_deliveries WHERE campaign_id = $1",
                "DELETE FROM expert_scores WHERE campaign_id = $1",
                "DELETE FROM releases WHERE campaign_id = $1",
                "DELETE FROM class_links WHERE campaign_id = $1",
                "DELETE FROM campaign_questionnaires WHERE campaign_id = $1",
                "DELETE FROM campaigns WHERE id = $1",
            ] {
                sqlx::query(sql).bind(campaign_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Edited::Done)
        }.await)
    }
}
