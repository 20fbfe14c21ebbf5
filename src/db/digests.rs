//! Digest deliveries: who gets a daily digest, and the claim that makes each one go out exactly
//! once per person, campaign and day, across restarts and several bot processes.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::staff::STAFF_SELECT;
use super::{Db, StaffMember, on_pool};

/// A staff member who receives digests, with the timezone their day runs in (`None`: the region's).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestRecipient {
    #[sqlx(flatten)]
    pub member: StaffMember,
    pub timezone: Option<String>,
}

/// A claim not renewed for this long with no outcome belongs to a round that is gone (its process
/// died while sending). A running round renews its claims every [`CLAIM_RENEW_EVERY`]; the lease
/// is several renewals long so that a slow database moment does not hand a live claim over.
const CLAIM_LEASE: Duration = Duration::minutes(2);
/// How often a running digest round renews its claims.
pub const CLAIM_RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

impl Db {
    /// Active administrators, and teachers who asked for the daily line.
    pub async fn digest_recipients(&self) -> sqlx::Result<Vec<DigestRecipient>> {
        // A municipality's day runs in the timezone most of its schools are in.
        let sql = STAFF_SELECT.replacen(
            "SELECT ",
            "SELECT COALESCE(s.timezone, (SELECT z.timezone FROM schools z WHERE z.municipality_id = st.municipality_id
                     GROUP BY z.timezone ORDER BY COUNT(*) DESC, z.timezone LIMIT 1)) AS timezone, ",
            1,
        ) + " WHERE st.revoked_at IS NULL AND st.active AND (st.role <> 'teacher' OR st.daily_line) ORDER BY st.id";
        on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)
    }

    /// Claims the digest of (staff, campaign, day) for the round `holder`; true if it is to send
    /// it: nobody claimed it, or the claim's lease ran out.
    pub async fn claim_digest(
        &self,
        staff_id: i64,
        campaign_id: i64,
        day: NaiveDate,
        holder: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let inserted = on_pool!(self, pool => sqlx::query(
            "INSERT INTO digest_deliveries (staff_id, campaign_id, day, claimed_at, claimed_by)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(staff_id)
        .bind(campaign_id)
        .bind(day)
        .bind(now)
        .bind(holder)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(true);
        }
        let stale = now - CLAIM_LEASE;
        let reclaimed = on_pool!(self, pool => sqlx::query(
            "UPDATE digest_deliveries SET claimed_at = $1, claimed_by = $2
             WHERE staff_id = $3 AND campaign_id = $4 AND day = $5 AND outcome IS NULL AND claimed_at < $6",
        )
        .bind(now)
        .bind(holder)
        .bind(staff_id)
        .bind(campaign_id)
        .bind(day)
        .bind(stale)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(reclaimed == 1)
    }

    /// Renews the lease of every unfinished claim of the round `holder`.
    pub async fn renew_digest_claims(&self, holder: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE digest_deliveries SET claimed_at = $1 WHERE claimed_by = $2 AND outcome IS NULL",
        )
        .bind(now)
        .bind(holder)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Records how a claimed digest went; `counts` (JSON) is what it showed.
    pub async fn finish_digest(
        &self,
        staff_id: i64,
        campaign_id: i64,
        day: NaiveDate,
        outcome: &str,
        counts: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE digest_deliveries SET outcome = $1, counts = $2, sent_at = $3
             WHERE staff_id = $4 AND campaign_id = $5 AND day = $6",
        )
        .bind(outcome)
        .bind(counts)
        .bind(now)
        .bind(staff_id)
        .bind(campaign_id)
        .bind(day)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// Gives a claim back after a failed send, so the next round tries again.
    pub async fn release_digest(&self, staff_id: i64, campaign_id: i64, day: NaiveDate) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query(
            "DELETE FROM digest_deliveries WHERE staff_id = $1 AND campaign_id = $2 AND day = $3 AND outcome IS NULL",
        )
        .bind(staff_id)
        .bind(campaign_id)
        .bind(day)
        .execute(pool)
        .await
        .map(|_| ()))
    }

    /// The counts each staff member's last digest of a campaign showed (JSON), by staff id: a
    /// round's "change since", read once. The last one sent is the one before today's, as
    /// today's is only built once claimed, that is, not sent yet.
    pub async fn last_digest_counts(&self, campaign_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT d.staff_id, d.counts FROM digest_deliveries d
             WHERE d.campaign_id = $1 AND d.outcome = 'sent' AND d.counts IS NOT NULL
               AND d.day = (SELECT MAX(e.day) FROM digest_deliveries e
                            WHERE e.staff_id = d.staff_id AND e.campaign_id = d.campaign_id AND e.outcome = 'sent')",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)
    }

    /// Stops sending to someone who blocked the bot.
    pub async fn mark_unreachable(&self, staff_id: i64) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE staff SET active = FALSE WHERE id = $1")
            .bind(staff_id)
            .execute(pool)
            .await
            .map(|_| ()))
    }

    /// A teacher's choice of the daily line (`/digest on|off`).
    pub async fn set_daily_line(&self, staff_id: i64, on: bool) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query("UPDATE staff SET daily_line = $1, active = TRUE WHERE id = $2")
            .bind(on)
            .bind(staff_id)
            .execute(pool)
            .await
            .map(|_| ()))
    }

    pub async fn school_timezone(&self, school_id: i64) -> sqlx::Result<Option<String>> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT timezone FROM schools WHERE id = $1")
            .bind(school_id)
            .fetch_optional(pool)
            .await)
    }
}
