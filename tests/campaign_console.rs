//! The region administrator's campaign console through the real binary and the Bot API stand-in:
//! a campaign created by dialog (a wrong date answered and asked again, a restart mid-dialog),
//! listed, closed, reopened and extended with confirmations; refusals for other roles, forged and
//! stale buttons; and the command line's dates, guards and `campaign reopen`.

mod support;

use chrono::{Duration, NaiveDate, Utc};
use support::TestApp;
use support::bot_api::{BotMessage, TestUser};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn ru(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// Sends a typed answer the dialog refuses: returns the problem and the question asked again.
async fn refused(user: &TestUser, text: &str) -> (BotMessage, BotMessage) {
    let after = user.enqueue_text(text);
    let mut replies = support::outputs(user, after, 2).await.into_iter();
    (replies.next().unwrap(), replies.next().unwrap())
}

fn button_data(message: &BotMessage, text: &str) -> String {
    message.button(text).and_then(|b| b.callback_data.clone()).unwrap_or_else(|| panic!("no {text:?}: {message:?}"))
}

async fn a_region_administrator_runs_a_campaign_from_telegram(mut app: TestApp) {
    let roster = app.write("roster.csv", support::ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    app.start_bot().await;
    let admin = app.staff(910_001, &["admin", "invite", "--region"]).await;
    let help = admin.send_text("/help").await;
    assert!(help.text.contains("/newcampaign") && help.text.contains("/campaigns"), "{}", help.text);

    assert!(admin.send_text("/newcampaign").await.text.contains("Как её назвать"));
    let chosen = admin.send_text("Весна 2027").await;
    assert!(chosen.has_button("noko-parents") && chosen.has_button("Готово"), "{chosen:?}");
    assert!(admin.press("Готово").await.text.unwrap_or_default().contains("хотя бы одну"));
    admin.press("noko-parents").await;
    assert!(admin.last_message().has_button("☑ noko-parents"), "{:?}", admin.last_message());
    admin.press("Готово").await;
    assert!(admin.last_message().text.contains("Первый день"));
    let (wrong, again) = refused(&admin, "завтра").await;
    assert!(wrong.text.contains("Не понимаю дату") && wrong.text.contains("ДД.ММ.ГГГГ"), "{}", wrong.text);
    assert!(again.text.contains("Первый день"), "asked again: {}", again.text);
    let (past, again) = refused(&admin, &ru(today() - Duration::days(1))).await;
    assert!(past.text.contains("уже прошёл") && again.text.contains("Первый день"), "{}", past.text);
    admin.send_text(&ru(today())).await;
    assert!(admin.wait_for_text("Последний день опроса").await.text.contains("ДД.ММ.ГГГГ"));

    // A restart mid-dialog loses nothing: the last day goes to the same dialog. The first day,
    // killed before polling confirmed it, is handed over again: it is not taken as the last day
    // too (the summary below would show it), the dialog's question is only asked again.
    app.kill_bot().await;
    app.start_bot().await;
    let ends = today() + Duration::days(10);
    admin.enqueue_text(&ends.format("%-d.%-m.%Y").to_string());
    let target = admin.wait_for_text("Цель участия").await;
    assert!(target.has_button("50%"), "{target:?}");
    admin.press("50%").await;
    let summary = admin.last_message();
    assert!(
        summary.text.contains("Весна 2027") && summary.text.contains(&ru(ends)) && summary.text.contains("50 %"),
        "{}",
        summary.text
    );
    admin.press("Создать").await;
    let created = admin.wait_for_text("создана").await;
    assert!(created.text.contains("anketa links export"), "{}", created.text);
    assert_eq!(app.sql().await.count("SELECT COUNT(*) FROM staff_dialogs").await, 0, "the dialog ended");

    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("Весна 2027") && list.contains("\tидёт") && list.contains(&ru(ends)), "{list}");
    let shown = admin.send_text("/campaigns").await;
    assert!(
        shown.text.contains("«Весна 2027» — идёт")
            && shown.text.contains("Ответили: родители: 0 из 75 (0,0%); цель 50 %"),
        "{}",
        shown.text
    );

    // Closing asks first; the links then say the survey is closed.
    let links = app.export_links("Весна 2027").await;
    admin.press("Закрыть").await;
    assert!(admin.last_message().text.contains("Закрыть кампанию «Весна 2027»?"));
    assert!(app.cli(&["campaign", "list"]).await.contains("\tидёт"), "nothing changes before «Да»");
    admin.press("Да, закрыть").await;
    assert!(admin.wait_for_text("закрыта: ссылки").await.text.contains("Весна 2027"));
    let parent = app.api.user(710_001, "ru");
    assert!(parent.send_text(&links[0].start_command()).await.text.contains("опрос закрыт"));
    assert!(app.cli(&["campaign", "list"]).await.contains("\tзакрыта"));

    // Reopening, then extending with a typed day (one before the start is refused first).
    assert!(admin.send_text("/campaigns").await.text.contains("закрыта"));
    admin.press("Открыть снова").await;
    admin.press("Да, открыть").await;
    admin.wait_for_text("снова открыта").await;
    assert!(parent.send_text(&links[0].start_command()).await.has_button("Начать"));

    admin.send_text("/campaigns").await;
    admin.press("Продлить").await;
    assert!(admin.last_message().text.contains("новый последний день"));
    let (before, again) = refused(&admin, &ru(today() - Duration::days(3))).await;
    assert!(before.text.contains("раньше первого") && again.text.contains("новый последний день"), "{}", before.text);
    let later = today() + Duration::days(20);
    let confirm = admin.send_text(&later.to_string()).await;
    assert!(confirm.text.contains(&ru(later)) && confirm.has_button("Да, продлить"), "{confirm:?}");
    admin.press("Да, продлить").await;
    admin.wait_for_text("теперь идёт до").await;
    assert!(app.cli(&["campaign", "list"]).await.contains(&ru(later)));
}

async fn only_region_administrators_change_campaigns(mut app: TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let school = app.staff(920_001, &["admin", "invite", "--school", "Лицей № 2"]).await;
    let admin = app.staff(920_002, &["admin", "invite", "--region"]).await;
    let stranger = app.api.user(920_003, "ru");

    assert!(school.send_text("/newcampaign").await.text.contains("только администраторы региона"));
    assert!(school.send_text("/campaigns").await.text.contains("только администраторы региона"));
    assert_eq!(app.sql().await.count("SELECT COUNT(*) FROM staff_dialogs").await, 0);

    // The region administrator's buttons, replayed by others, are refused and change nothing.
    let list = admin.send_text("/campaigns").await;
    let close = button_data(&list, "Закрыть");
    admin.press("Закрыть").await;
    let confirm = admin.last_message();
    let yes = button_data(&confirm, "Да, закрыть");
    for intruder in [&school, &stranger] {
        for data in [&close, &yes] {
            let answer = intruder.press_data(list.message_id, data).await;
            assert!(answer.text.unwrap_or_default().contains("только администраторы региона"), "{data}");
        }
    }
    let forged = admin.press_data(list.message_id, "ca:x1;DROP").await;
    assert_eq!(forged.text.as_deref(), Some("Эта кнопка не работает."));
    // A confirmation from an older screen is stale once a newer one was drawn.
    admin.press_data(list.message_id, &close).await;
    let stale = admin.press_data(confirm.message_id, &yes).await;
    assert!(stale.text.unwrap_or_default().contains("больше не действует"));
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("\tидёт"), "still open: {list}");
    // A respondent's text is not taken by anyone's dialog.
    assert!(stranger.send_text("10.12.2026").await.text.contains("откройте ссылку"), "the respondent path answers");
    // `/cancel` ends the region administrator's dialog.
    assert!(admin.send_text("/cancel").await.text.contains("Отменено"));
    assert_eq!(app.sql().await.count("SELECT COUNT(*) FROM staff_dialogs").await, 0);
}

async fn the_command_line_reads_russian_dates_and_guards_campaigns(app: TestApp) {
    let create = |name: &str, starts: String, ends: String, extra: &[&str]| {
        let mut args: Vec<String> = ["campaign", "create", "--name", name, "--questionnaire", "noko-parents"]
            .into_iter()
            .map(String::from)
            .collect();
        args.extend(["--starts".into(), starts, "--ends".into(), ends, "--target-percent".into(), "40".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let app = &app;
    let run = |args: Vec<String>| async move {
        app.command(&args.iter().map(String::as_str).collect::<Vec<_>>()).output().await.unwrap()
    };
    let (starts, ends) = (ru(today()), ru(today() + Duration::days(10)));

    app.cli(&["db", "migrate"]).await;
    let empty = run(create("пусто", starts.clone(), ends.clone(), &[])).await;
    let stderr = String::from_utf8_lossy(&empty.stderr);
    assert!(!empty.status.success() && stderr.contains("сначала загрузите его"), "{stderr}");

    let roster = app.write("roster.csv", support::ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    let past = run(create("прошлое", ru(today() - Duration::days(1)), ends.clone(), &[])).await;
    let stderr = String::from_utf8_lossy(&past.stderr);
    assert!(!past.status.success() && stderr.contains("--allow-past-start"), "{stderr}");
    let bad = run(create("плохая", "2026/11/23".into(), ends.clone(), &[])).await;
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && stderr.contains("ДД.ММ.ГГГГ") && stderr.contains("ГГГГ-ММ-ДД"), "{stderr}");

    assert!(run(create("осень", starts, ends, &[])).await.status.success());
    let november = run(create("ноябрь", "23.11.2026".into(), "24.11.2026".into(), &["--allow-past-start"])).await;
    assert!(november.status.success(), "{}", String::from_utf8_lossy(&november.stderr));
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("23.11.2026 – 24.11.2026") && list.contains("осень"), "{list}");

    app.cli(&["campaign", "close", "осень"]).await;
    assert!(app.cli(&["campaign", "reopen", "осень"]).await.contains("снова открыта"));
    assert!(app.cli_fails(&["campaign", "reopen", "осень"]).await.contains("не закрыта"));

    // A campaign whose last day is past reopens only with a new one, today or later.
    app.cli(&["campaign", "close", "ноябрь"]).await;
    assert!(app.cli_fails(&["campaign", "reopen", "ноябрь"]).await.contains("--ends"));
    let yesterday = ru(today() - Duration::days(1));
    assert!(app.cli_fails(&["campaign", "reopen", "ноябрь", "--ends", &yesterday]).await.contains("уже прошла"));
    let later = today() + Duration::days(5);
    app.cli(&["campaign", "reopen", "ноябрь", "--ends", &ru(later)]).await;
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains(&format!("23.11.2026 – {}", ru(later))) && !list.contains("закрыта"), "{list}");
}

on_both_engines!(
    a_region_administrator_runs_a_campaign_from_telegram,
    only_region_administrators_change_campaigns,
    the_command_line_reads_russian_dates_and_guards_campaigns,
);
