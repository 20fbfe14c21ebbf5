//! Renaming and deleting a campaign nobody has answered, through the real binary and the Bot API
//! stand-in: in the `/campaigns` console (offered only while allowed, checked again at «Да», a
//! forged button for an answered campaign refused) and on the command line (`anketa campaign
//! rename NAME --to NEW`, `anketa campaign delete NAME`, with its links and digest records),
//! refused once a response is in.

mod support;

use chrono::{Duration, Utc};
use support::bot_api::{BotMessage, TestUser};
use support::{Link, TestApp};

/// A parent answers the НОКО parents' questionnaire through `link`.
async fn respond(user: &TestUser, link: &Link) {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
    for _ in 0..10 {
        user.press("Нет").await;
    }
    user.press("Пропустить").await;
    user.press("Отправить").await;
    user.wait_for_text("Спасибо").await;
}

/// A second campaign, "spring", over the same roster, with its links; returns its id.
async fn spring(app: &TestApp) -> i64 {
    let today = Utc::now().date_naive();
    let (starts, ends) = (today.to_string(), (today + Duration::days(10)).to_string());
    let args = ["--name", "spring", "--questionnaire", "noko-parents", "--starts", &starts, "--ends", &ends];
    app.cli(&[&["campaign", "create"][..], &args, &["--target-percent", "50"]].concat()).await;
    app.export_links("spring").await;
    app.sql().await.count("SELECT CAST(id AS BIGINT) FROM campaigns WHERE name = 'spring'").await
}

/// The campaign list: one message per campaign, oldest first.
async fn campaigns(user: &TestUser, count: usize) -> Vec<BotMessage> {
    let after = user.enqueue_text("/campaigns");
    support::outputs(user, after, count).await
}

fn button_data(message: &BotMessage, text: &str) -> String {
    message.button(text).and_then(|b| b.callback_data.clone()).unwrap_or_else(|| panic!("no {text:?}: {message:?}"))
}

async fn remaining(app: &TestApp, campaign_id: i64) -> i64 {
    let sql = app.sql().await;
    let mut rows = 0;
    for table in ["campaigns", "class_links", "campaign_questionnaires", "digest_deliveries"] {
        let column = if table == "campaigns" { "id" } else { "campaign_id" };
        rows += sql.count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = {campaign_id}")).await;
    }
    rows
}

async fn the_console_renames_and_deletes_only_unanswered_campaigns(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 30).await;
    let spring_id = spring(&app).await;
    let autumn_id = app.sql().await.count("SELECT CAST(id AS BIGINT) FROM campaigns WHERE name = 'autumn'").await;
    app.start_bot().await;
    let admin = app.staff(940_001, &["admin", "invite", "--region"]).await;

    let list = campaigns(&admin, 2).await;
    let (autumn, spring) = (&list[0], &list[1]);
    assert!(autumn.text.contains("autumn") && spring.text.contains("spring"), "{list:?}");
    assert!(autumn.has_button("Переименовать") && autumn.has_button("Удалить"), "nobody answered: {autumn:?}");

    // A deletion asked for while nobody had answered is checked again at «Да».
    admin.press_data(autumn.message_id, &button_data(autumn, "Удалить")).await;
    let confirm = admin.last_message();
    assert!(confirm.text.contains("Удалить кампанию «autumn»?"), "{}", confirm.text);
    respond(&app.api.user(740_001, "ru"), &links[0]).await;
    admin.press("Да, удалить").await;
    let refused = admin.wait_for_text("уже есть ответы").await;
    assert!(refused.text.contains("autumn"), "{}", refused.text);
    assert_eq!(remaining(&app, autumn_id).await, 1 + 3 + 1, "autumn and its three links stay");

    // Answered: no longer offered, and a replayed button is refused.
    let list = campaigns(&admin, 2).await;
    assert!(!list[0].has_button("Переименовать") && !list[0].has_button("Удалить"), "{:?}", list[0]);
    assert!(list[1].has_button("Переименовать"), "{:?}", list[1]);
    for forged in [format!("ca:r{autumn_id}"), format!("ca:d{autumn_id}")] {
        let answer = admin.press_data(list[0].message_id, &forged).await;
        assert!(answer.text.unwrap_or_default().contains("уже есть ответы"), "{forged}");
    }

    // Renaming asks for the name, with the same checks as a new campaign.
    admin.press_data(list[1].message_id, &button_data(&list[1], "Переименовать")).await;
    assert!(admin.last_message().text.contains("Как теперь назвать кампанию «spring»"));
    let after = admin.enqueue_text("autumn");
    let replies = support::outputs(&admin, after, 2).await;
    assert!(replies[0].text.contains("«autumn» уже есть"), "{replies:?}");
    assert!(replies[1].text.contains("Как теперь назвать"), "asked again: {replies:?}");
    let confirm = admin.send_text("Весна 2027").await;
    assert!(confirm.text.contains("«spring» в «Весна 2027»") && confirm.has_button("Да, переименовать"), "{confirm:?}");
    assert!(app.cli(&["campaign", "list"]).await.contains("spring"), "nothing changes before «Да»");
    admin.press("Да, переименовать").await;
    admin.wait_for_text("теперь называется «Весна 2027»").await;
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("Весна 2027") && !list.contains("spring"), "{list}");

    // A digest about it was sent to the administrator: its record goes with it.
    let digest = format!(
        "INSERT INTO digest_deliveries (staff_id, campaign_id, day, claimed_at, outcome)
         SELECT id, {spring_id}, '2026-12-01', '2026-12-01T01:00:00Z', 'sent' FROM staff"
    );
    app.sql().await.execute(&digest).await;
    let list = campaigns(&admin, 2).await;
    admin.press_data(list[1].message_id, &button_data(&list[1], "Удалить")).await;
    admin.press("Да, удалить").await;
    admin.wait_for_text("удалена").await;
    assert_eq!(remaining(&app, spring_id).await, 0, "the campaign, its links and questionnaires are gone");
    assert!(!app.cli(&["campaign", "list"]).await.contains("Весна 2027"));
    assert!(campaigns(&admin, 1).await[0].text.contains("autumn"), "only autumn is left");
}

async fn the_command_line_renames_and_deletes_only_unanswered_campaigns(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], -1, 30).await;
    let spring_id = spring(&app).await;

    let renamed = app.cli(&["campaign", "rename", "spring", "--to", " Весна 2027 "]).await;
    assert!(renamed.contains("«spring» теперь называется «Весна 2027»"), "{renamed}");
    assert!(app.cli_fails(&["campaign", "rename", "Весна 2027", "--to", "autumn"]).await.contains("«autumn» уже есть"));
    assert!(app.cli_fails(&["campaign", "rename", "Весна 2027", "--to", "  "]).await.contains("не должно быть пустым"));
    assert!(app.cli_fails(&["campaign", "delete", "spring"]).await.contains("Кампании «spring» нет"));

    app.start_bot().await;
    respond(&app.api.user(741_001, "ru"), &links[0]).await;
    for args in [&["campaign", "rename", "autumn", "--to", "осень"][..], &["campaign", "delete", "autumn"]] {
        let refused = app.cli_fails(args).await;
        assert!(refused.contains("В кампании «autumn» уже есть ответы"), "{args:?}: {refused}");
    }
    assert!(app.cli(&["campaign", "list"]).await.contains("autumn"));

    let deleted = app.cli(&["campaign", "delete", "Весна 2027"]).await;
    assert!(deleted.contains("«Весна 2027» удалена"), "{deleted}");
    assert_eq!(remaining(&app, spring_id).await, 0);
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("autumn") && !list.contains("Весна"), "{list}");
}

on_both_engines!(
    the_console_renames_and_deletes_only_unanswered_campaigns,
    the_command_line_renames_and_deletes_only_unanswered_campaigns,
);
