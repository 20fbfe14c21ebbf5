//! Database faults through the real binary: a SQLite file locked by another process longer than the
//! bot waits, and a PostgreSQL database switched to read-only. Each time the respondent is asked to
//! try again in a minute, the log says what failed, nothing is half-written, and the bot carries on
//! once the database does.

mod support;

use std::time::Duration;

use sqlx::Connection;
use support::bot_api::{BotMessage, Failure, TestUser};
use support::{Engine, TestApp};

const TRY_AGAIN: &str = "Попробуйте ещё раз через минуту";

/// Opens the first class link and starts as a parent: the first question's screen.
async fn at_the_first_question(app: &mut TestApp, user_id: i64) -> (TestUser, BotMessage) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let user = app.api.user(user_id, "ru");
    user.send_text(&links[0].start_command()).await;
    user.press("Начать").await;
    let screen = user.last_message();
    assert!(screen.text.starts_with("Вопрос 1 из"), "{}", screen.text);
    (user, screen)
}

/// Presses a button of `screen` and waits long enough for a bot that waits on the database.
async fn press_and_wait(user: &TestUser, screen: &BotMessage, button: &str) -> Option<String> {
    let data = screen.button(button).unwrap().callback_data.clone().unwrap();
    let id = user.enqueue_press(screen.message_id, &data);
    user.wait_answer_within(&id, Duration::from_secs(30)).await.text
}

async fn draft_state(app: &TestApp) -> (i64, String) {
    let sql = app.sql().await;
    let revision = sql.count("SELECT revision FROM drafts").await;
    let state = sql.text("SELECT state FROM drafts").await;
    sql.close().await;
    (revision, state)
}

#[tokio::test]
async fn a_locked_sqlite_database_gets_a_try_again_and_the_bot_recovers() {
    let mut app = TestApp::new(Engine::Sqlite).await;
    let (user, screen) = at_the_first_question(&mut app, 8_600_000_001).await;
    let before = draft_state(&app).await;

    // Another process takes the write lock and keeps it longer than the bot's busy timeout.
    let mut holder = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.unwrap();
    let notice = press_and_wait(&user, &screen, "Да").await;
    assert!(notice.as_deref().is_some_and(|n| n.contains(TRY_AGAIN)), "{notice:?}");
    assert!(app.bot_logs().contains("database is locked"), "the log names the cause");
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    assert_eq!(draft_state(&app).await, before, "nothing was half-written");

    // The lock is gone: the same button works.
    assert_eq!(press_and_wait(&user, &screen, "Да").await, None);
    assert!(user.last_message().text.starts_with("Вопрос 2 из"), "{}", user.last_message().text);
    app.stop_bot().await;
}

#[tokio::test]
async fn a_read_only_postgresql_database_gets_a_try_again_and_the_bot_recovers() {
    let mut app = TestApp::new(Engine::Postgres).await;
    let (user, screen) = at_the_first_question(&mut app, 8_600_000_002).await;
    let before = draft_state(&app).await;

    app.set_read_only(true).await;
    let notice = press_and_wait(&user, &screen, "Да").await;
    assert!(notice.as_deref().is_some_and(|n| n.contains(TRY_AGAIN)), "{notice:?}");
    assert!(app.bot_logs().contains("read-only transaction"), "the log names the cause");
    app.set_read_only(false).await;
    assert_eq!(draft_state(&app).await, before, "nothing was written");

    assert_eq!(press_and_wait(&user, &screen, "Да").await, None);
    assert!(user.last_message().text.starts_with("Вопрос 2 из"), "{}", user.last_message().text);
    app.stop_bot().await;
}

/// Telegram's passing failures while a parent answers: a 429 on editing, a proxy's 502 on
/// answering a button and on sending, a slow answer, a 429 on polling. Every reply still arrives,
/// each failure is met once (nothing gives up, nothing spins). teloxide itself waits 10 s after
/// any 5xx, hence the long waits here.
#[tokio::test]
async fn telegram_failures_lose_no_reply() {
    let mut app = TestApp::new(Engine::Sqlite).await;
    let (user, first) = at_the_first_question(&mut app, 8_600_000_003).await;

    app.api.set_failure("editMessageText", Some(Failure::TooManyRequests { retry_after: 1 }));
    assert_eq!(press_and_wait(&user, &first, "Да").await, None);
    let second = user.last_message();
    assert!(second.text.starts_with("Вопрос 2 из"), "the edit was retried: {}", second.text);

    app.api.set_failure("answerCallbackQuery", Some(Failure::BadGateway { times: 1 }));
    assert_eq!(press_and_wait(&user, &second, "Да").await, None, "the answer arrives after a 502");
    let third = user.last_message();
    assert!(third.text.starts_with("Вопрос 3 из"), "{}", third.text);

    app.api.set_failure("editMessageText", Some(Failure::Slow { times: 1, delay_ms: 3_000 }));
    assert_eq!(press_and_wait(&user, &third, "Нет").await, None);

    app.api.set_failure("getUpdates", Some(Failure::TooManyRequests { retry_after: 1 }));
    app.api.set_failure("sendMessage", Some(Failure::BadGateway { times: 1 }));
    let after = app.api.seq();
    user.enqueue_text("/help");
    let mut replies = Vec::new();
    for _ in 0..600 {
        replies = user.outputs_after(after);
        if !replies.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(replies.iter().any(|r| r.text.contains("/start")), "the help reply was re-sent: {replies:?}");

    let failed = app.api.all_calls().iter().filter(|c| !c.ok).count();
    assert_eq!(failed, 4, "each injected failure was met once");
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 1);
    sql.close().await;
    app.stop_bot().await;
}
