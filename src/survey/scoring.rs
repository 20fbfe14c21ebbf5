//! Scoring by the official НОКО method (Mintrud order 344н, Minprosveshcheniya order 114): an
//! organisation's survey indicators from its respondents' answers, the survey part of each
//! criterion and, given the five indicators an expert audit supplies, the criteria К1–К5 and the
//! total.
//!
//! Answers come as stored: question id → value, `"yes"`/`"no"` for yes/no questions, and a question
//! the respondent was not asked (skip logic) is absent, never "no". Each indicator counts «Да» among
//! the respondents who were asked the question and answered it (344н: «по отношению к числу
//! опрошенных получателей услуг, ответивших на соответствующий вопрос анкеты»). Where nobody did,
//! the indicator is «н/д» (`None`), never 0 or 100: a school must neither lose nor gain points for
//! a question nobody could answer.

use serde::Deserialize;

use super::{QuestionKind, Questionnaire};

/// A survey indicator of order 114, in points 0–100 per organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Indicator {
    /// 1.3 Поткр уд: satisfied with the openness of information on the stands and the website.
    Openness,
    /// 2.3 Пкомф уд: satisfied with the comfort of the conditions.
    Comfort,
    /// 3.3 Пдост уд: respondents with a disability satisfied with accessibility.
    Accessibility,
    /// 4.1 Пперв.конт уд: satisfied with the courtesy of staff at first contact.
    FirstContact,
    /// 4.2 Показ.услуг уд: satisfied with the courtesy of the teaching staff.
    Teaching,
    /// 4.3 Пвежл.дист уд: satisfied with the courtesy of staff in remote contact.
    Remote,
    /// 5.1 Преком: would recommend the organisation.
    Recommend,
    /// 5.2 Порг.усл уд: satisfied with the organisational conditions.
    Organisation,
    /// 5.3 Пуд: satisfied overall.
    Overall,
}

/// What a question of the НОКО form feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeds {
    /// Decides whether the next question is asked (e.g. "did you use the website?"); counted by
    /// nothing, because the question it opens counts only those who were asked it.
    Filter,
    /// Its «Да» counts towards this indicator.
    Indicator(Indicator),
    /// Free-text proposals for improvement: reported as text, never scored.
    Proposals,
}

/// The НОКО form: every question id and what it feeds. The one place the report learns which
/// question is which; 1.3 is the only indicator fed by two questions (stands, then website).
pub const NOKO_QUESTIONS: [(&str, Feeds); 15] = [
    ("q1", Feeds::Filter),
    ("q2", Feeds::Indicator(Indicator::Openness)),
    ("q3", Feeds::Filter),
    ("q4", Feeds::Indicator(Indicator::Openness)),
    ("q5", Feeds::Indicator(Indicator::Comfort)),
    ("q6", Feeds::Filter),
    ("q7", Feeds::Indicator(Indicator::Accessibility)),
    ("q8", Feeds::Indicator(Indicator::FirstContact)),
    ("q9", Feeds::Indicator(Indicator::Teaching)),
    ("q10", Feeds::Filter),
    ("q11", Feeds::Indicator(Indicator::Remote)),
    ("q12", Feeds::Indicator(Indicator::Recommend)),
    ("q13", Feeds::Indicator(Indicator::Organisation)),
    ("q14", Feeds::Indicator(Indicator::Overall)),
    ("q15", Feeds::Proposals),
];

impl Indicator {
    /// In the order of the official list.
    pub const ALL: [Indicator; 9] = [
        Indicator::Openness,
        Indicator::Comfort,
        Indicator::Accessibility,
        Indicator::FirstContact,
        Indicator::Teaching,
        Indicator::Remote,
        Indicator::Recommend,
        Indicator::Organisation,
        Indicator::Overall,
    ];

    /// The indicator's number in order 114, e.g. "1.3".
    pub fn code(self) -> &'static str {
        match self {
            Indicator::Openness => "1.3",
            Indicator::Comfort => "2.3",
            Indicator::Accessibility => "3.3",
            Indicator::FirstContact => "4.1",
            Indicator::Teaching => "4.2",
            Indicator::Remote => "4.3",
            Indicator::Recommend => "5.1",
            Indicator::Organisation => "5.2",
            Indicator::Overall => "5.3",
        }
    }

    /// The questions whose «Да» the indicator counts, in form order.
    pub fn questions(self) -> impl Iterator<Item = &'static str> {
        NOKO_QUESTIONS.into_iter().filter(move |(_, feeds)| *feeds == Feeds::Indicator(self)).map(|(id, _)| id)
    }
}

/// The free-text question of proposals for improvement.
pub fn proposals_question() -> &'static str {
    NOKO_QUESTIONS.into_iter().find(|(_, feeds)| *feeds == Feeds::Proposals).map(|(id, _)| id).expect("in the table")
}

/// Why a campaign's questionnaire cannot be scored by the НОКО method.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScoringError {
    #[error(
        "questionnaire {questionnaire:?} has no yes/no question {question:?}, which НОКО indicator {indicator} counts; \
         the results report scores the НОКО questionnaires only"
    )]
    MissingQuestion { questionnaire: String, question: &'static str, indicator: &'static str },
    #[error("questionnaire {questionnaire:?}: {question:?} holds the НОКО proposals and must be a free-text question")]
    ProposalsNotText { questionnaire: String, question: &'static str },
}

/// Checks that a questionnaire asks every scored question of the НОКО form as yes/no, so the
/// figures mean what the report's headers say.
pub fn check(questionnaire: &Questionnaire) -> Result<(), ScoringError> {
    for (id, feeds) in NOKO_QUESTIONS {
        let question = questionnaire.question(id);
        match feeds {
            Feeds::Indicator(indicator) if !question.is_some_and(|q| matches!(q.kind, QuestionKind::YesNo)) => {
                return Err(ScoringError::MissingQuestion {
                    questionnaire: questionnaire.id.clone(),
                    question: id,
                    indicator: indicator.code(),
                });
            }
            Feeds::Proposals if question.is_some_and(|q| !matches!(q.kind, QuestionKind::Text { .. })) => {
                return Err(ScoringError::ProposalsNotText { questionnaire: questionnaire.id.clone(), question: id });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Of the respondents asked a question who answered it, how many said «Да».
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share {
    pub yes: u64,
    pub answered: u64,
}

impl Share {
    /// «Да» / answered; `None` when nobody answered.
    pub fn ratio(self) -> Option<f64> {
        (self.answered > 0).then(|| self.yes as f64 / self.answered as f64)
    }
}

/// The counts behind the indicators of a group of respondents: one school, or schools pooled.
/// Pooling adds numerators and denominators, so a group's indicators weigh every respondent
/// equally rather than every school.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub respondents: u64,
    /// By the question's place in [`NOKO_QUESTIONS`]: a report counts millions of answers, and
    /// an index is cheaper than a map's look-up.
    shares: [Share; NOKO_QUESTIONS.len()],
}

impl Tally {
    /// Counts one response: (question id, stored value) for the questions the respondent was asked.
    pub fn add<'a>(&mut self, answers: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.respondents += 1;
        for (question, value) in answers {
            if let Some(place) = scored_place(question) {
                let share = &mut self.shares[place];
                share.answered += 1;
                share.yes += u64::from(value == "yes");
            }
        }
    }

    /// Adds another group's counts to this one.
    pub fn pool(&mut self, other: &Tally) {
        self.respondents += other.respondents;
        for (mine, theirs) in self.shares.iter_mut().zip(&other.shares) {
            mine.yes += theirs.yes;
            mine.answered += theirs.answered;
        }
    }

    /// The share of one question (zero counts for a question nobody answered).
    pub fn share(&self, question: &str) -> Share {
        scored_place(question).map(|place| self.shares[place]).unwrap_or_default()
    }
}

/// Where a question an indicator counts stands in [`NOKO_QUESTIONS`].
fn scored_place(question: &str) -> Option<usize> {
    NOKO_QUESTIONS.iter().position(|(id, feeds)| *id == question && matches!(feeds, Feeds::Indicator(_)))
}

/// How indicator 1.3 combines the stands (q2) and the website (q4): both formulas circulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpennessVariant {
    /// 0.5 × (Да(q2)/answered(q2) + Да(q4)/answered(q4)) × 100: each source among those who used it.
    #[default]
    PerAnswered,
    /// (Да(q2) + Да(q4)) / (2 × all respondents) × 100: someone who used neither source counts as
    /// not satisfied.
    PerRespondent,
}

/// The nine survey indicators of a group, in points 0–100; `None` is «н/д».
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicators([Option<f64>; 9]);

impl Indicators {
    pub fn of(tally: &Tally, variant: OpennessVariant) -> Indicators {
        Indicators(Indicator::ALL.map(|indicator| match indicator {
            Indicator::Openness => openness(tally, variant),
            _ => {
                let question = indicator.questions().next().expect("every indicator has a question");
                tally.share(question).ratio().map(|r| 100.0 * r)
            }
        }))
    }

    pub fn get(&self, indicator: Indicator) -> Option<f64> {
        self.0[indicator as usize]
    }
}

/// Indicator 1.3. In the per-answered variant, a source nobody used (its denominator is zero) drops
/// out and the other source's share stands alone: 1.3 measures satisfaction with the information
/// among those who consulted it, and when nobody visited the website the stands are all the
/// evidence there is. Counting the missing half as 0 would halve a school's score for an unvisited
/// website, which the survey does not measure; making the whole of 1.3 «н/д» would throw away real
/// answers and with them К1. Only when neither source was used is 1.3 «н/д».
fn openness(tally: &Tally, variant: OpennessVariant) -> Option<f64> {
    let shares: Vec<Share> = Indicator::Openness.questions().map(|q| tally.share(q)).collect();
    match variant {
        OpennessVariant::PerAnswered => {
            let parts: Vec<f64> = shares.iter().filter_map(|s| s.ratio()).collect();
            (!parts.is_empty()).then(|| 100.0 * parts.iter().sum::<f64>() / parts.len() as f64)
        }
        OpennessVariant::PerRespondent => {
            let yes: u64 = shares.iter().map(|s| s.yes).sum();
            let all = shares.len() as u64 * tally.respondents;
            (all > 0).then(|| 100.0 * yes as f64 / all as f64)
        }
    }
}

/// A general criterion of 273-ФЗ art. 95.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criterion {
    /// К1: openness and accessibility of information.
    K1,
    /// К2: comfort of the conditions.
    K2,
    /// К3: accessibility for people with disabilities.
    K3,
    /// К4: friendliness and courtesy of staff.
    K4,
    /// К5: satisfaction with the conditions.
    K5,
}

impl Criterion {
    pub const ALL: [Criterion; 5] = [Criterion::K1, Criterion::K2, Criterion::K3, Criterion::K4, Criterion::K5];

    /// 1 for К1, … 5 for К5.
    pub fn number(self) -> i64 {
        self as i64 + 1
    }
}

/// An indicator the survey cannot give: the operator's audit of the stands, the website and the
/// building supplies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpertInput {
    /// 1.1 Пинф: the information on the stands and the website against the legal list.
    Inf,
    /// 1.2 Пдист: remote ways of contact on the website.
    Dist,
    /// 2.1 Пкомф.усл: comfortable conditions provided.
    KomfUsl,
    /// 3.1 Порг.дост: premises and grounds equipped for people with disabilities.
    OrgDost,
    /// 3.2 Пуслуг.дост: services available to people with disabilities on a par with others.
    UslugDost,
}

/// A school's five expert indicators, in points 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpertScores {
    pub inf: f64,
    pub dist: f64,
    pub komf_usl: f64,
    pub org_dost: f64,
    pub uslug_dost: f64,
}

impl ExpertScores {
    pub fn get(&self, input: ExpertInput) -> f64 {
        match input {
            ExpertInput::Inf => self.inf,
            ExpertInput::Dist => self.dist,
            ExpertInput::KomfUsl => self.komf_usl,
            ExpertInput::OrgDost => self.org_dost,
            ExpertInput::UslugDost => self.uslug_dost,
        }
    }
}

/// A weighted sum of expert inputs and survey indicators.
type Terms = (&'static [(f64, ExpertInput)], &'static [(f64, Indicator)]);

/// The weights of 344н for general education, criterion by criterion (К1..К5). Education has no
/// waiting-time indicator, so К2 is half audit, half survey.
const WEIGHTS: [Terms; 5] = [
    (&[(0.3, ExpertInput::Inf), (0.3, ExpertInput::Dist)], &[(0.4, Indicator::Openness)]),
    (&[(0.5, ExpertInput::KomfUsl)], &[(0.5, Indicator::Comfort)]),
    (&[(0.3, ExpertInput::OrgDost), (0.4, ExpertInput::UslugDost)], &[(0.3, Indicator::Accessibility)]),
    (&[], &[(0.4, Indicator::FirstContact), (0.4, Indicator::Teaching), (0.2, Indicator::Remote)]),
    (&[], &[(0.3, Indicator::Recommend), (0.2, Indicator::Organisation), (0.5, Indicator::Overall)]),
];

/// What a criterion does with a survey indicator nobody could answer («н/д»): 3.3 where no
/// respondent has a disability, 4.3 where nobody used remote contact, 1.3 where nobody used the
/// stands or the website. The official rule for these cases was not found in the texts available
/// to the team (see `docs/noko-research.md`), so this is a setting and the report's notes name the
/// policy used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmptyIndicators {
    /// The criterion is computed from the terms that have a value, their weights of 344н scaled
    /// to sum to 1; the total is the mean of the criteria as usual. A school is scored on what
    /// its respondents could judge, and neither loses nor gains points for what they could not.
    #[default]
    Reweight,
    /// «н/д» carries into the criterion and from it into the total: no number the weights of 344н
    /// do not define.
    Strict,
}

impl std::str::FromStr for EmptyIndicators {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value.trim() {
            "reweight" => Ok(EmptyIndicators::Reweight),
            "strict" => Ok(EmptyIndicators::Strict),
            _ => Err(()),
        }
    }
}

/// How a group's scores are computed: the two choices the official texts leave open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Method {
    pub openness: OpennessVariant,
    pub empty: EmptyIndicators,
}

/// A group's scores: indicators, the survey part of each criterion and, with expert inputs, the
/// criteria and the total.
///
/// A criterion is the weighted sum of its terms (expert inputs and survey indicators). Where a
/// survey indicator is «н/д», [`EmptyIndicators`] decides: `Strict` makes the survey part, the
/// criterion and the total «н/д»; `Reweight` computes the criterion over the terms that have a
/// value, their weights scaled to sum to 1. The row still shows which indicator is missing, so the
/// reader sees why.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub indicators: Indicators,
    /// The survey part of К1..К5 (e.g. К1: 0.4 · Поткр уд; К4 and К5 are survey only): the
    /// survey's share of the criterion's weight times the weighted mean of its survey indicators
    /// that have a value (under `Strict`: of all of them, else «н/д»).
    pub survey_parts: [Option<f64>; 5],
    /// With expert inputs: К1..К5 in full and their mean, the total.
    pub criteria: Option<Criteria>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    pub values: [Option<f64>; 5],
    pub total: Option<f64>,
}

/// Σ weight × value over `terms`, with the policy for missing values: `None` when nothing has a
/// value, or under `Strict` when anything is missing; under `Reweight` the weights of the terms
/// present are scaled up to `share` (the weight all the terms have together).
fn weighted(terms: impl IntoIterator<Item = (f64, Option<f64>)>, empty: EmptyIndicators) -> Option<f64> {
    let (mut share, mut present, mut sum, mut missing) = (0.0, 0.0, 0.0, false);
    for (weight, value) in terms {
        share += weight;
        match value {
            Some(value) => {
                present += weight;
                sum += weight * value;
            }
            None => missing = true,
        }
    }
    if present == 0.0 || (missing && empty == EmptyIndicators::Strict) {
        return None;
    }
    Some(if missing { sum * share / present } else { sum })
}

impl Scores {
    pub fn of(tally: &Tally, method: Method, expert: Option<&ExpertScores>) -> Scores {
        let indicators = Indicators::of(tally, method.openness);
        let survey_terms = |survey: &[(f64, Indicator)]| {
            survey.iter().map(|(weight, indicator)| (*weight, indicators.get(*indicator))).collect::<Vec<_>>()
        };
        let survey_parts: [Option<f64>; 5] = WEIGHTS.map(|(_, survey)| weighted(survey_terms(survey), method.empty));
        let criteria = expert.map(|expert| {
            let values = WEIGHTS.map(|(audit, survey)| {
                let audit = audit.iter().map(|(weight, input)| (*weight, Some(expert.get(*input))));
                weighted(audit.chain(survey_terms(survey)), method.empty)
            });
            let total = values.iter().copied().sum::<Option<f64>>().map(|sum| sum / values.len() as f64);
            Criteria { values, total }
        });
        Scores { indicators, survey_parts, criteria }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to the НОКО form: `"q1=yes q2=no …"`, questions not asked left out.
    fn response(answers: &str) -> Vec<(&str, &str)> {
        answers.split_whitespace().map(|a| a.split_once('=').expect("id=value")).collect()
    }

    fn tally(responses: &[&str]) -> Tally {
        let mut tally = Tally::default();
        for answers in responses {
            tally.add(response(answers));
        }
        tally
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got н/д"));
        assert!((actual - expected).abs() < 1e-9, "expected {expected}, got {actual}");
    }

    /// Answered everything «Да»: every filter opens its question.
    const ALL_YES: &str = "q1=yes q2=yes q3=yes q4=yes q5=yes q6=yes q7=yes q8=yes q9=yes q10=yes q11=yes \
                           q12=yes q13=yes q14=yes q15=Больше_кружков";
    /// Answered everything «Нет»: every filter closes its question (q2, q4, q7, q11 absent).
    const ALL_NO: &str = "q1=no q3=no q5=no q6=no q8=no q9=no q10=no q12=no q13=no q14=no";

    #[test]
    fn the_table_maps_every_indicator_to_its_questions() {
        let questions: Vec<(&str, Vec<&str>)> =
            Indicator::ALL.iter().map(|i| (i.code(), i.questions().collect())).collect();
        assert_eq!(
            questions,
            [
                ("1.3", vec!["q2", "q4"]),
                ("2.3", vec!["q5"]),
                ("3.3", vec!["q7"]),
                ("4.1", vec!["q8"]),
                ("4.2", vec!["q9"]),
                ("4.3", vec!["q11"]),
                ("5.1", vec!["q12"]),
                ("5.2", vec!["q13"]),
                ("5.3", vec!["q14"]),
            ]
        );
        assert_eq!(proposals_question(), "q15");
    }

    #[test]
    fn a_skipped_question_is_not_asked_and_counts_in_no_denominator() {
        let t = tally(&[ALL_YES, ALL_NO]);
        assert_eq!(t.respondents, 2);
        // Behind each filter: only the respondent who said «Да» to the filter was asked.
        for question in ["q2", "q4", "q7", "q11"] {
            assert_eq!(t.share(question), Share { yes: 1, answered: 1 }, "{question}");
        }
        for question in ["q5", "q8", "q9", "q12", "q13", "q14"] {
            assert_eq!(t.share(question), Share { yes: 1, answered: 2 }, "{question}");
        }
        // Filters and free text are counted by nothing.
        assert_eq!(t.share("q1"), Share::default());
        assert_eq!(t.share("q15"), Share::default());
        let i = Indicators::of(&t, OpennessVariant::PerAnswered);
        close(i.get(Indicator::Openness), 100.0);
        close(i.get(Indicator::Accessibility), 100.0);
        close(i.get(Indicator::Remote), 100.0);
        close(i.get(Indicator::Comfort), 50.0);
        close(i.get(Indicator::Overall), 50.0);
    }

    #[test]
    fn each_skip_path_on_its_own() {
        // Only the stands skipped (q1 = no): 1.3 rests on the website.
        let t = tally(&["q1=no q3=yes q4=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=yes"]);
        let i = Indicators::of(&t, OpennessVariant::PerAnswered);
        close(i.get(Indicator::Openness), 0.0);
        assert_eq!(i.get(Indicator::Accessibility), None, "nobody with a disability: н/д, not 0 or 100");
        assert_eq!(i.get(Indicator::Remote), None, "nobody used remote contact");
        close(i.get(Indicator::Comfort), 100.0);
        // Only the disability branch open, answered «Нет».
        let t = tally(&["q1=no q3=no q5=no q6=yes q7=no q8=no q9=no q10=no q12=no q13=no q14=no"]);
        let i = Indicators::of(&t, OpennessVariant::PerAnswered);
        assert_eq!(i.get(Indicator::Openness), None, "neither source used");
        close(i.get(Indicator::Accessibility), 0.0);
        // Only remote contact open, answered «Да».
        let t = tally(&["q1=no q3=no q5=no q6=no q8=no q9=no q10=yes q11=yes q12=no q13=no q14=no"]);
        close(Indicators::of(&t, OpennessVariant::PerAnswered).get(Indicator::Remote), 100.0);
    }

    #[test]
    fn no_respondents_is_no_data_everywhere() {
        let scores = Scores::of(
            &Tally::default(),
            Method { openness: OpennessVariant::PerRespondent, ..Method::default() },
            None,
        );
        assert!(Indicator::ALL.iter().all(|i| scores.indicators.get(*i).is_none()));
        assert_eq!(scores.survey_parts, [None; 5]);
        assert_eq!(scores.criteria, None, "no expert inputs, no criteria");
    }

    #[test]
    fn openness_per_answered_averages_the_two_sources() {
        // Stands: 3 asked, 2 «Да». Website: 4 asked, 1 «Да». Five respondents.
        let t = tally(&[
            "q1=yes q2=yes q3=yes q4=yes",
            "q1=yes q2=yes q3=yes q4=no",
            "q1=yes q2=no q3=yes q4=no",
            "q1=no q3=yes q4=no",
            "q1=no q3=no",
        ]);
        // 0.5 × (2/3 + 1/4) × 100 = 45.8333…
        close(Indicators::of(&t, OpennessVariant::PerAnswered).get(Indicator::Openness), 50.0 * (2.0 / 3.0 + 0.25));
        // (2 + 1) / (2 × 5) × 100 = 30
        close(Indicators::of(&t, OpennessVariant::PerRespondent).get(Indicator::Openness), 30.0);
    }

    #[test]
    fn openness_with_one_source_unused_uses_the_other_alone() {
        // Nobody used the website: 1.3 is the stands' share, 3/4.
        let t = tally(&["q1=yes q2=yes q3=no", "q1=yes q2=yes q3=no", "q1=yes q2=yes q3=no", "q1=yes q2=no q3=no"]);
        close(Indicators::of(&t, OpennessVariant::PerAnswered).get(Indicator::Openness), 75.0);
        // The per-respondent variant still divides by 2 × all: 3 / 8.
        close(Indicators::of(&t, OpennessVariant::PerRespondent).get(Indicator::Openness), 37.5);
        // Nobody read the stands, one of two was satisfied with the website.
        let t = tally(&["q1=no q3=yes q4=yes", "q1=no q3=yes q4=no"]);
        close(Indicators::of(&t, OpennessVariant::PerAnswered).get(Indicator::Openness), 50.0);
        close(Indicators::of(&t, OpennessVariant::PerRespondent).get(Indicator::Openness), 25.0);
        // Neither source: н/д per answered, 0 per respondent (everyone counts as not satisfied).
        let t = tally(&["q1=no q3=no"]);
        assert_eq!(Indicators::of(&t, OpennessVariant::PerAnswered).get(Indicator::Openness), None);
        close(Indicators::of(&t, OpennessVariant::PerRespondent).get(Indicator::Openness), 0.0);
    }

    #[test]
    fn pooling_adds_numerators_and_denominators() {
        let a = tally(&[ALL_YES]);
        let b = tally(&[ALL_NO, ALL_NO, ALL_NO]);
        let mut pooled = a.clone();
        pooled.pool(&b);
        assert_eq!(pooled, tally(&[ALL_YES, ALL_NO, ALL_NO, ALL_NO]));
        // 1 of 4, not the mean of the schools' 100 and 0.
        close(Indicators::of(&pooled, OpennessVariant::PerAnswered).get(Indicator::Comfort), 25.0);
        // Only school a was asked q7: the pool's 3.3 is a's.
        close(Indicators::of(&pooled, OpennessVariant::PerAnswered).get(Indicator::Accessibility), 100.0);
    }

    /// Two respondents: 1.3 = 0.5 × (1/2 + 1/1) × 100 = 75; 2.3 = 50; 3.3 н/д; 4.1 = 100; 4.2 = 50;
    /// 4.3 = 0; 5.1 = 100; 5.2 = 0; 5.3 = 50.
    fn mixed() -> Tally {
        tally(&[
            "q1=yes q2=yes q3=yes q4=yes q5=yes q6=no q8=yes q9=yes q10=yes q11=no q12=yes q13=no q14=yes",
            "q1=yes q2=no q3=no q5=no q6=no q8=yes q9=no q10=no q12=yes q13=no q14=no",
        ])
    }

    const STRICT: Method = Method { openness: OpennessVariant::PerAnswered, empty: EmptyIndicators::Strict };

    #[test]
    fn survey_parts_of_the_criteria() {
        let scores = Scores::of(&mixed(), STRICT, None);
        let [k1, k2, k3, k4, k5] = scores.survey_parts;
        close(k1, 0.4 * 75.0);
        close(k2, 0.5 * 50.0);
        assert_eq!(k3, None, "3.3 is н/д, so is К3's survey part");
        close(k4, 0.4 * 100.0 + 0.4 * 50.0 + 0.2 * 0.0);
        close(k5, 0.3 * 100.0 + 0.2 * 0.0 + 0.5 * 50.0);
        assert_eq!(scores.criteria, None);
    }

    const EXPERT: ExpertScores =
        ExpertScores { inf: 90.0, dist: 100.0, komf_usl: 80.0, org_dost: 60.0, uslug_dost: 50.0 };

    #[test]
    fn criteria_and_total_with_expert_inputs() {
        // Everyone «Да» everywhere: every indicator 100.
        let scores = Scores::of(&tally(&[ALL_YES]), Method::default(), Some(&EXPERT));
        let criteria = scores.criteria.expect("expert inputs given");
        let [k1, k2, k3, k4, k5] = criteria.values;
        close(k1, 0.3 * 90.0 + 0.3 * 100.0 + 0.4 * 100.0); // 97
        close(k2, 0.5 * 80.0 + 0.5 * 100.0); // 90
        close(k3, 0.3 * 60.0 + 0.4 * 50.0 + 0.3 * 100.0); // 68
        close(k4, 100.0);
        close(k5, 100.0);
        close(criteria.total, (97.0 + 90.0 + 68.0 + 100.0 + 100.0) / 5.0); // 91
    }

    #[test]
    fn strictly_no_data_propagates_into_the_criterion_and_the_total() {
        let scores = Scores::of(&mixed(), STRICT, Some(&EXPERT));
        let criteria = scores.criteria.unwrap();
        close(criteria.values[0], 27.0 + 30.0 + 30.0);
        close(criteria.values[1], 40.0 + 25.0);
        assert_eq!(criteria.values[2], None, "К3 needs 3.3, which is н/д");
        close(criteria.values[3], 60.0);
        close(criteria.values[4], 55.0);
        assert_eq!(criteria.total, None, "the total needs all five criteria");
        // With a respondent with a disability the school gets К3 and a total.
        let mut t = mixed();
        t.add(response("q1=no q3=no q5=yes q6=yes q7=yes q8=yes q9=yes q10=no q12=yes q13=yes q14=yes"));
        let criteria = Scores::of(&t, STRICT, Some(&EXPERT)).criteria.unwrap();
        // 3.3 = 100 → К3 = 18 + 20 + 30 = 68.
        close(criteria.values[2], 68.0);
        assert!(criteria.total.is_some());
    }

    /// Worked examples DERIVED from the formulas of 344н as the team's reference gives them
    /// (`shared/reference/noko-questionnaire.md`), NOT published: no published calculation with
    /// its inputs was found (docs/noko-research.md). Expert inputs [`EXPERT`]: the audit's share is
    /// К1 27 + 30 = 57 (weight 0.6), К2 40 (0.5), К3 18 + 20 = 38 (0.7).
    mod derived_examples {
        use super::*;

        const REWEIGHT: Method = Method { openness: OpennessVariant::PerAnswered, empty: EmptyIndicators::Reweight };

        fn criteria(responses: &[&str], method: Method) -> Criteria {
            Scores::of(&tally(responses), method, Some(&EXPERT)).criteria.expect("expert inputs given")
        }

        fn check(actual: Criteria, expected: [Option<f64>; 5], total: Option<f64>) {
            for (number, (actual, expected)) in actual.values.iter().zip(expected).enumerate() {
                match expected {
                    Some(expected) => close(*actual, expected),
                    None => assert_eq!(*actual, None, "К{}", number + 1),
                }
            }
            match total {
                Some(total) => close(actual.total, total),
                None => assert_eq!(actual.total, None, "total"),
            }
        }

        /// Чинв = 0: nobody has a disability, so 3.3 is н/д. 1.3 = 0.5 × (1/2 + 1/2) × 100 = 50;
        /// 2.3, 4.1, 4.2, 5.1, 5.2, 5.3 = 3/4 = 75; 4.3 = 1/2 = 50.
        const NO_DISABLED: [&str; 4] = [
            "q1=yes q2=yes q3=yes q4=yes q5=yes q6=no q8=yes q9=yes q10=yes q11=yes q12=yes q13=yes q14=yes",
            "q1=yes q2=no q3=yes q4=no q5=yes q6=no q8=yes q9=no q10=yes q11=no q12=yes q13=no q14=yes",
            "q1=no q3=no q5=no q6=no q8=no q9=yes q10=no q12=no q13=yes q14=yes",
            "q1=no q3=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=no",
        ];

        #[test]
        fn a_school_without_disabled_respondents() {
            // К1 57 + 0.4 × 50 = 77; К2 40 + 0.5 × 75 = 77.5; К4 30 + 30 + 10 = 70; К5 75.
            check(criteria(&NO_DISABLED, STRICT), [Some(77.0), Some(77.5), None, Some(70.0), Some(75.0)], None);
            // К3 from the audit alone: (18 + 20) / 0.7 = 54.2857…; total (77 + 77.5 + 54.2857 + 70 + 75) / 5.
            let k3 = 38.0 / 0.7;
            check(
                criteria(&NO_DISABLED, REWEIGHT),
                [Some(77.0), Some(77.5), Some(k3), Some(70.0), Some(75.0)],
                Some((77.0 + 77.5 + k3 + 70.0 + 75.0) / 5.0),
            );
            let parts = Scores::of(&tally(&NO_DISABLED), REWEIGHT, None).survey_parts;
            assert_eq!(parts[2], None, "К3's survey part has no indicator to stand on");
            close(parts[3], 70.0);
        }

        /// Nobody used remote contact: 4.3 is н/д. 1.3 = 0.5 × (2/2 + 0/1) × 100 = 50; 2.3 = 50;
        /// 3.3 = 1/1 = 100; 4.1 = 100; 4.2 = 50; 5.1 = 50; 5.2 = 100; 5.3 = 50.
        const NO_REMOTE: [&str; 2] = [
            "q1=yes q2=yes q3=yes q4=no q5=yes q6=yes q7=yes q8=yes q9=no q10=no q12=yes q13=yes q14=yes",
            "q1=yes q2=yes q3=no q5=no q6=no q8=yes q9=yes q10=no q12=no q13=yes q14=no",
        ];

        #[test]
        fn a_school_where_nobody_used_remote_contact() {
            // К1 77; К2 40 + 25 = 65; К3 38 + 30 = 68; К5 15 + 20 + 25 = 60.
            check(criteria(&NO_REMOTE, STRICT), [Some(77.0), Some(65.0), Some(68.0), None, Some(60.0)], None);
            // К4 over 4.1 and 4.2, weights 0.4 and 0.4 scaled to 0.5 each: (40 + 20) / 0.8 = 75;
            // total (77 + 65 + 68 + 75 + 60) / 5 = 69.
            check(
                criteria(&NO_REMOTE, REWEIGHT),
                [Some(77.0), Some(65.0), Some(68.0), Some(75.0), Some(60.0)],
                Some(69.0),
            );
            assert_eq!(Scores::of(&tally(&NO_REMOTE), STRICT, None).survey_parts[3], None);
            close(Scores::of(&tally(&NO_REMOTE), REWEIGHT, None).survey_parts[3], 75.0);
        }

        /// Only the website was used (nobody read the stands): 1.3 = 1/2 = 50 per answered,
        /// (0 + 1) / (2 × 2) = 25 per respondent; 2.3 = 100; 3.3 = 0/1 = 0; 4.1 = 50; 4.2 = 100;
        /// 4.3 = 1/1 = 100; 5.1 = 100; 5.2 = 50; 5.3 = 100. Nothing is н/д: both policies agree.
        const SITE_ONLY: [&str; 2] = [
            "q1=no q3=yes q4=yes q5=yes q6=yes q7=no q8=yes q9=yes q10=yes q11=yes q12=yes q13=yes q14=yes",
            "q1=no q3=yes q4=no q5=yes q6=no q8=no q9=yes q10=no q12=yes q13=no q14=yes",
        ];

        #[test]
        fn a_school_where_only_the_website_was_used() {
            // К1 57 + 20 = 77; К2 40 + 50 = 90; К3 38 + 0 = 38; К4 20 + 40 + 20 = 80; К5 30 + 10 + 50 = 90.
            let expected = [Some(77.0), Some(90.0), Some(38.0), Some(80.0), Some(90.0)];
            for method in [STRICT, REWEIGHT] {
                check(criteria(&SITE_ONLY, method), expected, Some(75.0));
            }
            // Per respondent, К1 = 57 + 0.4 × 25 = 67 and the total (67 + 90 + 38 + 80 + 90) / 5 = 73.
            let per_respondent = Method { openness: OpennessVariant::PerRespondent, ..REWEIGHT };
            check(
                criteria(&SITE_ONLY, per_respondent),
                [Some(67.0), Some(90.0), Some(38.0), Some(80.0), Some(90.0)],
                Some(73.0),
            );
        }

        #[test]
        fn a_school_where_nobody_used_the_stands_or_the_website() {
            // 1.3, 3.3 and 4.3 н/д; the rest 100. К1 from the audit alone: 57 / 0.6 = 95.
            let one = ["q1=no q3=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=yes"];
            check(criteria(&one, STRICT), [None, Some(90.0), None, None, Some(100.0)], None);
            let k3 = 38.0 / 0.7;
            check(
                criteria(&one, REWEIGHT),
                [Some(95.0), Some(90.0), Some(k3), Some(100.0), Some(100.0)],
                Some((95.0 + 90.0 + k3 + 100.0 + 100.0) / 5.0),
            );
            // Per respondent, 1.3 is 0 rather than н/д: К1 = 57.
            let per_respondent = Method { openness: OpennessVariant::PerRespondent, ..REWEIGHT };
            close(criteria(&one, per_respondent).values[0], 57.0);
        }

        #[test]
        fn nobody_answered_is_no_data_under_every_policy() {
            for method in [STRICT, REWEIGHT] {
                let scores = Scores::of(&Tally::default(), method, Some(&EXPERT));
                assert_eq!(scores.survey_parts, [None; 5]);
                let criteria = scores.criteria.unwrap();
                assert_eq!(criteria.values[3], None, "К4 is survey only");
                assert_eq!(criteria.total, None);
            }
        }

        #[test]
        fn the_policy_is_a_setting() {
            #[derive(Deserialize)]
            struct S {
                v: EmptyIndicators,
            }
            let parse = |text: &str| toml::from_str::<S>(text).map(|s| s.v);
            assert_eq!(parse("v = \"reweight\"").unwrap(), EmptyIndicators::Reweight);
            assert_eq!(parse("v = \"strict\"").unwrap(), EmptyIndicators::Strict);
            assert!(parse("v = \"as-100\"").is_err());
            assert_eq!("strict".parse(), Ok(EmptyIndicators::Strict));
            assert_eq!(EmptyIndicators::default(), EmptyIndicators::Reweight);
        }
    }

    #[test]
    fn the_variant_is_a_setting_with_kebab_case_names() {
        #[derive(Deserialize)]
        struct S {
            v: OpennessVariant,
        }
        let parse = |text: &str| toml::from_str::<S>(text).map(|s| s.v);
        assert_eq!(parse("v = \"per-answered\"").unwrap(), OpennessVariant::PerAnswered);
        assert_eq!(parse("v = \"per-respondent\"").unwrap(), OpennessVariant::PerRespondent);
        assert!(parse("v = \"per_answered\"").is_err());
        assert_eq!(OpennessVariant::default(), OpennessVariant::PerAnswered);
    }

    #[test]
    fn only_noko_questionnaires_can_be_scored() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires");
        for id in ["noko-parents", "noko-students"] {
            let questionnaire = Questionnaire::load(std::path::Path::new(&format!("{dir}/{id}.toml"))).unwrap();
            assert_eq!(check(&questionnaire), Ok(()), "{id}");
        }
        let other = Questionnaire::from_toml(
            r#"
id = "other"
audience = "parent"
title = { ru = "Т" }
preamble = { ru = "П" }
[[questions]]
id = "q1"
kind = "yes_no"
text = { ru = "Вопрос" }
"#,
        )
        .unwrap();
        assert_eq!(
            check(&other),
            Err(ScoringError::MissingQuestion { questionnaire: "other".into(), question: "q2", indicator: "1.3" })
        );
    }
}
