//! What went wrong, as an operator reads it: the refusals of the use cases the command line and
//! the bot's campaign console share, typed here so that each is worded once per language in
//! Fluent (`locales/*/cli.ftl`, ids `failure-…`) rather than glued "Russian / English" strings.
//! The English `Display` is for logs; people get [`render`].

use std::path::PathBuf;

use chrono::NaiveDate;
use fluent_bundle::FluentArgs;

use crate::args;
use crate::i18n::{self, Texts};
use crate::survey::Lang;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("no campaign named {0:?}")]
    NoCampaign(String),
    #[error("the campaign {0:?} is already closed")]
    AlreadyClosed(String),
    #[error("the campaign {0:?} is not closed")]
    NotClosed(String),
    #[error("the campaign {0:?} is closed; reopen it")]
    ClosedNotExtended(String),
    #[error("the last day of {name:?} ({ends}) is past: give a new one")]
    ReopenNeedsEnd { name: String, ends: NaiveDate },
    #[error("the end ({ends}) is before the start ({starts})")]
    EndBeforeStart { starts: NaiveDate, ends: NaiveDate },
    #[error("the new end {ends} of {name:?} is past (today is {today})")]
    EndInPast { name: String, ends: NaiveDate, today: NaiveDate },
    #[error("the first day {starts} is past (today is {today})")]
    StartInPast { starts: NaiveDate, today: NaiveDate },
    #[error("the roster is empty")]
    EmptyRoster,
    #[error("the campaign name is empty")]
    EmptyName,
    #[error("the target percent must be between 1 and 100 (got {0})")]
    TargetOutOfRange(i64),
    #[error("no questionnaire named")]
    NoQuestionnaireGiven,
    #[error("no questionnaire {id:?} in {dir} (found: {known})")]
    NoQuestionnaire { id: String, dir: PathBuf, known: String },
    #[error("questionnaires {first} and {second} are both for the audience {audience}")]
    SameAudience { first: String, second: String, audience: String },
    #[error("cannot read the grades {0:?}")]
    BadGrades(String),
    #[error("grades are given for {id:?}, which is not among the campaign's questionnaires ({given})")]
    GradesForUnknown { id: String, given: String },
    #[error("grades are given twice for {0:?}")]
    GradesTwice(String),
    #[error("the bot's username is not set")]
    NoBotUsername,
    #[error("no school named {0:?}")]
    NoSchool(String),
    #[error("the school name {name:?} is ambiguous: {candidates}")]
    AmbiguousSchool { name: String, candidates: String },
    #[error("no school named {name:?}; near: {candidates}")]
    NoSchoolNear { name: String, candidates: String },
    #[error("no municipality named {0:?}")]
    NoMunicipality(String),
    #[error("school {school:?} has no class {class:?}")]
    NoClass { school: String, class: String },
    #[error("the class name {class:?} is ambiguous in {school:?}: {candidates}")]
    AmbiguousClass { school: String, class: String, candidates: String },
    #[error("class {0:?} has no link in this campaign yet")]
    NoLinkYet(String),
    #[error("{0:?} is not a duration")]
    BadDuration(String),
    #[error("no active staff member number {0}")]
    NoStaffMember(i64),
    #[error("no unused invitation {0:?}")]
    NoInvitation(String),
    #[error("name exactly one scope")]
    OneScope,
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    #[error("cannot read {0}")]
    Read(PathBuf, #[source] std::io::Error),
    #[error("cannot write {0}")]
    Write(PathBuf, #[source] std::io::Error),
    #[error("cannot create the folder {0}")]
    CreateFolder(PathBuf, #[source] std::io::Error),
    #[error("the roster {0} was not imported")]
    RosterNotImported(PathBuf, #[source] crate::roster::RosterError),
    #[error("the expert file {0} was not used")]
    ExpertNotUsed(PathBuf, #[source] anyhow::Error),
    #[error("line {line}: the roster has no school {school:?} in the municipality {municipality:?}")]
    ExpertUnknownSchool { line: u64, school: String, municipality: String },

    // Settings, database and start-up: what the operator fixes before anything runs.
    #[error("the settings file {0} is not valid")]
    SettingsInvalid(PathBuf, #[source] toml::de::Error),
    #[error("cannot read the settings file {0}")]
    SettingsUnreadable(PathBuf, #[source] std::io::Error),
    #[error("{name} {got:?} is not valid: {expected}")]
    Setting { name: &'static str, got: String, expected: Expected },
    #[error("webhook mode needs server.listen (or ANKETA_LISTEN)")]
    WebhookNeedsListen,
    #[error("TELOXIDE_TOKEN is not set")]
    NoToken,
    #[error("cannot reach the Telegram Bot API with this token")]
    TelegramUnreachable(#[source] anyhow::Error),
    #[error("the token belongs to @{actual}, but the settings name @{configured}")]
    OtherBot { configured: String, actual: String },
    #[error("ANKETA_DATABASE_URL is not a valid database URL")]
    BadDatabaseUrl(#[source] sqlx::Error),
    #[error("cannot connect to PostgreSQL")]
    PostgresUnreachable(#[source] sqlx::Error),
    #[error("cannot open the SQLite database {0}")]
    SqliteUnopenable(String, #[source] sqlx::Error),
    #[error("ANKETA_DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnknownDatabase(String),
    #[error("cannot apply the database migrations")]
    Migrations(#[source] sqlx::migrate::MigrateError),
    #[error("ANKETA_WEBHOOK_SECRET must be {min} to 256 characters (got {got})")]
    WebhookSecretLength { min: usize, got: usize },
    #[error("ANKETA_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -")]
    WebhookSecretAlphabet,
    #[error("ANKETA_CLOCK {0:?} is not a time like 2026-11-24T09:00:00+08:00")]
    BadClock(String),
    #[error("cannot listen on {0} (server.listen)")]
    CannotListen(std::net::SocketAddr, #[source] std::io::Error),
    #[error("the target database is not empty")]
    TargetNotEmpty,
    #[error("the source database holds unfinished answers of an older version")]
    OldDrafts,
    #[error("questionnaire {0}")]
    QuestionnaireInvalid(PathBuf, #[source] crate::survey::QuestionnaireError),
    #[error("cannot register the webhook with Telegram")]
    WebhookUnregistered(#[source] anyhow::Error),
    #[error("cannot rekey the unfinished answers of an older version")]
    Rekey(#[source] anyhow::Error),
    #[error("the work in flight did not finish within {0} s; stopped without it")]
    Unfinished(u64),
    #[error("the campaign {0:?} cannot be scored")]
    CannotScore(String, #[source] crate::survey::scoring::ScoringError),
}

/// What a setting should look like, for [`Failure::Setting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `polling` or `webhook`.
    Mode,
    /// An IANA time zone name.
    Timezone,
    /// A time of day like 09:00.
    TimeOfDay,
    /// An address like 127.0.0.1:8080.
    Address,
    /// The public https:// URL Telegram posts to.
    WebhookUrl,
    /// A whole number, at least 1.
    Positive,
    /// A number above 0, like 1 or 0.5.
    Rate,
    /// `ru` or `en`.
    Language,
    /// A URL.
    Url,
    /// `reweight` or `strict`.
    EmptyIndicators,
    /// A whole number from 1 to 100.
    Percent,
    /// A whole number, 0 or more.
    Count,
    /// A duration like 24h.
    Duration,
    /// Hours like 21:00-09:00.
    QuietHours,
}

impl Expected {
    fn message_id(self) -> &'static str {
        match self {
            Expected::Mode => "failure-expected-mode",
            Expected::Timezone => "failure-expected-timezone",
            Expected::TimeOfDay => "failure-expected-time-of-day",
            Expected::Address => "failure-expected-address",
            Expected::WebhookUrl => "failure-expected-webhook-url",
            Expected::Positive => "failure-expected-positive",
            Expected::Rate => "failure-expected-rate",
            Expected::Language => "failure-expected-language",
            Expected::Url => "failure-expected-url",
            Expected::EmptyIndicators => "failure-expected-empty-indicators",
            Expected::Percent => "failure-expected-percent",
            Expected::Count => "failure-expected-count",
            Expected::Duration => "failure-expected-duration",
            Expected::QuietHours => "failure-expected-quiet-hours",
        }
    }
}

/// For logs: people read [`Expected::message_id`] through Fluent.
impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Failure {
    /// The message id and its arguments; dates as the language writes them.
    fn message(&self, lang: Lang) -> (&'static str, FluentArgs<'_>) {
        let day = |d: &NaiveDate| i18n::day(lang, *d);
        let path = |p: &PathBuf| p.display().to_string();
        match self {
            Failure::NoCampaign(name) => ("failure-no-campaign", args![("name", name.as_str())]),
            Failure::AlreadyClosed(name) => ("failure-already-closed", args![("name", name.as_str())]),
            Failure::NotClosed(name) => ("failure-not-closed", args![("name", name.as_str())]),
            Failure::ClosedNotExtended(name) => ("failure-closed-not-extended", args![("name", name.as_str())]),
            Failure::ReopenNeedsEnd { name, ends } => {
                ("failure-reopen-needs-end", args![("name", name.as_str()), ("ends", day(ends))])
            }
            Failure::EndBeforeStart { starts, ends } => {
                ("failure-end-before-start", args![("starts", day(starts)), ("ends", day(ends))])
            }
            Failure::EndInPast { name, ends, today } => {
                ("failure-end-in-past", args![("name", name.as_str()), ("ends", day(ends)), ("today", day(today))])
            }
            Failure::StartInPast { starts, today } => {
                ("failure-start-in-past", args![("starts", day(starts)), ("today", day(today))])
            }
            Failure::EmptyRoster => ("failure-empty-roster", args![]),
            Failure::EmptyName => ("failure-empty-name", args![]),
            Failure::TargetOutOfRange(got) => ("failure-target-out-of-range", args![("got", *got)]),
            Failure::NoQuestionnaireGiven => ("failure-no-questionnaire-given", args![]),
            Failure::NoQuestionnaire { id, dir, known } => {
                ("failure-no-questionnaire", args![("id", id.as_str()), ("dir", path(dir)), ("known", known.as_str())])
            }
            Failure::SameAudience { first, second, audience } => (
                "failure-same-audience",
                args![("first", first.as_str()), ("second", second.as_str()), ("audience", audience.as_str())],
            ),
            Failure::BadGrades(text) => ("failure-bad-grades", args![("grades", text.as_str())]),
            Failure::GradesForUnknown { id, given } => {
                ("failure-grades-for-unknown", args![("id", id.as_str()), ("given", given.as_str())])
            }
            Failure::GradesTwice(id) => ("failure-grades-twice", args![("id", id.as_str())]),
            Failure::NoBotUsername => ("failure-no-bot-username", args![]),
            Failure::NoSchool(name) => ("failure-no-school", args![("name", name.as_str())]),
            Failure::AmbiguousSchool { name, candidates } => {
                ("failure-ambiguous-school", args![("name", name.as_str()), ("candidates", candidates.as_str())])
            }
            Failure::NoSchoolNear { name, candidates } => {
                ("failure-no-school-near", args![("name", name.as_str()), ("candidates", candidates.as_str())])
            }
            Failure::NoMunicipality(name) => ("failure-no-municipality", args![("name", name.as_str())]),
            Failure::NoClass { school, class } => {
                ("failure-no-class", args![("school", school.as_str()), ("class", class.as_str())])
            }
            Failure::AmbiguousClass { school, class, candidates } => (
                "failure-ambiguous-class",
                args![("school", school.as_str()), ("class", class.as_str()), ("candidates", candidates.as_str())],
            ),
            Failure::NoLinkYet(class) => ("failure-no-link-yet", args![("class", class.as_str())]),
            Failure::BadDuration(text) => ("failure-bad-duration", args![("text", text.as_str())]),
            Failure::NoStaffMember(id) => ("failure-no-staff-member", args![("id", *id)]),
            Failure::NoInvitation(code) => ("failure-no-invitation", args![("code", code.as_str())]),
            Failure::OneScope => ("failure-one-scope", args![]),
            Failure::NoDatabase(file) => ("failure-no-database", args![("path", path(file))]),
            Failure::Read(file, _) => ("failure-read", args![("path", path(file))]),
            Failure::Write(file, _) => ("failure-write", args![("path", path(file))]),
            Failure::CreateFolder(file, _) => ("failure-create-folder", args![("path", path(file))]),
            Failure::RosterNotImported(file, _) => ("failure-roster-not-imported", args![("path", path(file))]),
            Failure::ExpertNotUsed(file, _) => ("failure-expert-not-used", args![("path", path(file))]),
            Failure::ExpertUnknownSchool { line, school, municipality } => (
                "failure-expert-unknown-school",
                args![("line", *line), ("school", school.as_str()), ("municipality", municipality.as_str())],
            ),
            Failure::SettingsInvalid(file, _) => ("failure-settings-invalid", args![("path", path(file))]),
            Failure::SettingsUnreadable(file, _) => ("failure-settings-unreadable", args![("path", path(file))]),
            Failure::Setting { name, got, .. } => ("failure-setting", args![("name", *name), ("got", got.as_str())]),
            Failure::WebhookNeedsListen => ("failure-webhook-needs-listen", args![]),
            Failure::NoToken => ("failure-no-token", args![]),
            Failure::TelegramUnreachable(_) => ("failure-telegram-unreachable", args![]),
            Failure::OtherBot { configured, actual } => {
                ("failure-other-bot", args![("configured", configured.as_str()), ("actual", actual.as_str())])
            }
            Failure::BadDatabaseUrl(_) => ("failure-bad-database-url", args![]),
            Failure::PostgresUnreachable(_) => ("failure-postgres-unreachable", args![]),
            Failure::SqliteUnopenable(url, _) => ("failure-sqlite-unopenable", args![("url", url.as_str())]),
            Failure::UnknownDatabase(url) => ("failure-unknown-database", args![("url", url.as_str())]),
            Failure::Migrations(_) => ("failure-migrations", args![]),
            Failure::WebhookSecretLength { min, got } => {
                ("failure-webhook-secret-length", args![("min", *min), ("got", *got)])
            }
            Failure::WebhookSecretAlphabet => ("failure-webhook-secret-alphabet", args![]),
            Failure::BadClock(text) => ("failure-bad-clock", args![("text", text.as_str())]),
            Failure::CannotListen(address, _) => ("failure-cannot-listen", args![("address", address.to_string())]),
            Failure::TargetNotEmpty => ("failure-target-not-empty", args![]),
            Failure::OldDrafts => ("failure-old-drafts", args![]),
            Failure::QuestionnaireInvalid(file, _) => ("failure-questionnaire-invalid", args![("path", path(file))]),
            Failure::WebhookUnregistered(_) => ("failure-webhook-unregistered", args![]),
            Failure::Rekey(_) => ("failure-rekey", args![]),
            Failure::Unfinished(seconds) => ("failure-unfinished", args![("seconds", *seconds)]),
            Failure::CannotScore(name, _) => ("failure-cannot-score", args![("name", name.as_str())]),
        }
    }

    pub fn render(&self, texts: &Texts, lang: Lang) -> String {
        let (id, mut args) = self.message(lang);
        if let Failure::Setting { expected, .. } = self {
            args.set("expected", texts.get(lang, expected.message_id()));
        }
        texts.get_with(lang, id, &args)
    }
}

/// One link of an error chain in `lang`: our typed errors through Fluent, anything else
/// (the operating system's, a database driver's) as it words itself.
/// An expert file's refusal in the reader's language.
fn expert_error(error: &crate::expert::ExpertError, texts: &Texts, lang: Lang) -> String {
    use crate::expert::{ExpertError, ExpertProblem};
    match error {
        ExpertError::NotUtf8 => texts.get(lang, "failure-expert-not-utf8"),
        ExpertError::Empty => texts.get(lang, "failure-expert-empty"),
        ExpertError::NoRows => texts.get(lang, "failure-expert-no-rows"),
        ExpertError::MissingColumn(column) => {
            texts.get_with(lang, "failure-expert-missing-column", &args![("column", *column)])
        }
        ExpertError::Row { line, problem } => {
            let problem = match problem {
                ExpertProblem::Unreadable(detail) => {
                    texts.get_with(lang, "failure-expert-unreadable", &args![("detail", detail.as_str())])
                }
                ExpertProblem::Missing(column) => {
                    texts.get_with(lang, "failure-expert-missing", &args![("column", *column)])
                }
                ExpertProblem::NotPoints { column, got } => texts.get_with(
                    lang,
                    "failure-expert-not-points",
                    &args![("column", *column), ("got", got.as_str())],
                ),
                ExpertProblem::Twice { school, municipality, first } => texts.get_with(
                    lang,
                    "failure-expert-twice",
                    &args![("school", school.as_str()), ("municipality", municipality.as_str()), ("first", *first)],
                ),
            };
            texts.get_with(lang, "failure-expert-row", &args![("line", *line), ("problem", problem)])
        }
    }
}

fn link(error: &(dyn std::error::Error + 'static), texts: &Texts, lang: Lang) -> String {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        failure.render(texts, lang)
    } else if let Some(crate::campaign::DateError(typed)) = error.downcast_ref() {
        texts.get_with(lang, "failure-date", &args![("text", typed.as_str())])
    } else if let Some(scoring) = error.downcast_ref::<crate::survey::scoring::ScoringError>() {
        scoring_error(scoring, texts, lang)
    } else if let Some(questionnaire) = error.downcast_ref::<crate::survey::QuestionnaireError>() {
        questionnaire_error(questionnaire, texts, lang)
    } else if let Some(key) = error.downcast_ref::<crate::privacy::KeyError>() {
        key_error(key, texts, lang)
    } else if let Some(expert) = error.downcast_ref::<crate::expert::ExpertError>() {
        expert_error(expert, texts, lang)
    } else if let Some(crate::db::CampaignError::NameTaken(name)) = error.downcast_ref() {
        texts.get_with(lang, "failure-name-taken", &args![("name", name.as_str())])
    } else {
        error.to_string()
    }
}

/// Why a campaign's questionnaire cannot be scored by the НОКО criteria.
fn scoring_error(error: &crate::survey::scoring::ScoringError, texts: &Texts, lang: Lang) -> String {
    use crate::survey::scoring::ScoringError;
    match error {
        ScoringError::MissingQuestion { questionnaire, question, indicator } => texts.get_with(
            lang,
            "failure-scoring-missing-question",
            &args![("questionnaire", questionnaire.as_str()), ("question", *question), ("indicator", *indicator)],
        ),
        ScoringError::ProposalsNotText { questionnaire, question } => texts.get_with(
            lang,
            "failure-scoring-proposals-not-text",
            &args![("questionnaire", questionnaire.as_str()), ("question", *question)],
        ),
    }
}

/// What is wrong with a questionnaire file; a question's own problem is worded by the engine,
/// in English, for the file's author.
fn questionnaire_error(error: &crate::survey::QuestionnaireError, texts: &Texts, lang: Lang) -> String {
    use crate::survey::QuestionnaireError;
    match error {
        QuestionnaireError::Syntax(detail) => {
            texts.get_with(lang, "failure-questionnaire-syntax", &args![("detail", detail.as_str())])
        }
        QuestionnaireError::BadId(id) => {
            texts.get_with(lang, "failure-questionnaire-bad-id", &args![("id", id.as_str())])
        }
        QuestionnaireError::NoQuestions => texts.get(lang, "failure-questionnaire-no-questions"),
        QuestionnaireError::Question { question, problem } => texts.get_with(
            lang,
            "failure-questionnaire-question",
            &args![("question", question.as_str()), ("problem", problem.as_str())],
        ),
    }
}

/// Why the identity key was refused, with how to make one where that is the fix.
fn key_error(error: &crate::privacy::KeyError, texts: &Texts, lang: Lang) -> String {
    use crate::privacy::{KeyError, MIN_KEY_BYTES};
    let how = || texts.get(lang, "failure-key-how");
    match error {
        KeyError::Missing => format!("{} {}", texts.get(lang, "failure-key-missing"), how()),
        KeyError::BothSet => texts.get(lang, "failure-key-both-set"),
        KeyError::Unreadable { path, .. } => {
            texts.get_with(lang, "failure-key-unreadable", &args![("path", path.display().to_string())])
        }
        KeyError::Exposed { path, mode } => texts.get_with(
            lang,
            "failure-key-exposed",
            &args![("path", path.display().to_string()), ("mode", format!("{mode:03o}"))],
        ),
        KeyError::NotEncoded => {
            format!("{} {}", texts.get_with(lang, "failure-key-not-encoded", &args![("min", MIN_KEY_BYTES)]), how())
        }
        KeyError::TooShort { len } => format!(
            "{} {}",
            texts.get_with(lang, "failure-key-too-short", &args![("len", *len), ("min", MIN_KEY_BYTES)]),
            how()
        ),
    }
}

/// A whole error chain in `lang`, outermost first, as `{:#}` would print it.
pub fn render(error: &anyhow::Error, texts: &Texts, lang: Lang) -> String {
    error.chain().map(|e| link(e, texts, lang)).collect::<Vec<_>>().join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_each_language_reads_them() {
        let texts = Texts::default();
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let failure = Failure::StartInPast { starts: day, today: day.succ_opt().unwrap() };
        let ru = failure.render(&texts, Lang::Ru);
        assert!(ru.contains("23.11.2026") && ru.contains("24.11.2026") && !ru.contains("2026-11"), "{ru}");
        let en = failure.render(&texts, Lang::En);
        assert!(en.contains("2026-11-23") && en.contains("first day"), "{en}");
    }

    #[test]
    fn a_chain_renders_each_link_in_the_language() {
        let texts = Texts::default();
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let error =
            anyhow::Error::new(Failure::ExpertNotUsed("x.csv".into(), Failure::Read("x.csv".into(), io).into()));
        let ru = render(&error, &texts, Lang::Ru);
        assert_eq!(ru, "файл эксперта x.csv не использован: не удалось прочитать x.csv: gone");
        let dated = anyhow::Error::new(crate::campaign::DateError("завтра".into()));
        assert!(render(&dated, &texts, Lang::En).contains("DD.MM.YYYY"));
        assert!(!render(&dated, &texts, Lang::Ru).contains("YYYY"));
    }
}
