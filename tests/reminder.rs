//! One gentle reminder through the real binary, with a set clock (`ANKETA_CLOCK`) moved on by
//! restarting the bot: sent once after `survey.remind_after` with what is left and two buttons,
//! never a second time, never at night in the school's timezone, not after «Нет, спасибо», not
//! after the campaign closed; and the class teacher's daily line counts the unfinished only from
//! the privacy threshold. Each run's round is known to be over when a later draft's reminder (a
//! canary) has arrived: drafts are reminded oldest first.

mod support;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use support::bot_api::TestUser;
use support::{Link, TestApp};

/// The reminder's last paragraph, in every reminder.
const FOOTER: &str = "Больше напоминаний не будет";

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + chrono::Duration::days(offset)
}

/// `ANKETA_CLOCK` at a UTC time of the day `offset` days from today (Школа № 1 is in Irkutsk,
/// UTC+8; Лицей № 2 in Moscow, UTC+3).
fn clock(offset: i64, utc_time: &str) -> String {
    format!("{}T{utc_time}Z", day(offset))
}

fn link<'a>(links: &'a [Link], class: &str) -> &'a Link {
    links.iter().find(|l| l.class == class).unwrap()
}

/// The reminders a chat has received, in order.
fn reminders(app: &TestApp, chat: i64) -> Vec<String> {
    app.api
        .all_calls()
        .into_iter()
        .filter(|c| c.ok && c.method.eq_ignore_ascii_case("sendMessage") && c.chat_id == Some(chat))
        .filter_map(|c| c.body["text"].as_str().map(String::from))
        .filter(|t| t.contains(FOOTER))
        .collect()
}

/// Opens the link and answers `answers` questions with «Нет»: a draft left half-way.
async fn leave_after(user: &TestUser, link: &Link, answers: usize) {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
    for _ in 0..answers {
        user.press("Нет").await;
    }
}

/// Waits (20 s) for the reminder to `user`.
async fn wait_for_reminder(app: &TestApp, user: &TestUser) -> String {
    let call = app
        .api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == user.id() && b["text"].as_str().is_some_and(|t| t.contains(FOOTER)),
            Duration::from_secs(20),
        )
        .await;
    call["text"].as_str().unwrap().to_string()
}

async fn one_reminder_after_the_set_time_and_continue_goes_on_where_it_stopped(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    // 10:00 in Irkutsk.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "02:00:00"))]).await;
    let parent = app.api.user(7_350_000_011, "ru");
    leave_after(&parent, link(&links, "5А"), 2).await;
    let total =
        parent.last_message().text.split("Вопрос 3 из ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    app.stop_bot().await;
    assert!(reminders(&app, parent.id()).is_empty(), "not before remind_after");
    assert!(!app.stores_user_id(parent.id()).await, "the chat id is kept sealed, never as itself");

    // 25 hours later, 11:00 in Irkutsk.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "03:00:00"))]).await;
    let reminder = wait_for_reminder(&app, &parent).await;
    assert!(
        reminder.contains(&format!("Вы ответили на 2 из {total} вопросов анкеты"))
            && reminder.contains("для школы «Школа № 1»"),
        "{reminder}"
    );
    let shown = parent.messages().into_iter().find(|m| m.text.contains(FOOTER)).unwrap();
    assert!(shown.has_button("Продолжить") && shown.has_button("Нет, спасибо"), "{:?}", shown.button_texts());
    parent.press("Продолжить").await;
    assert!(parent.last_message().text.contains(&format!("Вопрос 3 из {total}")), "{}", parent.last_message().text);
    // A canary draft, due at the next run.
    let canary = app.api.user(7_350_000_012, "ru");
    leave_after(&canary, link(&links, "5Б"), 1).await;
    app.stop_bot().await;

    // Another day, another round: the canary's reminder, none more to the parent.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(2, "04:00:00"))]).await;
    wait_for_reminder(&app, &canary).await;
    assert_eq!(reminders(&app, parent.id()).len(), 1, "never a second reminder for the same draft");

    // The draft went on where it stopped; once finished, the chat id is nowhere.
    for _ in 0..40 {
        let screen = parent.last_message();
        if screen.has_button("Отправить") {
            parent.press("Отправить").await;
            break;
        }
        parent.press(if screen.has_button("Нет") { "Нет" } else { "Пропустить" }).await;
    }
    assert!(parent.last_message().text.contains("Спасибо"), "{}", parent.last_message().text);
    assert!(!app.keeps_user_id(parent.id()).await, "the chat id is gone with the draft");
    app.stop_bot().await;
}

async fn not_at_night_in_the_schools_timezone_but_in_the_morning(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "02:00:00"))]).await;
    let irkutsk = app.api.user(7_350_000_021, "ru");
    leave_after(&irkutsk, link(&links, "5А"), 1).await;
    // Лицей № 2 is in Moscow, where 15:00 UTC is 18:00: its draft is the canary.
    let moscow = app.api.user(7_350_000_022, "ru");
    leave_after(&moscow, link(&links, "9В"), 1).await;
    app.stop_bot().await;

    // 15:00 UTC: 23:00 in Irkutsk.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "15:00:00"))]).await;
    wait_for_reminder(&app, &moscow).await;
    app.stop_bot().await;
    assert!(reminders(&app, irkutsk.id()).is_empty(), "23:00 in Irkutsk: no reminder");

    // 01:30 UTC the next day: 09:30 in Irkutsk.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(2, "01:30:00"))]).await;
    let reminder = wait_for_reminder(&app, &irkutsk).await;
    assert!(reminder.contains("Вы ответили на 1 из"), "{reminder}");
    app.stop_bot().await;
    assert_eq!(reminders(&app, moscow.id()).len(), 1);
}

async fn no_thanks_deletes_the_draft_and_the_link_starts_afresh(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "02:00:00"))]).await;
    let parent = app.api.user(7_350_000_031, "ru");
    leave_after(&parent, link(&links, "5А"), 3).await;
    app.stop_bot().await;

    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "03:00:00"))]).await;
    wait_for_reminder(&app, &parent).await;
    parent.press("Нет, спасибо").await;
    let answer = parent.last_message().text;
    assert!(answer.contains("Незаконченные ответы удалены"), "{answer}");
    assert_eq!(app.sql().await.count("SELECT COUNT(*) FROM drafts").await, 0);
    assert!(!app.keeps_user_id(parent.id()).await, "nothing of the draft is kept, the chat id neither");

    // The link starts afresh, at the welcome, not at question 4.
    parent.send_text(&link(&links, "5А").start_command()).await;
    let welcome = parent.last_message();
    assert!(welcome.text.contains("Здравствуйте") && welcome.has_button("Начать"), "{}", welcome.text);
    app.stop_bot().await;
    assert_eq!(reminders(&app, parent.id()).len(), 1);
}

async fn no_reminder_after_the_campaign_closed(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    // A second campaign, open, for the canary.
    app.cli(&[
        "campaign",
        "create",
        "--name",
        "spring",
        "--questionnaire",
        "noko-parents",
        "--starts",
        &day(-1).to_string(),
        "--ends",
        &day(3).to_string(),
        "--target-percent",
        "40",
        "--allow-past-start",
    ])
    .await;
    let spring = app.export_links("spring").await;
    let spring = link(&spring, "5Б").clone();
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "02:00:00"))]).await;
    let parent = app.api.user(7_350_000_041, "ru");
    leave_after(&parent, link(&links, "5А"), 2).await;
    let canary = app.api.user(7_350_000_042, "ru");
    leave_after(&canary, &spring, 1).await;
    app.stop_bot().await;
    app.cli(&["campaign", "close", "autumn"]).await;

    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "03:00:00"))]).await;
    wait_for_reminder(&app, &canary).await;
    app.stop_bot().await;
    assert!(reminders(&app, parent.id()).is_empty(), "the campaign is closed: no reminder");
}

async fn a_shorter_remind_after_from_the_environment(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "02:00:00"))]).await;
    let parent = app.api.user(7_350_000_051, "ru");
    leave_after(&parent, link(&links, "5А"), 1).await;
    app.stop_bot().await;

    // Two hours later (12:00 in Irkutsk), with `ANKETA_REMIND_AFTER=90m`.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "04:00:00")), ("ANKETA_REMIND_AFTER", "90m")]).await;
    let reminder = wait_for_reminder(&app, &parent).await;
    assert!(reminder.contains("Вы ответили на 1 из"), "{reminder}");
    app.stop_bot().await;
}

/// The class teacher's daily line at 09:00 in Irkutsk (01:00 UTC) on day `offset`.
async fn teacher_line(app: &mut TestApp, teacher: i64, offset: i64) -> String {
    let before = app.api.seq();
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(offset, "01:00:30"))]).await;
    let call = app
        .api
        .wait_for_call_after(
            before,
            "sendMessage",
            |b| b["chat_id"] == teacher && b["text"].as_str().is_some_and(|t| t.starts_with("«autumn», ваш класс")),
            Duration::from_secs(20),
        )
        .await;
    call["text"].as_str().unwrap().to_string()
}

async fn the_teachers_line_counts_the_unfinished_only_from_the_threshold(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 3).await;
    // 08:30 in Irkutsk: no digest due yet.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "00:30:00"))]).await;
    const TEACHER: i64 = 920_001;
    let teacher = app.api.user(TEACHER, "ru");
    let before = app.api.seq();
    teacher.enqueue_text(&app.invite(&["teacher", "invite", "--school", "Школа № 1", "--class", "5А"]).await);
    // The welcome, the class's QR code and the text to forward.
    support::outputs(&teacher, before, 3).await;
    assert!(teacher.send_text("/digest on").await.text.contains("каждое утро"));
    // Four started in 5А (below privacy.min_group_size = 5), one in 5Б.
    for n in 0..4 {
        leave_after(&app.api.user(7_350_000_100 + n, "ru"), link(&links, "5А"), 1).await;
    }
    leave_after(&app.api.user(7_350_000_200, "ru"), link(&links, "5Б"), 1).await;
    app.stop_bot().await;

    let first = teacher_line(&mut app, TEACHER, 0).await;
    assert!(!first.contains("не закончили"), "four are below the threshold: {first}");
    leave_after(&app.api.user(7_350_000_104, "ru"), link(&links, "5А"), 1).await;
    app.stop_bot().await;

    let second = teacher_line(&mut app, TEACHER, 1).await;
    assert!(second.contains("Начали анкету и ещё не закончили: 5"), "{second}");
    app.stop_bot().await;
}

on_both_engines!(
    one_reminder_after_the_set_time_and_continue_goes_on_where_it_stopped,
    not_at_night_in_the_schools_timezone_but_in_the_morning,
    no_thanks_deletes_the_draft_and_the_link_starts_afresh,
    no_reminder_after_the_campaign_closed,
    a_shorter_remind_after_from_the_environment,
    the_teachers_line_counts_the_unfinished_only_from_the_threshold,
);
