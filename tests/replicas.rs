//! Webhook mode and scale-out through the real binary: three replicas on one PostgreSQL database
//! behind a balancer that sprays the updates of the same chats over all of them. Respondents (some
//! double-tapping) each complete once with exactly the answers they gave; a replica stopped under
//! load exits 0 and loses nothing; requests without the shared secret are refused; `/healthz`
//! follows the database and `/metrics` counts what happened.

mod support;

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use support::bot_api::{BotMessage, Failure, TestUser};
use support::{Link, TestApp, WEBHOOK_PATH, WEBHOOK_SECRET, metric};

/// A virtual parent answering `noko-parents` at random (seeded): yes/no questions, a proposal
/// typed or skipped, some buttons tapped twice at once. Returns the answers given, in order,
/// as the export writes them.
async fn answer_at_random(user: TestUser, link: Link, seed: u64, double_taps: bool) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut given = Vec::new();
    let mut screen = user.send_text(&link.start_command()).await;
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 60, "the questionnaire does not end: {}", screen.text);
        if screen.text.contains("Спасибо") {
            return given;
        }
        let (button, answer) = if screen.has_button("Начать") {
            ("Начать", None)
        } else if screen.has_button("Родитель") {
            ("Родитель", None)
        } else if screen.has_button("Да") && screen.has_button("Нет") {
            if rng.gen_bool(0.5) { ("Да", Some("yes")) } else { ("Нет", Some("no")) }
        } else if screen.has_button("Пропустить") {
            if rng.gen_bool(0.5) {
                let proposal = format!("Предложение {seed}");
                screen = user.send_text(&proposal).await;
                given.push(proposal);
                continue;
            }
            ("Пропустить", None)
        } else if screen.has_button("Отправить") {
            ("Отправить", None)
        } else {
            panic!("an unexpected screen: {screen:?}");
        };
        screen = if double_taps && rng.gen_bool(0.3) {
            tap_twice(&user, &screen, button).await
        } else {
            tap(&user, button).await
        };
        given.extend(answer.map(str::to_string));
    }
}

/// Presses `button` and waits for the screen it leads to (twelve respondents pressing as fast as
/// the bot answers go beyond Telegram's 30 messages a second: a screen may come after its answer).
async fn tap(user: &TestUser, button: &str) -> BotMessage {
    user.press_and_see(button).await
}

/// Two presses of one button at once: one is applied, the other is told the button is old.
async fn tap_twice(user: &TestUser, screen: &BotMessage, button: &str) -> BotMessage {
    let data = screen.button(button).unwrap().callback_data.clone().unwrap();
    let pressed = user.seq();
    let first = user.enqueue_press(screen.message_id, &data);
    let second = user.enqueue_press(screen.message_id, &data);
    let answers = [user.wait_answer(&first).await, user.wait_answer(&second).await];
    let applied = answers.iter().filter(|a| a.text.is_none()).count();
    assert_eq!(applied, 1, "exactly one of two presses of {button:?} is applied: {answers:?}");
    // The screen the applied one leads to (it may come after the answers).
    user.wait_output_after(pressed).await
}

/// The non-empty answer cells of each exported row, in question order.
async fn exported_answers(app: &TestApp) -> Vec<Vec<String>> {
    let (header, rows) = app.export().await;
    let questions: Vec<usize> = header.iter().enumerate().filter(|(_, h)| h.starts_with('q')).map(|(i, _)| i).collect();
    rows.iter().map(|row| questions.iter().map(|&i| row[i].clone()).filter(|a| !a.is_empty()).collect()).collect()
}

fn sorted(mut answers: Vec<Vec<String>>) -> Vec<Vec<String>> {
    answers.sort();
    answers
}

#[tokio::test]
async fn respondents_sprayed_over_three_replicas_each_complete_once_with_their_answers() {
    let mut app = TestApp::replicas().await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;

    let respondents = (0..12).map(|n| {
        let user = app.api.user(8_100_000_000 + n, "ru");
        answer_at_random(user, links[n as usize % links.len()].clone(), n as u64, n % 2 == 1)
    });
    let given = futures_util::future::join_all(respondents).await;

    assert_eq!(sorted(exported_answers(&app).await), sorted(given.clone()), "each response once, as given");
    let answered = app.balancer.as_ref().unwrap().answered();
    assert!(answered.iter().all(|(_, n)| *n > 10), "every replica took a share of the updates: {answered:?}");
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 0);
    assert_eq!(sql.count("SELECT COUNT(*) FROM participations").await, 12);
    sql.close().await;

    // The metrics add up over the replicas.
    let replicas = app.replica_addrs.clone();
    // Four answers per class, fewer than five: all still sealed, so no counter has moved (a counter
    // moves per release, never per response; the export above was of the campaign closed by CLI).
    assert_eq!(metric(&replicas, "anketa_responses_released_total", "").await, 0.0);
    assert_eq!(metric(&replicas, "anketa_drafts_open", "").await, 0.0);
    let messages = metric(&replicas, "anketa_updates_total", "kind=\"message\"").await;
    let presses = metric(&replicas, "anketa_updates_total", "kind=\"callback_query\"").await;
    let steps = metric(&replicas, "anketa_step_duration_seconds_count", "").await;
    let delivered = app.api.deliveries().iter().filter(|d| d.status == Some(200)).count() as f64;
    assert_eq!(messages + presses, delivered, "every delivered update is counted once");
    assert_eq!(steps, delivered, "every update is timed");
    let fast = metric(&replicas, "anketa_step_duration_seconds_bucket", "le=\"10\"").await;
    assert_eq!(fast, steps, "the histogram has every step under its top bucket");
    app.stop_bot().await;
}

#[tokio::test]
async fn a_replica_stopped_under_load_exits_cleanly_and_loses_nothing() {
    let mut app = TestApp::replicas().await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;

    let respondents: Vec<_> = (0..12)
        .map(|n| {
            let user = app.api.user(8_200_000_000 + n, "ru");
            tokio::spawn(answer_at_random(user, links[n as usize % links.len()].clone(), 100 + n as u64, false))
        })
        .collect();
    // Stop one replica while the respondents are mid-way, then bring a fresh one in.
    app.api.wait_for_call_after(0, "answerCallbackQuery", |_| true, std::time::Duration::from_secs(10)).await;
    app.stop_one(0).await;
    app.start_replica(&[]).await;
    let mut given = Vec::new();
    for respondent in respondents {
        given.push(respondent.await.expect("a respondent finished"));
    }

    assert_eq!(sorted(exported_answers(&app).await), sorted(given), "no answer lost or doubled");
    // Every update was handled exactly once: one 200 for each, whatever the retries.
    let mut handled: HashMap<u32, usize> = HashMap::new();
    for delivery in app.api.deliveries().into_iter().filter(|d| d.status == Some(200)) {
        *handled.entry(delivery.update_id).or_default() += 1;
    }
    assert!(handled.values().all(|n| *n == 1), "an update was handled twice");
    assert!(app.bot_logs().contains("stopping: finishing the work in flight"));
    app.stop_bot().await;
}

/// Presses `button` of `screen` by posting the update to the replica at `replica` itself, as the
/// proxy would have sent it there; the button's answer once it is handled.
async fn press_at(user: &TestUser, replica: std::net::SocketAddr, screen: &BotMessage, button: &str) -> Option<String> {
    static UPDATE_ID: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(950_000);
    let data = screen.button(button).unwrap_or_else(|| panic!("no {button:?} on {screen:?}")).callback_data.clone();
    let (id, press) = user.press_payload(screen.message_id, &data.unwrap());
    let update_id = UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let posted = reqwest::Client::new()
        .post(format!("http://{replica}{WEBHOOK_PATH}"))
        .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
        .json(&json!({"update_id": update_id, "callback_query": press}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200, "the replica handled the press");
    user.wait_answer(&id).await.text
}

/// Each replica keeps the draft it stored last for the chat's next press (`bot::draft_cache`). A
/// step taken meanwhile on another replica makes that copy old; a press on the older screen that
/// reaches the first replica must be judged by the database, not taken on the copy.
#[tokio::test]
async fn a_replica_holding_an_older_copy_of_a_draft_does_not_take_a_step_on_it() {
    let mut app = TestApp::replicas().await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let (first, second) = (app.replica_addrs[0], app.replica_addrs[1]);
    let parent = app.api.user(8_400_000_001, "ru");
    let welcome = parent.send_text(&links[0].start_command()).await;

    let seq = parent.seq();
    assert_eq!(press_at(&parent, first, &welcome, "Начать").await, None);
    let q1 = parent.wait_output_after(seq).await;
    assert!(q1.text.starts_with("Вопрос 1 из"), "{}", q1.text);
    // The first replica keeps the draft at the first question; the answer goes through the second.
    let seq = parent.seq();
    assert_eq!(press_at(&parent, second, &q1, "Нет").await, None);
    let q2 = parent.wait_output_after(seq).await;
    assert!(q2.text.starts_with("Вопрос 2 из"), "{}", q2.text);
    // The first question's screen pressed again, at the first replica: its copy is at exactly that
    // screen, but the database has moved on.
    let notice = press_at(&parent, first, &q1, "Да").await;
    assert!(notice.as_deref().is_some_and(|n| n.contains("старого экрана")), "{notice:?}");

    // The answer stored for the first question is the one given through the second replica.
    for _ in 0..9 {
        parent.press_and_see("Нет").await;
    }
    parent.press_and_see("Пропустить").await;
    let thanks = parent.press_and_see("Отправить").await;
    assert!(thanks.text.contains("Спасибо"), "{}", thanks.text);
    let answers = exported_answers(&app).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0][0], "no", "q1 as answered: {answers:?}");
    app.stop_bot().await;
}

#[tokio::test]
async fn webhook_requests_without_the_shared_secret_are_refused() {
    let mut app = TestApp::replicas().await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let replica = app.replica_addrs[0];
    let update = |id: i64| {
        json!({"update_id": id, "message": {
            "message_id": id, "date": 1_700_000_000, "text": links[0].start_command(),
            "chat": {"id": 8_300_000_001_i64, "type": "private", "first_name": "M"},
            "from": {"id": 8_300_000_001_i64, "is_bot": false, "first_name": "M", "language_code": "ru"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]
        }})
    };
    let http = reqwest::Client::new();
    let url = format!("http://{replica}{WEBHOOK_PATH}");
    let through_balancer = app.balancer.as_ref().unwrap().url(WEBHOOK_PATH);
    for (target, secret) in [(&url, None), (&url, Some("wrong-secret")), (&through_balancer, None)] {
        let mut request = http.post(target.as_str()).json(&update(900));
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        assert_eq!(request.send().await.unwrap().status(), 401, "{target} with {secret:?}");
    }
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 0, "a refused update changes nothing");
    assert!(app.api.calls("sendMessage").is_empty(), "and gets no reply");

    let accepted = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
        .json(&update(901))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    // Answered only after the update was handled: the welcome was sent and the draft stored.
    assert_eq!(app.api.calls("sendMessage").len(), 1);
    assert_eq!(sql.count("SELECT COUNT(*) FROM drafts").await, 1);
    sql.close().await;
    let garbage = http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET).body("{").send();
    assert_eq!(garbage.await.unwrap().status(), 400);
    app.stop_bot().await;
}

#[tokio::test]
async fn healthz_follows_the_database_and_metrics_count_telegram_errors() {
    let mut app = TestApp::replicas().await;
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let replicas = app.replica_addrs.clone();

    // A 429 from Telegram while answering is waited out (the reply is not lost) and counted.
    app.api.set_failure("sendMessage", Some(Failure::TooManyRequests { retry_after: 1 }));
    let user = app.api.user(8_400_000_001, "ru");
    let reply = user.send_text("/start").await;
    assert!(reply.text.contains("откройте ссылку"), "the reply itself arrives: {}", reply.text);
    assert_eq!(metric(&replicas, "anketa_telegram_api_errors_total", "code=\"429\"").await, 1.0);
    let mut text = String::new();
    for addr in &replicas {
        let metrics = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
        assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        text.push_str(&metrics.text().await.unwrap());
    }
    assert!(text.contains("# TYPE anketa_step_duration_seconds histogram"), "{text}");
    assert!(text.contains("anketa_drafts_open"), "{text}");

    for addr in &replicas {
        let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
    }
    // The database goes away: every replica says so.
    let sql = app.sql().await;
    sql.close().await;
    app.drop_database().await;
    for addr in &replicas {
        let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
        assert_eq!(health.status(), 503, "{addr} reports the database gone");
    }
    app.stop_bot().await;
}

#[tokio::test]
async fn polling_mode_serves_healthz_and_metrics_when_asked_to() {
    let mut app = TestApp::new(support::Engine::Sqlite).await;
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot_with(&[("ANKETA_LISTEN", "127.0.0.1:0")]).await;
    let addr = app.listening_address(1).await;
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    app.api.user(8_500_000_001, "ru").send_text("/help").await;
    assert_eq!(metric(&[addr], "anketa_updates_total", "kind=\"message\"").await, 1.0);
    // The webhook path does not exist in polling mode.
    let posted = reqwest::Client::new().post(format!("http://{addr}{WEBHOOK_PATH}")).send().await.unwrap();
    assert_eq!(posted.status(), 404);
    app.stop_bot().await;
}
