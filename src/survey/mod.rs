//! The survey engine: questionnaires, the respondent's state machine and its answers, and the
//! scoring of answers by the official НОКО method.
//!
//! Plain Rust with no Telegram, SQL, clock or file types (loading a file is a thin wrapper), so the
//! whole flow can be unit-tested and reused by other front ends.

pub mod grades;
pub mod questionnaire;
pub mod scoring;
pub mod state;

pub use grades::{Grades, GradesError, class_grade};
pub use questionnaire::{Audience, Question, QuestionKind, Questionnaire, QuestionnaireError};
pub use state::{Answer, Draft, Input, Progress, Stage, StepError, Survey};

/// A language the respondent sees. Russian is the default; English is the second language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    /// Picks the language from a Telegram `language_code` such as `en`, `en-GB` or `ru`.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some(code) if code.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) => Lang::En,
            _ => Lang::Ru,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// A stored language code (`ru`, `en`); anything else reads as Russian.
impl From<String> for Lang {
    fn from(code: String) -> Self {
        Lang::from_code(Some(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn language_from_telegram_code() {
        assert_eq!(Lang::from_code(Some("en-GB")), Lang::En);
        assert_eq!(Lang::from_code(Some("EN")), Lang::En);
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("uk")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("e")), Lang::Ru);
        assert_eq!(Lang::from_code(None), Lang::Ru);
    }
}
