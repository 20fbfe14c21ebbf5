//! One person cannot stall the bot, and no spinner turns longer than a second, through the real
//! binary against the stand-in, which answers 429 beyond Telegram's rate limits: a flood of messages
//! is dropped before it reaches the database or Telegram's budget (one «не так быстро» a minute),
//! another person's next screen comes as fast as without it, and a button is answered even while
//! the edit of its screen hangs.

mod support;

use std::time::{Duration, Instant};

use support::bot_api::{BotMessage, Failure, TestUser};
use support::{TestApp, metric, outputs_within};

/// The documented flood limits (the harness lifts them for scripted users).
const DOCUMENTED_LIMITS: [(&str, &str); 2] = [("ANKETA_FLOOD_BURST", "10"), ("ANKETA_FLOOD_PER_SECOND", "1")];
const SLOW_DOWN: &str = "не так быстро";

/// Opens the first class link and starts as a parent: the first question's screen.
async fn at_the_first_question(user: &TestUser, link: &support::Link) -> BotMessage {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
    let screen = user.last_message();
    assert!(screen.text.starts_with("Вопрос 1 из"), "{}", screen.text);
    screen
}

/// Presses `button` of `screen` and returns the screen it leads to and how long that took.
async fn timed_press(app: &TestApp, user: &TestUser, screen: &BotMessage, button: &str) -> (BotMessage, Duration) {
    let data = screen.button(button).unwrap().callback_data.clone().unwrap();
    let before = app.api.seq();
    let started = Instant::now();
    user.enqueue_press(screen.message_id, &data);
    let shown = outputs_within(user, before, 1, Duration::from_secs(60)).await;
    (shown[0].clone(), started.elapsed())
}

/// Messages sent to a chat after call number `after` whose text contains `needle`.
fn sent_to(app: &TestApp, after: u64, chat: i64, needle: &str) -> usize {
    app.api
        .all_calls()
        .iter()
        .filter(|c| c.seq > after && c.ok && c.method.eq_ignore_ascii_case("sendMessage") && c.chat_id == Some(chat))
        .filter(|c| c.body["text"].as_str().is_some_and(|text| text.contains(needle)))
        .count()
}

async fn a_flooding_user_does_not_delay_anybody_else(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    // With the HTTP server, for its /metrics.
    app.start_bot_with(&[DOCUMENTED_LIMITS[0], DOCUMENTED_LIMITS[1], ("ANKETA_LISTEN", "127.0.0.1:0")]).await;
    let processes =
        if app.balancer.is_some() { app.replica_addrs.clone() } else { vec![app.listening_address(1).await] };
    let (flooder, other) = (app.api.user(8_700_000_001, "ru"), app.api.user(8_700_000_002, "ru"));
    at_the_first_question(&flooder, &links[0]).await;
    let mut screen = at_the_first_question(&other, &links[0]).await;

    // Hundreds of texts at once, mid-survey, where buttons are expected.
    let (flood_started, mark) = (Instant::now(), app.api.seq());
    for n in 0..200 {
        flooder.enqueue_text(&format!("сообщение {n}"));
    }
    // Meanwhile the other parent answers, at a person's pace (Telegram's one message a second in
    // a chat holds for them too), going forward and back.
    for press in 0..6 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let (button, expected) =
            if press % 2 == 0 { ("Да", "Вопрос 2 из") } else { ("Назад", "Вопрос 1 из") };
        let (next, took) = timed_press(&app, &other, &screen, button).await;
        assert!(next.text.starts_with(expected), "{}", next.text);
        assert!(took <= Duration::from_secs(1), "press {press}: the other parent's screen took {took:?}");
        screen = next;
    }

    // The flooder got the burst's replies, about one a second after it, and one «slow down»: from
    // each process, as each keeps its own count (three webhook replicas, three budgets).
    let elapsed = flood_started.elapsed().as_secs_f64().ceil() as usize;
    let replies = sent_to(&app, mark, flooder.id(), "");
    assert!(replies <= processes.len() * (10 + 1 + elapsed), "{replies} messages back in {elapsed} s");
    // What was dropped is counted: all the flood but each process's burst and refill (the two
    // updates before the flood took two of the first burst).
    let dropped = metric(&processes, "anketa_updates_dropped_total", "reason=\"flood\"").await as usize;
    let admitted_at_most = processes.len() * (10 + elapsed);
    assert!((200 - admitted_at_most.min(200)..=200).contains(&dropped), "{dropped} of 200 counted dropped");
    if processes.len() == 1 {
        // The notice competes with the burst's replies for the chat's one message a second.
        let deadline = Instant::now() + Duration::from_secs(20);
        while sent_to(&app, mark, flooder.id(), SLOW_DOWN) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(sent_to(&app, mark, flooder.id(), SLOW_DOWN), 1, "one «slow down» a minute");
    } else {
        // Over replicas, the burst's replies and the notices of three processes compete for the
        // chat's one message a second, and a notice may be given up on: a bound only.
        let warnings = sent_to(&app, mark, flooder.id(), SLOW_DOWN);
        assert!(warnings <= processes.len(), "{warnings} «slow down» in a minute");
    }
    app.stop_bot().await;
}

async fn a_hanging_edit_still_has_its_button_answered_within_a_second(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let user = app.api.user(8_700_000_003, "ru");
    let screen = at_the_first_question(&user, &links[0]).await;
    let sql = app.sql().await;
    let revision = sql.count("SELECT revision FROM drafts").await;

    app.api.set_failure("editMessageText", Some(Failure::Hung { times: 1 }));
    let data = screen.button("Да").unwrap().callback_data.clone().unwrap();
    let pressed = Instant::now();
    let id = user.enqueue_press(screen.message_id, &data);
    let answer = user.wait_answered_within(&id, Duration::from_secs(10)).await;
    let took = pressed.elapsed();
    // The bot answers a second after it took the press at the latest; the rest is delivery.
    assert!(took < Duration::from_millis(1500), "the button was answered after {took:?}");
    assert_eq!(answer.text, None);
    assert_ne!(sql.count("SELECT revision FROM drafts").await, revision, "the answer was stored before");
    sql.close().await;
    // The edit still hangs, longer than a graceful stop waits (a matter of the outbox).
    app.kill_bot().await;
}

on_every_deployment!(
    a_flooding_user_does_not_delay_anybody_else,
    a_hanging_edit_still_has_its_button_answered_within_a_second
);
