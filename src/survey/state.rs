//! The respondent's path through a campaign's questionnaire, as a state machine.
//!
//! A [`Draft`] is the whole state of one unfinished response; [`Draft::step`] applies one
//! [`Input`] and returns the next draft or a [`StepError`] that leaves the draft unchanged.
//! The draft is serialisable so the storage adapter can keep it across restarts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::grades::Grades;
use super::questionnaire::{Audience, Question, QuestionKind, Questionnaire};

/// The questionnaires of one campaign, one per audience, each asked in its grades.
#[derive(Debug, Clone)]
pub struct Survey {
    by_audience: BTreeMap<Audience, Arc<Questionnaire>>,
    /// The grades an audience is asked in; an audience missing here is asked in every grade.
    grades: BTreeMap<Audience, Grades>,
}

impl Survey {
    /// Builds a survey asked in every grade; the caller guarantees one questionnaire per audience
    /// and at least one.
    pub fn new(questionnaires: impl IntoIterator<Item = Arc<Questionnaire>>) -> Self {
        let by_audience: BTreeMap<_, _> = questionnaires.into_iter().map(|q| (q.audience, q)).collect();
        assert!(!by_audience.is_empty(), "a survey needs at least one questionnaire");
        Survey { by_audience, grades: BTreeMap::new() }
    }

    /// The same survey with `audience` asked only in `grades`.
    pub fn with_grades(mut self, audience: Audience, grades: Grades) -> Self {
        if grades.is_all() {
            self.grades.remove(&audience);
        } else {
            self.grades.insert(audience, grades);
        }
        self
    }

    /// The grades an audience is asked in (`None`: every grade, or not asked at all).
    pub fn grades(&self, audience: Audience) -> Option<Grades> {
        self.grades.get(&audience).copied()
    }

    /// Whether `audience` is asked in a class of `grade`. A class whose grade cannot be read
    /// (`None`) is asked every audience the survey has.
    pub fn asks(&self, audience: Audience, grade: Option<u8>) -> bool {
        self.by_audience.contains_key(&audience)
            && match (self.grades.get(&audience), grade) {
                (Some(grades), Some(grade)) => grades.contains(grade),
                _ => true,
            }
    }

    /// The survey as a class of `grade` sees it: only the audiences asked there, or `None`
    /// if none is.
    pub fn for_grade(&self, grade: Option<u8>) -> Option<Survey> {
        let by_audience: BTreeMap<_, _> =
            self.by_audience.iter().filter(|(a, _)| self.asks(**a, grade)).map(|(a, q)| (*a, q.clone())).collect();
        (!by_audience.is_empty()).then(|| Survey { by_audience, grades: self.grades.clone() })
    }

    pub fn audiences(&self) -> impl Iterator<Item = Audience> + '_ {
        self.by_audience.keys().copied()
    }

    pub fn has_several_audiences(&self) -> bool {
        self.by_audience.len() > 1
    }

    pub fn questionnaire(&self, audience: Audience) -> Option<&Questionnaire> {
        self.by_audience.get(&audience).map(|q| q.as_ref())
    }

    /// The questionnaire shown before the audience is known (its title and preamble).
    pub fn first(&self) -> &Questionnaire {
        self.by_audience.values().next().expect("non-empty by construction")
    }

    fn only_audience(&self) -> Option<Audience> {
        (self.by_audience.len() == 1).then(|| *self.by_audience.keys().next().expect("one"))
    }
}

/// One answer as given. Questions hidden by skip logic have no answer at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// A yes/no ("yes", "no") or single-choice option code.
    Choice(String),
    /// The selected option codes of a multiple-choice question.
    Choices(BTreeSet<String>),
    Rating(i32),
    Text(String),
}

impl Answer {
    /// The answer as it is stored and exported: a code, codes joined by `|`, a number or the text.
    pub fn to_value(&self) -> String {
        match self {
            Answer::Choice(code) => code.clone(),
            Answer::Choices(codes) => codes.iter().cloned().collect::<Vec<_>>().join("|"),
            Answer::Rating(n) => n.to_string(),
            Answer::Text(text) => text.clone(),
        }
    }

    fn matches(&self, codes: &BTreeSet<String>) -> bool {
        match self {
            Answer::Choice(code) => codes.contains(code),
            Answer::Choices(selected) => !selected.is_disjoint(codes),
            Answer::Rating(n) => codes.contains(&n.to_string()),
            Answer::Text(_) => false,
        }
    }
}

/// Where the respondent is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The greeting with the anonymity statement and a start button.
    Welcome,
    /// "Who are you?" when the campaign has several audiences.
    ChoosingAudience,
    /// Answering the question with this id.
    Question(String),
    /// The summary with the submit button.
    Review,
}

/// What the respondent did, already parsed from a button or a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Begin,
    ChooseAudience(Audience),
    /// A yes/no, single-choice or rating button (the code as in [`Answer::to_value`]).
    Choose(String),
    /// A multiple-choice option toggled on or off.
    Toggle(String),
    /// "Done" on a multiple-choice question.
    Done,
    /// "Skip" on an optional free-text question.
    Skip,
    Back,
    Text(String),
}

/// Why an input was not applied. The draft stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("this input does not belong to the current screen")]
    NotExpected,
    #[error("this audience is not asked here")]
    AudienceNotAsked,
    #[error("this question is answered with the buttons")]
    UseButtons,
    #[error("a text answer is expected")]
    TextExpected,
    #[error("the answer is empty")]
    EmptyText,
    #[error("the answer has {got} characters, at most {max} are accepted")]
    TextTooLong { max: usize, got: usize },
    #[error("at least {min} options must be chosen")]
    TooFew { min: usize },
    #[error("at most {max} options may be chosen")]
    TooMany { max: usize },
}

/// "Question 3 of 14": `total` counts the questions the respondent will see given the answers so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub number: usize,
    pub total: usize,
}

/// The state of one unfinished response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub stage: Stage,
    pub audience: Option<Audience>,
    /// Answers given so far, kept when the respondent goes back so the screen shows them.
    pub answers: BTreeMap<String, Answer>,
    /// The questions passed on the way to the current stage, for "back".
    pub history: Vec<String>,
    /// Options ticked on the current multiple-choice question, not yet confirmed with "done".
    pub selection: BTreeSet<String>,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            stage: Stage::Welcome,
            audience: None,
            answers: BTreeMap::new(),
            history: Vec::new(),
            selection: BTreeSet::new(),
        }
    }
}

impl Draft {
    /// The questionnaire being answered, once the audience is known.
    pub fn questionnaire<'a>(&self, survey: &'a Survey) -> Option<&'a Questionnaire> {
        self.audience.and_then(|a| survey.questionnaire(a))
    }

    /// The question on screen, if the respondent is answering one.
    pub fn current_question<'a>(&self, survey: &'a Survey) -> Option<&'a Question> {
        match &self.stage {
            Stage::Question(id) => self.questionnaire(survey)?.question(id),
            _ => None,
        }
    }

    /// Applies one input. Errors leave `self` untouched.
    pub fn step(&self, survey: &Survey, input: Input) -> Result<Draft, StepError> {
        if let Input::ChooseAudience(audience) = &input
            && survey.questionnaire(*audience).is_none()
        {
            return Err(StepError::AudienceNotAsked);
        }
        let mut next = self.clone();
        match (&self.stage, input) {
            (Stage::Welcome, Input::Begin) => match survey.only_audience() {
                Some(audience) => next.enter_questionnaire(survey, audience),
                None => next.stage = Stage::ChoosingAudience,
            },
            (Stage::ChoosingAudience, Input::ChooseAudience(audience)) => next.enter_questionnaire(survey, audience),
            (Stage::ChoosingAudience, Input::Back) => next.stage = Stage::Welcome,
            (Stage::Question(_), input) => {
                let question = self.current_question(survey).ok_or(StepError::NotExpected)?;
                next.answer(survey, question, input)?;
            }
            (Stage::Review, Input::Back) => next.go_back(survey),
            (_, Input::Text(_)) => return Err(StepError::UseButtons),
            _ => return Err(StepError::NotExpected),
        }
        Ok(next)
    }

    fn enter_questionnaire(&mut self, survey: &Survey, audience: Audience) {
        if self.audience != Some(audience) {
            self.answers.clear();
        }
        self.audience = Some(audience);
        self.history.clear();
        self.advance_from(survey, None);
    }

    fn answer(&mut self, survey: &Survey, question: &Question, input: Input) -> Result<(), StepError> {
        let answer = match (&question.kind, input) {
            (_, Input::Back) => {
                self.go_back(survey);
                return Ok(());
            }
            (QuestionKind::YesNo, Input::Choose(code)) if code == "yes" || code == "no" => Answer::Choice(code),
            (QuestionKind::Single { .. }, Input::Choose(code)) if question.option(&code).is_some() => {
                Answer::Choice(code)
            }
            (QuestionKind::Rating { min, max, .. }, Input::Choose(code)) => match code.parse::<i32>() {
                Ok(n) if (*min..=*max).contains(&n) => Answer::Rating(n),
                _ => return Err(StepError::NotExpected),
            },
            (QuestionKind::Multiple { max, .. }, Input::Toggle(code)) if question.option(&code).is_some() => {
                if !self.selection.remove(&code) {
                    if self.selection.len() >= *max {
                        return Err(StepError::TooMany { max: *max });
                    }
                    self.selection.insert(code);
                }
                return Ok(());
            }
            (QuestionKind::Multiple { min, max, .. }, Input::Done) => {
                if self.selection.len() < *min {
                    return Err(StepError::TooFew { min: *min });
                }
                if self.selection.len() > *max {
                    return Err(StepError::TooMany { max: *max });
                }
                Answer::Choices(std::mem::take(&mut self.selection))
            }
            (QuestionKind::Text { max_length, .. }, Input::Text(text)) => {
                let text = text.trim();
                let got = text.chars().count();
                if got == 0 {
                    return Err(StepError::EmptyText);
                }
                if got > *max_length {
                    return Err(StepError::TextTooLong { max: *max_length, got });
                }
                Answer::Text(text.to_string())
            }
            (QuestionKind::Text { optional: true, .. }, Input::Skip) => {
                self.answers.remove(&question.id);
                self.history.push(question.id.clone());
                self.advance_from(survey, Some(&question.id));
                return Ok(());
            }
            (QuestionKind::Text { .. }, _) => return Err(StepError::TextExpected),
            (_, Input::Text(_)) => return Err(StepError::UseButtons),
            _ => return Err(StepError::NotExpected),
        };
        self.answers.insert(question.id.clone(), answer);
        self.history.push(question.id.clone());
        self.advance_from(survey, Some(&question.id));
        Ok(())
    }

    /// Moves to the first visible question after `after` (or the first one), or to the review.
    fn advance_from(&mut self, survey: &Survey, after: Option<&str>) {
        let questionnaire = self.questionnaire(survey).expect("audience is set before questions");
        let start = after.and_then(|id| questionnaire.index_of(id)).map_or(0, |i| i + 1);
        let visible = self.visibility(questionnaire);
        self.stage = match (start..questionnaire.questions.len()).find(|&i| visible[i]) {
            Some(i) => Stage::Question(questionnaire.questions[i].id.clone()),
            None => Stage::Review,
        };
        self.prefill_selection(survey);
    }

    fn go_back(&mut self, survey: &Survey) {
        self.stage = match self.history.pop() {
            Some(previous) => Stage::Question(previous),
            None if survey.has_several_audiences() => Stage::ChoosingAudience,
            None => Stage::Welcome,
        };
        // Unconfirmed ticks belong to the question left behind; off the questions there are none.
        self.prefill_selection(survey);
    }

    /// A multiple-choice question shows the options confirmed earlier, if any.
    fn prefill_selection(&mut self, survey: &Survey) {
        self.selection = match self.current_question(survey).map(|q| self.answers.get(&q.id)) {
            Some(Some(Answer::Choices(codes))) => codes.clone(),
            _ => BTreeSet::new(),
        };
    }

    /// Whether each question is shown, given the answers so far. A question whose condition
    /// refers to a hidden question is hidden too.
    fn visibility(&self, questionnaire: &Questionnaire) -> Vec<bool> {
        let mut visible: Vec<bool> = Vec::with_capacity(questionnaire.questions.len());
        for question in &questionnaire.questions {
            let shown = match &question.show_if {
                None => true,
                Some(condition) => {
                    let target = questionnaire.index_of(&condition.question).expect("validated");
                    visible[target]
                        && self.answers.get(&condition.question).is_some_and(|a| a.matches(&condition.codes))
                }
            };
            visible.push(shown);
        }
        visible
    }

    /// The progress line for the current question: its number and the number of questions the
    /// respondent will see, counting a conditional question not yet decided as one they will see.
    pub fn progress(&self, survey: &Survey) -> Option<Progress> {
        let questionnaire = self.questionnaire(survey)?;
        let Stage::Question(current) = &self.stage else {
            return None;
        };
        let current_index = questionnaire.index_of(current)?;
        let mut possible: Vec<bool> = Vec::with_capacity(questionnaire.questions.len());
        for (index, question) in questionnaire.questions.iter().enumerate() {
            let shown = match &question.show_if {
                None => true,
                Some(condition) => {
                    let target = questionnaire.index_of(&condition.question).expect("validated");
                    let decided = target < current_index;
                    possible[target]
                        && (!decided
                            || self.answers.get(&condition.question).is_some_and(|a| a.matches(&condition.codes)))
                }
            };
            possible.push(shown || index == current_index);
        }
        Some(Progress { number: self.history.len() + 1, total: possible.iter().filter(|&&p| p).count() })
    }

    /// The answers to store, in questionnaire order: only questions the respondent was shown.
    /// `None` unless the draft is at the review stage with every shown required question answered.
    pub fn completed_answers(&self, survey: &Survey) -> Option<Vec<(String, Answer)>> {
        if self.stage != Stage::Review {
            return None;
        }
        let questionnaire = self.questionnaire(survey)?;
        let visible = self.visibility(questionnaire);
        let mut answers = Vec::new();
        for (question, shown) in questionnaire.questions.iter().zip(visible) {
            if !shown {
                continue;
            }
            match (self.answers.get(&question.id), &question.kind) {
                (Some(answer), _) => answers.push((question.id.clone(), answer.clone())),
                (None, QuestionKind::Text { optional: true, .. }) => {}
                (None, _) => return None,
            }
        }
        Some(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questionnaire(id: &str, audience: &str) -> Arc<Questionnaire> {
        let text = format!(
            r#"
id = "{id}"
audience = "{audience}"
title = {{ ru = "Опрос" }}
preamble = {{ ru = "Вступление" }}
[[questions]]
id = "q1"
kind = "yes_no"
text = {{ ru = "Пользовались стендами?" }}
[[questions]]
id = "q2"
kind = "yes_no"
show_if = {{ question = "q1", equals = "yes" }}
text = {{ ru = "Довольны стендами?" }}
[[questions]]
id = "q3"
kind = "multiple"
min = 1
max = 2
text = {{ ru = "Что улучшить?" }}
options = [{{ code = "food", text = {{ ru = "Питание" }} }}, {{ code = "wifi", text = {{ ru = "Wi-Fi" }} }}, {{ code = "gym", text = {{ ru = "Спортзал" }} }}]
[[questions]]
id = "q4"
kind = "rating"
min = 1
max = 5
show_if = {{ question = "q3", equals = "gym" }}
text = {{ ru = "Оцените спортзал" }}
[[questions]]
id = "q5"
kind = "text"
optional = true
max_length = 10
text = {{ ru = "Предложения" }}
"#
        );
        Arc::new(Questionnaire::from_toml(&text).unwrap())
    }

    fn one_audience() -> Survey {
        Survey::new([questionnaire("p", "parent")])
    }

    fn run(survey: &Survey, inputs: Vec<Input>) -> Draft {
        inputs.into_iter().fold(Draft::default(), |draft, input| {
            draft.step(survey, input.clone()).unwrap_or_else(|e| panic!("{input:?}: {e}"))
        })
    }

    fn choose(code: &str) -> Input {
        Input::Choose(code.into())
    }

    fn toggle(code: &str) -> Input {
        Input::Toggle(code.into())
    }

    #[test]
    fn skip_logic_stores_hidden_questions_as_not_asked() {
        let survey = one_audience();
        let draft = run(&survey, vec![Input::Begin, choose("no"), toggle("food"), Input::Done, Input::Skip]);
        assert_eq!(draft.stage, Stage::Review);
        let answers = draft.completed_answers(&survey).unwrap();
        let ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["q1", "q3"], "q2 and q4 were not asked, q5 was skipped");
    }

    #[test]
    fn every_path_through_the_conditions() {
        let survey = one_audience();
        let draft = run(
            &survey,
            vec![
                Input::Begin,
                choose("yes"),
                choose("no"),
                toggle("gym"),
                toggle("wifi"),
                Input::Done,
                choose("4"),
                Input::Text("  Больше  ".into()),
            ],
        );
        let answers = draft.completed_answers(&survey).unwrap();
        assert_eq!(
            answers,
            vec![
                ("q1".to_string(), Answer::Choice("yes".into())),
                ("q2".to_string(), Answer::Choice("no".into())),
                ("q3".to_string(), Answer::Choices(["gym".to_string(), "wifi".to_string()].into())),
                ("q4".to_string(), Answer::Rating(4)),
                ("q5".to_string(), Answer::Text("Больше".into())),
            ]
        );
        assert_eq!(answers[2].1.to_value(), "gym|wifi");
    }

    #[test]
    fn progress_counts_only_questions_that_will_be_shown() {
        let survey = one_audience();
        let at_first = run(&survey, vec![Input::Begin]);
        assert_eq!(at_first.progress(&survey), Some(Progress { number: 1, total: 5 }));
        let after_no = run(&survey, vec![Input::Begin, choose("no")]);
        assert_eq!(after_no.progress(&survey), Some(Progress { number: 2, total: 4 }));
        let after_food = run(&survey, vec![Input::Begin, choose("no"), toggle("food"), Input::Done]);
        assert_eq!(after_food.progress(&survey), Some(Progress { number: 3, total: 3 }));
    }

    #[test]
    fn back_returns_to_the_previous_shown_question_and_keeps_answers() {
        let survey = one_audience();
        let draft = run(&survey, vec![Input::Begin, choose("no"), toggle("food"), toggle("wifi"), Input::Done]);
        assert_eq!(draft.stage, Stage::Question("q5".into()));
        let back = draft.step(&survey, Input::Back).unwrap();
        assert_eq!(back.stage, Stage::Question("q3".into()));
        assert_eq!(back.selection, ["food".to_string(), "wifi".to_string()].into(), "prefilled");
        let back = back.step(&survey, Input::Back).unwrap();
        assert_eq!(back.stage, Stage::Question("q1".into()), "q2 was hidden, so back skips it");
        // Changing q1 to "yes" now shows q2.
        let forward = back.step(&survey, choose("yes")).unwrap();
        assert_eq!(forward.stage, Stage::Question("q2".into()));
        let welcome = run(&survey, vec![Input::Begin, Input::Back]);
        assert_eq!(welcome.stage, Stage::Welcome);
    }

    #[test]
    fn answers_of_questions_hidden_by_a_changed_answer_are_dropped() {
        let survey = one_audience();
        let draft =
            run(&survey, vec![Input::Begin, choose("yes"), choose("yes"), toggle("food"), Input::Done, Input::Skip]);
        // Back to q1 through the review, and change it to "no".
        let mut draft = draft;
        for _ in 0..4 {
            draft = draft.step(&survey, Input::Back).unwrap();
        }
        assert_eq!(draft.stage, Stage::Question("q1".into()));
        let draft = run_from(&survey, draft, vec![choose("no"), Input::Done, Input::Skip]);
        let ids: Vec<String> = draft.completed_answers(&survey).unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["q1", "q3"]);
    }

    fn run_from(survey: &Survey, draft: Draft, inputs: Vec<Input>) -> Draft {
        inputs.into_iter().fold(draft, |d, i| d.step(survey, i).unwrap())
    }

    #[test]
    fn multiple_choice_limits() {
        let survey = one_audience();
        let at_q3 = run(&survey, vec![Input::Begin, choose("no")]);
        assert_eq!(at_q3.step(&survey, Input::Done), Err(StepError::TooFew { min: 1 }));
        let two = run_from(&survey, at_q3, vec![toggle("food"), toggle("wifi")]);
        assert_eq!(two.step(&survey, toggle("gym")), Err(StepError::TooMany { max: 2 }));
        let untoggled = two.step(&survey, toggle("wifi")).unwrap();
        assert_eq!(untoggled.selection, ["food".to_string()].into());
        assert_eq!(untoggled.step(&survey, toggle("nope")), Err(StepError::NotExpected));
    }

    #[test]
    fn wrong_inputs_are_refused_without_change() {
        let survey = one_audience();
        let at_q1 = run(&survey, vec![Input::Begin]);
        assert_eq!(at_q1.step(&survey, Input::Text("да".into())), Err(StepError::UseButtons));
        assert_eq!(at_q1.step(&survey, choose("maybe")), Err(StepError::NotExpected));
        assert_eq!(at_q1.step(&survey, Input::Skip), Err(StepError::NotExpected));
        assert_eq!(at_q1.step(&survey, Input::Begin), Err(StepError::NotExpected));
        let at_q5 = run(&survey, vec![Input::Begin, choose("no"), toggle("food"), Input::Done]);
        assert_eq!(at_q5.step(&survey, Input::Text("x".repeat(11))), Err(StepError::TextTooLong { max: 10, got: 11 }));
        assert_eq!(at_q5.step(&survey, Input::Text("   ".into())), Err(StepError::EmptyText));
        assert_eq!(at_q5.step(&survey, choose("yes")), Err(StepError::TextExpected));
        assert_eq!(Draft::default().step(&survey, Input::Text("hi".into())), Err(StepError::UseButtons));
        assert!(at_q5.completed_answers(&survey).is_none(), "not at review yet");
    }

    #[test]
    fn several_audiences_ask_who_is_answering() {
        let survey = Survey::new([questionnaire("p", "parent"), questionnaire("s", "student")]);
        let draft = run(&survey, vec![Input::Begin]);
        assert_eq!(draft.stage, Stage::ChoosingAudience);
        let student = draft.step(&survey, Input::ChooseAudience(Audience::Student)).unwrap();
        assert_eq!(student.stage, Stage::Question("q1".into()));
        assert_eq!(student.questionnaire(&survey).unwrap().id, "s");
        assert_eq!(student.step(&survey, Input::Back).unwrap().stage, Stage::ChoosingAudience);
        let parents_only = one_audience();
        assert_eq!(
            run(&parents_only, vec![]).step(&parents_only, Input::ChooseAudience(Audience::Student)),
            Err(StepError::AudienceNotAsked)
        );
    }

    #[test]
    fn a_class_is_asked_only_the_audiences_of_its_grade() {
        let survey = Survey::new([questionnaire("p", "parent"), questionnaire("s", "student")])
            .with_grades(Audience::Student, Grades::parse("9-11").unwrap());
        let first_grade = survey.for_grade(Some(1)).unwrap();
        assert_eq!(first_grade.audiences().collect::<Vec<_>>(), [Audience::Parent]);
        let draft = run(&first_grade, vec![Input::Begin]);
        assert_eq!(draft.questionnaire(&first_grade).unwrap().id, "p", "no audience question");
        assert_eq!(
            draft.step(&first_grade, Input::ChooseAudience(Audience::Student)),
            Err(StepError::AudienceNotAsked)
        );
        let tenth = survey.for_grade(Some(10)).unwrap();
        assert_eq!(run(&tenth, vec![Input::Begin]).stage, Stage::ChoosingAudience);
        assert!(survey.for_grade(None).unwrap().has_several_audiences(), "an unread grade is asked everything");
        let students_only =
            Survey::new([questionnaire("s", "student")]).with_grades(Audience::Student, Grades::parse("9-11").unwrap());
        assert!(students_only.for_grade(Some(5)).is_none());
    }

    #[test]
    fn going_back_off_the_questions_drops_unconfirmed_ticks() {
        // Found by tests/fuzz.rs: a questionnaire opening with a multiple-choice question kept the
        // ticks in the draft after "back" to the welcome screen.
        let text = r#"
id = "m"
audience = "parent"
title = { ru = "Опрос" }
preamble = { ru = "Вступление" }
[[questions]]
id = "q1"
kind = "multiple"
text = { ru = "Что улучшить?" }
options = [{ code = "food", text = { ru = "Питание" } }, { code = "gym", text = { ru = "Спортзал" } }]
"#;
        let survey = Survey::new([Arc::new(Questionnaire::from_toml(text).unwrap())]);
        let welcome = run(&survey, vec![Input::Begin, toggle("food"), Input::Back]);
        assert_eq!(welcome.stage, Stage::Welcome);
        assert!(welcome.selection.is_empty(), "ticks with no question on screen: {:?}", welcome.selection);
    }

    #[test]
    fn draft_survives_serialisation() {
        let survey = one_audience();
        let draft = run(&survey, vec![Input::Begin, choose("yes"), choose("no"), toggle("gym")]);
        let json = serde_json::to_string(&draft).unwrap();
        assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), draft);
    }
}
