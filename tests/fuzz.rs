//! Bad input at volume (issue 6): property tests that feed the parsers at the bot's edges (the
//! questionnaire TOML, the roster and expert CSV, callback data, `/start` payloads) and the survey
//! state machine arbitrary and mutated input, and check that nothing panics and that what each one
//! promises holds. The last target checks "one response per person" on a real SQLite file and a
//! real PostgreSQL database, with submits interleaved and run concurrently.
//!
//! This uses proptest because cargo-fuzz needs a nightly compiler. `ANKETA_FUZZ_CASES` sets the cases
//! per parser target (default 256, which keeps `cargo test` quick). The state machine runs a tenth
//! of that many sequences and the database a thousandth of it, with a floor for each. The long run
//! recorded in BENCHMARKS.md is
//! `ANKETA_FUZZ_CASES=200000 cargo test --release --test fuzz -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::{Debug, Display};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

mod support;

use anketa::bot::callback::{Action, CallbackData, MAX_CALLBACK_BYTES};
use anketa::bot::{Command, LinkPayload};
use anketa::db::{Db, NewCampaign, NewResponse, SubmitOutcome};
use anketa::expert::{self, ExpertError, ExpertRow};
use anketa::privacy::{ChatKey, IdentityKey};
use anketa::roster::{self, RosterError, RosterRow};
use anketa::survey::questionnaire::{MAX_CODE_LEN, MAX_OPTION_CHARS, MAX_QUESTION_CHARS, MAX_TEXT_LENGTH};
use anketa::survey::scoring::ExpertScores;
use anketa::survey::{
    Answer, Audience, Draft, Input, Progress, Question, QuestionKind, Questionnaire, QuestionnaireError, Stage,
    StepError, Survey,
};
use chrono::Utc;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestRunner};

const PARENTS: &str = include_str!("../questionnaires/noko-parents.toml");
const STUDENTS: &str = include_str!("../questionnaires/noko-students.toml");

/// The shipped questionnaires as TOML tables, parsed once: the mutation targets start from these.
static SHIPPED_DOCS: LazyLock<[toml::Table; 2]> =
    LazyLock::new(|| [PARENTS, STUDENTS].map(|text| text.parse().expect("the shipped files are TOML")));

// ---------------------------------------------------------------------------------------------
// Running

/// Cases per parser target: `ANKETA_FUZZ_CASES`, or few enough for a quick `cargo test`.
fn cases() -> u32 {
    std::env::var("ANKETA_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

/// Sequences for the state machine: each is up to 160 steps, every one checked in full.
fn sequences() -> u32 {
    (cases() / 10).max(64)
}

/// Cases for the database target: each creates a campaign and stores real responses.
fn storage_cases() -> u32 {
    (cases() / 1000).max(16)
}

/// Runs `test` on `cases` generated inputs; a failure panics with the smallest failing input found.
/// The line printed (seen with `--nocapture`) is what BENCHMARKS.md records.
fn fuzz<S>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 20_000, ..Config::default() };
    let started = Instant::now();
    if let Err(failure) = TestRunner::new(config).run(&strategy, test) {
        panic!("{name}: {failure}");
    }
    eprintln!("fuzz {name}: {cases} cases, {:.1} s", started.elapsed().as_secs_f64());
}

fn fail(error: impl Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

fn is_code(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// Questionnaire loader

/// Checks what a loaded questionnaire is promised to be, independently of the validator, and that
/// every question can really be reached by answering (through the state machine) and every code
/// fits a button.
fn check_loaded(q: &Arc<Questionnaire>) -> Result<(), TestCaseError> {
    prop_assert!(is_code(&q.id, 64), "questionnaire id {:?}", q.id);
    prop_assert!(!q.questions.is_empty());
    let mut ids = HashSet::new();
    for (index, question) in q.questions.iter().enumerate() {
        let id = &question.id;
        prop_assert!(is_code(id, MAX_CODE_LEN) && ids.insert(id.as_str()), "question id {:?}", id);
        for text in [Some(&question.text.ru), question.text.en.as_ref()].into_iter().flatten() {
            prop_assert!(!text.trim().is_empty() && text.chars().count() <= MAX_QUESTION_CHARS, "{}: text", id);
        }
        match &question.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                let codes: HashSet<&str> = options.iter().map(|o| o.code.as_str()).collect();
                prop_assert!(!options.is_empty() && codes.len() == options.len(), "{}: options", id);
                for option in options {
                    prop_assert!(is_code(&option.code, MAX_CODE_LEN), "{}: code {:?}", id, option.code);
                    let chars = option.text.ru.chars().count();
                    prop_assert!(!option.text.ru.trim().is_empty() && chars <= MAX_OPTION_CHARS, "{}: option", id);
                }
                if let QuestionKind::Multiple { min, max, .. } = question.kind {
                    prop_assert!(1 <= min && min <= max && max <= options.len(), "{}: {}..{}", id, min, max);
                }
            }
            QuestionKind::Rating { min, max, .. } => prop_assert!(0 <= *min && min < max && *max <= 10),
            QuestionKind::Text { max_length, .. } => prop_assert!((1..=MAX_TEXT_LENGTH).contains(max_length)),
            QuestionKind::YesNo => {}
        }
        if let Some(condition) = &question.show_if {
            let target = q.index_of(&condition.question);
            prop_assert!(target.is_some_and(|t| t < index), "{}: show_if does not look back", id);
            let possible = q.questions[target.unwrap_or_default()].answer_codes();
            let met = possible.is_some_and(|p| condition.codes.iter().all(|c| p.contains(c)));
            prop_assert!(!condition.codes.is_empty() && met, "{}: show_if {:?}", id, condition);
        }
        for code in question.answer_codes().unwrap_or_default() {
            for input in [Input::Choose(code.clone()), Input::Toggle(code)] {
                let data = CallbackData::new(i64::MIN, Action::Step(input));
                prop_assert_eq!(CallbackData::parse(&data.encode()), Some(data));
            }
        }
        prop_assert!(reaches(q, index)?, "question {} cannot be reached", id);
    }
    Ok(())
}

/// Walks a fresh draft towards question `target`, giving each question in its chain of `show_if`
/// the answer the chain needs and any valid answer to the others; whether the question is shown.
fn reaches(q: &Arc<Questionnaire>, target: usize) -> Result<bool, TestCaseError> {
    let survey = Survey::new([q.clone()]);
    let mut needed: HashMap<&str, &str> = HashMap::new();
    let mut at = &q.questions[target];
    while let Some(condition) = &at.show_if {
        let code = condition.codes.first().ok_or_else(|| fail("an empty condition"))?;
        needed.insert(&condition.question, code);
        at = q.question(&condition.question).ok_or_else(|| fail("a condition on nothing"))?;
    }
    let mut draft = step_ok(&survey, &Draft::default(), Input::Begin)?;
    while let Some(question) = draft.current_question(&survey) {
        if question.id == q.questions[target].id {
            return Ok(true);
        }
        for input in answering(question, needed.get(question.id.as_str()).copied()) {
            draft = step_ok(&survey, &draft, input)?;
        }
    }
    Ok(false)
}

fn step_ok(survey: &Survey, draft: &Draft, input: Input) -> Result<Draft, TestCaseError> {
    draft.step(survey, input.clone()).map_err(|e| fail(format!("{input:?} refused: {e}")))
}

/// The inputs that answer `question`, with the code `needed` if one is.
fn answering(question: &Question, needed: Option<&str>) -> Vec<Input> {
    match &question.kind {
        QuestionKind::Multiple { options, min, .. } => {
            let mut codes: Vec<&str> = needed.into_iter().collect();
            codes.extend(options.iter().map(|o| o.code.as_str()).filter(|c| Some(*c) != needed));
            codes.truncate(*min);
            codes.into_iter().map(|c| Input::Toggle(c.into())).chain([Input::Done]).collect()
        }
        QuestionKind::Text { .. } => vec![Input::Text("x".into())],
        _ => {
            let first = question.answer_codes().unwrap_or_default().into_iter().next().unwrap_or_default();
            vec![Input::Choose(needed.map_or(first, str::to_string))]
        }
    }
}

/// The checks every loader result passes: a questionnaire keeps its promises; an error names the
/// question (by an id the file has), the questionnaire id or the syntax problem.
fn check_load(doc: &toml::Table, text: &str) -> Result<(), TestCaseError> {
    match Questionnaire::from_toml(text) {
        Ok(q) => check_loaded(&Arc::new(q)),
        Err(QuestionnaireError::Question { question, problem }) => {
            let ids: Vec<&str> = questions(doc)
                .into_iter()
                .flatten()
                .filter_map(|q| q.get("id").and_then(toml::Value::as_str))
                .collect();
            prop_assert!(!problem.is_empty() && ids.contains(&question.as_str()), "{:?}: {}", question, problem);
            Ok(())
        }
        Err(QuestionnaireError::BadId(id)) => {
            prop_assert_eq!(doc.get("id").and_then(toml::Value::as_str), Some(id.as_str()));
            Ok(())
        }
        Err(QuestionnaireError::NoQuestions) => {
            prop_assert!(questions(doc).is_none_or(|q| q.is_empty()));
            Ok(())
        }
        Err(QuestionnaireError::Syntax(message)) => {
            prop_assert!(!message.is_empty());
            Ok(())
        }
    }
}

fn questions(doc: &toml::Table) -> Option<&Vec<toml::Value>> {
    doc.get("questions")?.as_array()
}

fn question_table(doc: &mut toml::Table, index: usize) -> Option<&mut toml::Table> {
    let questions = doc.get_mut("questions")?.as_array_mut()?;
    let len = questions.len();
    if len == 0 {
        return None;
    }
    questions[index % len].as_table_mut()
}

fn question_id(doc: &toml::Table, index: usize) -> toml::Value {
    let questions = questions(doc).expect("the shipped file has questions");
    questions[index % questions.len()].get("id").cloned().unwrap_or(toml::Value::Integer(0))
}

const TOP_KEYS: [&str; 7] = ["id", "audience", "title", "preamble", "source", "questions", "bogus"];
const QUESTION_KEYS: [&str; 14] = [
    "id",
    "kind",
    "text",
    "short",
    "source",
    "options",
    "min",
    "max",
    "min_label",
    "max_label",
    "max_length",
    "optional",
    "show_if",
    "bogus",
];

/// A structured edit of a questionnaire file, as an author might make by mistake.
#[derive(Debug, Clone)]
enum Mutation {
    DropKey {
        question: Option<usize>,
        key: Index,
    },
    SetValue {
        question: Option<usize>,
        key: &'static str,
        value: toml::Value,
    },
    Duplicate {
        from: usize,
        to: usize,
    },
    Remove(usize),
    Swap(usize, usize),
    /// A `show_if` on another question (or the same one, or an id nobody has), with these codes.
    PointAt {
        question: usize,
        target: Result<usize, String>,
        codes: Vec<String>,
        any_of: bool,
    },
}

fn apply(doc: &mut toml::Table, mutation: &Mutation) {
    let len = questions(doc).map_or(0, Vec::len);
    match mutation {
        Mutation::DropKey { question, key } => {
            let table = match question {
                None => Some(&mut *doc),
                Some(i) => question_table(doc, *i),
            };
            if let Some(table) = table
                && !table.is_empty()
            {
                let name = table.keys().nth(key.index(table.len())).cloned().unwrap_or_default();
                table.remove(&name);
            }
        }
        Mutation::SetValue { question: None, key, value } => {
            doc.insert(key.to_string(), value.clone());
        }
        Mutation::SetValue { question: Some(i), key, value } => {
            if let Some(table) = question_table(doc, *i) {
                table.insert(key.to_string(), value.clone());
            }
        }
        Mutation::Duplicate { from, to } => {
            if let Some(list) = doc.get_mut("questions").and_then(toml::Value::as_array_mut)
                && len > 0
            {
                let copy = list[from % len].clone();
                list.insert(to % (len + 1), copy);
            }
        }
        Mutation::Remove(i) => {
            if let Some(list) = doc.get_mut("questions").and_then(toml::Value::as_array_mut)
                && len > 0
            {
                list.remove(i % len);
            }
        }
        Mutation::Swap(i, j) => {
            if let Some(list) = doc.get_mut("questions").and_then(toml::Value::as_array_mut)
                && len > 0
            {
                list.swap(i % len, j % len);
            }
        }
        Mutation::PointAt { question, target, codes, any_of } => {
            if len == 0 {
                return;
            }
            let target = match target {
                Ok(j) => question_id(doc, *j),
                Err(unknown) => toml::Value::String(unknown.clone()),
            };
            let mut condition = toml::Table::new();
            condition.insert("question".into(), target);
            let strings = || codes.iter().cloned().map(toml::Value::String);
            if *any_of {
                condition.insert("any_of".into(), toml::Value::Array(strings().collect()));
            } else {
                condition.insert("equals".into(), strings().next().unwrap_or("yes".into()));
            }
            if let Some(table) = question_table(doc, *question) {
                table.insert("show_if".into(), toml::Value::Table(condition));
            }
        }
    }
}

fn arb_text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "",
            " ",
            "q1",
            "q2",
            "q14",
            "q15",
            "yes",
            "no",
            "maybe",
            "yes_no",
            "single",
            "multiple",
            "rating",
            "text",
            "parent",
            "student",
            "teacher",
            "Q1",
            "вопрос",
            "a b",
            "noko-parents",
            "x-1_y",
        ])
        .prop_map(String::from),
        "[a-z0-9_-]{0,70}",
        any::<String>(),
        (3000usize..3002).prop_map(|n| "я".repeat(n)),
    ]
}

fn arb_localized() -> impl Strategy<Value = toml::Value> {
    (arb_text_value(), proptest::option::of(arb_text_value())).prop_map(|(ru, en)| {
        let mut table = toml::Table::new();
        table.insert("ru".into(), toml::Value::String(ru));
        if let Some(en) = en {
            table.insert("en".into(), toml::Value::String(en));
        }
        toml::Value::Table(table)
    })
}

fn arb_options() -> impl Strategy<Value = toml::Value> {
    vec((select(vec!["a", "b", "yes", "no", "A", "код", "", "x_y-1"]), arb_localized()), 0..5).prop_map(|options| {
        toml::Value::Array(
            options
                .into_iter()
                .map(|(code, text)| {
                    let mut option = toml::Table::new();
                    option.insert("code".into(), toml::Value::String(code.into()));
                    option.insert("text".into(), text);
                    toml::Value::Table(option)
                })
                .collect(),
        )
    })
}

/// Values an author might put anywhere: strings, numbers, texts, options, and nested junk.
fn arb_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        arb_text_value().prop_map(toml::Value::String),
        prop_oneof![Just(0_i64), Just(1), Just(-1), Just(10), Just(11), Just(4001), 0_i64..12, any::<i64>()]
            .prop_map(toml::Value::Integer),
        any::<bool>().prop_map(toml::Value::Boolean),
        any::<f64>().prop_map(toml::Value::Float),
        arb_localized(),
        arb_options(),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            vec((select(vec!["ru", "en", "code", "text", "question", "equals", "any_of", "x"]), inner), 0..4)
                .prop_map(|entries| toml::Value::Table(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// A question's key with a value of the type it takes (so the validator, not serde, has to object),
/// or any key with any value.
fn arb_question_field() -> impl Strategy<Value = (&'static str, toml::Value)> {
    let number = || prop_oneof![Just(0_i64), Just(-1), Just(11), Just(4001), 0_i64..12, any::<i64>()];
    let kinds = vec!["yes_no", "single", "multiple", "rating", "text"];
    prop_oneof![
        arb_text_value().prop_map(|id| ("id", toml::Value::String(id))),
        select(kinds).prop_map(|kind| ("kind", toml::Value::String(kind.into()))),
        (select(vec!["text", "short", "min_label", "max_label"]), arb_localized()),
        arb_options().prop_map(|options| ("options", options)),
        (select(vec!["min", "max", "max_length"]), number().prop_map(toml::Value::Integer)),
        any::<bool>().prop_map(|optional| ("optional", toml::Value::Boolean(optional))),
        (select(QUESTION_KEYS.to_vec()), arb_value()),
    ]
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let question = proptest::option::of(0_usize..20);
    let point_at = (
        0_usize..20,
        prop_oneof![(0_usize..20).prop_map(Ok), arb_text_value().prop_map(Err)],
        vec(select(vec!["yes", "no", "maybe", "1", "a"]).prop_map(String::from), 0..3),
        any::<bool>(),
    )
        .prop_map(|(question, target, codes, any_of)| Mutation::PointAt { question, target, codes, any_of });
    prop_oneof![
        1 => (question, any::<Index>()).prop_map(|(question, key)| Mutation::DropKey { question, key }),
        1 => (select(TOP_KEYS.to_vec()), arb_value())
            .prop_map(|(key, value)| Mutation::SetValue { question: None, key, value }),
        3 => (0_usize..20, arb_question_field())
            .prop_map(|(i, (key, value))| Mutation::SetValue { question: Some(i), key, value }),
        1 => (0_usize..20, 0_usize..20).prop_map(|(from, to)| Mutation::Duplicate { from, to }),
        1 => (0_usize..20).prop_map(Mutation::Remove),
        1 => (0_usize..20, 0_usize..20).prop_map(|(i, j)| Mutation::Swap(i, j)),
        2 => point_at,
    ]
}

#[test]
fn questionnaire_structured_mutations() {
    let strategy = (0_usize..2, vec(arb_mutation(), 1..6));
    fuzz("questionnaire: structured mutations", cases(), strategy, |(base, mutations)| {
        let mut doc = SHIPPED_DOCS[base].clone();
        for mutation in &mutations {
            apply(&mut doc, mutation);
        }
        let text = toml::to_string(&doc).map_err(fail)?;
        check_load(&doc, &text)
    });
}

/// One authoring mistake at a time, each with the exact error it must give.
#[derive(Debug, Clone)]
enum Fault {
    /// `show_if` names a question that does not exist.
    Dangling(usize, String),
    /// Two questions whose conditions refer to each other (the first one looks forward).
    Cycle(usize, usize),
    Itself(usize),
    /// The second question takes the first one's id.
    DuplicateId(usize, usize),
    /// A condition on q1 (yes/no) expecting an answer it cannot have.
    NeverAnswered(usize, String),
    LongId(usize, String),
    BadKind(usize, String),
    NoId(usize),
}

fn arb_fault() -> impl Strategy<Value = Fault> {
    let pair = (0_usize..14).prop_flat_map(|i| (Just(i), i + 1..15));
    prop_oneof![
        (0_usize..15, "[a-z0-9_]{1,10}").prop_map(|(i, id)| Fault::Dangling(i, format!("x{id}"))),
        pair.clone().prop_map(|(i, j)| Fault::Cycle(i, j)),
        (0_usize..15).prop_map(Fault::Itself),
        pair.prop_map(|(i, j)| Fault::DuplicateId(i, j)),
        (1_usize..15, "[a-z]{1,8}|Yes|NO|1|0")
            .prop_filter("a yes/no code", |(_, c)| c != "yes" && c != "no")
            .prop_map(|(i, code)| Fault::NeverAnswered(i, code)),
        (0_usize..15, "[a-z0-9_-]{25,70}").prop_map(|(i, id)| Fault::LongId(i, id)),
        (0_usize..15, "[a-zA-Z_ ]{0,12}")
            .prop_filter("an unknown kind", |(_, k)| !["yes_no", "single", "multiple", "rating", "text"]
                .contains(&k.as_str()))
            .prop_map(|(i, kind)| Fault::BadKind(i, kind)),
        (0_usize..15).prop_map(Fault::NoId),
    ]
}

#[test]
fn questionnaire_faults_are_named() {
    let strategy = (0_usize..2, arb_fault());
    fuzz("questionnaire: single faults", cases(), strategy, |(base, fault)| {
        let mut doc = SHIPPED_DOCS[base].clone();
        let id = |doc: &toml::Table, i: usize| question_id(doc, i).as_str().unwrap_or_default().to_string();
        let show_if = |target: toml::Value, equals: &str| {
            let mut condition = toml::Table::new();
            condition.insert("question".into(), target);
            condition.insert("equals".into(), toml::Value::String(equals.into()));
            toml::Value::Table(condition)
        };
        let set = |doc: &mut toml::Table, i: usize, key: &str, value: toml::Value| {
            question_table(doc, i).expect("shipped question").insert(key.into(), value);
        };
        let (named, problem) = match &fault {
            Fault::Dangling(i, unknown) => {
                set(&mut doc, *i, "show_if", show_if(toml::Value::String(unknown.clone()), "yes"));
                (id(&doc, *i), "not an earlier question")
            }
            Fault::Cycle(i, j) => {
                let (first, second) = (question_id(&doc, *i), question_id(&doc, *j));
                set(&mut doc, *i, "show_if", show_if(second, "yes"));
                set(&mut doc, *j, "show_if", show_if(first, "yes"));
                (id(&doc, *i), "not an earlier question")
            }
            Fault::Itself(i) => {
                let itself = question_id(&doc, *i);
                set(&mut doc, *i, "show_if", show_if(itself, "yes"));
                (id(&doc, *i), "the question itself")
            }
            Fault::DuplicateId(i, j) => {
                let taken = question_id(&doc, *i);
                question_table(&mut doc, *j).expect("shipped question").remove("show_if");
                set(&mut doc, *j, "id", taken);
                (id(&doc, *i), "more than one question")
            }
            Fault::NeverAnswered(i, code) => {
                let yes_no = question_id(&doc, 0);
                set(&mut doc, *i, "show_if", show_if(yes_no, code));
                (id(&doc, *i), "unreachable")
            }
            Fault::LongId(i, long) => {
                set(&mut doc, *i, "id", toml::Value::String(long.clone()));
                (long.clone(), "the id must be")
            }
            Fault::BadKind(i, kind) => {
                set(&mut doc, *i, "kind", toml::Value::String(kind.clone()));
                (String::new(), "unknown variant")
            }
            Fault::NoId(i) => {
                question_table(&mut doc, *i).expect("shipped question").remove("id");
                (String::new(), "missing field `id`")
            }
        };
        let text = toml::to_string(&doc).map_err(fail)?;
        match Questionnaire::from_toml(&text) {
            Err(QuestionnaireError::Question { question, problem: got }) if !named.is_empty() => {
                prop_assert_eq!(&question, &named);
                prop_assert!(got.contains(problem), "{:?} instead of {:?}", got, problem);
            }
            Err(QuestionnaireError::Syntax(got)) if named.is_empty() => {
                prop_assert!(got.contains(problem), "{:?} instead of {:?}", got, problem);
            }
            other => prop_assert!(false, "{:?} gave {:?}", fault, other),
        }
        Ok(())
    });
}

/// An edit of the file's text, line by line, as a careless editor (or a bad merge) makes.
#[derive(Debug, Clone)]
enum Edit {
    RemoveLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    Insert(Index, String),
    Truncate(Index),
}

fn edit(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    match edit {
        Edit::RemoveLine(i) => {
            lines.remove(i.index(lines.len()));
        }
        Edit::DuplicateLine(i) => {
            let at = i.index(lines.len());
            lines.insert(at, lines[at].clone());
        }
        Edit::SwapLines(i, j) => {
            let (i, j) = (i.index(lines.len()), j.index(lines.len()));
            lines.swap(i, j);
        }
        Edit::Insert(i, inserted) => {
            let at = i.index(lines.len());
            let line = &mut lines[at];
            let at = line.char_indices().map(|(n, _)| n).nth(inserted.len() % (line.chars().count() + 1));
            line.insert_str(at.unwrap_or(line.len()), inserted);
        }
        Edit::Truncate(i) => lines.truncate(i.index(lines.len())),
    }
    lines.join("\n")
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::RemoveLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::SwapLines(i, j)),
        (any::<Index>(), prop_oneof!["[\\[\\]{}=\",#.a-z0-9 \\\\]{1,6}", any::<String>()])
            .prop_map(|(i, s)| Edit::Insert(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

#[test]
fn questionnaire_arbitrary_text() {
    let strategy = prop_oneof![
        (select(vec![PARENTS, STUDENTS]), vec(arb_edit(), 1..5))
            .prop_map(|(base, edits)| edits.iter().fold(base.to_string(), |text, e| edit(&text, e))),
        any::<String>(),
        "(\\[\\[questions\\]\\]\n|id = \"[a-z0-9]{1,3}\"\n|kind = \"(yes_no|text|single)\"\n|text = \\{ ru = \"x\" \\}\n|audience = \"parent\"\n|title = \\{ ru = \"t\" \\}\n|preamble = \\{ ru = \"p\" \\}\n|show_if = \\{ question = \"[a-z0-9]{1,3}\", equals = \"(yes|no)\" \\}\n){0,24}",
    ];
    fuzz("questionnaire: arbitrary and edited text", cases(), strategy, |text| match Questionnaire::from_toml(&text) {
        Ok(q) => check_loaded(&Arc::new(q)),
        Err(error) => {
            prop_assert!(!error.to_string().is_empty());
            Ok(())
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Generated valid questionnaires (for the loader's acceptance and the state machine)

#[derive(Debug, Clone)]
enum KindSpec {
    YesNo,
    Single(usize),
    Multiple { options: usize, min: usize, max: usize },
    Rating(i32, i32),
    Text { max_length: usize, optional: bool },
}

/// A question to generate; `condition` picks an earlier choice question and some of its codes.
#[derive(Debug, Clone)]
struct QuestionSpec {
    kind: KindSpec,
    condition: Option<(Index, Vec<Index>)>,
}

fn arb_question_spec() -> impl Strategy<Value = QuestionSpec> {
    let kind = prop_oneof![
        Just(KindSpec::YesNo),
        (1_usize..=5).prop_map(KindSpec::Single),
        (1_usize..=5).prop_flat_map(|n| (1..=n)
            .prop_flat_map(move |min| { (min..=n).prop_map(move |max| KindSpec::Multiple { options: n, min, max }) })),
        (0_i32..10).prop_flat_map(|min| (min + 1..=10).prop_map(move |max| KindSpec::Rating(min, max))),
        (1_usize..=12, any::<bool>()).prop_map(|(max_length, optional)| KindSpec::Text { max_length, optional }),
    ];
    (kind, proptest::option::weighted(0.6, (any::<Index>(), vec(any::<Index>(), 1..3))))
        .prop_map(|(kind, condition)| QuestionSpec { kind, condition })
}

/// Writes a questionnaire that is valid by construction, with conditions on earlier questions.
fn render(id: &str, audience: Audience, specs: &[QuestionSpec]) -> String {
    let mut toml = format!(
        "id = \"{id}\"\naudience = \"{}\"\ntitle = {{ ru = \"Опрос\" }}\npreamble = {{ ru = \"Вступление\" }}\n",
        audience.code()
    );
    let options = |n: usize| {
        let list: Vec<String> =
            (0..n).map(|i| format!("{{ code = \"{}\", text = {{ ru = \"Вариант {i}\" }} }}", letter(i))).collect();
        format!("options = [{}]\n", list.join(", "))
    };
    let mut codes: Vec<Option<Vec<String>>> = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let (kind, extra, answer_codes) = match &spec.kind {
            KindSpec::YesNo => ("yes_no", String::new(), Some(vec!["yes".to_string(), "no".to_string()])),
            KindSpec::Single(count) => ("single", options(*count), Some((0..*count).map(letter).collect())),
            KindSpec::Multiple { options: count, min, max } => (
                "multiple",
                format!("min = {min}\nmax = {max}\n{}", options(*count)),
                Some((0..*count).map(letter).collect()),
            ),
            KindSpec::Rating(min, max) => {
                ("rating", format!("min = {min}\nmax = {max}\n"), Some((*min..=*max).map(|r| r.to_string()).collect()))
            }
            KindSpec::Text { max_length, optional } => {
                ("text", format!("max_length = {max_length}\noptional = {optional}\n"), None)
            }
        };
        toml.push_str(&format!(
            "[[questions]]\nid = \"q{n}\"\nkind = \"{kind}\"\ntext = {{ ru = \"Вопрос {n}\", en = \"Question {n}\" }}\n{extra}"
        ));
        let earlier: Vec<usize> = (0..n).filter(|&t| codes[t].is_some()).collect();
        if let Some((target, picks)) = &spec.condition
            && !earlier.is_empty()
        {
            let target = earlier[target.index(earlier.len())];
            let possible = codes[target].as_deref().unwrap_or_default();
            let chosen: BTreeSet<String> =
                picks.iter().map(|p| format!("\"{}\"", possible[p.index(possible.len())])).collect();
            let chosen: Vec<String> = chosen.into_iter().collect();
            toml.push_str(&format!("show_if = {{ question = \"q{target}\", any_of = [{}] }}\n", chosen.join(", ")));
        }
        codes.push(answer_codes);
    }
    toml
}

fn letter(i: usize) -> String {
    ((b'a' + i as u8) as char).to_string()
}

#[test]
fn generated_questionnaires_load_and_keep_their_promises() {
    fuzz("questionnaire: generated valid files", cases(), vec(arb_question_spec(), 1..10), |specs| {
        let text = render("generated", Audience::Parent, &specs);
        let q = Questionnaire::from_toml(&text).map_err(|e| fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(q.questions.len(), specs.len());
        check_loaded(&Arc::new(q))
    });
}

// ---------------------------------------------------------------------------------------------
// Survey state machine

/// The questionnaires a campaign runs: the shipped ones or generated ones, one or two audiences.
#[derive(Debug, Clone)]
enum SurveySpec {
    Parents,
    Students,
    ParentsAndStudents,
    Generated(Vec<QuestionSpec>),
    GeneratedTwo(Vec<QuestionSpec>, Vec<QuestionSpec>),
}

impl SurveySpec {
    fn build(&self) -> Survey {
        let load = |text: &str| Arc::new(Questionnaire::from_toml(text).expect("a valid questionnaire"));
        match self {
            SurveySpec::Parents => Survey::new([load(PARENTS)]),
            SurveySpec::Students => Survey::new([load(STUDENTS)]),
            SurveySpec::ParentsAndStudents => Survey::new([load(PARENTS), load(STUDENTS)]),
            SurveySpec::Generated(specs) => Survey::new([load(&render("gen-p", Audience::Parent, specs))]),
            SurveySpec::GeneratedTwo(parents, students) => Survey::new([
                load(&render("gen-p", Audience::Parent, parents)),
                load(&render("gen-s", Audience::Student, students)),
            ]),
        }
    }
}

fn arb_survey() -> impl Strategy<Value = SurveySpec> {
    let generated = || vec(arb_question_spec(), 1..8);
    prop_oneof![
        1 => Just(SurveySpec::Parents),
        1 => Just(SurveySpec::Students),
        1 => Just(SurveySpec::ParentsAndStudents),
        3 => generated().prop_map(SurveySpec::Generated),
        2 => (generated(), generated()).prop_map(|(p, s)| SurveySpec::GeneratedTwo(p, s)),
    ]
}

fn arb_free_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t\n]{0,3}",
        ".{1,40}",
        any::<String>(),
        (0_usize..14).prop_map(|n| format!("  {}  ", "x".repeat(n))),
        (MAX_TEXT_LENGTH - 2..MAX_TEXT_LENGTH + 100).prop_map(|n| "ж".repeat(n)),
    ]
}

/// Inputs for a survey whose answer codes are `codes`: mostly plausible ones, so sequences get far,
/// and some nonsense (codes nobody has, Done and Skip anywhere, text where buttons are expected).
fn arb_input(codes: Vec<String>) -> BoxedStrategy<Input> {
    let code = prop_oneof![
        8 => select(codes),
        1 => select(vec!["", "maybe", "YES", "+3", "03", "-1", "11", "99999999999", "a b", "ё", "q1", "z"])
            .prop_map(String::from),
        1 => any::<String>(),
    ]
    .boxed();
    prop_oneof![
        2 => Just(Input::Begin),
        1 => prop_oneof![Just(Audience::Parent), Just(Audience::Student)].prop_map(Input::ChooseAudience),
        12 => code.clone().prop_map(Input::Choose),
        5 => code.prop_map(Input::Toggle),
        3 => Just(Input::Done),
        1 => Just(Input::Skip),
        2 => Just(Input::Back),
        3 => arb_free_text().prop_map(Input::Text),
    ]
    .boxed()
}

/// A step of a generated session: an input as generated, or the input the screen offers at this
/// index (an answer, a tick, "done", the start button), so that sessions get deep into a
/// questionnaire instead of bouncing off the welcome screen.
#[derive(Debug, Clone)]
enum Move {
    Raw(Input),
    Fitting(Index),
}

fn fitting(survey: &Survey, draft: &Draft, pick: Index) -> Input {
    let offers: Vec<Input> = match (&draft.stage, draft.current_question(survey)) {
        (Stage::Welcome, _) => vec![Input::Begin],
        (Stage::ChoosingAudience, _) => survey.audiences().map(Input::ChooseAudience).collect(),
        (Stage::Question(_), Some(question)) => match &question.kind {
            QuestionKind::Multiple { options, .. } => {
                options.iter().map(|o| Input::Toggle(o.code.clone())).chain([Input::Done]).collect()
            }
            QuestionKind::Text { max_length, optional } => {
                let text = Input::Text("ответ ".chars().take(*max_length).collect());
                if *optional { vec![text, Input::Skip] } else { vec![text] }
            }
            _ => question.answer_codes().unwrap_or_default().into_iter().map(Input::Choose).collect(),
        },
        _ => vec![Input::Back],
    };
    offers[pick.index(offers.len())].clone()
}

fn arb_session() -> impl Strategy<Value = (SurveySpec, Vec<Move>)> {
    arb_survey().prop_flat_map(|spec| {
        let survey = spec.build();
        let mut codes: BTreeSet<String> = BTreeSet::new();
        for audience in survey.audiences() {
            let q = survey.questionnaire(audience).expect("listed");
            codes.extend(q.questions.iter().filter_map(Question::answer_codes).flatten());
        }
        // A survey of free-text questions only still gets button presses, to refuse.
        codes.insert("yes".into());
        let step = prop_oneof![
            3 => any::<Index>().prop_map(Move::Fitting),
            2 => arb_input(codes.into_iter().collect()).prop_map(Move::Raw),
        ];
        (Just(spec), vec(step, 0..160))
    })
}

/// Which questions are shown under `answers`, computed here rather than by the engine: a question
/// is shown when it has no condition, or its condition's question is shown and was answered so.
fn shown(q: &Questionnaire, answers: &BTreeMap<String, Answer>) -> Vec<bool> {
    let mut shown: Vec<bool> = Vec::with_capacity(q.questions.len());
    for question in &q.questions {
        let visible = match &question.show_if {
            None => true,
            Some(condition) => {
                let target = q.index_of(&condition.question).expect("validated");
                shown[target]
                    && match answers.get(&condition.question) {
                        Some(Answer::Choice(code)) => condition.codes.contains(code),
                        Some(Answer::Choices(codes)) => codes.iter().any(|c| condition.codes.contains(c)),
                        Some(Answer::Rating(n)) => condition.codes.contains(&n.to_string()),
                        Some(Answer::Text(_)) | None => false,
                    }
            }
        };
        shown.push(visible);
    }
    shown
}

fn valid_answer(question: &Question, answer: &Answer) -> bool {
    match (&question.kind, answer) {
        (QuestionKind::YesNo, Answer::Choice(code)) => code == "yes" || code == "no",
        (QuestionKind::Single { .. }, Answer::Choice(code)) => question.option(code).is_some(),
        (QuestionKind::Multiple { min, max, .. }, Answer::Choices(codes)) => {
            (*min..=*max).contains(&codes.len()) && codes.iter().all(|c| question.option(c).is_some())
        }
        (QuestionKind::Rating { min, max, .. }, Answer::Rating(n)) => (*min..=*max).contains(n),
        (QuestionKind::Text { max_length, .. }, Answer::Text(text)) => {
            !text.is_empty() && text.trim() == text && text.chars().count() <= *max_length
        }
        _ => false,
    }
}

/// What holds for every draft, whatever led to it.
fn check_draft(survey: &Survey, draft: &Draft) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(draft).map_err(fail)?;
    prop_assert_eq!(&serde_json::from_str::<Draft>(&json).map_err(fail)?, draft, "serde round trip");
    let Some(q) = draft.questionnaire(survey) else {
        prop_assert!(draft.audience.is_none(), "an audience the survey does not have");
        prop_assert!(draft.answers.is_empty() && draft.history.is_empty() && draft.selection.is_empty());
        prop_assert!(
            draft.stage == Stage::Welcome || (draft.stage == Stage::ChoosingAudience && survey.has_several_audiences())
        );
        prop_assert!(draft.progress(survey).is_none() && draft.completed_answers(survey).is_none());
        return Ok(());
    };
    for (id, answer) in &draft.answers {
        let question = q.question(id);
        prop_assert!(question.is_some_and(|question| valid_answer(question, answer)), "{}: {:?}", id, answer);
    }
    let shown = shown(q, &draft.answers);
    let shown_before = |end: usize| -> Vec<String> {
        q.questions[..end].iter().zip(&shown).filter(|(_, s)| **s).map(|(question, _)| question.id.clone()).collect()
    };
    match &draft.stage {
        Stage::Welcome | Stage::ChoosingAudience => {
            prop_assert!(draft.stage == Stage::Welcome || survey.has_several_audiences());
            prop_assert!(draft.history.is_empty(), "history off the questions: {:?}", draft.history);
            prop_assert!(draft.selection.is_empty(), "ticks off the questions: {:?}", draft.selection);
            prop_assert!(draft.progress(survey).is_none() && draft.completed_answers(survey).is_none());
        }
        Stage::Question(id) => {
            let index = q.index_of(id).ok_or_else(|| fail(format!("{id} is not a question")))?;
            prop_assert!(shown[index], "{} is on screen but hidden by its condition", id);
            prop_assert_eq!(&draft.history, &shown_before(index), "history is the path of shown questions");
            let question = &q.questions[index];
            match &question.kind {
                QuestionKind::Multiple { max, .. } => prop_assert!(
                    draft.selection.len() <= *max && draft.selection.iter().all(|c| question.option(c).is_some())
                ),
                _ => prop_assert!(draft.selection.is_empty()),
            }
            let Some(Progress { number, total }) = draft.progress(survey) else {
                return Err(fail("no progress on a question"));
            };
            let count = shown.iter().filter(|s| **s).count();
            prop_assert!(
                number == draft.history.len() + 1 && number <= total && count <= total && total <= q.questions.len(),
                "question {} of {}, {} shown of {}",
                number,
                total,
                count,
                q.questions.len()
            );
            prop_assert!(draft.completed_answers(survey).is_none());
        }
        Stage::Review => {
            prop_assert_eq!(&draft.history, &shown_before(q.questions.len()));
            prop_assert!(draft.selection.is_empty() && draft.progress(survey).is_none());
            for (question, shown) in q.questions.iter().zip(&shown) {
                let optional = matches!(question.kind, QuestionKind::Text { optional: true, .. });
                prop_assert!(
                    !shown || optional || draft.answers.contains_key(&question.id),
                    "{} unanswered",
                    question.id
                );
            }
            let expected: Vec<(String, Answer)> = q
                .questions
                .iter()
                .zip(&shown)
                .filter(|(_, shown)| **shown)
                .filter_map(|(question, _)| draft.answers.get(&question.id).map(|a| (question.id.clone(), a.clone())))
                .collect();
            prop_assert_eq!(draft.completed_answers(survey), Some(expected), "exactly the shown questions");
        }
    }
    Ok(())
}

/// What one step may and may not do.
fn check_step(
    survey: &Survey,
    before: &Draft,
    input: &Input,
    result: &Result<Draft, StepError>,
) -> Result<(), TestCaseError> {
    let on_screen = before.current_question(survey);
    let after = match result {
        Err(StepError::TextTooLong { max, got }) => {
            let length = match input {
                Input::Text(text) => text.trim().chars().count(),
                _ => 0,
            };
            prop_assert!(got > max && length == *got, "{} > {}, text of {}", got, max, length);
            return Ok(());
        }
        Err(StepError::EmptyText) => {
            prop_assert!(matches!(input, Input::Text(text) if text.trim().is_empty()));
            return Ok(());
        }
        Err(StepError::TooFew { min }) => {
            prop_assert!(*input == Input::Done && before.selection.len() < *min);
            return Ok(());
        }
        Err(StepError::TooMany { max }) => {
            let fresh = matches!(input, Input::Toggle(code) if !before.selection.contains(code));
            prop_assert!(fresh && before.selection.len() >= *max);
            return Ok(());
        }
        Err(_) => return Ok(()),
        Ok(after) => after,
    };
    // Only the question on screen gets a new answer; another audience starts from nothing.
    if after.audience != before.audience {
        prop_assert!(after.answers.is_empty(), "answers carried to another audience");
    } else {
        let keys: BTreeSet<&String> = before.answers.keys().chain(after.answers.keys()).collect();
        for key in keys {
            if before.answers.get(key) != after.answers.get(key) {
                prop_assert_eq!(Some(key), on_screen.map(|q| &q.id), "an answer to a question not on screen");
            }
        }
    }
    let answered = match input {
        Input::Begin => {
            prop_assert_eq!(&before.stage, &Stage::Welcome);
            return Ok(());
        }
        Input::ChooseAudience(audience) => {
            prop_assert!(before.stage == Stage::ChoosingAudience && after.audience == Some(*audience));
            return Ok(());
        }
        Input::Back => {
            let stepped = after.history.len() + 1 == before.history.len();
            let left = before.history.is_empty() && matches!(after.stage, Stage::Welcome | Stage::ChoosingAudience);
            prop_assert!(stepped || left, "back from {:?} to {:?}", before.stage, after.stage);
            return Ok(());
        }
        Input::Toggle(code) => {
            prop_assert_eq!(&after.stage, &before.stage);
            let changed: BTreeSet<&String> = before.selection.symmetric_difference(&after.selection).collect();
            prop_assert_eq!(changed, BTreeSet::from([code]));
            return Ok(());
        }
        Input::Choose(_) | Input::Done | Input::Skip | Input::Text(_) => {
            on_screen.ok_or_else(|| fail(format!("{input:?} accepted off the questions")))?
        }
    };
    let stored = after.answers.get(&answered.id);
    match (input, &answered.kind) {
        (Input::Choose(code), QuestionKind::Rating { .. }) => {
            let expected = code.parse().ok().map(Answer::Rating);
            prop_assert_eq!(stored, expected.as_ref());
        }
        (Input::Choose(code), QuestionKind::YesNo | QuestionKind::Single { .. }) => {
            let expected = Answer::Choice(code.clone());
            prop_assert_eq!(stored, Some(&expected));
        }
        (Input::Done, QuestionKind::Multiple { .. }) => {
            let expected = Answer::Choices(before.selection.clone());
            prop_assert_eq!(stored, Some(&expected));
        }
        (Input::Text(text), QuestionKind::Text { .. }) => {
            let expected = Answer::Text(text.trim().to_string());
            prop_assert_eq!(stored, Some(&expected));
        }
        (Input::Skip, QuestionKind::Text { optional: true, .. }) => prop_assert_eq!(stored, None),
        _ => prop_assert!(false, "{:?} accepted on {:?}", input, answered.kind),
    }
    // An answer moves on, past the question answered.
    let q = after.questionnaire(survey).ok_or_else(|| fail("answered without a questionnaire"))?;
    let moved_on = match &after.stage {
        Stage::Review => true,
        Stage::Question(id) => q.index_of(id) > q.index_of(&answered.id),
        _ => false,
    };
    prop_assert!(moved_on, "stayed at {:?} after answering {}", after.stage, answered.id);
    Ok(())
}

#[test]
fn state_machine_sequences() {
    let reviews = AtomicUsize::new(0);
    let steps = AtomicUsize::new(0);
    fuzz("state machine: input sequences", sequences(), arb_session(), |(spec, moves)| {
        let survey = spec.build();
        let mut draft = Draft::default();
        check_draft(&survey, &draft)?;
        let mut reviewed = false;
        for step in &moves {
            let input = match step {
                Move::Raw(input) => input.clone(),
                Move::Fitting(pick) => fitting(&survey, &draft, *pick),
            };
            let result = draft.step(&survey, input.clone());
            check_step(&survey, &draft, &input, &result)?;
            if let Ok(next) = result {
                check_draft(&survey, &next)?;
                draft = next;
            }
            reviewed |= draft.stage == Stage::Review;
        }
        steps.fetch_add(moves.len(), Ordering::Relaxed);
        reviews.fetch_add(usize::from(reviewed), Ordering::Relaxed);
        Ok(())
    });
    let (steps, reviews) = (steps.into_inner(), reviews.into_inner());
    eprintln!("fuzz state machine: {steps} steps, {reviews} sequences reached the summary");
    assert!(reviews > 0, "no sequence got to the summary: the generator is too weak to test much");
}

// ---------------------------------------------------------------------------------------------
// Callback data and /start payloads

fn arb_action() -> impl Strategy<Value = Action> {
    let option = "[a-z0-9_-]{1,24}";
    prop_oneof![
        Just(Action::Step(Input::Begin)),
        prop_oneof![Just(Audience::Parent), Just(Audience::Student)]
            .prop_map(|a| Action::Step(Input::ChooseAudience(a))),
        option.prop_map(|c| Action::Step(Input::Choose(c))),
        option.prop_map(|c| Action::Step(Input::Toggle(c))),
        Just(Action::Step(Input::Done)),
        Just(Action::Step(Input::Skip)),
        Just(Action::Step(Input::Back)),
        Just(Action::Submit),
        Just(Action::Resume),
        "[A-Za-z0-9_-]{1,24}".prop_map(Action::StartOver),
    ]
}

#[test]
fn callback_data_round_trips() {
    fuzz("callback: encode then parse", cases(), (any::<i64>(), arb_action()), |(revision, action)| {
        let data = CallbackData::new(revision, action);
        let encoded = data.encode();
        prop_assert!(encoded.len() <= MAX_CALLBACK_BYTES, "{} bytes", encoded.len());
        prop_assert_eq!(CallbackData::parse(&encoded), Some(data));
        Ok(())
    });
}

#[test]
fn callback_data_from_anyone() {
    let near_valid = (
        prop_oneof![any::<i64>().prop_map(|r| r.to_string()), "-?[0-9]{0,21}", Just("+7".into()), Just("007".into())],
        prop_oneof![
            select(vec!["b", "a", "c", "t", "d", "s", "k", "u", "r", "n"]).prop_map(String::from),
            "[a-z]{0,2}"
        ],
        proptest::option::of(prop_oneof![
            "[a-z0-9_-]{1,30}",
            "parent|student|teacher",
            "[ -~]{0,70}",
            "\\PC{0,10}",
            "[A-Za-z0-9_-]{40,70}"
        ]),
    )
        .prop_map(|(revision, kind, argument)| match argument {
            Some(argument) => format!("{revision}:{kind}:{argument}"),
            None => format!("{revision}:{kind}"),
        });
    let strategy = prop_oneof![near_valid, any::<String>(), "[0-9:a-z]{0,80}"];
    fuzz("callback: arbitrary data", cases(), strategy, |data| {
        let parsed = CallbackData::parse(&data);
        if data.len() > MAX_CALLBACK_BYTES {
            prop_assert_eq!(parsed, None, "{} bytes accepted", data.len());
            return Ok(());
        }
        if let Some(parsed) = parsed {
            let code = match &parsed.action {
                Action::Step(Input::Choose(code) | Input::Toggle(code)) | Action::StartOver(code) => Some(code),
                _ => None,
            };
            let clean = |c: &String| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            prop_assert!(code.is_none_or(|c| !c.is_empty() && clean(c)), "{:?}", code);
            prop_assert_eq!(CallbackData::parse(&parsed.encode()), Some(parsed));
        }
        Ok(())
    });
}

fn is_link_code(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[test]
fn start_payloads_from_anyone() {
    let start = select(vec!["/start", "/START", "/Start@AnketaBot", "/start@x", " /start"]);
    let separator = select(vec![" ", "  ", "\t", "\n", "\u{a0}"]);
    let rest =
        prop_oneof![any::<String>(), "[A-Za-z0-9_-]{0,70}", "[A-Za-z0-9_-]{0,30}[^A-Za-z0-9_-][A-Za-z0-9_-]{0,30}"];
    let shaped = (start.clone(), separator, rest).prop_map(|(s, sep, rest)| format!("{s}{sep}{rest}"));
    let strategy = prop_oneof![shaped, any::<String>(), (start, "\\PC{0,80}").prop_map(|(s, r)| format!("{s} {r}"))];
    fuzz("deep link: arbitrary /start text", cases(), strategy, |text| {
        if let Some(Command::Start(Some(LinkPayload::Code(code)))) = Command::from_text(&text) {
            prop_assert!(is_link_code(&code), "accepted {:?}", code);
        }
        Ok(())
    });
}

#[test]
fn start_payloads_accept_exactly_link_codes() {
    let forbidden =
        any::<char>().prop_filter("outside the link alphabet", |c| !c.is_ascii_alphanumeric() && !"_-".contains(*c));
    let payload = prop_oneof![
        "[A-Za-z0-9_-]{1,64}".prop_map(|code| (code.clone(), Some(code))),
        "[A-Za-z0-9_-]{65,120}".prop_map(|code| (code, None)),
        ("[A-Za-z0-9_-]{2,40}", forbidden, any::<Index>()).prop_map(|(code, bad, at)| {
            let mut chars: Vec<char> = code.chars().collect();
            chars.insert(1 + at.index(chars.len() - 1), bad);
            (chars.into_iter().collect(), None)
        }),
    ];
    let strategy = (select(vec!["/start", "/START", "/Start@AnketaBot"]), select(vec![" ", "\t", "  "]), payload);
    fuzz("deep link: link codes and near misses", cases(), strategy, |(start, separator, (payload, code))| {
        let text = format!("{start}{separator}{payload} ");
        let expected = match code {
            Some(code) => LinkPayload::Code(code),
            None => LinkPayload::Malformed,
        };
        prop_assert_eq!(Command::from_text(&text), Some(Command::Start(Some(expected))), "{:?}", text);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Roster and expert CSV

/// The layout of a generated spreadsheet export.
#[derive(Debug, Clone)]
struct Layout {
    semicolon: bool,
    /// Line ends: Unix, Windows, or the old Mac's bare CR (Excel's «CSV (Macintosh)»).
    newline: &'static str,
    bom: bool,
    leading_blank: bool,
    /// Column order, as a permutation of the file's columns.
    order: Vec<usize>,
    /// Header spelling: which alias, upper or lower case, padded or not.
    spelling: Vec<(Index, u8)>,
}

fn arb_layout(columns: usize) -> impl Strategy<Value = Layout> {
    (
        any::<(bool, bool, bool)>(),
        select(vec!["\n", "\r\n", "\r"]),
        Just((0..columns).collect::<Vec<_>>()).prop_shuffle(),
        vec((any::<Index>(), 0_u8..4), columns),
    )
        .prop_map(|((semicolon, bom, leading_blank), newline, order, spelling)| Layout {
            semicolon,
            newline,
            bom,
            leading_blank,
            order,
            spelling,
        })
}

/// A record by column, the first `width` of its fields in file order written (a row cut short).
struct Record {
    fields: Vec<String>,
    width: usize,
}

impl Record {
    fn new(fields: Vec<String>) -> Self {
        Record { width: fields.len(), fields }
    }
}

/// Writes records in the file's column order `layout.order` (fields past it follow as they are) as
/// a spreadsheet would; returns the text and the line each record starts on. `blank_after[n]`
/// empty lines follow record `n`. The roster parser's input, not an export: cells are written as
/// given, formula characters included, so the csv crate's writer is the right one here.
#[allow(clippy::disallowed_types)]
fn write_csv(layout: &Layout, records: &[Record], blank_after: &[usize]) -> (String, Vec<u64>) {
    let newline = layout.newline;
    let mut text = String::new();
    if layout.bom {
        text.push('\u{feff}');
    }
    if layout.leading_blank {
        text.push_str(newline);
    }
    let mut line = 1 + u64::from(layout.leading_blank);
    let mut lines = Vec::new();
    for (n, record) in records.iter().enumerate() {
        lines.push(line);
        let mut fields: Vec<&str> =
            layout.order.iter().filter_map(|&c| record.fields.get(c)).map(String::as_str).collect();
        fields.extend(record.fields.iter().skip(layout.order.len()).map(String::as_str));
        fields.truncate(record.width);
        let mut writer = csv::WriterBuilder::new()
            .delimiter(if layout.semicolon { b';' } else { b',' })
            .terminator(match newline {
                "\r\n" => csv::Terminator::CRLF,
                other => csv::Terminator::Any(other.as_bytes()[0]),
            })
            .from_writer(Vec::new());
        writer.write_record(&fields).expect("in memory");
        let written = String::from_utf8(writer.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out");
        text.push_str(&written);
        line += line_breaks(&written);
        for _ in 0..blank_after.get(n).copied().unwrap_or(0) {
            text.push_str(newline);
            line += 1;
        }
    }
    (text, lines)
}

/// A header name as a region's spreadsheet might spell it.
fn spell(aliases: &[&str], (alias, style): (Index, u8)) -> String {
    let name = aliases[alias.index(aliases.len())];
    match style {
        0 => name.to_string(),
        1 => name.to_uppercase(),
        2 => format!(" {name} "),
        _ => name
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.to_uppercase().next().unwrap_or(c) } else { c })
            .collect(),
    }
}

/// A cell's text: names with separators, quotes and line breaks in them, and now and then padding.
fn arb_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec![
            "Иркутск", "Школа № 1", "Лицей; корпус 2", "School, annex", "«Ромашка» \"ООО\"", "5А", "11Б", "Kungur",
            "a\nb", "x\r\ny", "  padded  ", "🎄", "#1", "'quoted'", "=1+2",
        ])
        .prop_map(String::from),
        3 => "[^\r\n]{1,30}",
        1 => any::<String>(),
    ]
    .prop_map(|s| if s.trim().is_empty() { format!("x{s}") } else { s })
}

const ZONES: [&str; 4] = ["Europe/Moscow", "Asia/Irkutsk", "Asia/Yekaterinburg", "Europe/Kaliningrad"];

/// A school's timezone, the same for every row of the school.
fn zone_of(municipality: &str, school: &str) -> &'static str {
    ZONES[municipality.bytes().chain(school.bytes()).map(usize::from).sum::<usize>() % ZONES.len()]
}

#[derive(Debug, Clone)]
struct RosterRowSpec {
    municipality: String,
    school: String,
    class: String,
    headcount: i64,
    timezone_given: bool,
    extra_fields: usize,
    blank_after: usize,
}

#[derive(Debug, Clone)]
enum RosterFault {
    Headcount(&'static str),
    Missing(usize),
    /// The row stops before its last required column.
    Truncated,
    Timezone(&'static str),
    /// The row repeats an earlier row's class.
    Duplicate(Index),
}

fn arb_roster_row() -> impl Strategy<Value = RosterRowSpec> {
    (
        prop_oneof![select(vec!["Иркутск", "Кунгур", "M"]).prop_map(String::from), arb_cell()],
        prop_oneof![select(vec!["Школа № 1", "Лицей", "S"]).prop_map(String::from), arb_cell()],
        arb_cell(),
        prop_oneof![1_i64..100, 1_i64..=i64::MAX],
        any::<bool>(),
        0_usize..3,
        prop_oneof![4 => Just(0_usize), 1 => 1_usize..3],
    )
        .prop_map(|(municipality, school, class, headcount, timezone_given, extra_fields, blank_after)| {
            RosterRowSpec { municipality, school, class, headcount, timezone_given, extra_fields, blank_after }
        })
}

fn arb_roster_fault() -> impl Strategy<Value = RosterFault> {
    prop_oneof![
        select(vec!["0", "-5", "двадцать", "1.5", "", "  ", "99999999999999999999", "1e3", "٣", "25 человек"])
            .prop_map(RosterFault::Headcount),
        (0_usize..3).prop_map(RosterFault::Missing),
        Just(RosterFault::Truncated),
        select(vec!["Mars/Olympus", "UTC+3", "Europe/Moskow", "москва"]).prop_map(RosterFault::Timezone),
        any::<Index>().prop_map(RosterFault::Duplicate),
    ]
}

const ROSTER_ALIASES: [&[&str]; 5] = [
    &["municipality", "муниципалитет", "муниципальное образование", "район"],
    &["school", "школа", "оо", "образовательная организация"],
    &["class", "класс"],
    &["students", "учащихся", "обучающихся", "численность", "количество обучающихся"],
    &["timezone", "часовой пояс"],
];

/// A row's names as the roster writes them (look-alike Latin letters in Cyrillic words, class
/// names one way).
fn written(spec: &RosterRowSpec) -> (String, String, String) {
    (
        anketa::names::to_cyrillic(spec.municipality.trim()),
        anketa::names::to_cyrillic(spec.school.trim()),
        anketa::names::class_name(spec.class.trim()),
    )
}

#[test]
fn roster_generated_files_read_back_exactly() {
    let strategy = (
        any::<bool>().prop_flat_map(|zones| (Just(zones), arb_layout(if zones { 5 } else { 4 }))),
        vec(arb_roster_row(), 1..25),
        proptest::option::weighted(0.5, (any::<Index>(), arb_roster_fault())),
        proptest::option::weighted(0.1, (any::<Index>(), 1_000_usize..100_000)),
    );
    fuzz("roster: generated files", cases(), strategy, |((zones, layout), specs, fault, huge)| {
        let mut specs = specs;
        if let Some((row, size)) = huge {
            let at = row.index(specs.len());
            specs[at].school = "Ш".repeat(size);
        }
        // Distinct classes only (as the roster writes names: `5a` is `5А`): a repeated class is the
        // `Duplicate` fault, placed on purpose.
        let mut keys = HashSet::new();
        specs.retain(|s| keys.insert(written(s)));
        let header: Vec<String> =
            (0..layout.order.len()).map(|c| spell(ROSTER_ALIASES[c], layout.spelling[c])).collect();
        let mut records = vec![Record::new(header)];
        let mut expected = Vec::new();
        for spec in &specs {
            let (municipality, school, class) = written(spec);
            let zone = zone_of(&municipality, &school);
            let given = zones && spec.timezone_given;
            let mut record = vec![
                spec.municipality.clone(),
                spec.school.clone(),
                spec.class.clone(),
                format!(" {} ", spec.headcount),
            ];
            if zones {
                record.push(if given { zone.to_string() } else { String::new() });
            }
            record.extend((0..spec.extra_fields).map(|n| format!("extra {n}")));
            records.push(Record::new(record));
            expected.push(RosterRow {
                line: 0,
                municipality,
                school,
                class,
                headcount: spec.headcount,
                timezone: given.then(|| zone.parse().expect("a real zone")),
            });
        }
        let faulty = fault.as_ref().map(|(row, fault)| (row.index(specs.len()), fault));
        let mut duplicate_of = None;
        if let Some((row, fault)) = faulty {
            let record = &mut records[row + 1];
            match fault {
                RosterFault::Headcount(bad) => record.fields[3] = bad.to_string(),
                RosterFault::Missing(column) => record.fields[*column] = " ".repeat(*column),
                RosterFault::Truncated => {
                    // Cut where the last required column stands in the file.
                    let position = |c: usize| layout.order.iter().position(|&o| o == c).unwrap_or(0);
                    record.width = (0..4).map(position).max().unwrap_or(0);
                }
                RosterFault::Timezone(bad) if zones => record.fields[4] = bad.to_string(),
                RosterFault::Timezone(_) => record.fields[3] = "0".into(),
                RosterFault::Duplicate(earlier) if row > 0 => {
                    // The same class again, with the same school's timezone so only the repeat is wrong.
                    let earlier = earlier.index(row);
                    let columns = if zones { 5 } else { 3 };
                    let original = records[earlier + 1].fields[..columns].to_vec();
                    records[row + 1].fields[..columns].clone_from_slice(&original);
                    duplicate_of = Some(earlier);
                }
                RosterFault::Duplicate(_) => record.fields[3] = "0".into(),
            }
        }
        let blank_after: Vec<usize> = std::iter::once(0).chain(specs.iter().map(|s| s.blank_after)).collect();
        let (text, lines) = write_csv(&layout, &records, &blank_after);
        for (row, line) in expected.iter_mut().zip(&lines[1..]) {
            row.line = *line;
        }
        match (roster::parse(text.as_bytes()), faulty) {
            (Ok(rows), None) => prop_assert_eq!(rows, expected),
            (Err(RosterError::Row { line, problem }), Some((row, _))) => {
                prop_assert_eq!(line, lines[row + 1], "{}", problem);
                if let Some(earlier) = duplicate_of {
                    let first = format!("already listed on line {}", lines[earlier + 1]);
                    prop_assert!(problem.to_string().contains(&first), "{}", problem);
                }
            }
            (other, fault) => prop_assert!(false, "{:?} for fault {:?} in\n{}", other, fault, text),
        }
        Ok(())
    });
}

/// Spreadsheet-ish bytes: arbitrary bytes, a header and noise, a header and rows of random width.
fn arb_csvish(headers: Vec<&'static str>, cells: Vec<&'static str>) -> impl Strategy<Value = Vec<u8>> {
    let rows = vec(vec(select(cells), 0..9), 0..20);
    prop_oneof![
        vec(any::<u8>(), 0..400),
        any::<String>().prop_map(String::into_bytes),
        (select(headers.clone()), "[a-zA-Zа-я0-9 ;,\"\r\n\t\u{feff}/_.-]{0,400}")
            .prop_map(|(header, body)| format!("{header}\n{body}").into_bytes()),
        (select(headers), rows, any::<bool>()).prop_map(|(header, rows, semicolon)| {
            let separator = if semicolon { ";" } else { "," };
            let mut text = if semicolon { header.replace(',', ";") } else { header.to_string() };
            for row in rows {
                text.push('\n');
                text.push_str(&row.join(separator));
            }
            text.into_bytes()
        }),
    ]
}

/// Line breaks as an editor counts them: LF, CR LF, or a bare CR.
fn line_breaks(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let breaks =
        bytes.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')));
    breaks.count() as u64
}

/// The number of lines in `bytes`, if they are text.
fn line_count(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok().map(|text| line_breaks(text) + 1)
}

#[test]
fn roster_arbitrary_bytes() {
    let headers = vec![
        "municipality,school,class,students",
        "municipality,school,class,students,timezone",
        "\u{feff}Муниципалитет,Школа,Класс,Учащихся",
        "school,students,class,municipality",
    ];
    let cells = vec![
        "M",
        "S",
        "1А",
        "20",
        "0",
        "-1",
        "x",
        "",
        " ",
        "\"",
        "\"a,b\"",
        "Asia/Irkutsk",
        "Mars/Olympus",
        "\"q\"\"\"",
        "99999999999999999999",
        "\r",
        "\u{feff}",
    ];
    fuzz("roster: arbitrary bytes", cases(), arb_csvish(headers, cells), |bytes| {
        // A roster is read as UTF-8 or else as Windows-1251: only bytes with NUL are no text.
        let lines = roster::decode(&bytes).ok().map(|text| line_breaks(&text) + 1);
        match roster::parse(&bytes) {
            Err(RosterError::NotText) => prop_assert!(lines.is_none()),
            Err(RosterError::Row { line, problem }) => {
                let problem = problem.to_string();
                prop_assert!(
                    !problem.to_string().is_empty() && (1..=lines.unwrap_or(0)).contains(&line),
                    "line {}",
                    line
                );
            }
            Err(_) => prop_assert!(lines.is_some()),
            Ok(rows) => {
                let lines = lines.unwrap_or(0);
                prop_assert!(!rows.is_empty() && (rows.len() as u64) < lines);
                let mut previous = 1;
                let mut keys = HashSet::new();
                for row in &rows {
                    prop_assert!(row.line > previous && row.line <= lines, "line {} after {}", row.line, previous);
                    previous = row.line;
                    for field in [&row.municipality, &row.school, &row.class] {
                        prop_assert!(!field.is_empty() && field.trim() == field, "{:?}", field);
                    }
                    prop_assert!(row.headcount > 0);
                    prop_assert!(keys.insert((&row.municipality, &row.school, &row.class)), "a class twice");
                }
            }
        }
        Ok(())
    });
}

const EXPERT_COLUMNS: [&str; 7] =
    ["municipality", "school", "p_inf", "p_dist", "p_komf_usl", "p_org_dost", "p_uslug_dost"];

#[derive(Debug, Clone)]
enum ExpertFault {
    Value(usize, &'static str),
    Missing(usize),
    Truncated,
    Duplicate(Index),
}

#[test]
fn expert_generated_files_read_back_exactly() {
    let row = (
        arb_cell(),
        arb_cell(),
        [0_u32..=10_000, 0..=10_000, 0..=10_000, 0..=10_000, 0..=10_000],
        any::<bool>(),
        0_usize..2,
    );
    let fault = prop_oneof![
        (
            0_usize..5,
            select(vec!["101", "-1", "-0.5", "NaN", "inf", "1.000,5", "", "много", "100.0001", "1e400", "50%"])
        )
            .prop_map(|(column, bad)| ExpertFault::Value(column, bad)),
        (0_usize..2).prop_map(ExpertFault::Missing),
        Just(ExpertFault::Truncated),
        any::<Index>().prop_map(ExpertFault::Duplicate),
    ];
    let strategy = (arb_layout(7), vec(row, 1..20), proptest::option::weighted(0.5, (any::<Index>(), fault)));
    fuzz("expert: generated files", cases(), strategy, |(layout, rows, fault)| {
        let mut rows = rows;
        let mut keys = HashSet::new();
        rows.retain(|(m, s, ..)| keys.insert((m.trim().to_string(), s.trim().to_string())));
        let header: Vec<String> = (0..7).map(|c| spell(&[EXPERT_COLUMNS[c]], layout.spelling[c])).collect();
        let mut records = vec![Record::new(header)];
        let mut expected = Vec::new();
        for (municipality, school, hundredths, decimal_comma, _) in &rows {
            let values = hundredths.map(|h| f64::from(h) / 100.0);
            let mut record = vec![municipality.clone(), school.clone()];
            for value in values {
                let written = value.to_string();
                record.push(if *decimal_comma { written.replace('.', ",") } else { written });
            }
            records.push(Record::new(record));
            let [inf, dist, komf_usl, org_dost, uslug_dost] = values;
            expected.push(ExpertRow {
                line: 0,
                municipality: municipality.trim().to_string(),
                school: school.trim().to_string(),
                scores: ExpertScores { inf, dist, komf_usl, org_dost, uslug_dost },
            });
        }
        let faulty = fault.as_ref().map(|(row, fault)| (row.index(rows.len()), fault));
        let mut duplicate_of = None;
        if let Some((row, fault)) = faulty {
            let record = &mut records[row + 1];
            match fault {
                ExpertFault::Value(column, bad) => record.fields[2 + column] = bad.to_string(),
                ExpertFault::Missing(column) => record.fields[*column] = String::new(),
                ExpertFault::Truncated => record.width -= 1,
                ExpertFault::Duplicate(earlier) if row > 0 => {
                    let earlier = earlier.index(row);
                    let original = records[earlier + 1].fields[..2].to_vec();
                    records[row + 1].fields[..2].clone_from_slice(&original);
                    duplicate_of = Some(earlier);
                }
                ExpertFault::Duplicate(_) => record.fields[2] = "-1".into(),
            }
        }
        let blank_after: Vec<usize> = std::iter::once(0).chain(rows.iter().map(|r| r.4)).collect();
        let (text, lines) = write_csv(&layout, &records, &blank_after);
        for (row, line) in expected.iter_mut().zip(&lines[1..]) {
            row.line = *line;
        }
        match (expert::parse(text.as_bytes()), faulty) {
            (Ok(parsed), None) => prop_assert_eq!(parsed, expected),
            (Err(ExpertError::Row { line, problem }), Some((row, _))) => {
                prop_assert_eq!(line, lines[row + 1], "{}", problem);
                if let Some(earlier) = duplicate_of {
                    let first = format!("already listed on line {}", lines[earlier + 1]);
                    prop_assert!(problem.to_string().contains(&first), "{}", problem);
                }
            }
            (other, fault) => prop_assert!(false, "{:?} for fault {:?} in\n{}", other, fault, text),
        }
        Ok(())
    });
}

#[test]
fn expert_arbitrary_bytes() {
    let headers = vec![
        "municipality,school,p_inf,p_dist,p_komf_usl,p_org_dost,p_uslug_dost",
        "p_uslug_dost,p_org_dost,p_komf_usl,p_dist,p_inf,school,municipality",
    ];
    let cells = vec!["M", "S", "0", "100", "50,5", "\"50,5\"", "50.5", "101", "-1", "NaN", "", " ", "\"", "x", "\r"];
    fuzz("expert: arbitrary bytes", cases(), arb_csvish(headers, cells), |bytes| {
        let lines = line_count(&bytes);
        match expert::parse(&bytes) {
            Err(ExpertError::NotUtf8) => prop_assert!(lines.is_none()),
            Err(ExpertError::Row { line, problem }) => {
                prop_assert!(
                    !problem.to_string().is_empty() && (1..=lines.unwrap_or(0)).contains(&line),
                    "line {}",
                    line
                );
            }
            Err(_) => prop_assert!(lines.is_some()),
            Ok(rows) => {
                let lines = lines.unwrap_or(0);
                let mut previous = 1;
                for row in &rows {
                    prop_assert!(row.line > previous && row.line <= lines, "line {} after {}", row.line, previous);
                    previous = row.line;
                    let s = &row.scores;
                    for value in [s.inf, s.dist, s.komf_usl, s.org_dost, s.uslug_dost] {
                        prop_assert!((0.0..=100.0).contains(&value), "{}", value);
                    }
                }
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// One response per person, on a real database

/// Someone answering: one of four Telegram users, at one of two schools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Person {
    user: u64,
    school: usize,
}

#[derive(Debug, Clone, Copy)]
enum Submission {
    /// A submit through one of the two connection pools (as two bot processes have).
    Alone(Person, bool),
    /// Two submits at once, one through each pool.
    Together(Person, Person),
    /// A submit of a draft that has moved on since the summary was drawn.
    Stale(Person),
    /// A submit through one pool while the other releases the school's ballot box (the campaign
    /// over or not): nothing may be lost or doubled between the box and the responses.
    WhileSettling(Person, bool),
}

fn arb_person() -> impl Strategy<Value = Person> {
    (0_u64..4, 0_usize..2).prop_map(|(user, school)| Person { user, school })
}

fn arb_submission() -> impl Strategy<Value = Submission> {
    prop_oneof![
        3 => (arb_person(), any::<bool>()).prop_map(|(p, second)| Submission::Alone(p, second)),
        2 => (arb_person(), arb_person()).prop_map(|(a, b)| Submission::Together(a, b)),
        1 => arb_person().prop_map(Submission::Stale),
        2 => (arb_person(), any::<bool>()).prop_map(|(p, over)| Submission::WhileSettling(p, over)),
    ]
}

/// Where a school's respondents answer in one campaign.
struct Class {
    code: String,
    response: NewResponse,
}

/// Starts a draft for a new chat and submits it, `stale` with the wrong revision.
async fn submit(
    db: &Db,
    chat: ChatKey,
    class: &Class,
    identity: &[u8],
    stale: bool,
) -> Result<SubmitOutcome, TestCaseError> {
    db.start_draft(&chat, &class.code, "{}", 1, Utc::now(), None).await.map_err(fail)?;
    db.submit_response(&chat, if stale { 2 } else { 1 }, identity, &class.response).await.map_err(fail)
}

#[test]
fn one_response_per_person_and_school_on_sqlite() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    one_response_per_person_and_school(&runtime, "storage on SQLite: one response per person", &url);
}

#[test]
fn one_response_per_person_and_school_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let app = runtime.block_on(support::TestApp::new(support::Engine::Postgres));
    one_response_per_person_and_school(&runtime, "storage on PostgreSQL: one response per person", &app.db_url);
    runtime.block_on(async move { drop(app) });
}

/// Two connection pools on the database at `url`, one campaign per case.
fn one_response_per_person_and_school(runtime: &tokio::runtime::Runtime, name: &str, url: &str) {
    let (first, second) = runtime.block_on(async {
        let first = Db::connect(url).await.expect("the database");
        let file = "municipality,school,class,students\nM,S0,1А,20\nM,S1,1А,20\n";
        first
            .import_roster(&roster::parse(file.as_bytes()).expect("a roster"), chrono_tz::Europe::Moscow)
            .await
            .expect("import");
        (first, Db::connect(url).await.expect("the database"))
    });
    let key = IdentityKey::new(&[7; 32]).expect("a key");
    let campaigns = AtomicUsize::new(0);
    let chats = AtomicI64::new(0);
    let chat = || key.chat_key(chats.fetch_add(1, Ordering::Relaxed));
    fuzz(name, storage_cases(), vec(arb_submission(), 1..16), |submissions| {
        runtime.block_on(async {
            let n = campaigns.fetch_add(1, Ordering::Relaxed);
            let today = Utc::now().date_naive();
            let new = NewCampaign {
                name: format!("fuzz {n}"),
                starts_on: today,
                ends_on: today,
                target_percent: 40,
                questionnaires: vec![(Audience::Parent, "noko-parents".into(), PARENTS.into())],
                grades: Default::default(),
            };
            let campaign = first.create_campaign(&new, Utc::now()).await.map_err(fail)?;
            let mut k = 0;
            let links = first
                .ensure_links(campaign, Utc::now(), || {
                    k += 1;
                    format!("f{n}c{k}")
                })
                .await
                .map_err(fail)?;
            let mut classes: Vec<(String, Class)> = Vec::new();
            for link in links {
                let target = first.resolve_link(&link.code).await.map_err(fail)?.ok_or_else(|| fail("no link"))?;
                let response = NewResponse {
                    campaign_id: campaign,
                    school_id: target.school_id,
                    class_id: target.class_id,
                    audience: Audience::Parent,
                    questionnaire_id: "noko-parents".into(),
                    answers: vec![("q1".into(), "no".into())],
                };
                classes.push((target.school, Class { code: link.code, response }));
            }
            classes.sort_by(|a, b| a.0.cmp(&b.0));
            let classes: Vec<Class> = classes.into_iter().map(|(_, class)| class).collect();
            let identity = |p: Person| key.identity(p.user, campaign, classes[p.school].response.school_id);

            let mut answered: HashSet<Person> = HashSet::new();
            for submission in submissions {
                match submission {
                    Submission::Alone(p, on_second) => {
                        let db = if on_second { &second } else { &first };
                        let outcome = submit(db, chat(), &classes[p.school], identity(p).as_bytes(), false).await?;
                        let expected =
                            if answered.insert(p) { SubmitOutcome::Stored } else { SubmitOutcome::AlreadyAnswered };
                        prop_assert_eq!(outcome, expected, "{:?}", p);
                    }
                    Submission::Together(a, b) => {
                        let (id_a, id_b) = (identity(a), identity(b));
                        let (x, y) = tokio::join!(
                            submit(&first, chat(), &classes[a.school], id_a.as_bytes(), false),
                            submit(&second, chat(), &classes[b.school], id_b.as_bytes(), false),
                        );
                        let mut outcomes = [x?, y?];
                        if a == b {
                            outcomes.sort_by_key(|o| *o == SubmitOutcome::Stored);
                            let expected = if answered.insert(a) {
                                [SubmitOutcome::AlreadyAnswered, SubmitOutcome::Stored]
                            } else {
                                [SubmitOutcome::AlreadyAnswered; 2]
                            };
                            prop_assert_eq!(outcomes, expected, "{:?} twice at once", a);
                        } else {
                            for (outcome, p) in outcomes.into_iter().zip([a, b]) {
                                let expected = if answered.insert(p) {
                                    SubmitOutcome::Stored
                                } else {
                                    SubmitOutcome::AlreadyAnswered
                                };
                                prop_assert_eq!(outcome, expected, "{:?}", p);
                            }
                        }
                    }
                    Submission::Stale(p) => {
                        let outcome = submit(&first, chat(), &classes[p.school], identity(p).as_bytes(), true).await?;
                        prop_assert_eq!(outcome, SubmitOutcome::DraftChanged);
                    }
                    Submission::WhileSettling(p, over) => {
                        let (school, id) = (classes[p.school].response.school_id, identity(p));
                        let (outcome, settled) = tokio::join!(
                            submit(&first, chat(), &classes[p.school], id.as_bytes(), false),
                            second.settle_school(campaign, school, 2, today, over),
                        );
                        settled.map_err(fail)?;
                        let expected =
                            if answered.insert(p) { SubmitOutcome::Stored } else { SubmitOutcome::AlreadyAnswered };
                        prop_assert_eq!(outcome?, expected, "{:?}", p);
                    }
                }
            }
            // Every answer is in the box or released, once: settle what is left and count.
            for class in &classes {
                first.settle_school(campaign, class.response.school_id, 2, today, true).await.map_err(fail)?;
            }
            prop_assert_eq!(first.sealed_count(campaign).await.map_err(fail)?, 0);
            let mut released = 0;
            first
                .export_responses(campaign, anketa::roles::Scope::Region, anketa::db::Reader::Operator, |_| {
                    released += 1;
                    Ok(())
                })
                .await
                .map_err(fail)?;
            prop_assert_eq!(released, answered.len(), "every stored answer released once");
            for (school, class) in classes.iter().enumerate() {
                let stored = first.class_participation(campaign, class.response.class_id).await.map_err(fail)?;
                let stored = stored.map_or(0, |class| class.responses());
                let people = answered.iter().filter(|p| p.school == school).count();
                prop_assert_eq!(stored, people as i64, "responses at school {}", school);
            }
            for user in 0..4 {
                for school in 0..2 {
                    let p = Person { user, school };
                    let participated = first.has_participated(campaign, identity(p).as_bytes()).await.map_err(fail)?;
                    prop_assert_eq!(participated, answered.contains(&p), "{:?}", p);
                }
            }
            Ok(())
        })
    });
}
