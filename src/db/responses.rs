//! Submitting a response (participation record, anonymous response, draft removal: one
//! transaction) and reading responses back for counts and exports.

use anyhow::Context;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::QueryBuilder;

use super::{BeginWrite, Db, on_pool};
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
    pub submitted_on: NaiveDate,
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

/// One response as exported: where it came from and its answers by question id.
#[derive(Debug, Clone, Default)]
pub struct ExportRow {
    pub municipality: String,
    pub school: String,
    pub class: String,
    pub audience: String,
    pub submitted_on: String,
    pub answers: Vec<(String, String)>,
}

impl ExportRow {
    /// The row as exported: where it came from, then the answer to each question column (empty
    /// where the question was not asked).
    pub fn record(&self, columns: &[String]) -> Vec<String> {
        let mut record = vec![
            self.municipality.clone(),
            self.school.clone(),
            self.class.clone(),
            self.audience.clone(),
            self.submitted_on.clone(),
        ];
        record.extend(columns.iter().map(|id| self.answer(id).unwrap_or_default().to_string()));
        record
    }

    pub fn answer(&self, question_id: &str) -> Option<&str> {
        self.answers.iter().find(|(id, _)| id == question_id).map(|(_, value)| value.as_str())
    }
}

#[derive(sqlx::FromRow)]
struct ExportLine {
    municipality: String,
    school: String,
    class: String,
    audience: String,
    submitted_on: NaiveDate,
    /// The response's answers packed by [`EXPORT_SQL`], `None` when there are none.
    answers: Option<String>,
}

/// One row per response, its answers packed into one column as `question_id:byte_length:value`
/// repeated (question ids never contain `:`; the length makes any value safe). Joining the answer
/// rows instead made the engine sort every answer (4 million rows for a region) with the names
/// repeated on each, and sent them all over.
const EXPORT_SQL: &str = "SELECT m.name AS municipality, s.name AS school, k.name AS class, r.audience, r.submitted_on,
        (SELECT string_agg(a.question_id || ':' || octet_length(a.value) || ':' || a.value, '')
           FROM answers a WHERE a.response_id = r.id) AS answers
     FROM responses r
     JOIN classes k ON k.id = r.class_id
     JOIN schools s ON s.id = r.school_id
     JOIN municipalities m ON m.id = s.municipality_id
     WHERE r.campaign_id = $1 AND ($2 IS NULL OR s.municipality_id = $2)
       AND ($3 IS NULL OR r.school_id = $3) AND ($4 IS NULL OR r.class_id = $4)
     ORDER BY m.name, s.name, k.name, r.id";

/// Reads the answers packed by [`EXPORT_SQL`]; `None` if they are not in that form.
fn unpack_answers(mut packed: &str) -> Option<Vec<(String, String)>> {
    let mut answers = Vec::new();
    while !packed.is_empty() {
        let (question, rest) = packed.split_once(':')?;
        let (length, rest) = rest.split_once(':')?;
        let length: usize = length.parse().ok()?;
        let value = rest.get(..length)?;
        answers.push((question.to_string(), value.to_string()));
        packed = &rest[length..];
    }
    Some(answers)
}

impl Db {
    /// Stores a response once per (campaign, identity), removing the draft in the same transaction.
    /// The unique key on participations is what guarantees "once", across processes too.
    pub async fn submit_response(
        &self,
        chat_id: i64,
        expected_revision: i64,
        identity: &[u8],
        response: &NewResponse,
    ) -> sqlx::Result<SubmitOutcome> {
        let outcome = self.store_response(chat_id, expected_revision, identity, response).await?;
        if outcome != SubmitOutcome::DraftChanged {
            self.scrub_deleted();
        }
        Ok(outcome)
    }

    async fn store_response(
        &self,
        chat_id: i64,
        expected_revision: i64,
        identity: &[u8],
        response: &NewResponse,
    ) -> sqlx::Result<SubmitOutcome> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Writing first takes SQLite's write lock at once instead of upgrading a read lock later.
            let removed = sqlx::query("DELETE FROM drafts WHERE chat_id = $1 AND revision = $2")
                .bind(chat_id)
                .bind(expected_revision)
                .execute(&mut *tx)
                .await?;
            if removed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(SubmitOutcome::DraftChanged);
            }
            let inserted = sqlx::query(
                "INSERT INTO participations (campaign_id, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(response.campaign_id)
            .bind(identity)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                tx.commit().await?;
                return Ok(SubmitOutcome::AlreadyAnswered);
            }
            let response_id: i64 = sqlx::query_scalar(
                "INSERT INTO responses (campaign_id, school_id, class_id, audience, questionnaire_id, submitted_on)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(response.campaign_id)
            .bind(response.school_id)
            .bind(response.class_id)
            .bind(response.audience.code())
            .bind(&response.questionnaire_id)
            .bind(response.submitted_on)
            .fetch_one(&mut *tx)
            .await?;
            // All answers in one statement: a round trip per answer held the write lock (SQLite)
            // and the transaction open for a dozen round trips.
            if !response.answers.is_empty() {
                let mut insert = QueryBuilder::new("INSERT INTO answers (response_id, question_id, value) ");
                insert.push_values(&response.answers, |mut row, (question_id, value)| {
                    row.push_bind(response_id).push_bind(question_id).push_bind(value);
                });
                insert.build().execute(&mut *tx).await?;
            }
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

    pub async fn class_response_count(&self, campaign_id: i64, class_id: i64) -> sqlx::Result<i64> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM responses WHERE campaign_id = $1 AND class_id = $2",
        )
        .bind(campaign_id)
        .bind(class_id)
        .fetch_one(pool)
        .await)
    }

    /// Streams a campaign's responses within `scope`, ordered by municipality, school, class, to `sink`.
    pub async fn export_responses(
        &self,
        campaign_id: i64,
        scope: Scope,
        mut sink: impl FnMut(ExportRow) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let mut count = 0;
        on_pool!(self, pool => {
            let (municipality_id, school_id, class_id) = scope.ids();
            let mut lines = sqlx::query_as::<_, ExportLine>(EXPORT_SQL)
                .bind(campaign_id)
                .bind(municipality_id)
                .bind(school_id)
                .bind(class_id)
                .fetch(pool);
            while let Some(line) = lines.try_next().await? {
                let answers = match &line.answers {
                    None => Vec::new(),
                    Some(packed) => unpack_answers(packed)
                        .with_context(|| format!("the stored answers cannot be read: {packed:?}"))?,
                };
                sink(ExportRow {
                    municipality: line.municipality,
                    school: line.school,
                    class: line.class,
                    audience: line.audience,
                    submitted_on: line.submitted_on.to_string(),
                    answers,
                })?;
                count += 1;
            }
        });
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::unpack_answers;

    #[test]
    fn packed_answers_unpack_whatever_the_values_hold() {
        let pairs = [("q1", "yes"), ("q15", "a:b:12:c"), ("q16", "Ещё — «да»"), ("q17", "")];
        let packed: String = pairs.iter().map(|(q, v)| format!("{q}:{}:{v}", v.len())).collect();
        let expected: Vec<(String, String)> = pairs.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect();
        assert_eq!(unpack_answers(&packed), Some(expected));
        assert_eq!(unpack_answers(""), Some(Vec::new()));
        for broken in ["q1", "q1:3", "q1:4:yes", "q1:x:yes", "q1:1:Ё"] {
            assert_eq!(unpack_answers(broken), None, "{broken:?}");
        }
    }
}
