//! Database faults through the real binary: a SQLite file locked by another process longer than the
//! bot waits, and a PostgreSQL database switched to read-only. Each time the respondent is asked to
//! try again in a minute, the log says what failed, nothing is half-written, and the bot carries on
//! once the database does.

mod support;

use std::time::Duration;

use sqlx::Connection;
use support::bot_api::{BotMessage, TestUser};
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
