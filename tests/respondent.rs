//! The respondent path through the real binary and a Bot API stand-in: the НОКО questionnaire
//! with every skip path, anonymity at rest, one response per person, resume after `kill -9`.

mod support;

use support::bot_api::{BotMessage, TestUser};
use support::{Link, TestApp, metric};

/// Presses a button and returns the screen it leads to (which may come after the answer).
async fn tap(user: &TestUser, button: &str) -> BotMessage {
    user.press_and_see(button).await
}

/// Opens a class link and starts the questionnaire as a parent (Russian buttons).
async fn open_as_parent(user: &TestUser, link: &Link) -> BotMessage {
    let welcome = user.send_text(&link.start_command()).await;
    assert!(welcome.text.contains(&link.school) && welcome.text.contains(&link.class), "{}", welcome.text);
    let who = tap(user, "Начать").await;
    assert!(who.text.contains("Кто отвечает"), "{}", who.text);
    tap(user, "Родитель").await
}

/// The link of a class (class names are unique in the test roster).
fn link<'a>(links: &'a [Link], class: &str) -> &'a Link {
    links.iter().find(|l| l.class == class).unwrap_or_else(|| panic!("no link for class {class}"))
}

fn column(header: &[String], row: &[String], name: &str) -> String {
    let index = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    row[index].clone()
}

async fn two_parents_complete_the_noko_questionnaire_and_the_export_has_exactly_their_rows(mut app: TestApp) {
    let links = app.seed().await;
    assert_eq!(links.len(), 3);
    app.start_bot().await;

    // Parent A, in Russian: no stands (q2 not asked), website yes, no disability (q7 not asked),
    // remote contact yes, a free-text proposal.
    let a = app.api.user(7_123_456_789, "ru");
    let q1 = open_as_parent(&a, link(&links, "5Б")).await;
    assert!(q1.text.starts_with("Вопрос 1 из 15"), "{}", q1.text);
    assert!(q1.text.contains("информационных стендах"), "{}", q1.text);
    let q3 = tap(&a, "Нет").await;
    assert!(q3.text.starts_with("Вопрос 2 из 14"), "q2 is skipped: {}", q3.text);
    assert!(q3.text.contains("официальным сайтом"), "{}", q3.text);
    for (answer, expect_next) in [
        ("Да", "Вопрос 3 из 14"),  // q3 → q4
        ("Да", "Вопрос 4 из 14"),  // q4 → q5
        ("Да", "Вопрос 5 из 14"),  // q5 → q6
        ("Нет", "Вопрос 6 из 13"), // q6 → q8 (q7 skipped)
        ("Да", "Вопрос 7 из 13"),  // q8 → q9
        ("Нет", "Вопрос 8 из 13"), // q9 → q10
        ("Да", "Вопрос 9 из 13"),  // q10 → q11
        ("Да", "Вопрос 10 из 13"), // q11 → q12
        ("Да", "Вопрос 11 из 13"), // q12 → q13
        ("Да", "Вопрос 12 из 13"), // q13 → q14
        ("Да", "Вопрос 13 из 13"), // q14 → q15
    ] {
        let screen = tap(&a, answer).await;
        assert!(screen.text.starts_with(expect_next), "expected {expect_next:?}, got {}", screen.text);
    }
    let review = a.send_text("Больше кружков, пожалуйста").await;
    assert!(review.text.contains("Проверьте ответы"), "{}", review.text);
    assert!(review.text.contains("Больше кружков"), "{}", review.text);
    let thanks = tap(&a, "Отправить").await;
    assert!(thanks.text.contains("Спасибо"), "{}", thanks.text);
    assert!(!thanks.text.contains("ответили"), "the class count is hidden below 5 responses: {}", thanks.text);
    assert!(thanks.buttons.is_empty());

    // Parent B, in English, another class of the same school: stands yes, website no,
    // disability yes, no remote contact, skips the proposal.
    let b = app.api.user(6_987_654_321, "en");
    let welcome = b.send_text(&link(&links, "5А").start_command()).await;
    assert!(welcome.text.contains("anonymous"), "{}", welcome.text);
    tap(&b, "Start").await;
    let q1 = tap(&b, "Parent").await;
    assert!(q1.text.starts_with("Question 1 of 15"), "{}", q1.text);
    for answer in ["Yes", "Yes", "No", "No", "Yes", "No", "Yes", "Yes", "No", "Yes", "Yes", "No"] {
        tap(&b, answer).await;
    }
    let q15 = b.last_message();
    assert!(q15.text.contains("Skip"), "q15 is optional: {}", q15.text);
    let review = tap(&b, "Skip").await;
    assert!(review.text.contains("Please check your answers"), "{}", review.text);
    tap(&b, "Submit").await;

    // Nothing at rest links a person to a response: no draft left, no user id in any file.
    let sql = app.sql().await;
    let drafts = sql.count("SELECT COUNT(*) FROM drafts").await;
    assert_eq!(drafts, 0);
    let participations = sql.count("SELECT COUNT(*) FROM participations").await;
    assert_eq!(participations, 2);
    sql.close().await;
    for user in [&a, &b] {
        let id = user.id();
        let decimal = id.to_string();
        assert!(!app.keeps_user_id(id).await, "the database holds user id {id}");
        assert!(!app.bot_logs().contains(&decimal), "the log names user {id}");
    }
    assert!(!app.bot_logs().contains("Больше кружков"), "the log carries an answer");

    // The export after the campaign closes: one row each, skipped questions empty, no identity
    // columns, no submission time (only the day the ballot box released them).
    let (header, rows) = app.export().await;
    let mut expected_header = vec!["municipality", "school", "class", "audience", "released_on"];
    let question_ids: Vec<String> = (1..=15).map(|n| format!("q{n}")).collect();
    expected_header.extend(question_ids.iter().map(String::as_str));
    assert_eq!(header, expected_header);
    assert_eq!(rows.len(), 2);
    let today = chrono::Utc::now().date_naive();
    let row_a = rows.iter().find(|r| column(&header, r, "q15").contains("кружков")).expect("parent A's row");
    let row_b = rows.iter().find(|r| column(&header, r, "q15").is_empty()).expect("parent B's row");
    let answers = |row: &Vec<String>| -> Vec<String> { question_ids.iter().map(|q| column(&header, row, q)).collect() };
    assert_eq!(
        answers(row_a),
        [
            "no",
            "",
            "yes",
            "yes",
            "yes",
            "no",
            "",
            "yes",
            "no",
            "yes",
            "yes",
            "yes",
            "yes",
            "yes",
            "Больше кружков, пожалуйста"
        ]
    );
    assert_eq!(
        answers(row_b),
        ["yes", "yes", "no", "", "no", "yes", "no", "yes", "yes", "no", "", "yes", "yes", "no", ""]
    );
    for row in [row_a, row_b] {
        assert_eq!(column(&header, row, "municipality"), "Иркутск");
        assert_eq!(column(&header, row, "school"), "Школа № 1");
        assert_eq!(column(&header, row, "audience"), "parent");
        // One answer in each of two classes: neither class can be named, both are pooled.
        assert_eq!(column(&header, row, "class"), "");
        let day = column(&header, row, "released_on");
        let in_moscow = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Moscow).date_naive();
        assert!(day == in_moscow.to_string() || day == today.to_string(), "{day}");
    }
    // Skipped questions are not asked, not "no": no answer at all in the response.
    let sql = app.sql().await;
    let stored_q2 = sql.count("SELECT COUNT(*) FROM responses WHERE answers LIKE '%q2:%'").await;
    assert_eq!(stored_q2, 1, "only parent B was asked q2");

    let status = app.stop_bot().await;
    assert!(status.success(), "SIGTERM ends the bot with exit 0, got {status}");
}

async fn a_parent_answers_once_per_school_but_may_answer_for_another_school(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let parent = app.api.user(5_555_000_111, "ru");

    // One audience only: no "who are you" question.
    parent.send_text(&link(&links, "5А").start_command()).await;
    let q1 = tap(&parent, "Начать").await;
    assert!(q1.text.starts_with("Вопрос 1 из 15"), "{}", q1.text);
    complete_with_no(&parent).await;

    for class in ["5А", "5Б"] {
        let refusal = parent.send_text(&link(&links, class).start_command()).await;
        assert!(refusal.text.contains("уже ответили"), "{}", refusal.text);
        assert!(refusal.buttons.is_empty());
    }
    // Another school of the same campaign is a separate answer.
    let other_school = parent.send_text(&link(&links, "9В").start_command()).await;
    assert!(other_school.text.contains("Лицей № 2"), "{}", other_school.text);
    assert!(other_school.has_button("Начать"));
    tap(&parent, "Начать").await;
    complete_with_no(&parent).await;

    let (_, rows) = app.export().await;
    assert_eq!(rows.len(), 2);
}

async fn the_class_count_appears_from_the_fifth_response(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    for n in 1..=5 {
        let parent = app.api.user(8_000_000_000 + n, "ru");
        parent.send_text(&link(&links, "5А").start_command()).await;
        tap(&parent, "Начать").await;
        complete_with_no(&parent).await;
        let thanks = parent.last_message().text;
        if n < 5 {
            assert!(!thanks.contains("ответили"), "response {n}: {thanks}");
        } else {
            assert!(thanks.contains("В классе 5А уже ответили родители: 5 из 25 (20,0%)."), "{thanks}");
        }
    }
}

/// Answers "Нет" everywhere (so every conditional question is skipped) and submits.
async fn complete_with_no(user: &TestUser) {
    for _ in 0..10 {
        tap(user, "Нет").await;
    }
    let review = tap(user, "Пропустить").await;
    assert!(review.text.contains("Проверьте ответы"), "{}", review.text);
    let thanks = tap(user, "Отправить").await;
    assert!(thanks.text.contains("Спасибо"), "{}", thanks.text);
}

async fn two_submit_presses_at_once_store_one_response(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let parent = app.api.user(4_000_000_001, "ru");
    parent.send_text(&links[0].start_command()).await;
    tap(&parent, "Начать").await;
    for _ in 0..10 {
        tap(&parent, "Нет").await;
    }
    let review = tap(&parent, "Пропустить").await;
    let submit = review.button("Отправить").unwrap().callback_data.clone().unwrap();
    let first = parent.enqueue_press(review.message_id, &submit);
    let second = parent.enqueue_press(review.message_id, &submit);
    let (first, second) = (parent.wait_answer(&first).await, parent.wait_answer(&second).await);
    // One press submits (no notice); the other, whichever replica or moment it meets, is told.
    let (winner, loser) = if first.text.is_none() { (first, second) } else { (second, first) };
    assert_eq!(winner.text, None, "one of the presses submits");
    let told = |t: &str| t.contains("уже отправлена") || t.contains("уже сохранены");
    assert!(loser.text.as_deref().is_some_and(told), "{loser:?}");
    let (_, rows) = app.export().await;
    assert_eq!(rows.len(), 1);
}

async fn a_survey_survives_kill_9_and_continues_where_it_stopped(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let parent = app.api.user(3_000_000_002, "ru");
    open_as_parent(&parent, &links[0]).await;
    tap(&parent, "Да").await; // q1
    let q3 = tap(&parent, "Нет").await; // q2 → q3
    assert!(q3.text.starts_with("Вопрос 3 из 15"), "{}", q3.text);

    app.kill_bot().await;
    // Even while a survey is unfinished, its draft is keyed by a keyed hash of the chat: the
    // chat id is nowhere in the database.
    assert!(!app.stores_user_id(parent.id()).await);
    app.start_bot().await;

    let offer = parent.send_text("/start").await;
    assert!(offer.text.contains("незаконченная анкета"), "{}", offer.text);
    let resumed = tap(&parent, "Продолжить").await;
    assert!(resumed.text.starts_with("Вопрос 3 из 15"), "{}", resumed.text);
    assert!(resumed.text.contains("официальным сайтом"), "{}", resumed.text);
    // Back shows the earlier answer ticked.
    let q2 = tap(&parent, "Назад").await;
    assert!(q2.has_button("✓ Нет"), "{:?}", q2.button_texts());
    tap(&parent, "Нет").await;
    // The same link again offers to continue or start over; starting over begins at the welcome.
    let offer = parent.send_text(&links[0].start_command()).await;
    assert!(offer.has_button("Продолжить") && offer.has_button("Начать заново"), "{:?}", offer.button_texts());
    let welcome = tap(&parent, "Начать заново").await;
    assert!(welcome.has_button("Начать"), "{:?}", welcome.button_texts());
    // /cancel discards the draft.
    let cancelled = parent.send_text("/cancel").await;
    assert!(cancelled.text.contains("удалены"), "{}", cancelled.text);
    let sql = app.sql().await;
    let drafts = sql.count("SELECT COUNT(*) FROM drafts").await;
    assert_eq!(drafts, 0);
}

/// The bot keeps the draft it stored last in memory, so the next press costs one database write
/// (`bot::draft_cache`); what it holds of a respondent goes with their next update. Read through
/// `/metrics` as an operator would: after a submit or a `/cancel`, nothing of theirs is held.
async fn a_submitted_or_cancelled_survey_leaves_nothing_in_the_bots_memory(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot_with(&[("ANKETA_LISTEN", "127.0.0.1:0")]).await;
    let addr = [app.listening_address(1).await];
    let held = || metric(&addr, "anketa_drafts_held", "");

    let finishing = app.api.user(4_100_000_001, "ru");
    let cancelling = app.api.user(4_100_000_002, "ru");
    for parent in [&finishing, &cancelling] {
        parent.send_text(&links[0].start_command()).await;
        tap(parent, "Начать").await;
        tap(parent, "Нет").await;
    }
    assert_eq!(held().await, 2.0, "each respondent's last step is held for their next press");
    for _ in 0..9 {
        tap(&finishing, "Нет").await;
    }
    tap(&finishing, "Пропустить").await;
    let thanks = tap(&finishing, "Отправить").await;
    assert!(thanks.text.contains("Спасибо"), "{}", thanks.text);
    assert_eq!(held().await, 1.0, "the submitted survey is not held");
    let cancelled = cancelling.send_text("/cancel").await;
    assert!(cancelled.text.contains("удалены"), "{}", cancelled.text);
    assert_eq!(held().await, 0.0, "the cancelled survey is not held");
    let (_, rows) = app.export().await;
    assert_eq!(rows.len(), 1);
}

on_both_engines!(a_submitted_or_cancelled_survey_leaves_nothing_in_the_bots_memory);

on_every_deployment!(
    the_class_count_appears_from_the_fifth_response,
    two_parents_complete_the_noko_questionnaire_and_the_export_has_exactly_their_rows,
    a_parent_answers_once_per_school_but_may_answer_for_another_school,
    two_submit_presses_at_once_store_one_response,
    a_survey_survives_kill_9_and_continues_where_it_stopped,
);
