//! The questionnaire model: parsed from an operator-editable TOML file and validated once.
//!
//! After [`Questionnaire::from_toml`] succeeds, every reference is known to be sound: ids are unique,
//! `show_if` points at an earlier question and at codes that question can produce, every question can
//! be reached, and every code fits Telegram's 64-byte callback data.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::Lang;

/// Longest question text accepted: leaves room in a 4096-character Telegram message for the
/// progress line, hints and the options.
pub const MAX_QUESTION_CHARS: usize = 3000;
/// Longest option code: keeps callback data (`<revision>:<action>:<code>`) under 64 bytes.
pub const MAX_CODE_LEN: usize = 24;
/// Longest button label; phones cut longer labels anyway.
pub const MAX_OPTION_CHARS: usize = 120;
/// Upper bound for free-text answers (a Telegram message is at most 4096 characters).
pub const MAX_TEXT_LENGTH: usize = 4000;

/// Who a questionnaire is for. The bot asks this when a campaign has more than one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A parent or legal representative of a student.
    Parent,
    /// A student aged 14 or older.
    Student,
}

impl Audience {
    pub fn code(self) -> &'static str {
        match self {
            Audience::Parent => "parent",
            Audience::Student => "student",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "parent" => Some(Audience::Parent),
            "student" => Some(Audience::Student),
            _ => None,
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text in Russian and, optionally, English (Russian is shown where English is missing).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub ru: String,
    pub en: Option<String>,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.en.as_deref().unwrap_or(&self.ru),
            Lang::Ru => &self.ru,
        }
    }
}

/// One answer option of a choice question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub code: String,
    pub text: Localized,
}

/// What kind of answer a question takes.
#[derive(Debug, Clone)]
pub enum QuestionKind {
    /// Answered "yes" or "no".
    YesNo,
    /// Exactly one of the options.
    Single { options: Vec<ChoiceOption> },
    /// Between `min` and `max` of the options.
    Multiple { options: Vec<ChoiceOption>, min: usize, max: usize },
    /// A whole number from `min` to `max`.
    Rating { min: i32, max: i32, min_label: Option<Localized>, max_label: Option<Localized> },
    /// Free text of at most `max_length` characters.
    Text { max_length: usize, optional: bool },
}

/// When a question is shown: only if an earlier question was answered with one of `codes`
/// (for a multiple-choice question: if any of them was selected).
#[derive(Debug, Clone, PartialEq)]
pub struct ShowIf {
    pub question: String,
    pub codes: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub text: Localized,
    /// A few words naming the question in the summary screen and in reports.
    pub short: Option<Localized>,
    /// Provenance of the wording (for НОКО: "V" verbatim, "R" reconstructed).
    pub source: Option<String>,
    pub kind: QuestionKind,
    pub show_if: Option<ShowIf>,
}

impl Question {
    /// The codes a choice-like answer can take; `None` for free text.
    pub fn answer_codes(&self) -> Option<Vec<String>> {
        match &self.kind {
            QuestionKind::YesNo => Some(vec!["yes".into(), "no".into()]),
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                Some(options.iter().map(|o| o.code.clone()).collect())
            }
            QuestionKind::Rating { min, max, .. } => Some((*min..=*max).map(|n| n.to_string()).collect()),
            QuestionKind::Text { .. } => None,
        }
    }

    pub fn option(&self, code: &str) -> Option<&ChoiceOption> {
        match &self.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                options.iter().find(|o| o.code == code)
            }
            _ => None,
        }
    }
}

/// A validated questionnaire.
#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub id: String,
    pub audience: Audience,
    pub title: Localized,
    pub preamble: Localized,
    pub source: Option<String>,
    pub questions: Vec<Question>,
}

/// What is wrong with a questionnaire file, named so an author can find and fix it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QuestionnaireError {
    #[error("the file is not valid TOML for a questionnaire: {0}")]
    Syntax(String),
    #[error("the questionnaire id {0:?} must be 1–64 characters of a-z, 0-9, '-' or '_'")]
    BadId(String),
    #[error("the questionnaire has no questions")]
    NoQuestions,
    #[error("question {question:?}: {problem}")]
    Question { question: String, problem: String },
}

fn question_error(question: &str, problem: impl Into<String>) -> QuestionnaireError {
    QuestionnaireError::Question { question: question.to_string(), problem: problem.into() }
}

// The file's shape, as an author writes it; turned into the model above by `validate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestionnaire {
    id: String,
    audience: Audience,
    title: Localized,
    preamble: Localized,
    source: Option<String>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    kind: RawKind,
    text: Localized,
    short: Option<Localized>,
    source: Option<String>,
    #[serde(default)]
    options: Vec<ChoiceOption>,
    min: Option<i64>,
    max: Option<i64>,
    min_label: Option<Localized>,
    max_label: Option<Localized>,
    max_length: Option<usize>,
    #[serde(default)]
    optional: bool,
    show_if: Option<RawShowIf>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    YesNo,
    Single,
    Multiple,
    Rating,
    Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShowIf {
    question: String,
    equals: Option<String>,
    any_of: Option<Vec<String>>,
}

fn is_code(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Questionnaire {
    /// Reads and validates a questionnaire file; the error names the file.
    pub fn load(path: &Path) -> Result<Self, anyhow::Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read questionnaire {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| anyhow::anyhow!("questionnaire {}: {e}", path.display()))
    }

    /// Parses and validates a questionnaire from its TOML text.
    pub fn from_toml(text: &str) -> Result<Self, QuestionnaireError> {
        let raw: RawQuestionnaire = toml::from_str(text).map_err(|e| QuestionnaireError::Syntax(e.to_string()))?;
        Self::validate(raw)
    }

    fn validate(raw: RawQuestionnaire) -> Result<Self, QuestionnaireError> {
        if !is_code(&raw.id, 64) {
            return Err(QuestionnaireError::BadId(raw.id));
        }
        if raw.questions.is_empty() {
            return Err(QuestionnaireError::NoQuestions);
        }
        let mut questions: Vec<Question> = Vec::with_capacity(raw.questions.len());
        let mut position: HashMap<String, usize> = HashMap::new();
        for (index, rq) in raw.questions.into_iter().enumerate() {
            let question = Self::validate_question(rq, &questions, &position)?;
            if position.insert(question.id.clone(), index).is_some() {
                return Err(question_error(&question.id, "this id is used by more than one question"));
            }
            questions.push(question);
        }
        Ok(Questionnaire {
            id: raw.id,
            audience: raw.audience,
            title: raw.title,
            preamble: raw.preamble,
            source: raw.source,
            questions,
        })
    }

    fn validate_question(
        rq: RawQuestion,
        earlier: &[Question],
        position: &HashMap<String, usize>,
    ) -> Result<Question, QuestionnaireError> {
        let id = rq.id.clone();
        if !is_code(&id, MAX_CODE_LEN) {
            return Err(question_error(
                &id,
                format!("the id must be 1–{MAX_CODE_LEN} characters of a-z, 0-9, '-' or '_'"),
            ));
        }
        for text in [&rq.text.ru, rq.text.en.as_ref().unwrap_or(&rq.text.ru)] {
            let chars = text.chars().count();
            if text.trim().is_empty() || chars > MAX_QUESTION_CHARS {
                return Err(question_error(
                    &id,
                    format!("the text must have 1–{MAX_QUESTION_CHARS} characters (has {chars})"),
                ));
            }
        }
        let uses_options = matches!(rq.kind, RawKind::Single | RawKind::Multiple);
        if !uses_options && !rq.options.is_empty() {
            return Err(question_error(&id, "only single and multiple choice questions take options"));
        }
        if rq.kind != RawKind::Text && (rq.max_length.is_some() || rq.optional) {
            return Err(question_error(&id, "max_length and optional apply to text questions only"));
        }
        if !matches!(rq.kind, RawKind::Multiple | RawKind::Rating) && (rq.min.is_some() || rq.max.is_some()) {
            return Err(question_error(&id, "min and max apply to multiple choice and rating questions only"));
        }
        if rq.kind != RawKind::Rating && (rq.min_label.is_some() || rq.max_label.is_some()) {
            return Err(question_error(&id, "min_label and max_label apply to rating questions only"));
        }
        if uses_options {
            if rq.options.is_empty() {
                return Err(question_error(&id, "the question has no options"));
            }
            let mut seen = BTreeSet::new();
            for option in &rq.options {
                if !is_code(&option.code, MAX_CODE_LEN) {
                    return Err(question_error(
                        &id,
                        format!(
                            "option code {:?} must be 1–{MAX_CODE_LEN} characters of a-z, 0-9, '-' or '_'",
                            option.code
                        ),
                    ));
                }
                if !seen.insert(option.code.as_str()) {
                    return Err(question_error(&id, format!("option code {:?} is used twice", option.code)));
                }
                let chars = option.text.ru.chars().count();
                if option.text.ru.trim().is_empty() || chars > MAX_OPTION_CHARS {
                    return Err(question_error(
                        &id,
                        format!("option {:?} must have a text of 1–{MAX_OPTION_CHARS} characters", option.code),
                    ));
                }
            }
        }
        let kind = match rq.kind {
            RawKind::YesNo => QuestionKind::YesNo,
            RawKind::Single => QuestionKind::Single { options: rq.options },
            RawKind::Multiple => {
                let count = rq.options.len() as i64;
                let min = rq.min.unwrap_or(1);
                let max = rq.max.unwrap_or(count);
                if min < 1 || max < min || max > count {
                    return Err(question_error(
                        &id,
                        format!("min and max must satisfy 1 ≤ min ≤ max ≤ {count} (the number of options)"),
                    ));
                }
                QuestionKind::Multiple { options: rq.options, min: min as usize, max: max as usize }
            }
            RawKind::Rating => {
                let (min, max) = match (rq.min, rq.max) {
                    (Some(min), Some(max)) => (min, max),
                    _ => return Err(question_error(&id, "a rating question needs min and max")),
                };
                if !(0..=10).contains(&min) || !(0..=10).contains(&max) || max <= min {
                    return Err(question_error(&id, "a rating scale must satisfy 0 ≤ min < max ≤ 10"));
                }
                QuestionKind::Rating {
                    min: min as i32,
                    max: max as i32,
                    min_label: rq.min_label,
                    max_label: rq.max_label,
                }
            }
            RawKind::Text => {
                let max_length = rq.max_length.unwrap_or(1000);
                if max_length == 0 || max_length > MAX_TEXT_LENGTH {
                    return Err(question_error(&id, format!("max_length must be 1–{MAX_TEXT_LENGTH}")));
                }
                QuestionKind::Text { max_length, optional: rq.optional }
            }
        };
        let show_if = rq.show_if.map(|s| Self::validate_show_if(&id, s, earlier, position)).transpose()?;
        Ok(Question { id, text: rq.text, short: rq.short, source: rq.source, kind, show_if })
    }

    fn validate_show_if(
        id: &str,
        raw: RawShowIf,
        earlier: &[Question],
        position: &HashMap<String, usize>,
    ) -> Result<ShowIf, QuestionnaireError> {
        let codes: BTreeSet<String> = match (raw.equals, raw.any_of) {
            (Some(code), None) => [code].into(),
            (None, Some(list)) if !list.is_empty() => list.into_iter().collect(),
            _ => {
                return Err(question_error(id, "show_if needs exactly one of `equals` or a non-empty `any_of`"));
            }
        };
        if raw.question == id {
            return Err(question_error(id, "show_if refers to the question itself"));
        }
        let Some(&target) = position.get(&raw.question) else {
            return Err(question_error(
                id,
                format!(
                    "show_if refers to {:?}, which is not an earlier question (conditions may only look back)",
                    raw.question
                ),
            ));
        };
        let Some(possible) = earlier[target].answer_codes() else {
            return Err(question_error(
                id,
                format!("show_if refers to {:?}, a free-text question, which has no answer codes", raw.question),
            ));
        };
        // A condition no answer can meet makes the question unreachable.
        let unknown: Vec<&String> = codes.iter().filter(|c| !possible.contains(c)).collect();
        if !unknown.is_empty() {
            return Err(question_error(
                id,
                format!(
                    "unreachable: show_if expects {unknown:?} from {:?}, whose answers are {possible:?}",
                    raw.question
                ),
            ));
        }
        Ok(ShowIf { question: raw.question, codes })
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"
id = "demo"
audience = "parent"
title = { ru = "Опрос" }
preamble = { ru = "Вступление" }
"#;

    fn parse(questions: &str) -> Result<Questionnaire, QuestionnaireError> {
        Questionnaire::from_toml(&format!("{HEAD}\n{questions}"))
    }

    fn problem(questions: &str) -> (String, String) {
        match parse(questions) {
            Err(QuestionnaireError::Question { question, problem }) => (question, problem),
            other => panic!("expected a question error, got {other:?}"),
        }
    }

    #[test]
    fn parses_every_kind() {
        let q = parse(
            r#"
[[questions]]
id = "a"
kind = "yes_no"
text = { ru = "Да или нет?", en = "Yes or no?" }
[[questions]]
id = "b"
kind = "single"
show_if = { question = "a", equals = "yes" }
text = { ru = "Один" }
options = [{ code = "x", text = { ru = "Икс" } }, { code = "y", text = { ru = "Игрек" } }]
[[questions]]
id = "c"
kind = "multiple"
max = 2
text = { ru = "Несколько" }
options = [{ code = "x", text = { ru = "Икс" } }, { code = "y", text = { ru = "Игрек" } }, { code = "z", text = { ru = "Зет" } }]
[[questions]]
id = "d"
kind = "rating"
min = 1
max = 5
show_if = { question = "c", any_of = ["x", "z"] }
text = { ru = "Оценка" }
[[questions]]
id = "e"
kind = "text"
optional = true
max_length = 300
text = { ru = "Предложения" }
"#,
        )
        .unwrap();
        assert_eq!(q.questions.len(), 5);
        assert!(matches!(q.questions[2].kind, QuestionKind::Multiple { min: 1, max: 2, .. }));
        assert_eq!(q.questions[1].show_if.as_ref().unwrap().codes, ["yes".to_string()].into());
        assert_eq!(q.questions[0].text.get(Lang::En), "Yes or no?");
        assert_eq!(q.questions[1].text.get(Lang::En), "Один", "falls back to Russian");
        assert!(matches!(q.questions[4].kind, QuestionKind::Text { max_length: 300, optional: true }));
    }

    #[test]
    fn rejects_duplicate_ids() {
        let (id, duplicate) = problem(
            r#"
[[questions]]
id = "a"
kind = "yes_no"
text = { ru = "1" }
[[questions]]
id = "a"
kind = "yes_no"
text = { ru = "2" }
"#,
        );
        assert_eq!(id, "a");
        assert!(duplicate.contains("more than one"), "{duplicate}");
    }

    #[test]
    fn rejects_conditions_on_unknown_or_later_questions() {
        let (id, later) = problem(
            r#"
[[questions]]
id = "a"
kind = "yes_no"
show_if = { question = "b", equals = "yes" }
text = { ru = "1" }
[[questions]]
id = "b"
kind = "yes_no"
text = { ru = "2" }
"#,
        );
        assert_eq!(id, "a");
        assert!(later.contains("not an earlier question"), "{later}");
        let (_, unknown) = problem_of_unknown();
        assert!(unknown.contains("\"nope\""), "{unknown}");
    }

    fn problem_of_unknown() -> (String, String) {
        problem(
            r#"
[[questions]]
id = "a"
kind = "yes_no"
show_if = { question = "nope", equals = "yes" }
text = { ru = "1" }
"#,
        )
    }

    #[test]
    fn rejects_unreachable_questions() {
        let (id, unreachable) = problem(
            r#"
[[questions]]
id = "a"
kind = "yes_no"
text = { ru = "1" }
[[questions]]
id = "b"
kind = "yes_no"
show_if = { question = "a", equals = "maybe" }
text = { ru = "2" }
"#,
        );
        assert_eq!(id, "b");
        assert!(unreachable.contains("unreachable"), "{unreachable}");
    }

    #[test]
    fn rejects_empty_options_and_bad_ranges() {
        let (id, empty) = problem(
            r#"
[[questions]]
id = "a"
kind = "single"
text = { ru = "1" }
"#,
        );
        assert_eq!((id.as_str(), empty.as_str()), ("a", "the question has no options"));
        let (_, range) = problem(
            r#"
[[questions]]
id = "a"
kind = "multiple"
min = 3
text = { ru = "1" }
options = [{ code = "x", text = { ru = "Икс" } }]
"#,
        );
        assert!(range.contains("min ≤ max"), "{range}");
    }

    #[test]
    fn rejects_codes_that_would_overflow_callback_data() {
        let (_, cyrillic) = problem(
            r#"
[[questions]]
id = "a"
kind = "single"
text = { ru = "1" }
options = [{ code = "вариант", text = { ru = "Кириллица в коде" } }]
"#,
        );
        assert!(cyrillic.contains("option code"), "{cyrillic}");
    }

    #[test]
    fn reports_unknown_keys_and_bad_syntax() {
        let err = parse("[[questions]]\nid = \"a\"\nkind = \"yes_no\"\ntext = { ru = \"1\" }\nshow = 1\n").unwrap_err();
        assert!(matches!(err, QuestionnaireError::Syntax(ref m) if m.contains("show")), "{err}");
        assert_eq!(parse("").unwrap_err(), QuestionnaireError::NoQuestions);
    }
}
