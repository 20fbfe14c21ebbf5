//! Daily digests through the real binary with a set clock (`ANKETA_CLOCK`): due at 09:00 in each
//! school's timezone, caught up after downtime, never repeated across restarts or by two
//! processes at once, the change since the previous day, the final digest, 429 and 403.

mod support;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use support::bot_api::{Failure, TestUser};
use support::{Link, TestApp};

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + chrono::Duration::days(offset)
}

/// `ANKETA_CLOCK` at a UTC time of the day `offset` days from today.
fn clock(offset: i64, utc_time: &str) -> String {
    format!("{}T{utc_time}Z", day(offset))
}

/// The digests a chat has received, in order.
fn digests(app: &TestApp, chat: i64) -> Vec<String> {
    app.api
        .all_calls()
        .into_iter()
        .filter(|c| c.ok && c.method.eq_ignore_ascii_case("sendMessage") && c.chat_id == Some(chat))
        .filter_map(|c| c.body["text"].as_str().map(String::from))
        .filter(|t| t.starts_with("📊") || t.starts_with("🏁") || t.starts_with("«autumn», ваш класс"))
        .collect()
}

async fn wait_for_digest(app: &TestApp, chat: i64) -> String {
    let call = app
        .api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == chat && b["text"].as_str().is_some_and(|t| t.starts_with("📊") || t.starts_with("🏁")),
            Duration::from_secs(20),
        )
        .await;
    call["text"].as_str().unwrap().to_string()
}

async fn respond(user: &TestUser, link: &Link) {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
    for _ in 0..10 {
        user.press("Нет").await;
    }
    user.press("Пропустить").await;
    user.press("Отправить").await;
}

fn link<'a>(links: &'a [Link], class: &str) -> &'a Link {
    links.iter().find(|l| l.class == class).unwrap()
}

const IRKUTSK: i64 = 910_001;
const MOSCOW: i64 = 910_002;

/// A campaign from yesterday to tomorrow; administrators of the Irkutsk school and the Moscow
/// lyceum, invited while it is 08:30 in Irkutsk (nothing due yet).
async fn two_schools(app: &mut TestApp) -> Vec<Link> {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 1).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "00:30:00"))]).await;
    for (user, school) in [(IRKUTSK, "Школа № 1"), (MOSCOW, "Лицей № 2")] {
        app.api.user(user, "ru").send_text(&app.invite(&["admin", "invite", "--school", school]).await).await;
    }
    links
}

async fn due_at_nine_in_each_timezone_once_a_day_with_the_change_and_a_final_one(mut app: TestApp) {
    let links = two_schools(&mut app).await;
    respond(&app.api.user(700_001, "ru"), link(&links, "5А")).await;
    app.stop_bot().await;
    assert!(digests(&app, IRKUTSK).is_empty(), "08:30 in Irkutsk: not yet");

    // 01:00 UTC: 09:00 in Irkutsk, 04:00 in Moscow.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "01:00:30"))]).await;
    let first = wait_for_digest(&app, IRKUTSK).await;
    // Multipart fields arrive as strings.
    app.api
        .wait_for_call_after(0, "sendPhoto", |b| b["chat_id"].as_str() == Some("910001"), Duration::from_secs(20))
        .await;
    app.stop_bot().await;
    let chart = app.api.uploads().into_iter().find(|u| u.chat_id == Some(IRKUTSK)).expect("the chart");
    assert_eq!(&chart.bytes[1..4], b"PNG");
    assert!(first.contains("Школа № 1") && first.contains("• 5А — родители: 1 из 25 (4,0%) ⚠"), "{first}");
    assert!(first.contains("Всего: родители: 1 из 45") && first.contains("Остался 1 день"), "{first}");
    assert!(digests(&app, MOSCOW).is_empty(), "04:00 in Moscow: not yet");

    // The bot was down at 09:00 Moscow time; at 11:00 it catches up, and Irkutsk gets no repeat.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "08:00:00"))]).await;
    let moscow = wait_for_digest(&app, MOSCOW).await;
    assert!(moscow.contains("Лицей № 2") && moscow.contains("• 9В — родители: 0 из 30"), "{moscow}");
    respond(&app.api.user(700_002, "ru"), link(&links, "5А")).await;
    app.stop_bot().await;
    assert_eq!(digests(&app, IRKUTSK).len(), 1);

    // The next morning: the change since yesterday, and the last day.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "01:00:30"))]).await;
    app.api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == IRKUTSK && b["text"].as_str().is_some_and(|t| t.contains("последний день")),
            Duration::from_secs(20),
        )
        .await;
    app.stop_bot().await;
    let second = digests(&app, IRKUTSK).pop().unwrap();
    assert!(
        second.contains("• 5А — родители: 2 из 25 (8,0%) ⚠ +1")
            && second.contains("• 5Б — родители: 0 из 20 (0,0%) ⚠ +0"),
        "{second}"
    );

    // The day after the end: the final digest; the day after that, nothing.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(2, "01:00:30"))]).await;
    app.api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == IRKUTSK && b["text"].as_str().is_some_and(|t| t.starts_with("🏁")),
            Duration::from_secs(20),
        )
        .await;
    app.stop_bot().await;
    let last = digests(&app, IRKUTSK).pop().unwrap();
    assert!(last.contains("завершён") && last.contains("ниже цели 40%") && !last.contains("Остал"), "{last}");
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(3, "01:00:30"))]).await;
    app.stop_bot().await;
    assert_eq!(digests(&app, IRKUTSK).len(), 3);
}

async fn two_processes_racing_send_each_digest_once(mut app: TestApp) {
    two_schools(&mut app).await;
    app.stop_bot().await;
    let at_nine = clock(0, "01:00:30");
    app.start_bot_with(&[("ANKETA_CLOCK", &at_nine)]).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &at_nine)]).await;
    wait_for_digest(&app, IRKUTSK).await;
    app.stop_bot().await;
    assert_eq!(digests(&app, IRKUTSK).len(), 1);
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM digest_deliveries WHERE outcome = 'sent'").await, 1);
}

async fn a_429_is_waited_out_and_a_blocked_administrator_is_left_alone(mut app: TestApp) {
    two_schools(&mut app).await;
    app.stop_bot().await;
    app.api.set_failure("sendMessage", Some(Failure::TooManyRequests { retry_after: 1 }));
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "01:00:30"))]).await;
    wait_for_digest(&app, IRKUTSK).await;
    app.stop_bot().await;
    let refused =
        app.api.all_calls().into_iter().filter(|c| c.method.eq_ignore_ascii_case("sendMessage") && !c.ok).count();
    assert_eq!(refused, 1, "one 429, then the same digest went through");

    app.api.set_failure("sendMessage", Some(Failure::Forbidden));
    let before = app.api.seq();
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "01:00:30"))]).await;
    // A stop ends a round between two digests: this one is let be tried first.
    app.api.wait_for_call_after(before, "sendMessage", |b| b["chat_id"] == IRKUTSK, Duration::from_secs(20)).await;
    app.stop_bot().await;
    app.api.set_failure("sendMessage", None);
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM digest_deliveries WHERE outcome = 'blocked'").await, 1);
    assert_eq!(sql.count("SELECT COUNT(*) FROM staff WHERE active = FALSE").await, 1);
    let tried = app.api.all_calls().len();
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(2, "01:00:30"))]).await;
    app.stop_bot().await;
    let to_irkutsk_after = app.api.all_calls()[tried..]
        .iter()
        .filter(|c| c.method.eq_ignore_ascii_case("sendMessage") && c.chat_id == Some(IRKUTSK))
        .count();
    assert_eq!(to_irkutsk_after, 0, "no retries forever to someone who blocked the bot");
}

async fn digest_preview_and_send_from_the_command_line(mut app: TestApp) {
    let links = two_schools(&mut app).await;
    respond(&app.api.user(700_003, "ru"), link(&links, "5Б")).await;
    let teacher = app.api.user(910_003, "ru");
    let before = app.api.seq();
    teacher.enqueue_text(&app.invite(&["teacher", "invite", "--school", "Школа № 1", "--class", "5Б"]).await);
    support::outputs(&teacher, before, 3).await;
    assert!(teacher.send_text("/digest on").await.text.contains("каждое утро"));
    app.stop_bot().await;

    let preview = app.cli(&["digest", "preview", "--school", "Школа № 1"]).await;
    assert!(preview.contains("• 5Б — родители: 1 из 20 (5,0%) ⚠"), "{preview}");
    assert!(preview.contains("Школа № 1") && !preview.contains("— —"), "the school is named: {preview}");
    assert!(digests(&app, IRKUTSK).is_empty(), "a preview sends nothing");

    let out = app.cli(&["digest", "send", "--school", "Школа № 1"]).await;
    assert!(out.contains("Сводки отправлены: 2;"), "the school administrator and the opted-in teacher: {out}");
    assert_eq!(digests(&app, IRKUTSK).len(), 1);
    assert!(digests(&app, MOSCOW).is_empty(), "another school");
    let line = digests(&app, 910_003).pop().expect("the teacher's line");
    assert!(line.contains("5Б — родители: 1 из 20"), "{line}");
    let again = app.cli(&["digest", "send"]).await;
    assert!(again.contains("Сводки отправлены: 1;"), "only Moscow had none today: {again}");
}

/// A digest is sent outside any update, in the language the recipient's Telegram last spoke.
async fn digests_speak_each_recipients_language(mut app: TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], -1, 1).await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "00:30:00"))]).await;
    for (user, language, school) in [(IRKUTSK, "ru", "Школа № 1"), (MOSCOW, "en", "Лицей № 2")] {
        app.api.user(user, language).send_text(&app.invite(&["admin", "invite", "--school", school]).await).await;
    }
    app.stop_bot().await;
    // 08:00 UTC: past nine in Irkutsk and in Moscow.
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(0, "08:00:00"))]).await;
    let english = wait_for_digest(&app, MOSCOW).await;
    let russian = wait_for_digest(&app, IRKUTSK).await;
    assert!(english.contains("In all: parents: 0 of 30") && english.contains("1 day left"), "{english}");
    assert!(russian.contains("Всего: родители: 0 из 45"), "{russian}");
    // The Moscow administrator's Telegram now speaks Russian; the next digest follows it.
    app.api.user(MOSCOW, "ru").send_text("/stats").await;
    app.stop_bot().await;
    app.start_bot_with(&[("ANKETA_CLOCK", &clock(1, "08:00:00"))]).await;
    app.api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == MOSCOW && b["text"].as_str().is_some_and(|t| t.contains("Всего: родители: 0 из 30")),
            Duration::from_secs(20),
        )
        .await;
}

on_every_deployment!(two_processes_racing_send_each_digest_once);
on_both_engines!(
    due_at_nine_in_each_timezone_once_a_day_with_the_change_and_a_final_one,
    a_429_is_waited_out_and_a_blocked_administrator_is_left_alone,
    digest_preview_and_send_from_the_command_line,
    digests_speak_each_recipients_language,
);
