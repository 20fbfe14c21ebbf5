//! Polling with the webhook's guarantee, through the real binary: an update is confirmed to
//! Telegram only once handled, so a press in flight at a `kill -9` is handled after the restart
//! without a second press; one chat whose reply hangs does not hold another chat up; a chat's
//! updates are handled in order; an update handed over again (handled, but not confirmed before
//! the crash) takes no second step and sends no second screen; a chat Telegram slows down (429s),
//! or with more updates waiting than a person sends, holds up nobody else's confirmation.

mod support;

use std::time::Duration;

use support::bot_api::{BotMessage, Failure, TestUser};
use support::{Link, TestApp, outputs_within};

/// Opens a class link and starts the questionnaire as a parent: the first question's screen.
async fn at_the_first_question(user: &TestUser, link: &Link) -> BotMessage {
    user.send_text(&link.start_command()).await;
    for button in ["Начать", "Родитель"] {
        let answer = user.press(button).await;
        assert_eq!(answer.text, None, "pressing {button:?} gave a notice");
    }
    let screen = user.last_message();
    assert!(screen.text.starts_with("Вопрос 1 из"), "{}", screen.text);
    screen
}

/// Presses `button` of `screen` without waiting; the callback query's id.
fn enqueue_press(user: &TestUser, screen: &BotMessage, button: &str) -> String {
    let data = screen.button(button).unwrap_or_else(|| panic!("no {button:?}")).callback_data.clone().unwrap();
    user.enqueue_press(screen.message_id, &data)
}

/// The unfinished survey's revision and how many questions it has answers for.
async fn draft(app: &TestApp) -> (i64, usize) {
    let sql = app.sql().await;
    let revision = sql.count("SELECT revision FROM drafts").await;
    let state: serde_json::Value = serde_json::from_str(&sql.text("SELECT state FROM drafts").await).unwrap();
    sql.close().await;
    (revision, state["answers"].as_object().map_or(0, |answers| answers.len()))
}

/// Waits until the bot has taken every update the stand-in holds.
async fn fetched(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.api.pending_updates() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the bot fetches the updates");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_press_in_flight_at_a_kill_is_handled_after_the_restart_without_a_second_press(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let parent = app.api.user(4_100_000_001, "ru");
    let first = at_the_first_question(&parent, &links[0]).await;
    let (revision, answered) = draft(&app).await;

    // The answer is stored, and the screen's redraw hangs at Telegram when the bot is killed.
    app.api.set_failure("editMessageText", Some(Failure::Hung { times: 1 }));
    let seq = app.api.seq();
    let press = enqueue_press(&parent, &first, "Да");
    app.api.wait_for_call_after(seq, "editMessageText", |_| true, Duration::from_secs(10)).await;
    app.kill_bot().await;
    app.api.set_failure("editMessageText", None);
    app.start_bot().await;

    // Telegram hands the unconfirmed press to the new process: it is answered, the next question
    // shows on the screen pressed, and the answer is stored once.
    parent.wait_answer(&press).await;
    let screen = parent.last_message();
    assert_eq!(screen.message_id, first.message_id, "no second screen");
    assert!(screen.text.starts_with("Вопрос 2 из"), "{}", screen.text);
    assert_eq!(draft(&app).await, (revision + 1, answered + 1));
    let next = parent.press("Нет").await;
    assert_eq!(next.text, None);
    assert!(parent.last_message().text.starts_with("Вопрос 3 из"), "{}", parent.last_message().text);
    app.stop_bot().await;
}

async fn a_handled_press_handed_over_again_after_a_kill_takes_no_second_step(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let parent = app.api.user(4_100_000_002, "ru");
    let first = at_the_first_question(&parent, &links[0]).await;
    let (revision, answered) = draft(&app).await;

    // The press is handled in full (its answer a little slow), but the poll that would confirm it
    // never returns.
    app.api.set_failure("answerCallbackQuery", Some(Failure::Slow { times: 1, delay_ms: 1_500 }));
    let press = enqueue_press(&parent, &first, "Да");
    fetched(&app).await;
    app.api.set_failure("getUpdates", Some(Failure::Hung { times: 1 }));
    assert_eq!(parent.wait_answer(&press).await.text, None);
    let second = parent.last_message();
    assert!(second.text.starts_with("Вопрос 2 из"), "{}", second.text);
    app.kill_bot().await;
    let seq = app.api.seq();
    app.start_bot().await;

    // The same press comes again and is answered (Telegram refuses a second answer): no second
    // step, no second screen.
    app.api
        .wait_for_call_after(
            seq,
            "answerCallbackQuery",
            |call| call["callback_query_id"].as_str() == Some(press.as_str()),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(draft(&app).await, (revision + 1, answered + 1));
    assert!(parent.outputs_after(seq).is_empty(), "{:?}", parent.outputs_after(seq));
    app.stop_bot().await;
}

async fn a_chat_whose_reply_hangs_does_not_hold_up_another_chat(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let stuck = app.api.user(4_100_000_003, "ru");
    let other = app.api.user(4_100_000_004, "ru");
    let stuck_screen = at_the_first_question(&stuck, &links[0]).await;
    at_the_first_question(&other, &links[1]).await;

    app.api.set_failure("editMessageText", Some(Failure::Hung { times: 1 }));
    let seq = app.api.seq();
    enqueue_press(&stuck, &stuck_screen, "Да");
    let hung = app.api.wait_for_call_after(seq, "editMessageText", |_| true, Duration::from_secs(10)).await;
    assert_eq!(hung["chat_id"].as_i64(), Some(stuck.id()), "the first chat's redraw hangs");

    for (button, question) in [("Да", "Вопрос 2 из"), ("Нет", "Вопрос 3 из")] {
        assert_eq!(other.press(button).await.text, None);
        assert!(other.last_message().text.starts_with(question), "{}", other.last_message().text);
    }
    // The hung reply would outlast the shutdown's grace.
    app.kill_bot().await;
}

async fn a_hung_reply_does_not_keep_other_chats_waiting_beyond_telegrams_batch(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let stuck = app.api.user(4_100_000_007, "ru");
    let stuck_screen = at_the_first_question(&stuck, &links[0]).await;
    app.api.set_failure("editMessageText", Some(Failure::Hung { times: 1 }));
    let seq = app.api.seq();
    enqueue_press(&stuck, &stuck_screen, "Да");
    app.api.wait_for_call_after(seq, "editMessageText", |_| true, Duration::from_secs(10)).await;

    // More updates than Telegram hands out at once (100) come after the one being handled.
    let others: Vec<TestUser> = (0..12).map(|n| app.api.user(4_100_000_100 + n, "ru")).collect();
    for user in &others {
        for _ in 0..10 {
            user.enqueue_text("/cancel");
        }
    }
    // Well before the hung call times out at the bot (17 s) and frees the offset by itself.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for user in &others {
        while user.outputs_after(seq).len() < 10 {
            assert!(tokio::time::Instant::now() < deadline, "every text is answered: {:?}", user.outputs_after(seq));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    app.kill_bot().await;
}

/// Another parent's press, coming more than Telegram's batch (100) after a crowding chat's first
/// update waiting, is fetched and answered at once, nothing given up on to reach it.
async fn another_parents_press_goes_through(app: &TestApp, other: &TestUser, screen: &BotMessage) {
    let pressed = app.api.seq();
    enqueue_press(other, screen, "Да");
    let next = outputs_within(other, pressed, 1, Duration::from_secs(10)).await.remove(0);
    assert!(next.text.starts_with("Вопрос 2 из"), "{}", next.text);
    let logs = app.bot_logs();
    assert!(!logs.contains("later updates are confirmed without it"), "an update was given up on:\n{logs}");
}

async fn a_chat_telegram_slows_down_does_not_hold_up_anybody_elses_confirmation(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let other = app.api.user(4_100_000_008, "ru");
    let screen = at_the_first_question(&other, &links[0]).await;

    // Someone sends far more than Telegram lets the bot answer in their chat (40 at once, then
    // about one a second): their replies wait out 429s, one behind the other.
    let fast = app.api.user(4_100_000_009, "ru");
    let seq = app.api.seq();
    for _ in 0..150 {
        fast.enqueue_text("/cancel");
    }
    let slowed_down = |call: &support::bot_api::RecordedCall| {
        call.seq > seq && call.chat_id == Some(fast.id()) && call.response["error_code"] == 429
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app.api.all_calls().iter().any(slowed_down) {
        assert!(tokio::time::Instant::now() < deadline, "Telegram slows the fast chat down");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    another_parents_press_goes_through(&app, &other, &screen).await;
    // The fast chat's replies would take minutes at Telegram's pace.
    app.kill_bot().await;
}

async fn a_chat_sending_faster_than_anyone_answers_holds_up_nobody_before_telegram_slows_it(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let other = app.api.user(4_100_000_010, "ru");
    let screen = at_the_first_question(&other, &links[0]).await;

    // 150 updates of one chat, each reply slow to go out, none refused yet: however the handlers
    // keep up, the chat's queue alone fills Telegram's batch of 100.
    app.api.set_failure("sendMessage", Some(Failure::Slow { times: 1_000, delay_ms: 50 }));
    let fast = app.api.user(4_100_000_011, "ru");
    let seq = app.api.seq();
    for _ in 0..150 {
        fast.enqueue_text("/cancel");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while fast.outputs_after(seq).len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "the fast chat is answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    another_parents_press_goes_through(&app, &other, &screen).await;
    assert!(fast.outputs_after(seq).len() < 150, "the fast chat's replies were still going out");
    app.kill_bot().await;
}

async fn a_chats_updates_are_handled_in_order(mut app: TestApp) {
    app.seed().await;
    app.start_bot().await;
    let user = app.api.user(4_100_000_005, "ru");
    // The first reply is slow: a later update of the chat must wait for it all the same.
    app.api.set_failure("sendMessage", Some(Failure::Slow { times: 1, delay_ms: 1_500 }));
    let seq = app.api.seq();
    for text in ["/cancel", "/start", "/cancel"] {
        user.enqueue_text(text);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while user.outputs_after(seq).len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "three replies: {:?}", user.outputs_after(seq));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let replies: Vec<String> = user.outputs_after(seq).into_iter().map(|m| m.text).collect();
    let expected = ["Отменять нечего", "Чтобы пройти опрос", "Отменять нечего"];
    assert!(replies.iter().zip(expected).all(|(reply, start)| reply.starts_with(start)), "{replies:?}");
    app.stop_bot().await;
}

async fn a_stop_lets_the_update_being_handled_finish_and_confirms_it(mut app: TestApp) {
    let links = app.seed().await;
    app.start_bot().await;
    let parent = app.api.user(4_100_000_006, "ru");
    let first = at_the_first_question(&parent, &links[0]).await;
    let (revision, _) = draft(&app).await;

    app.api.set_failure("editMessageText", Some(Failure::Slow { times: 1, delay_ms: 2_000 }));
    let press = enqueue_press(&parent, &first, "Да");
    fetched(&app).await;
    app.stop_bot().await;
    assert_eq!(parent.wait_answer(&press).await.text, None, "answered before the exit");
    assert!(parent.last_message().text.starts_with("Вопрос 2 из"), "{}", parent.last_message().text);
    assert_eq!(draft(&app).await.0, revision + 1);

    // Confirmed on the way out: the next process is not handed it again.
    let seq = app.api.seq();
    app.start_bot().await;
    let next = parent.press("Нет").await;
    assert_eq!(next.text, None);
    let answers =
        app.api.all_calls().into_iter().filter(|c| c.seq > seq && c.method.eq_ignore_ascii_case("answerCallbackQuery"));
    assert_eq!(answers.count(), 1, "only the new press was answered");
    app.stop_bot().await;
}

on_both_engines!(
    a_press_in_flight_at_a_kill_is_handled_after_the_restart_without_a_second_press,
    a_handled_press_handed_over_again_after_a_kill_takes_no_second_step,
    a_chat_whose_reply_hangs_does_not_hold_up_another_chat,
    a_hung_reply_does_not_keep_other_chats_waiting_beyond_telegrams_batch,
    a_chat_telegram_slows_down_does_not_hold_up_anybody_elses_confirmation,
    a_chat_sending_faster_than_anyone_answers_holds_up_nobody_before_telegram_slows_it,
    a_chats_updates_are_handled_in_order,
    a_stop_lets_the_update_being_handled_finish_and_confirms_it,
);
