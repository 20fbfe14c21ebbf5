//! Roster storage: municipalities, schools and classes, imported whole in one transaction
//! (added, updated, and on request the classes the file lacks removed when nothing refers to
//! them), and the roster file a region administrator sent the bot, waiting for «Загрузить».

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{BeginWrite, Db, on_pool};
use crate::roster::{self, Applied, RosterRow, StoredClass};

/// What an import changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterSummary {
    pub municipalities: i64,
    pub schools: i64,
    pub classes_added: i64,
    pub classes_updated: i64,
}

/// A roster file waiting for its confirmation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingUpload {
    pub file: Vec<u8>,
    pub file_name: String,
    /// [`roster::fingerprint`] of the stored roster the preview was made against.
    pub fingerprint: String,
    pub revision: i64,
}

/// What a confirmation must still find true when the import runs.
#[derive(Debug, Clone, Copy)]
pub struct UploadGuard<'a> {
    pub staff_id: i64,
    pub revision: i64,
    pub fingerprint: &'a str,
}

/// How an import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported(Applied),
    /// The confirming staff member is no longer a region administrator.
    NotAllowed,
    /// Another file was sent (or the upload cancelled) since the preview.
    OtherFile,
    /// The stored roster changed since the preview.
    RosterChanged,
}

/// The key of PostgreSQL's advisory lock that one roster import at a time holds.
const ROSTER_LOCK: i64 = 0x726f_7374_6572;

const STORED_ROSTER: &str =
    "SELECT k.id, m.name AS municipality, s.name AS school, s.timezone, k.name AS class, k.headcount
     FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id
     ORDER BY k.id";

/// What refers to a class. One the file lacks can go when nothing does: no answers in any form,
/// no staff, no invitation, nobody in the middle of its survey.
const CLASS_REFERENCES: &str = "SELECT (SELECT COUNT(*) FROM responses WHERE class_id = $1)
       + (SELECT COUNT(*) FROM ballots WHERE class_id = $1)
       + (SELECT COUNT(*) FROM class_tallies WHERE class_id = $1)
       + (SELECT COUNT(*) FROM releases WHERE class_id = $1)
       + (SELECT COUNT(*) FROM staff WHERE class_id = $1)
       + (SELECT COUNT(*) FROM invitations WHERE class_id = $1)
       + (SELECT COUNT(*) FROM drafts d JOIN class_links l ON l.code = d.link_code WHERE l.class_id = $1)";

/// Schools left without classes go too, when nothing else refers to them.
const REMOVE_EMPTY_SCHOOLS: &str = "DELETE FROM schools WHERE id = $1
       AND NOT EXISTS (SELECT 1 FROM classes WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM responses WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM ballots WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM releases WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM participations WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM staff WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM invitations WHERE school_id = $1)
       AND NOT EXISTS (SELECT 1 FROM expert_scores WHERE school_id = $1)";

const REMOVE_EMPTY_MUNICIPALITIES: &str = "DELETE FROM municipalities WHERE id = $1
       AND NOT EXISTS (SELECT 1 FROM schools WHERE municipality_id = $1)
       AND NOT EXISTS (SELECT 1 FROM staff WHERE municipality_id = $1)
       AND NOT EXISTS (SELECT 1 FROM invitations WHERE municipality_id = $1)";

impl Db {
    /// Every stored class with its school and municipality.
    pub async fn stored_roster(&self) -> sqlx::Result<Vec<StoredClass>> {
        on_pool!(self, pool => sqlx::query_as(STORED_ROSTER).fetch_all(pool).await)
    }

    /// Stores a parsed roster in one transaction: new names are added, headcounts and given
    /// timezones updated; nothing is duplicated or deleted.
    pub async fn import_roster(
        &self,
        rows: &[RosterRow],
        default_timezone: chrono_tz::Tz,
    ) -> anyhow::Result<RosterSummary> {
        match self.apply_roster(rows, default_timezone, false, None).await? {
            ImportOutcome::Imported(applied) => {
                let municipalities = rows.iter().map(|r| &r.municipality).collect::<std::collections::BTreeSet<_>>();
                let schools =
                    rows.iter().map(|r| (&r.municipality, &r.school)).collect::<std::collections::BTreeSet<_>>();
                Ok(RosterSummary {
                    municipalities: municipalities.len() as i64,
                    schools: schools.len() as i64,
                    classes_added: applied.added as i64,
                    classes_updated: (applied.changed + applied.unchanged) as i64,
                })
            }
            other => anyhow::bail!("the roster was not imported: {other:?}"),
        }
    }

    /// Imports `rows` in one transaction, compared with the roster as it stands inside it: new
    /// classes added, headcounts, given timezones and look-alike names updated, and with
    /// `remove_missing` the classes the file lacks removed where nothing refers to them. With a
    /// `guard`, the import happens only if the staff member is still a region administrator, the
    /// upload is still the one previewed and the roster is still the one it was compared with.
    pub async fn apply_roster(
        &self,
        rows: &[RosterRow],
        default_timezone: chrono_tz::Tz,
        remove_missing: bool,
        guard: Option<UploadGuard<'_>>,
    ) -> anyhow::Result<ImportOutcome> {
        let postgres = matches!(self, Db::Postgres(_));
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if postgres {
                // Two imports at once would each compare with a roster the other is changing; one
                // waits for the other (SQLite's BEGIN IMMEDIATE does the same). Respondents are not
                // held up, as they would be by a lock on the table.
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ROSTER_LOCK).execute(&mut *tx).await?;
            }
            let stored: Vec<StoredClass> = sqlx::query_as(STORED_ROSTER).fetch_all(&mut *tx).await?;
            if let Some(guard) = guard {
                let region: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM staff WHERE id = $1 AND role = 'region' AND revoked_at IS NULL",
                )
                .bind(guard.staff_id)
                .fetch_one(&mut *tx)
                .await?;
                if region == 0 {
                    return Ok(ImportOutcome::NotAllowed);
                }
                let revision: Option<i64> =
                    sqlx::query_scalar("SELECT revision FROM roster_uploads WHERE staff_id = $1")
                        .bind(guard.staff_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if revision != Some(guard.revision) {
                    return Ok(ImportOutcome::OtherFile);
                }
                if roster::fingerprint(&stored) != guard.fingerprint {
                    return Ok(ImportOutcome::RosterChanged);
                }
                sqlx::query("DELETE FROM roster_uploads WHERE staff_id = $1")
                    .bind(guard.staff_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let diff = roster::diff(rows, &stored);
            let by_id: HashMap<i64, &StoredClass> = stored.iter().map(|c| (c.id, c)).collect();
            let mut municipalities: HashMap<&str, i64> = HashMap::new();
            let mut schools: HashMap<(i64, &str), i64> = HashMap::new();
            for (row, matched) in rows.iter().zip(&diff.matches) {
                let municipality_id = match municipalities.get(row.municipality.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO municipalities (name) VALUES ($1)
                             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                        )
                        .bind(&row.municipality)
                        .fetch_one(&mut *tx)
                        .await?;
                        municipalities.insert(&row.municipality, id);
                        id
                    }
                };
                let school_id = match schools.get(&(municipality_id, row.school.as_str())) {
                    Some(id) => *id,
                    None => {
                        let timezone = row.timezone.map(|tz| tz.name().to_string());
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO schools (municipality_id, name, timezone) VALUES ($1, $2, COALESCE($3, $4))
                             ON CONFLICT (municipality_id, name) DO UPDATE SET timezone = COALESCE($3, schools.timezone)
                             RETURNING id",
                        )
                        .bind(municipality_id)
                        .bind(&row.school)
                        .bind(timezone)
                        .bind(default_timezone.name())
                        .fetch_one(&mut *tx)
                        .await?;
                        schools.insert((municipality_id, &row.school), id);
                        id
                    }
                };
                match matched.and_then(|id| by_id.get(&id)) {
                    Some(class) if class.headcount == row.headcount && class.class == row.class => {}
                    Some(class) => {
                        sqlx::query("UPDATE classes SET name = $1, headcount = $2 WHERE id = $3")
                            .bind(&row.class)
                            .bind(row.headcount)
                            .bind(class.id)
                            .execute(&mut *tx)
                            .await
                            .with_context(|| format!("line {}: cannot update the class", row.line))?;
                    }
                    None => {
                        sqlx::query("INSERT INTO classes (school_id, name, headcount) VALUES ($1, $2, $3)")
                            .bind(school_id)
                            .bind(&row.class)
                            .bind(row.headcount)
                            .execute(&mut *tx)
                            .await
                            .with_context(|| format!("line {}: cannot store the class", row.line))?;
                    }
                }
            }
            let mut applied = Applied {
                added: diff.new,
                changed: diff.changed.len(),
                unchanged: diff.unchanged,
                removed: Vec::new(),
                kept: Vec::new(),
            };
            if remove_missing {
                let mut emptied = Vec::new();
                for class in &diff.absent {
                    let references: i64 =
                        sqlx::query_scalar(CLASS_REFERENCES).bind(class.id).fetch_one(&mut *tx).await?;
                    if references > 0 {
                        applied.kept.push(roster::class_label(class));
                        continue;
                    }
                    sqlx::query("DELETE FROM class_links WHERE class_id = $1").bind(class.id).execute(&mut *tx).await?;
                    let school_id: i64 = sqlx::query_scalar("DELETE FROM classes WHERE id = $1 RETURNING school_id")
                        .bind(class.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    emptied.push(school_id);
                    applied.removed.push(roster::class_label(class));
                }
                emptied.sort_unstable();
                emptied.dedup();
                for school_id in emptied {
                    let municipality_id: i64 =
                        sqlx::query_scalar("SELECT municipality_id FROM schools WHERE id = $1")
                            .bind(school_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    let gone = sqlx::query(REMOVE_EMPTY_SCHOOLS).bind(school_id).execute(&mut *tx).await?;
                    if gone.rows_affected() > 0 {
                        sqlx::query(REMOVE_EMPTY_MUNICIPALITIES).bind(municipality_id).execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(ImportOutcome::Imported(applied))
        })
    }

    /// Keeps the file a staff member sent, replacing any earlier one; returns its revision
    /// (random, so the buttons of an earlier file never match it).
    pub async fn save_roster_upload(
        &self,
        staff_id: i64,
        file_name: &str,
        file: &[u8],
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        let revision = rand::Rng::gen_range(&mut rand::thread_rng(), 1..1_i64 << 40);
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO roster_uploads (staff_id, file_name, file, fingerprint, revision, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (staff_id) DO UPDATE SET file_name = excluded.file_name, file = excluded.file,
                 fingerprint = excluded.fingerprint, revision = excluded.revision, created_at = excluded.created_at",
        )
        .bind(staff_id)
        .bind(file_name)
        .bind(file)
        .bind(fingerprint)
        .bind(revision)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(revision)
    }

    /// The file the staff member sent last, if it still waits.
    pub async fn roster_upload(&self, staff_id: i64) -> sqlx::Result<Option<PendingUpload>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT file, file_name, fingerprint, revision FROM roster_uploads WHERE staff_id = $1",
        )
        .bind(staff_id)
        .fetch_optional(pool)
        .await)
    }

    /// Forgets the staff member's file, whichever it was (a new file could not be read).
    pub async fn clear_roster_upload(&self, staff_id: i64) -> sqlx::Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM roster_uploads WHERE staff_id = $1")
            .bind(staff_id)
            .execute(pool)
            .await
            .map(|_| ()))
    }

    /// Forgets the staff member's file if it is still the one with `revision`; returns whether it was.
    pub async fn cancel_roster_upload(&self, staff_id: i64, revision: i64) -> sqlx::Result<bool> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM roster_uploads WHERE staff_id = $1 AND revision = $2")
            .bind(staff_id)
            .bind(revision)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }
}
