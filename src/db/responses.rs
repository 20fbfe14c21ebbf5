//! The register and the ballot box. Submitting (draft removal, participation, sealed ballot, class
//! tally: one transaction); releasing sealed ballots into `responses` by the rule of
//! [`crate::releases`], shuffled under random ids, each with its answers packed as its ballot held
//! them (`responses.answers`, read by the exports and the report); reading released responses
//! back for exports.
//!
//! What ties a person to their answers is the submit transaction; everything after it erases that
//! tie. Both engines keep traces of when a row was written: on PostgreSQL every row carries the id
//! of the transaction that wrote it (`xmin`) and the heap keeps insertion order (`ctid`, the order
//! of `pg_dump`); on SQLite a page fills from its end, so a row's place inside its page tells
//! what was written after what. So [`Db::settle_school`] rewrites the school's remaining ballots
//! and its whole register in one transaction of its own, in random order, on both engines.

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use rand::seq::SliceRandom;
use sqlx::QueryBuilder;

use super::{BeginWrite, Db, on_pool};
use crate::privacy::ChatKey;
use crate::releases::{self, Made, Sealed};
use crate::roles::Scope;
use crate::survey::Audience;

/// A finished response, already stripped of anything that identifies the respondent.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub campaign_id: i64,
    pub school_id: i64,
    pub class_id: i64,
    pub audience: Audience,
    pub questionnaire_id: String,
    /// (question id, stored value) for the questions the respondent was shown.
    pub answers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    Stored,
    /// This person already has a response for the campaign and school; the draft was discarded.
    AlreadyAnswered,
    /// The draft had moved on or was gone (a second press of "submit", another replica first).
    DraftChanged,
}

/// Who reads responses: staff see only releases shown to staff and no dates; the operator of the
/// region (the command line) sees every release with its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Staff,
    Operator,
}

/// One response as exported: where it came from and its answers by question id.
#[derive(Debug, Clone, Default)]
pub struct ExportRow {
    pub municipality: String,
    pub school: String,
    /// Empty where the response is pooled under the school (its class was too small to be named).
    pub class: String,
    pub audience: String,
    /// The day of the response's release, for the operator only.
    pub released_on: Option<NaiveDate>,
    pub answers: Vec<(String, String)>,
}

impl ExportRow {
    /// The column names of an export: where a response came from, its release day when `dated`,
    /// then the question ids.
    pub fn header(columns: &[String], dated: bool) -> Vec<String> {
        let place = ["municipality", "school", "class", "audience"].into_iter();
        let day = dated.then_some("released_on");
        place.chain(day).map(String::from).chain(columns.iter().cloned()).collect()
    }

    /// The row under [`ExportRow::header`]: the answer to each question column (empty where the
    /// question was not asked). `day` is a buffer for the release day's text.
    pub fn record<'a>(&'a self, columns: &'a [String], day: &'a mut String) -> impl Iterator<Item = &'a str> {
        day.clear();
        if let Some(released) = self.released_on {
            use std::fmt::Write as _;
            let _ = write!(day, "{released}");
        }
        let place = [self.municipality.as_str(), self.school.as_str(), self.class.as_str(), self.audience.as_str()];
        let released = self.released_on.map(|_| day.as_str());
        place.into_iter().chain(released).chain(columns.iter().map(|id| self.answer(id).unwrap_or_default()))
    }

    pub fn answer(&self, question_id: &str) -> Option<&str> {
        self.answers.iter().find(|(id, _)| id == question_id).map(|(_, value)| value.as_str())
    }
}

/// One group of a campaign's responses as exported: a class, or a school's responses pooled under
/// it (`class` empty), with its responses packed one after the other by [`export_sql`].
#[derive(sqlx::FromRow)]
struct ExportGroup {
    municipality: String,
    school: String,
    class: String,
    responses: String,
}

/// One row per class (or a school's pooled responses) of `scope`, its responses in random-id order
/// packed into one text, each as `audience_length:audience`, the release day as `YYYY-MM-DD`, then
/// `answers_length:answers` (the answers as they were packed at release, see [`pack_answers`]).
/// sqlx hands every row from its SQLite thread to the async side with two thread wake-ups: at
/// 300,000 rows, one a response, that was most of a region's export; one a class is a tenth.
/// Groups go by municipality, school and class name, as the responses did: no time order.
///
/// Binds: `$1` the campaign, `$2` whether the operator reads (every release, not only those shown
/// to staff), then the scope's ids: `$3` the municipality, or `$3` the school and `$4` the class.
/// A scope smaller than the region filters by its ids, so it reaches its rows through the
/// campaign's index by school.
///
/// The two engines get the plan each runs best (same rows, same order; tests/golden.rs):
/// - SQLite scans a region's table in storage order (the unary `+` keeps it off the campaign's
///   index, whose order would make every row a seek to a random page: a third of the query's time),
///   groups the responses by ids and sorts only the groups by name.
/// - PostgreSQL walks municipalities, schools and the index by school in name order and groups
///   by name as the rows come, so the first groups reach the export while it reads the rest;
///   grouped by ids it would aggregate and sort the whole region before the first row.
fn export_sql(scope: Scope, sqlite: bool) -> String {
    let campaign = if sqlite && scope == Scope::Region { "+r.campaign_id = $1" } else { "r.campaign_id = $1" };
    let within = match scope {
        Scope::Region => "",
        Scope::Municipality { .. } => " AND r.school_id IN (SELECT id FROM schools WHERE municipality_id = $3)",
        Scope::School { .. } => " AND r.school_id = $3",
        Scope::Class { .. } => " AND r.school_id = $3 AND r.class_id = $4",
    };
    let packed = "string_agg(octet_length(r.audience) || ':' || r.audience || CAST(rel.released_on AS TEXT)
                             || octet_length(r.answers) || ':' || r.answers, '' ORDER BY r.id)";
    if sqlite {
        format!(
            "SELECT m.name AS municipality, s.name AS school, COALESCE(k.name, '') AS class, g.responses
             FROM (SELECT r.school_id, r.class_id, {packed} AS responses
                   FROM responses r JOIN releases rel ON rel.id = r.release_id
                   WHERE {campaign}{within} AND ($2 OR rel.shown_to_staff)
                   GROUP BY r.school_id, r.class_id) g
             LEFT JOIN classes k ON k.id = g.class_id
             JOIN schools s ON s.id = g.school_id
             JOIN municipalities m ON m.id = s.municipality_id
             ORDER BY m.name, s.name, COALESCE(k.name, '')"
        )
    } else {
        format!(
            "SELECT m.name AS municipality, s.name AS school, COALESCE(k.name, '') AS class, {packed} AS responses
             FROM responses r JOIN releases rel ON rel.id = r.release_id
             LEFT JOIN classes k ON k.id = r.class_id
             JOIN schools s ON s.id = r.school_id
             JOIN municipalities m ON m.id = s.municipality_id
             WHERE {campaign}{within} AND ($2 OR rel.shown_to_staff)
             GROUP BY m.name, s.name, COALESCE(k.name, '')
             ORDER BY m.name, s.name, COALESCE(k.name, '')"
        )
    }
}

/// One response of an [`ExportGroup`]: its audience, release day and packed answers.
struct PackedResponse<'a> {
    audience: &'a str,
    released_on: NaiveDate,
    answers: &'a str,
}

/// Splits an [`ExportGroup`]'s `responses`; `None` if they are not in the form of [`export_sql`].
fn unpack_group(mut packed: &str) -> Option<Vec<PackedResponse<'_>>> {
    /// `length:text` at the start of `packed`: the text and what follows it.
    fn counted(packed: &str) -> Option<(&str, &str)> {
        let (length, rest) = packed.split_once(':')?;
        let length: usize = length.parse().ok()?;
        Some((rest.get(..length)?, rest.get(length..)?))
    }
    let mut responses = Vec::new();
    while !packed.is_empty() {
        let (audience, rest) = counted(packed)?;
        let released_on = NaiveDate::parse_from_str(rest.get(..10)?, "%Y-%m-%d").ok()?;
        let (answers, rest) = counted(rest.get(10..)?)?;
        responses.push(PackedResponse { audience, released_on, answers });
        packed = rest;
    }
    Some(responses)
}

/// Packs answers into one text as `question_id:byte_length:value` repeated (question ids never
/// contain `:`; the length makes any value safe): the form of a sealed ballot and of an export line.
fn pack_answers(answers: &[(String, String)]) -> String {
    answers.iter().map(|(question, value)| format!("{question}:{}:{value}", value.len())).collect()
}

/// Reads answers packed by [`pack_answers`] into `answers`, reusing its strings (an export reads
/// hundreds of thousands); `None` if they are not in that form.
fn unpack_answers_into(mut packed: &str, answers: &mut Vec<(String, String)>) -> Option<()> {
    let mut read = 0;
    while !packed.is_empty() {
        let (question, rest) = packed.split_once(':')?;
        let (length, rest) = rest.split_once(':')?;
        let length: usize = length.parse().ok()?;
        let value = rest.get(..length)?;
        match answers.get_mut(read) {
            Some((q, v)) => {
                refill(q, question);
                refill(v, value);
            }
            None => answers.push((question.to_string(), value.to_string())),
        }
        read += 1;
        packed = &rest[length..];
    }
    answers.truncate(read);
    Some(())
}

/// A random positive id: ids of ballots and responses carry no order.
fn random_id() -> i64 {
    rand::random::<i64>() & i64::MAX
}

/// A ballot on its way out of the box, or a released response taken back into a new release.
#[derive(sqlx::FromRow)]
struct Outgoing {
    audience: String,
    questionnaire_id: String,
    /// Packed by [`pack_answers`]: a ballot's, then its response's `answers`.
    answers: String,
}

/// A ballot as it is read from the box.
#[derive(sqlx::FromRow)]
struct SealedBallot {
    id: i64,
    class_id: i64,
    #[sqlx(flatten)]
    ballot: Outgoing,
}

/// `rows` in random order, each with a fresh random id.
fn shuffled<T>(mut rows: Vec<T>) -> Vec<(i64, T)> {
    rows.shuffle(&mut rand::thread_rng());
    rows.into_iter().map(|row| (random_id(), row)).collect()
}

/// A school with sealed ballots, and what decides whether its campaign is over there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedSchool {
    pub campaign_id: i64,
    pub school_id: i64,
    pub timezone: String,
    pub ends_on: NaiveDate,
    pub closed: bool,
    /// The most ballots one audience of one of its classes holds.
    pub fullest_class: i64,
}

/// Binds at most this many rows in one statement (SQLite allows 32,766 parameters).
const ROWS_PER_INSERT: usize = 1_000;

impl Db {
    /// Records that this person answered and seals their answers in the box, once per (campaign,
    /// identity), removing the draft in the same transaction. The unique key on participations is
    /// what guarantees "once", across processes too.
    pub async fn submit_response(
        &self,
        chat: &ChatKey,
        expected_revision: i64,
        identity: &[u8],
        response: &NewResponse,
    ) -> sqlx::Result<SubmitOutcome> {
        let (chat, identity, response) = (*chat, identity.to_vec(), response.clone());
        let outcome = self
            .write(move |db| async move { db.store_response(&chat, expected_revision, &identity, &response).await })
            .await?;
        if outcome != SubmitOutcome::DraftChanged {
            self.scrub_deleted();
        }
        Ok(outcome)
    }

    async fn store_response(
        &self,
        chat: &ChatKey,
        expected_revision: i64,
        identity: &[u8],
        response: &NewResponse,
    ) -> sqlx::Result<SubmitOutcome> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Writing first takes SQLite's write lock at once instead of upgrading a read lock later.
            let removed = sqlx::query("DELETE FROM drafts WHERE chat_key = $1 AND revision = $2")
                .bind(chat.as_bytes())
                .bind(expected_revision)
                .execute(&mut *tx)
                .await?;
            if removed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(SubmitOutcome::DraftChanged);
            }
            let inserted = sqlx::query(
                "INSERT INTO participations (campaign_id, school_id, identity) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(response.campaign_id)
            .bind(response.school_id)
            .bind(identity)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                tx.commit().await?;
                return Ok(SubmitOutcome::AlreadyAnswered);
            }
            sqlx::query(
                "INSERT INTO ballots (id, campaign_id, school_id, class_id, audience, questionnaire_id, answers)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(random_id())
            .bind(response.campaign_id)
            .bind(response.school_id)
            .bind(response.class_id)
            .bind(response.audience.code())
            .bind(&response.questionnaire_id)
            .bind(pack_answers(&response.answers))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO class_tallies (campaign_id, class_id, audience, responses) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (campaign_id, class_id, audience) DO UPDATE SET responses = class_tallies.responses + 1",
            )
            .bind(response.campaign_id)
            .bind(response.class_id)
            .bind(response.audience.code())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(SubmitOutcome::Stored)
        })
    }

    /// Whether this identity has already answered in the campaign.
    pub async fn has_participated(&self, campaign_id: i64, identity: &[u8]) -> sqlx::Result<bool> {
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM participations WHERE campaign_id = $1 AND identity = $2",
        )
        .bind(campaign_id)
        .bind(identity)
        .fetch_one(pool)
        .await)
        .map(|n| n > 0)
    }

    /// How many answers of the campaign are still sealed, waiting for their release.
    pub async fn sealed_count(&self, campaign_id: i64) -> sqlx::Result<i64> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM ballots WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_one(pool)
            .await)
    }

    /// The schools that have sealed ballots, with their campaign's end.
    pub async fn sealed_schools(&self) -> sqlx::Result<Vec<SealedSchool>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT b.campaign_id, b.school_id, s.timezone, c.ends_on, c.closed, MAX(b.sealed) AS fullest_class
             FROM (SELECT campaign_id, school_id, class_id, audience, COUNT(*) AS sealed FROM ballots
                   GROUP BY campaign_id, school_id, class_id, audience) b
             JOIN schools s ON s.id = b.school_id JOIN campaigns c ON c.id = b.campaign_id
             GROUP BY b.campaign_id, b.school_id, s.timezone, c.ends_on, c.closed
             ORDER BY b.campaign_id, b.school_id",
        )
        .fetch_all(pool)
        .await)
    }

    /// Releases what [`releases::plan`] says of one school's sealed ballots, in one transaction,
    /// and rewrites the school's remaining ballots and register in random order (see the module's
    /// doc). Returns how many new responses were released.
    pub async fn settle_school(
        &self,
        campaign_id: i64,
        school_id: i64,
        min_group: usize,
        today: NaiveDate,
        over: bool,
    ) -> anyhow::Result<u64> {
        self.write(move |db| async move { db.settle_school_now(campaign_id, school_id, min_group, today, over).await })
            .await
    }

    async fn settle_school_now(
        &self,
        campaign_id: i64,
        school_id: i64,
        min_group: usize,
        today: NaiveDate,
        over: bool,
    ) -> anyhow::Result<u64> {
        let postgres = matches!(self, Db::Postgres(_));
        let released = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if postgres {
                // One settling of a school at a time, whichever replica runs it.
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind((campaign_id << 32) ^ school_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut sealed: HashMap<i64, (i64, Outgoing)> = sqlx::query_as::<_, SealedBallot>(
                "SELECT id, class_id, audience, questionnaire_id, answers FROM ballots
                 WHERE campaign_id = $1 AND school_id = $2",
            )
            .bind(campaign_id)
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|b| (b.id, (b.class_id, b.ballot)))
            .collect();
            let made: Vec<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT id, class_id, audience FROM releases WHERE campaign_id = $1 AND school_id = $2",
            )
            .bind(campaign_id)
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?;
            let in_box: Vec<(String, Sealed)> = sealed
                .iter()
                .map(|(ballot_id, (class_id, ballot))| {
                    (ballot.audience.clone(), Sealed { ballot_id: *ballot_id, class_id: *class_id })
                })
                .collect();
            let made: Vec<(Option<String>, Made)> = made
                .into_iter()
                .map(|(release_id, class_id, audience)| (audience, Made { release_id, class_id }))
                .collect();
            let mut released = 0u64;
            for (audience, plan) in releases::plan_by_audience(&in_box, &made, min_group, over) {
                let mut rows: Vec<Outgoing> =
                    plan.ballots.iter().filter_map(|id| sealed.remove(id)).map(|(_, ballot)| ballot).collect();
                for ids in plan.ballots.chunks(ROWS_PER_INSERT) {
                    let mut delete = QueryBuilder::new("DELETE FROM ballots WHERE id IN (");
                    let mut list = delete.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    delete.push(")");
                    delete.build().execute(&mut *tx).await?;
                }
                released += rows.len() as u64;
                if let Some(earlier) = plan.absorbs {
                    rows.extend(
                        sqlx::query_as::<_, Outgoing>(
                            "SELECT audience, questionnaire_id, answers FROM responses WHERE release_id = $1",
                        )
                        .bind(earlier)
                        .fetch_all(&mut *tx)
                        .await?,
                    );
                    sqlx::query("DELETE FROM responses WHERE release_id = $1").bind(earlier).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM releases WHERE id = $1").bind(earlier).execute(&mut *tx).await?;
                }
                let release_id: i64 = sqlx::query_scalar(
                    "INSERT INTO releases (campaign_id, school_id, class_id, released_on, shown_to_staff, audience)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(campaign_id)
                .bind(school_id)
                .bind(plan.class_id)
                .bind(today)
                .bind(plan.shown_to_staff)
                .bind(&audience)
                .fetch_one(&mut *tx)
                .await?;
                let rows = shuffled(rows);
                for chunk in rows.chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO responses (id, release_id, campaign_id, school_id, class_id, audience, questionnaire_id, answers) ",
                    );
                    insert.push_values(chunk, |mut row, (id, sealed)| {
                        row.push_bind(*id)
                            .push_bind(release_id)
                            .push_bind(campaign_id)
                            .push_bind(school_id)
                            .push_bind(plan.class_id)
                            .push_bind(&sealed.audience)
                            .push_bind(&sealed.questionnaire_id)
                            .push_bind(&sealed.answers);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
            }
            {
                // Rewrites the school's sealed ballots (new random ids) and its register in random
                // order, so that none keeps the `xmin` or the place its submit gave it.
                let ballots: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "DELETE FROM ballots WHERE campaign_id = $1 AND school_id = $2
                     RETURNING class_id, audience, questionnaire_id, answers",
                )
                .bind(campaign_id)
                .bind(school_id)
                .fetch_all(&mut *tx)
                .await?;
                for chunk in shuffled(ballots).chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new(
                        "INSERT INTO ballots (id, campaign_id, school_id, class_id, audience, questionnaire_id, answers) ",
                    );
                    insert.push_values(chunk, |mut row, (id, (class_id, audience, questionnaire_id, answers))| {
                        row.push_bind(*id)
                            .push_bind(campaign_id)
                            .push_bind(school_id)
                            .push_bind(*class_id)
                            .push_bind(audience)
                            .push_bind(questionnaire_id)
                            .push_bind(answers);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                let register: Vec<Vec<u8>> = sqlx::query_scalar(
                    "DELETE FROM participations WHERE campaign_id = $1 AND school_id = $2 RETURNING identity",
                )
                .bind(campaign_id)
                .bind(school_id)
                .fetch_all(&mut *tx)
                .await?;
                for chunk in shuffled(register).chunks(ROWS_PER_INSERT) {
                    let mut insert = QueryBuilder::new("INSERT INTO participations (campaign_id, school_id, identity) ");
                    insert.push_values(chunk, |mut row, (_, identity)| {
                        row.push_bind(campaign_id).push_bind(school_id).push_bind(identity);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            released
        });
        // The rows rewritten above leave their old places in SQLite's write-ahead log.
        self.scrub_deleted();
        Ok(released)
    }

    /// Streams a campaign's responses within `scope`, as `reader` may see them, ordered by
    /// municipality, school, class and random id, to `sink`.
    pub async fn export_responses(
        &self,
        campaign_id: i64,
        scope: Scope,
        reader: Reader,
        mut sink: impl FnMut(&ExportRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let mut count = 0;
        // One row refilled for every response: its strings keep their capacity, so a region's
        // export allocates per class, not a few dozen times per response.
        let mut row = ExportRow::default();
        on_pool!(self, pool => {
            let sql = export_sql(scope, matches!(self, Db::Sqlite(..)));
            let query = sqlx::query_as::<_, ExportGroup>(&sql).bind(campaign_id).bind(reader == Reader::Operator);
            let mut groups = match scope {
                Scope::Region => query,
                Scope::Municipality { municipality_id } => query.bind(municipality_id),
                Scope::School { school_id, .. } => query.bind(school_id),
                Scope::Class { school_id, class_id, .. } => query.bind(school_id).bind(class_id),
            }
            .fetch(pool);
            while let Some(group) = groups.try_next().await? {
                // Never the answers themselves in the message: an error may be logged.
                let unreadable = || anyhow::anyhow!("a stored response's answers cannot be read");
                refill(&mut row.municipality, &group.municipality);
                refill(&mut row.school, &group.school);
                refill(&mut row.class, &group.class);
                for response in unpack_group(&group.responses).ok_or_else(unreadable)? {
                    refill(&mut row.audience, response.audience);
                    row.released_on = (reader == Reader::Operator).then_some(response.released_on);
                    unpack_answers_into(response.answers, &mut row.answers).ok_or_else(unreadable)?;
                    sink(&row)?;
                    count += 1;
                }
            }
        });
        Ok(count)
    }
}

/// `to` made equal to `from`, in the memory `to` already has.
fn refill(to: &mut String, from: &str) {
    to.clear();
    to.push_str(from);
}

#[cfg(test)]
mod tests {
    use super::{pack_answers, unpack_answers_into, unpack_group};

    fn unpack_answers(packed: &str) -> Option<Vec<(String, String)>> {
        let mut answers = vec![("stale".to_string(), "value".to_string()); 3];
        unpack_answers_into(packed, &mut answers).map(|()| answers)
    }

    #[test]
    fn a_groups_responses_unpack_and_anything_else_is_refused() {
        let group = "6:parent2026-12-0113:q1:3:yesq2:0:7:student2026-12-020:";
        let responses = unpack_group(group).unwrap();
        let read: Vec<(&str, String, &str)> =
            responses.iter().map(|r| (r.audience, r.released_on.to_string(), r.answers)).collect();
        assert_eq!(read, [("parent", "2026-12-01".into(), "q1:3:yesq2:0:"), ("student", "2026-12-02".into(), "")]);
        for broken in ["6:parent", "6:parent2026-12-01", "6:parent2026-13-0113:q1:3:yesq2:0:", "9:parent2026-12-010:"] {
            assert!(unpack_group(broken).is_none(), "{broken:?}");
        }
    }

    #[test]
    fn packed_answers_unpack_whatever_the_values_hold() {
        let pairs = [("q1", "yes"), ("q15", "a:b:12:c"), ("q16", "Ещё — «да»"), ("q17", "")];
        let owned: Vec<(String, String)> = pairs.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect();
        assert_eq!(unpack_answers(&pack_answers(&owned)), Some(owned));
        assert_eq!(unpack_answers(""), Some(Vec::new()));
        for broken in ["q1", "q1:3", "q1:4:yes", "q1:x:yes", "q1:1:Ё"] {
            assert_eq!(unpack_answers(broken), None, "{broken:?}");
        }
    }
}
