//! What the respondent sees: each stage of a draft rendered as a message text and its buttons.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::{Action, CallbackData};
use crate::args;
use crate::db::LinkTarget;
use crate::i18n::Texts;
use crate::survey::{Answer, Audience, Draft, Input, Lang, Question, QuestionKind, Stage, StepError, Survey};
use crate::telegram_text::{fit, shorten};

/// A message to send or to edit in place.
#[derive(Debug, Clone)]
pub struct Screen {
    pub text: String,
    pub keyboard: InlineKeyboardMarkup,
}

/// The school and class a survey is answered for, as the welcome screen names them.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub school: &'a str,
    pub class: &'a str,
}

impl<'a> From<&'a LinkTarget> for Place<'a> {
    fn from(target: &'a LinkTarget) -> Self {
        Place { school: &target.school, class: &target.class }
    }
}

/// Renders screens in one language for one draft revision.
pub struct Painter<'a> {
    pub texts: &'a Texts,
    pub lang: Lang,
    pub revision: i64,
}

impl Painter<'_> {
    fn t(&self, id: &str) -> String {
        self.texts.get(self.lang, id)
    }

    fn button(&self, label: impl Into<String>, action: Action) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(label, CallbackData::new(self.revision, action).encode())
    }

    fn step_button(&self, label: impl Into<String>, input: Input) -> InlineKeyboardButton {
        self.button(label, Action::Step(input))
    }

    /// The screen for the draft's current stage.
    pub fn draft(&self, survey: &Survey, draft: &Draft, place: Place<'_>) -> Screen {
        match &draft.stage {
            Stage::Welcome => self.welcome(survey, place),
            Stage::ChoosingAudience => self.audience_choice(survey),
            Stage::Question(_) => match draft.current_question(survey) {
                Some(question) => self.question(survey, draft, question),
                None => self.welcome(survey, place),
            },
            Stage::Review => self.review(survey, draft),
        }
    }

    fn welcome(&self, survey: &Survey, place: Place<'_>) -> Screen {
        let questionnaire = survey.first();
        let text = [
            self.texts.get_with(self.lang, "survey-welcome", &args![("school", place.school), ("class", place.class)]),
            questionnaire.title.get(self.lang).to_string(),
            questionnaire.preamble.get(self.lang).trim().to_string(),
            self.t("survey-anonymity"),
        ]
        .join("\n\n");
        Screen {
            text: fit(text),
            keyboard: InlineKeyboardMarkup::new([[self.step_button(self.t("survey-begin-button"), Input::Begin)]]),
        }
    }

    fn audience_choice(&self, survey: &Survey) -> Screen {
        let mut rows: Vec<Vec<InlineKeyboardButton>> = survey
            .audiences()
            .map(|audience| {
                let label = match audience {
                    Audience::Parent => self.t("survey-audience-parent"),
                    Audience::Student => self.t("survey-audience-student"),
                };
                vec![self.step_button(label, Input::ChooseAudience(audience))]
            })
            .collect();
        rows.push(vec![self.step_button(self.t("survey-back-button"), Input::Back)]);
        Screen { text: self.t("survey-choose-audience"), keyboard: InlineKeyboardMarkup::new(rows) }
    }

    fn question(&self, survey: &Survey, draft: &Draft, question: &Question) -> Screen {
        let lang = self.lang;
        let mut parts = Vec::new();
        if let Some(progress) = draft.progress(survey) {
            parts.push(self.texts.get_with(
                lang,
                "survey-progress",
                &args![("number", progress.number as i64), ("total", progress.total as i64)],
            ));
        }
        parts.push(question.text.get(lang).to_string());
        let previous = draft.answers.get(&question.id);
        let chosen = |code: &str| matches!(previous, Some(Answer::Choice(c)) if c == code);
        let mark = |on: bool, label: &str| {
            if on { format!("✓ {label}") } else { label.to_string() }
        };
        let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
        match &question.kind {
            QuestionKind::YesNo => rows.push(
                [("yes", "survey-yes"), ("no", "survey-no")]
                    .into_iter()
                    .map(|(code, id)| self.step_button(mark(chosen(code), &self.t(id)), Input::Choose(code.into())))
                    .collect(),
            ),
            QuestionKind::Single { options } => {
                for option in options {
                    let label = mark(chosen(&option.code), option.text.get(lang));
                    rows.push(vec![self.step_button(label, Input::Choose(option.code.clone()))]);
                }
            }
            QuestionKind::Multiple { options, min, max } => {
                parts.push(self.texts.get_with(
                    lang,
                    "survey-hint-multiple",
                    &args![("min", *min as i64), ("max", *max as i64)],
                ));
                for option in options {
                    let ticked = draft.selection.contains(&option.code);
                    let label = format!("{} {}", if ticked { "☑" } else { "☐" }, option.text.get(lang));
                    rows.push(vec![self.step_button(label, Input::Toggle(option.code.clone()))]);
                }
                rows.push(vec![self.step_button(self.t("survey-done-button"), Input::Done)]);
            }
            QuestionKind::Rating { min, max, min_label, max_label } => {
                if let (Some(low), Some(high)) = (min_label, max_label) {
                    parts.push(self.texts.get_with(
                        lang,
                        "survey-hint-rating",
                        &args![
                            ("min", *min as i64),
                            ("max", *max as i64),
                            ("low", low.get(lang)),
                            ("high", high.get(lang))
                        ],
                    ));
                }
                let rated = |n: i32| matches!(previous, Some(Answer::Rating(r)) if *r == n);
                let buttons: Vec<_> = (*min..=*max)
                    .map(|n| self.step_button(mark(rated(n), &n.to_string()), Input::Choose(n.to_string())))
                    .collect();
                rows.extend(buttons.chunks(6).map(|c| c.to_vec()));
            }
            QuestionKind::Text { max_length, optional } => {
                let hint = if *optional { "survey-hint-text-optional" } else { "survey-hint-text" };
                parts.push(self.texts.get_with(lang, hint, &args![("max", *max_length as i64)]));
                if let Some(Answer::Text(previous)) = previous {
                    parts.push(self.texts.get_with(lang, "survey-previous-text", &args![("text", previous.as_str())]));
                }
                if *optional {
                    rows.push(vec![self.step_button(self.t("survey-skip-button"), Input::Skip)]);
                }
            }
        }
        rows.push(vec![self.step_button(self.t("survey-back-button"), Input::Back)]);
        Screen { text: fit(parts.join("\n\n")), keyboard: InlineKeyboardMarkup::new(rows) }
    }

    fn review(&self, survey: &Survey, draft: &Draft) -> Screen {
        let lang = self.lang;
        let mut lines = vec![self.t("survey-review-title")];
        if let (Some(answers), Some(questionnaire)) = (draft.completed_answers(survey), draft.questionnaire(survey)) {
            for (number, (id, answer)) in answers.iter().enumerate() {
                let Some(question) = questionnaire.question(id) else {
                    continue;
                };
                let label = question
                    .short
                    .as_ref()
                    .map(|s| s.get(lang).to_string())
                    .unwrap_or_else(|| shorten(question.text.get(lang), 60));
                lines.push(format!("{}. {label}: {}", number + 1, self.answer_label(question, answer)));
            }
        }
        lines.push(String::new());
        lines.push(self.t("survey-review-hint"));
        Screen {
            text: fit(lines.join("\n")),
            keyboard: InlineKeyboardMarkup::new([
                vec![self.button(self.t("survey-submit-button"), Action::Submit)],
                vec![self.step_button(self.t("survey-back-button"), Input::Back)],
            ]),
        }
    }

    fn answer_label(&self, question: &Question, answer: &Answer) -> String {
        let lang = self.lang;
        let option = |code: &str| question.option(code).map_or(code.to_string(), |o| o.text.get(lang).to_string());
        match answer {
            Answer::Choice(code) if matches!(question.kind, QuestionKind::YesNo) => {
                self.t(if code == "yes" { "survey-yes" } else { "survey-no" })
            }
            Answer::Choice(code) => option(code),
            Answer::Choices(codes) => codes.iter().map(|c| option(c)).collect::<Vec<_>>().join(", "),
            Answer::Rating(n) => n.to_string(),
            Answer::Text(text) => format!("«{}»", shorten(text, 200)),
        }
    }

    /// Why an input was refused, for the respondent.
    pub fn step_error(&self, error: &StepError) -> String {
        let (texts, lang) = (self.texts, self.lang);
        match error {
            StepError::NotExpected => self.t("survey-not-expected"),
            StepError::AudienceNotAsked => self.t("survey-audience-not-asked"),
            StepError::UseButtons => self.t("survey-use-buttons"),
            StepError::TextExpected => self.t("survey-text-expected"),
            StepError::EmptyText => self.t("survey-empty-text"),
            StepError::TextTooLong { max, got } => {
                texts.get_with(lang, "survey-text-too-long", &args![("max", *max as i64), ("got", *got as i64)])
            }
            StepError::TooFew { min } => texts.get_with(lang, "survey-too-few", &args![("min", *min as i64)]),
            StepError::TooMany { max } => texts.get_with(lang, "survey-too-many", &args![("max", *max as i64)]),
        }
    }

    /// The one reminder of an unfinished survey: how far it got, «Продолжить» (the current
    /// screen again) and «Нет, спасибо» (the draft is deleted).
    pub fn reminder(&self, survey: &Survey, draft: &Draft, school: &str) -> Screen {
        let title = || draft.questionnaire(survey).unwrap_or(survey.first()).title.get(self.lang);
        let progress = match (&draft.stage, draft.progress(survey)) {
            (_, Some(progress)) => self.texts.get_with(
                self.lang,
                "survey-reminder-progress",
                &args![
                    ("answered", progress.number as i64 - 1),
                    ("total", progress.total as i64),
                    ("title", title()),
                    ("school", school)
                ],
            ),
            (Stage::Review, None) => {
                self.texts.get_with(self.lang, "survey-reminder-review", &args![("title", title()), ("school", school)])
            }
            _ => self.texts.get_with(self.lang, "survey-reminder-welcome", &args![("school", school)]),
        };
        Screen {
            text: fit(format!("{progress}\n\n{}", self.t("survey-reminder-footer"))),
            keyboard: InlineKeyboardMarkup::new([
                vec![self.button(self.t("survey-continue-button"), Action::Resume)],
                vec![self.button(self.t("survey-reminder-decline-button"), Action::Decline)],
            ]),
        }
    }

    /// "You have an unfinished survey": continue it, or start again from `code`.
    pub fn resume_offer(&self, draft_school: &str, new_school: Option<&str>, code: &str) -> Screen {
        let (text, start_label) = match new_school {
            Some(school) if school != draft_school => (
                self.texts.get_with(
                    self.lang,
                    "survey-resume-other",
                    &args![("old_school", draft_school), ("school", school)],
                ),
                self.texts.get_with(self.lang, "survey-start-here-button", &args![("school", school)]),
            ),
            _ => (
                self.texts.get_with(self.lang, "survey-resume-same", &args![("school", draft_school)]),
                self.t("survey-start-over-button"),
            ),
        };
        Screen {
            text: fit(text),
            keyboard: InlineKeyboardMarkup::new([
                vec![self.button(self.t("survey-continue-button"), Action::Resume)],
                vec![self.button(shorten(&start_label, 60), Action::StartOver(code.to_string()))],
            ]),
        }
    }
}
