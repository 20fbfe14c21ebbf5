//! Unexpected input never crashes and never changes what it should not: forged and stale buttons,
//! text where a button is expected, stickers, photos, oversized messages, bad links and dates,
//! updates forged in another person's chat, updates teloxide cannot read; plus multiple choice,
//! ratings and free text on a questionnaire written for the test.

mod support;

use std::time::Duration;

use serde_json::json;
use support::bot_api::TestUser;
use support::{TestApp, outputs};

const CUSTOM: &str = r#"
id = "club-survey"
audience = "parent"
title = { ru = "Опрос о кружках", en = "Clubs survey" }
preamble = { ru = "Пара вопросов о кружках.", en = "A few questions about clubs." }

[[questions]]
id = "clubs"
kind = "multiple"
min = 1
max = 2
text = { ru = "Какие кружки нужны?", en = "Which clubs are needed?" }
options = [
  { code = "chess", text = { ru = "Шахматы", en = "Chess" } },
  { code = "robots", text = { ru = "Робототехника", en = "Robotics" } },
  { code = "choir", text = { ru = "Хор", en = "Choir" } },
]

[[questions]]
id = "chess_rating"
kind = "rating"
min = 1
max = 5
min_label = { ru = "плохо", en = "poor" }
max_label = { ru = "отлично", en = "excellent" }
show_if = { question = "clubs", equals = "chess" }
text = { ru = "Оцените шахматный кружок", en = "Rate the chess club" }

[[questions]]
id = "idea"
kind = "text"
max_length = 20
text = { ru = "Ваша идея", en = "Your idea" }
"#;

/// Starts the bot on a campaign of the test questionnaire; returns the class links.
async fn start_custom(app: &mut TestApp) -> Vec<support::Link> {
    let file = app.write("club.toml", CUSTOM);
    let links = app.seed_with(&["--questionnaire", &file], 0, 5).await;
    app.start_bot().await;
    links
}

async fn notice(user: &TestUser, button: &str) -> Option<String> {
    user.press(button).await.text
}

async fn multiple_choice_rating_and_free_text(mut app: TestApp) {
    let links = start_custom(&mut app).await;
    let user = app.api.user(2_000_000_001, "en");
    user.send_text(&links[0].start_command()).await;
    assert_eq!(notice(&user, "Start").await, None);
    let question = user.last_message();
    assert!(question.text.starts_with("Question 1 of 3"), "{}", question.text);
    assert!(question.text.contains("Tick 1 to 2 options"), "{}", question.text);

    // "Done" with nothing ticked is refused with a notice; the screen stays.
    assert_eq!(notice(&user, "Done").await.as_deref(), Some("Please tick at least 1 option."));
    assert_eq!(notice(&user, "Chess").await, None);
    assert_eq!(notice(&user, "Choir").await, None);
    assert!(user.last_message().has_button("☑ Chess") && user.last_message().has_button("☑ Choir"));
    assert_eq!(notice(&user, "Robotics").await.as_deref(), Some("You can tick at most 2 options."));
    assert_eq!(notice(&user, "Choir").await, None, "untick");
    assert!(user.last_message().has_button("☐ Choir"));
    assert_eq!(notice(&user, "Done").await, None);

    let rating = user.last_message();
    assert!(rating.text.starts_with("Question 2 of 3"), "{}", rating.text);
    assert!(rating.text.contains("1 — poor, 5 — excellent"), "{}", rating.text);
    assert_eq!(notice(&user, "4").await, None);

    let text_question = user.last_message();
    assert!(text_question.text.contains("at most 20 characters"), "{}", text_question.text);
    assert!(!text_question.has_button("Skip"), "required text cannot be skipped");
    let too_long = user.send_text("a much too long idea for this question").await;
    assert!(too_long.text.contains("too long: 38 characters, at most 20"), "{}", too_long.text);
    let review = user.send_text("More chess").await;
    assert!(
        review.text.contains("Chess") && review.text.contains("4") && review.text.contains("More chess"),
        "{}",
        review.text
    );
    // Back from the review to the text question shows the earlier answer.
    assert_eq!(notice(&user, "Back").await, None);
    assert!(user.last_message().text.contains("“More chess”"), "{}", user.last_message().text);
    user.send_text("Chess twice a week").await;
    assert_eq!(notice(&user, "Submit").await, None);

    let (header, rows) = app.export().await;
    assert_eq!(header[5..], ["clubs", "chess_rating", "idea"]);
    assert_eq!(rows[0][5..], ["chess", "4", "Chess twice a week"]);
}

async fn unexpected_input_gets_a_clear_reply_and_changes_nothing(mut app: TestApp) {
    let links = start_custom(&mut app).await;
    let user = app.api.user(2_000_000_002, "ru");

    // Before any survey: text, stickers, photos, unknown and malformed links.
    assert!(user.send_text("привет").await.text.contains("откройте ссылку"));
    assert!(user.send_sticker().await.text.contains("только текст"));
    assert!(user.send_text("/start NoSuchCode123").await.text.contains("ссылка недействительна"));
    assert!(user.send_text("/start ../../etc/passwd").await.text.contains("ссылка недействительна"));
    assert!(user.send_text(&format!("/start {}", "x".repeat(65))).await.text.contains("ссылка недействительна"));
    assert!(user.send_text("/cancel").await.text.contains("Отменять нечего"));
    assert!(user.send_text("/help").await.text.contains("/cancel"));
    assert!(user.send_text("/start").await.text.contains("откройте ссылку"));

    user.send_text(&links[0].start_command()).await;
    notice(&user, "Начать").await;
    let question = user.last_message();
    let revision_screen = question.clone();

    // Text, a sticker, a photo and a 5,000-character message where buttons are expected: one
    // reply each, the notice above the question shown again.
    let expect_one_reply = |replies: Vec<support::bot_api::BotMessage>, notice: &str| {
        assert!(replies[0].text.contains(notice), "{}", replies[0].text);
        assert!(replies[0].text.contains("Вопрос 1 из 3"), "the question is shown again below: {}", replies[0].text);
        assert!(replies[0].has_button("Шахматы"), "with its buttons: {:?}", replies[0].button_texts());
    };
    let first = app.api.seq();
    let before = app.api.seq();
    user.enqueue_text("шахматы");
    expect_one_reply(outputs(&user, before, 1).await, "ответьте кнопками");
    let before = app.api.seq();
    user.send_sticker().await;
    expect_one_reply(outputs(&user, before, 1).await, "только текст");
    let before = app.api.seq();
    user.send_photo().await;
    expect_one_reply(outputs(&user, before, 1).await, "только текст");
    let before = app.api.seq();
    user.enqueue_text(&"я".repeat(5000));
    expect_one_reply(outputs(&user, before, 1).await, "ответьте кнопками");
    assert_eq!(user.outputs_after(first).len(), 4, "one reply per message: {:#?}", user.outputs_after(first));

    // Forged and malformed callback data.
    for forged in ["", "garbage", "1:c:chess", "99999999999999999999:b", "1:zz", &"9".repeat(70)] {
        let answer = user.press_data(revision_screen.message_id, forged).await;
        let text = answer.text.unwrap_or_default();
        assert!(text.contains("кнопка"), "{forged:?} → {text}");
    }
    // A button of an older screen: after moving on, the first screen's buttons are stale.
    notice(&user, "Шахматы").await;
    notice(&user, "Готово").await;
    let stale = revision_screen.button("Хор").unwrap().callback_data.clone().unwrap();
    let answer = user.press_data(revision_screen.message_id, &stale).await;
    assert!(answer.text.unwrap_or_default().contains("со старого экрана"));
    assert!(user.last_message().text.starts_with("Вопрос 2 из 3"), "the current question is shown again");

    // Nothing above changed the draft: the answers are exactly the ones given.
    notice(&user, "5").await;
    user.send_text("Идея").await;
    notice(&user, "Отправить").await;
    let (_, rows) = app.export().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][5..], ["chess", "5", "Идея"]);

    // After submitting, old buttons and text get a clear reply.
    let answer = user.press_data(revision_screen.message_id, &stale).await;
    assert!(answer.text.unwrap_or_default().contains("уже отправлена"));
    assert!(user.send_text("ещё").await.text.contains("откройте ссылку"));
}

async fn links_before_the_start_and_after_the_end_are_refused_politely(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 3, 10).await;
    app.start_bot().await;
    let user = app.api.user(2_000_000_003, "en");
    let reply = user.send_text(&links[0].start_command()).await;
    assert!(reply.text.contains("The survey starts on"), "{}", reply.text);
    assert!(reply.buttons.is_empty());

    let sql = app.sql().await;
    sql.execute("UPDATE campaigns SET starts_on = '2020-01-01', ends_on = '2020-02-01'").await;
    let reply = user.send_text(&links[0].start_command()).await;
    assert!(reply.text.contains("The survey ended on 1 February 2020"), "{}", reply.text);

    sql.execute("UPDATE campaigns SET starts_on = '2020-01-01', ends_on = '2100-01-01', closed = TRUE").await;
    let reply = user.send_text(&links[0].start_command()).await;
    assert!(reply.text.contains("closed"), "{}", reply.text);
    let drafts = sql.count("SELECT COUNT(*) FROM drafts").await;
    assert_eq!(drafts, 0, "refused links start nothing");
}

/// Two free-text questions in a row: where a message handed over twice could answer both.
const TWO_TEXTS: &str = r#"
id = "two-texts"
audience = "parent"
title = { ru = "Два вопроса", en = "Two questions" }
preamble = { ru = "Напишите пару слов.", en = "Write a few words." }

[[questions]]
id = "liked"
kind = "text"
max_length = 200
text = { ru = "Что понравилось?", en = "What did you like?" }

[[questions]]
id = "wished"
kind = "text"
max_length = 200
text = { ru = "Чего не хватило?", en = "What was missing?" }
"#;

async fn a_message_handed_over_again_answers_only_its_own_question(mut app: TestApp) {
    let file = app.write("two-texts.toml", TWO_TEXTS);
    let links = app.seed_with(&["--questionnaire", &file], 0, 5).await;
    app.start_bot().await;
    let user = app.api.user(2_000_000_004, "ru");
    user.send_text(&links[0].start_command()).await;
    assert_eq!(notice(&user, "Начать").await, None);
    let second = user.send_text("Дружный класс").await;
    assert!(second.text.starts_with("Вопрос 2 из 2"), "{}", second.text);

    // Telegram hands the same message over again, as after a restart before it was confirmed.
    let after = user.resend_last_message();
    let shown = user.wait_output_after(after).await;
    assert!(shown.text.starts_with("Вопрос 2 из 2"), "the second question is still open: {}", shown.text);
    let state: serde_json::Value =
        serde_json::from_str(&app.sql().await.text("SELECT state FROM drafts").await).unwrap();
    assert_eq!(state["answers"].as_object().map(|a| a.len()), Some(1), "the repeat answered nothing: {state}");
    assert_eq!(state["stage"]["question"], "wished", "{state}");

    let review = user.send_text("Больше прогулок").await;
    assert!(review.text.contains("Дружный класс") && review.text.contains("Больше прогулок"), "{}", review.text);
    assert_eq!(notice(&user, "Отправить").await, None);
    let (header, rows) = app.export().await;
    assert_eq!(header[5..], ["liked", "wished"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][5..], ["Дружный класс", "Больше прогулок"]);
}

/// A private chat as the Bot API describes it, and a person.
fn private_chat(id: i64) -> serde_json::Value {
    json!({"id": id, "type": "private", "first_name": format!("User {id}")})
}

fn person(id: i64) -> serde_json::Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User {id}"), "language_code": "ru"})
}

/// Telegram sends a private chat's updates from that chat's own user only. An update claiming
/// another sender is forged (posted to a leaked webhook URL, say): acted on, it would answer as
/// one person in another's chat. It is ignored: no reply, no answer to the button, nothing stored.
async fn a_private_update_from_someone_else_is_ignored(mut app: TestApp) {
    let links = start_custom(&mut app).await;
    let victim = app.api.user(2_000_000_005, "ru");
    let intruder = 2_000_000_006;
    let after = app.api.seq();
    let start = links[0].start_command();
    app.api.enqueue_update(json!({"message": {
        "message_id": 900_001,
        "date": chrono::Utc::now().timestamp(),
        "chat": private_chat(victim.id()),
        "from": person(intruder),
        "text": start,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }}));
    app.api.enqueue_update(json!({"callback_query": {
        "id": "forged-press",
        "from": person(intruder),
        "message": {"message_id": 1, "date": 0, "chat": private_chat(victim.id())},
        "chat_instance": "ci-forged",
        "data": "1:b",
    }}));
    // The victim's own message is answered as usual (and in polling mode comes after the forged
    // ones in the chat's queue); the replicas get a moment more, as their posts run in parallel.
    let help = victim.send_text("/help").await;
    assert!(help.text.contains("/cancel"), "{}", help.text);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outputs = victim.outputs_after(after);
    assert_eq!(outputs.len(), 1, "only /help was answered: {outputs:#?}");
    let pressed = app.api.calls("answerCallbackQuery");
    assert!(pressed.iter().all(|call| call["callback_query_id"] != "forged-press"), "{pressed:#?}");
    assert_eq!(app.sql().await.count("SELECT COUNT(*) FROM drafts").await, 0, "the forged /start stored nothing");
    // The check asks Telegram for no other kind of update (polling hints them from the schema).
    if let Some(poll) = app.api.calls("getUpdates").first() {
        let mut kinds: Vec<&str> =
            poll["allowed_updates"].as_array().unwrap().iter().filter_map(|k| k.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["callback_query", "message"], "{poll}");
    }
}

/// An update teloxide cannot read (here a button press without `chat_instance`, as a Bot API
/// emulator sent them) is dropped with its id alone in the log: teloxide would log it whole, with
/// the sender's id, name and username. The bot goes on with the next update.
async fn an_unreadable_update_leaves_no_trace_of_its_sender_in_the_log(mut app: TestApp) {
    start_custom(&mut app).await;
    let sender = 2_000_000_007_i64;
    let update_id = app.api.enqueue_update(json!({"callback_query": {
        "id": "no-chat-instance",
        "from": {"id": sender, "is_bot": false, "first_name": "Евлампия", "username": "evlampia_parent"},
        "message": {"message_id": 1, "date": 0, "chat": private_chat(sender)},
        "data": "1:b",
    }}));
    let dropped = format!("update_id={update_id}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app.bot_logs().contains(&dropped) {
        assert!(tokio::time::Instant::now() < deadline, "no line for the dropped update:\n{}", app.bot_logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let user = app.api.user(2_000_000_008, "ru");
    assert!(user.send_text("/help").await.text.contains("/cancel"), "the bot goes on");
    let logs = app.bot_logs();
    for trace in [sender.to_string().as_str(), "Евлампия", "evlampia_parent", "Cannot parse"] {
        assert!(!logs.contains(trace), "{trace:?} in the log:\n{logs}");
    }
    // A webhook answers 200, or Telegram would post the update again and again.
    for delivery in app.api.deliveries().iter().filter(|d| d.update_id == update_id) {
        assert_eq!(delivery.status, Some(200), "{delivery:?}");
    }
}

on_every_deployment!(
    an_unreadable_update_leaves_no_trace_of_its_sender_in_the_log,
    a_private_update_from_someone_else_is_ignored,
    a_message_handed_over_again_answers_only_its_own_question,
    multiple_choice_rating_and_free_text,
    unexpected_input_gets_a_clear_reply_and_changes_nothing,
    links_before_the_start_and_after_the_end_are_refused_politely,
);
