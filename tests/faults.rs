//! Faults through the real binary. The database: a SQLite file locked by another process longer
//! than the bot waits, a PostgreSQL database switched to read-only, and either one out of disk
//! space. Each time the respondent is asked to try again in a minute, the log says what failed,
//! nothing is half-written, and the bot carries on once the database does. A connection cut by a
//! PostgreSQL restart is different: the bot handles the update again, and nobody has to. Telegram: passing
//! errors, connections dropped without an answer and requests never answered; every reply still
//! arrives, each failure is met a bounded number of times.

mod support;

use std::time::Duration;

use sqlx::Connection;
use support::bot_api::{BotMessage, Failure, TestUser};
use support::disk::{SmallDisk, Tablespace};
use support::{Engine, TestApp, outputs_within};

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

/// Presses a button of `screen` and waits long enough for a bot that waits on the database (or
/// retries Telegram) until the press is answered successfully; returns the notice shown.
async fn press_and_wait(user: &TestUser, screen: &BotMessage, button: &str) -> Option<String> {
    press_and_wait_within(user, screen, button, Duration::from_secs(30)).await
}

async fn press_and_wait_within(user: &TestUser, screen: &BotMessage, button: &str, wait: Duration) -> Option<String> {
    let data = screen.button(button).unwrap().callback_data.clone().unwrap();
    let id = user.enqueue_press(screen.message_id, &data);
    user.wait_answered_within(&id, wait).await.text
}

/// What a press led to: the bot's first message after call number `after` (a button is
/// answered a second after the press at the latest, before an edit that is slower).
async fn screen_after(user: &TestUser, after: u64, wait: Duration) -> BotMessage {
    outputs_within(user, after, 1, wait).await.remove(0)
}

/// How many calls of `method` met an injected failure.
fn failed_calls(app: &TestApp, method: &str) -> usize {
    app.api.all_calls().iter().filter(|c| !c.ok && c.method.eq_ignore_ascii_case(method)).count()
}

/// Waits (up to `wait`) until `count` calls of `method` failed.
async fn wait_for_failed_calls(app: &TestApp, method: &str, count: usize, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    while failed_calls(app, method) < count {
        assert!(tokio::time::Instant::now() < deadline, "{count} failed {method} calls within {wait:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    // The bot waits out its busy timeout, longer than a button waits for its answer: the button is
    // answered at once, and the notice comes as a message.
    let pressed = app.api.seq();
    assert_eq!(press_and_wait(&user, &screen, "Да").await, None);
    let said = screen_after(&user, pressed, Duration::from_secs(30)).await;
    assert!(said.text.contains(TRY_AGAIN), "{}", said.text);
    assert!(app.bot_logs().contains("database is locked"), "the log names the cause");
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    assert_eq!(draft_state(&app).await, before, "nothing was half-written");

    // The lock is gone: the same button works.
    assert_eq!(press_and_wait(&user, &screen, "Да").await, None);
    user.wait_for_text("Вопрос 2 из").await;
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

/// PostgreSQL cuts the bot's connection in the middle of a press's write, as a restart or a
/// failover does («terminating connection due to administrator command»): the press is handled
/// again on a fresh connection, once, and the parent sees the next question without being told to
/// try again or tapping twice.
#[tokio::test]
async fn a_postgresql_connection_cut_mid_press_costs_no_second_tap() {
    let mut app = TestApp::new(Engine::Postgres).await;
    let (user, screen) = at_the_first_question(&mut app, 8_600_000_009).await;
    let (revision, _) = draft_state(&app).await;

    // The draft's row is locked, so the press's write waits in the server, where it is cut.
    let mut locker = sqlx::PgConnection::connect(&app.db_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("SELECT revision FROM drafts FOR UPDATE").execute(&mut locker).await.unwrap();
    let pressed = app.api.seq();
    let data = screen.button("Да").unwrap().callback_data.clone().unwrap();
    user.enqueue_press(screen.message_id, &data);
    let waiting = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let bots_backend: i32 = loop {
        if let Some(pid) = sqlx::query_scalar(waiting).fetch_optional(&mut locker).await.unwrap() {
            break pid;
        }
        assert!(tokio::time::Instant::now() < deadline, "the press's write waits for the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    sqlx::query("SELECT pg_terminate_backend($1)").bind(bots_backend).execute(&mut locker).await.unwrap();
    sqlx::query("COMMIT").execute(&mut locker).await.unwrap();
    locker.close().await.unwrap();

    let next = screen_after(&user, pressed, Duration::from_secs(20)).await;
    assert!(next.text.starts_with("Вопрос 2 из"), "the press went through: {}", next.text);
    assert!(user.messages().iter().all(|m| !m.text.contains(TRY_AGAIN)), "nobody was asked to try again");
    assert_eq!(draft_state(&app).await.0, revision + 1, "one step, taken once");
    assert!(app.bot_logs().contains("handling the update again"), "the log says it was handled again");
    app.stop_bot().await;
}

/// The SQLite file (and its write-ahead log) on a tmpfs that fills up while a parent answers: the
/// step that needs another page of log fails with SQLITE_FULL.
#[tokio::test]
async fn a_full_disk_under_sqlite_gets_a_try_again_and_the_bot_recovers() {
    let disk = SmallDisk::mount("16m", None);
    let mut app = TestApp::sqlite_in(disk.path()).await;
    let (user, screen) = at_the_first_question(&mut app, 8_600_000_004).await;
    assert!(app.db_file().starts_with(disk.path()), "the database is on the small disk");
    let before = draft_state(&app).await;

    disk.fill();
    let notice = press_and_wait(&user, &screen, "Да").await;
    assert!(notice.as_deref().is_some_and(|n| n.contains(TRY_AGAIN)), "{notice:?}");
    assert!(app.bot_logs().contains("database or disk is full"), "the log names the cause:\n{}", app.bot_logs());
    app.assert_running();
    disk.free();
    assert_eq!(draft_state(&app).await, before, "nothing was half-written");

    // There is room again: the same button works.
    assert_eq!(press_and_wait(&user, &screen, "Да").await, None);
    assert!(user.last_message().text.starts_with("Вопрос 2 из"), "{}", user.last_message().text);
    let (revision, _) = draft_state(&app).await;
    assert_eq!(revision, before.0 + 1, "the step was stored once");
    app.stop_bot().await;
}

/// The test database's tables on a tablespace on a tmpfs that is full when a parent opens the
/// class link: the first draft needs the first page of its table, and PostgreSQL cannot extend the
/// file. (A step on an existing draft fits in the page it is on, so it would not notice a full
/// disk until the page is full.)
#[tokio::test]
async fn a_full_disk_under_postgresql_gets_a_try_again_and_the_bot_recovers() {
    let space = Tablespace::create(&Tablespace::admin_url(), "16m").await;
    let mut app = TestApp::new(Engine::Postgres).await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    space.take_tables_of(&app).await;
    app.start_bot().await;
    let user = app.api.user(8_600_000_005, "ru");

    space.disk.fill();
    let reply = user.send_text(&links[0].start_command()).await;
    assert!(reply.text.contains(TRY_AGAIN), "{}", reply.text);
    let logs = app.bot_logs();
    assert!(
        logs.contains("could not extend file") && logs.contains("No space left on device"),
        "the log names the cause:\n{logs}"
    );
    app.assert_running();
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 0, "nothing was half-written");
    sql.close().await;

    space.disk.free();
    let welcome = user.send_text(&links[0].start_command()).await;
    assert!(welcome.has_button("Начать"), "the link works once there is room: {welcome:?}");
    user.press("Начать").await;
    assert!(user.last_message().text.starts_with("Вопрос 1 из"), "{}", user.last_message().text);
    app.stop_bot().await;
}

/// Connections that Telegram (or what is in between) closes without an answer, on every kind of
/// call a parent's step makes: editing the question, answering the button, sending a reply, and
/// polling. The calls are retried, each as often as it was cut and no more, and every reply
/// arrives once. None of this waits teloxide's 10 s for a 5xx.
#[tokio::test]
async fn dropped_connections_lose_no_reply() {
    let mut app = TestApp::new(Engine::Sqlite).await;
    let (user, first) = at_the_first_question(&mut app, 8_600_000_006).await;

    app.api.set_failure("editMessageText", Some(Failure::Dropped { times: 2 }));
    app.api.set_failure("answerCallbackQuery", Some(Failure::Dropped { times: 1 }));
    let pressed = app.api.seq();
    assert_eq!(press_and_wait(&user, &first, "Да").await, None, "the press is answered after a cut");
    let second = screen_after(&user, pressed, Duration::from_secs(10)).await;
    assert!(second.text.starts_with("Вопрос 2 из"), "the edit was retried: {}", second.text);

    // Polling is cut; the parent writes meanwhile, and the reply is cut three times (the most the
    // bot retries).
    app.api.set_failure("getUpdates", Some(Failure::Dropped { times: 1 }));
    wait_for_failed_calls(&app, "getUpdates", 1, Duration::from_secs(10)).await;
    app.api.set_failure("sendMessage", Some(Failure::Dropped { times: 3 }));
    let after = app.api.seq();
    user.enqueue_text("/help");
    let replies = outputs_within(&user, after, 1, Duration::from_secs(20)).await;
    assert!(replies.len() == 1 && replies[0].text.contains("/start"), "the help reply, once: {replies:?}");

    let calls = app.api.all_calls();
    let sends = calls.iter().filter(|c| c.seq > after && c.method.eq_ignore_ascii_case("sendMessage")).count();
    assert_eq!(sends, 4, "the reply was sent four times: three cut, one through");
    for (method, cut) in [("editMessageText", 2), ("answerCallbackQuery", 1), ("getUpdates", 1), ("sendMessage", 3)] {
        assert_eq!(failed_calls(&app, method), cut, "{method} was cut {cut} times and then went through");
    }
    assert_eq!(calls.iter().filter(|c| !c.ok).count(), 7, "no other call failed");
    assert!(user.last_message().text.contains("/start"), "{}", user.last_message().text);
    assert!(app.bot_logs().contains("connection closed before message completed"), "the log says why it retried");
    app.assert_running();
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 1);
    sql.close().await;
    app.stop_bot().await;
}

/// Telegram takes a long poll and never answers it, then takes the edit of the next question and
/// never answers that either: the bot's HTTP client gives up on each (teloxide's 17 s), polls
/// again, retries the edit, and the parent's press is answered. Each silence is met once.
#[tokio::test]
async fn a_silent_telegram_is_given_up_on_and_no_reply_is_lost() {
    let mut app = TestApp::new(Engine::Sqlite).await;
    let (user, first) = at_the_first_question(&mut app, 8_600_000_007).await;

    app.api.set_failure("getUpdates", Some(Failure::Hung { times: 1 }));
    wait_for_failed_calls(&app, "getUpdates", 1, Duration::from_secs(10)).await;
    app.api.set_failure("editMessageText", Some(Failure::Hung { times: 1 }));
    let hung_at = app.api.seq();
    assert_eq!(press_and_wait_within(&user, &first, "Да", Duration::from_secs(50)).await, None);
    let second = screen_after(&user, hung_at, Duration::from_secs(50)).await;
    assert!(second.text.starts_with("Вопрос 2 из"), "the edit was retried: {}", second.text);

    let calls = app.api.all_calls();
    let polled_again = calls.iter().any(|c| c.seq > hung_at && c.ok && c.method.eq_ignore_ascii_case("getUpdates"));
    assert!(polled_again, "the bot polled again after the silent poll");
    assert_eq!(failed_calls(&app, "getUpdates"), 1, "one silent poll");
    assert_eq!(failed_calls(&app, "editMessageText"), 1, "one silent edit");
    assert_eq!(calls.iter().filter(|c| !c.ok).count(), 2, "no other call failed");
    let edits = calls.iter().filter(|c| c.seq > hung_at && c.method.eq_ignore_ascii_case("editMessageText"));
    assert_eq!(edits.map(|c| c.ok).collect::<Vec<_>>(), [false, true], "the edit: silence, then one retry");
    app.assert_running();
    app.stop_bot().await;
}

/// Telegram's passing failures while a parent answers: a 429 on editing, a proxy's 502 on
/// answering a button and on sending, a slow answer, a 429 on polling. Every reply still arrives,
/// each failure is met once (nothing gives up, nothing spins).
#[tokio::test]
async fn telegram_failures_lose_no_reply() {
    let mut app = TestApp::new(Engine::Sqlite).await;
    let (user, first) = at_the_first_question(&mut app, 8_600_000_003).await;

    app.api.set_failure("editMessageText", Some(Failure::TooManyRequests { retry_after: 1 }));
    let pressed = app.api.seq();
    assert_eq!(press_and_wait(&user, &first, "Да").await, None);
    let second = screen_after(&user, pressed, Duration::from_secs(10)).await;
    assert!(second.text.starts_with("Вопрос 2 из"), "the edit was retried: {}", second.text);

    app.api.set_failure("answerCallbackQuery", Some(Failure::BadGateway { times: 1 }));
    assert_eq!(press_and_wait(&user, &second, "Да").await, None, "the answer arrives after a 502");
    let third = user.last_message();
    assert!(third.text.starts_with("Вопрос 3 из"), "{}", third.text);

    app.api.set_failure("editMessageText", Some(Failure::Slow { times: 1, delay_ms: 3_000 }));
    let pressed = app.api.seq();
    assert_eq!(press_and_wait(&user, &third, "Нет").await, None);
    screen_after(&user, pressed, Duration::from_secs(10)).await;

    app.api.set_failure("getUpdates", Some(Failure::TooManyRequests { retry_after: 1 }));
    app.api.set_failure("sendMessage", Some(Failure::BadGateway { times: 1 }));
    let after = app.api.seq();
    user.enqueue_text("/help");
    let replies = outputs_within(&user, after, 1, Duration::from_secs(60)).await;
    assert!(replies.iter().any(|r| r.text.contains("/start")), "the help reply was re-sent: {replies:?}");

    let failed = app.api.all_calls().iter().filter(|c| !c.ok).count();
    assert_eq!(failed, 4, "each injected failure was met once");
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 1);
    sql.close().await;
    app.stop_bot().await;
}
