//! The roster by upload through the real binary and the Bot API stand-in: a region administrator
//! sends a CSV (UTF-8 with BOM, `;`, Russian headers), sees the preview, loads it after a restart;
//! a Windows-1251 CSV and an XLSX with a Latin `5A` and a `5а` are refused with both lines and
//! import nothing; the corrected workbook lists the normalisation and «Загрузить и удалить
//! отсутствующие» removes a class nothing refers to but keeps one with a response; stale
//! confirmations (another file sent, the CLI imported meanwhile) change nothing; a municipal
//! administrator's file, forged buttons and a respondent's file get their answers.

mod support;

use std::time::{Duration, Instant};

use support::bot_api::{BotMessage, TestUser};
use support::{Sql, TestApp};

async fn tap(user: &TestUser, button: &str) -> BotMessage {
    let answer = user.press(button).await;
    assert_eq!(answer.text, None, "pressing {button:?} gave a notice: {:?}", answer.text);
    user.last_message()
}

/// The first bot message after call `after` whose text contains `needle`: a staff member's daily
/// digest may come in between.
async fn output_with(user: &TestUser, after: u64, needle: &str) -> BotMessage {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(message) = user.outputs_after(after).into_iter().find(|m| m.text.contains(needle)) {
            return message;
        }
        assert!(Instant::now() < deadline, "no output with {needle:?}: {:#?}", user.outputs_after(after));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends a file; returns the bot's answer (which names the file).
async fn upload(user: &TestUser, name: &str, bytes: &[u8]) -> BotMessage {
    let after = user.enqueue_document(name, bytes, bytes.len() as u64);
    output_with(user, after, name).await
}

/// Presses `button` (no notice expected) and returns the message that says `needle`.
async fn confirm(app: &TestApp, user: &TestUser, button: &str, needle: &str) -> BotMessage {
    let after = app.api.seq();
    tap(user, button).await;
    output_with(user, after, needle).await
}

fn button_data(message: &BotMessage, text: &str) -> String {
    message.button(text).and_then(|b| b.callback_data.clone()).unwrap_or_else(|| panic!("no {text:?}: {message:?}"))
}

/// The stored roster, one "municipality/school/class=headcount" a class, sorted.
async fn classes(app: &TestApp) -> Vec<String> {
    const QUERY: &str = "SELECT m.name || '/' || s.name || '/' || k.name || '=' || CAST(k.headcount AS TEXT)
         FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id";
    let sql = app.sql().await;
    let mut classes: Vec<String> = match &sql {
        Sql::Sqlite(pool) => sqlx::query_scalar(QUERY).fetch_all(pool).await,
        Sql::Postgres(pool) => sqlx::query_scalar(QUERY).fetch_all(pool).await,
    }
    .expect("the roster");
    sql.close().await;
    classes.sort();
    classes
}

/// The test roster's classes (`support::ROSTER`) plus a new class and a new municipality.
const FIRST: &str = "\u{feff}Муниципалитет;Школа;Класс;Учеников;Часовой пояс\n\
Иркутск;Школа № 1;5А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;5Б;20;Asia/Irkutsk\n\
Иркутск;Лицей № 2;9В;30;\n\
Иркутск;Школа № 1;6А;22;\n\
Пермь;Школа № 7;3А;15;Asia/Yekaterinburg\n";

/// A workbook of (municipality, school, class, students) rows under Russian headers.
fn workbook(rows: &[(&str, &str, &str, f64)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["Муниципалитет", "Школа", "Класс", "Учеников"].into_iter().enumerate()
    {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for (i, (municipality, school, class, students)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, *municipality).unwrap();
        sheet.write_string(row, 1, *school).unwrap();
        sheet.write_string(row, 2, *class).unwrap();
        sheet.write_number(row, 3, *students).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// A parent of 5Б answers "Нет" everywhere and submits.
async fn a_parent_answers(app: &TestApp, links: &[support::Link]) {
    let link = links.iter().find(|l| l.class == "5Б").expect("5Б's link");
    let parent = app.api.user(4_000_000_077, "ru");
    parent.send_text(&link.start_command()).await;
    tap(&parent, "Начать").await;
    for _ in 0..10 {
        tap(&parent, "Нет").await;
    }
    tap(&parent, "Пропустить").await;
    assert!(tap(&parent, "Отправить").await.text.contains("Спасибо"));
}

async fn a_region_administrator_checks_and_loads_roster_files(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let admin = app.staff(920_001, &["admin", "invite", "--region"]).await;
    let before = classes(&app).await;
    assert_eq!(before.len(), 3);

    // A UTF-8 CSV with a BOM, semicolons and Russian headers: a preview, nothing changed yet.
    let preview = upload(&admin, "Список.csv", FIRST.as_bytes()).await;
    let text = &preview.text;
    assert!(text.contains("Список.csv") && text.contains("муниципалитетов — 2"), "{text}");
    assert!(text.contains("школ — 3") && text.contains("классов — 5") && text.contains("учеников — 112"), "{text}");
    assert!(
        text.contains("новых: 2") && text.contains("без изменений: 3") && text.contains("нет в файле: 0"),
        "{text}"
    );
    assert!(preview.has_button("Загрузить") && preview.has_button("Отмена"), "{preview:?}");
    assert!(!preview.has_button("удалить отсутствующие"), "nothing is absent: {preview:?}");
    assert_eq!(classes(&app).await, before, "nothing changes before «Загрузить»");

    // The preview outlives a restart of the bot.
    app.stop_bot().await;
    app.start_bot().await;
    let done = confirm(&app, &admin, "Загрузить", "добавлено классов").await;
    assert!(done.text.contains("добавлено классов: 2"), "{}", done.text);
    let loaded = classes(&app).await;
    assert!(loaded.contains(&"Иркутск/Школа № 1/6А=22".to_string()), "{loaded:?}");
    assert!(loaded.contains(&"Пермь/Школа № 7/3А=15".to_string()), "{loaded:?}");
    assert_eq!(loaded.len(), 5);

    a_parent_answers(&app, &links).await;

    // Windows-1251, as Russian Excel saves «CSV (разделители — запятые)»: a changed headcount, a
    // Latin 5A and a lowercase 5а, which are one class: an error naming both lines.
    let bad = "Муниципалитет;Школа;Класс;Учеников\r\nИркутск;Школа № 1;5A;27\r\nИркутск;Школа № 1;5а;25\r\n\
               Иркутск;Школа № 1;6А;22\r\nПермь;Школа № 7;3А;15\r\n";
    let (cp1251, _, unmappable) = encoding_rs::WINDOWS_1251.encode(bad);
    assert!(!unmappable);
    let refused = upload(&admin, "cp1251.csv", &cp1251).await;
    assert!(refused.text.contains("строка 3") && refused.text.contains("строке 2"), "{}", refused.text);
    assert!(refused.text.contains("исправьте ошибки"), "{}", refused.text);
    assert!(refused.buttons.is_empty(), "no «Загрузить» with errors: {refused:?}");
    let workbook_bad = workbook(&[("Иркутск", "Школа № 1", "5A", 27.0), ("Иркутск", "Школа № 1", "5а", 25.0)]);
    let refused = upload(&admin, "Список.xlsx", &workbook_bad).await;
    assert!(refused.text.contains("строка 3") && refused.text.contains("строке 2"), "{}", refused.text);
    assert!(refused.buttons.is_empty(), "{refused:?}");
    assert_eq!(classes(&app).await, loaded, "a file with errors imports nothing");

    // The corrected workbook: 5A is 5А with a new headcount; 5Б (answered) and 9В are absent.
    let corrected = workbook(&[
        ("Иркутск", "Школа № 1", "5A", 27.0),
        ("Иркутск", "Школа № 1", "6А", 22.0),
        ("Пермь", "Школа № 7", "3А", 15.0),
    ]);
    let preview = upload(&admin, "Список.xlsx", &corrected).await;
    let text = &preview.text;
    assert!(text.contains("строка 2: 5A → 5А") && text.contains("25 → 27"), "{text}");
    assert!(text.contains("Иркутск / Школа № 1 / 5Б") && text.contains("Иркутск / Лицей № 2 / 9В"), "{text}");
    assert!(text.contains("Лицей № 2") && text.contains("нет в файле: 2"), "{text}");
    let done = confirm(&app, &admin, "Загрузить и удалить отсутствующие", "удалено").await;
    assert!(done.text.contains("удалено: 1") && done.text.contains("Иркутск / Школа № 1 / 5Б"), "{}", done.text);
    let after = classes(&app).await;
    assert_eq!(
        after,
        ["Иркутск/Школа № 1/5А=27", "Иркутск/Школа № 1/5Б=20", "Иркутск/Школа № 1/6А=22", "Пермь/Школа № 7/3А=15"],
        "9В went with its school, 5Б has a response and stays, 5A is the Cyrillic 5А"
    );
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM schools WHERE name = 'Лицей № 2'").await, 0);
    assert_eq!(sql.count("SELECT COUNT(*) FROM roster_uploads").await, 0, "a loaded file is not kept");
    sql.close().await;
}

async fn stale_confirmations_change_nothing(mut app: TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let admin = app.staff(920_002, &["admin", "invite", "--region"]).await;
    let before = classes(&app).await;

    // Telegram lets bots download files up to 20 MB.
    let after = admin.enqueue_document("огромный.csv", FIRST.as_bytes(), 25 * 1024 * 1024);
    output_with(&admin, after, "слишком большой: 25,0 МБ").await;

    // A second file was sent since the first preview: the first one's «Загрузить» is refused.
    let first = upload(&admin, "a.csv", FIRST.as_bytes()).await;
    let second = upload(&admin, "b.csv", support::ROSTER.replace("5А;25", "5А;26").as_bytes()).await;
    assert!(second.text.contains("25 → 26"), "{}", second.text);
    let answer = admin.press_data(first.message_id, &button_data(&first, "Загрузить")).await;
    assert!(answer.text.as_deref().is_some_and(|t| t.contains("другой файл")), "{answer:?}");
    assert_eq!(classes(&app).await, before);

    // The command line imported meanwhile: the roster is not the one the preview compared with.
    let more = app.write("more.csv", "municipality;school;class;students\nПермь;Школа № 7;3А;15\n");
    app.cli(&["roster", "import", &more]).await;
    let imported = classes(&app).await;
    assert_eq!(imported.len(), 4);
    let answer = admin.press_data(second.message_id, &button_data(&second, "Загрузить")).await;
    assert!(answer.text.as_deref().is_some_and(|t| t.contains("изменился")), "{answer:?}");
    assert_eq!(classes(&app).await, imported, "the stale file changed nothing");

    // Sent again, the file is checked anew and loads.
    let again = upload(&admin, "b.csv", support::ROSTER.replace("5А;25", "5А;26").as_bytes()).await;
    assert!(again.text.contains("нет в файле: 1"), "{}", again.text);
    tap(&admin, "Отмена").await;
    let answer = admin.press_data(again.message_id, &button_data(&again, "Загрузить")).await;
    assert!(answer.text.as_deref().is_some_and(|t| t.contains("не действует")), "{answer:?}");
    assert_eq!(classes(&app).await, imported, "a cancelled file is not loaded");

    // A long preview comes in parts under Telegram's 4096 characters, the buttons on the last.
    let mut long = String::from("Муниципалитет;Школа;Класс;Учеников\n");
    for n in 1..=30 {
        let school = format!("Шкoла с углублённым изучением отдельных предметов и очень длинным названием № {n}");
        long.push_str(&format!("Иркутск;{school};5A;20\n"));
    }
    let after = admin.enqueue_document("long.csv", long.as_bytes(), long.len() as u64);
    let last = output_with(&admin, after, "Пока ничего не изменено").await;
    let parts = admin.outputs_after(after);
    assert!(parts.len() >= 2, "{parts:#?}");
    assert!(parts.iter().all(|p| p.text.encode_utf16().count() <= 4096));
    assert!(parts[0].text.contains("long.csv") && last.has_button("Загрузить"), "{parts:#?}");
    assert!(parts.iter().filter(|p| !p.buttons.is_empty()).count() == 1);
    let all: String = parts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(all.matches("…и ещё 10").count(), 3, "each list names 20 and counts the rest: {all}");
}

async fn only_region_administrators_load_rosters(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let municipal = app.staff(920_003, &["admin", "invite", "--municipality", "Иркутск"]).await;
    let after = municipal.enqueue_document("Список.csv", FIRST.as_bytes(), FIRST.len() as u64);
    let reply = output_with(&municipal, after, "только администраторы региона").await;
    assert!(reply.text.contains("только администраторы региона"), "{}", reply.text);
    assert!(reply.buttons.is_empty());

    // A region administrator's preview: its buttons do nothing for the municipal administrator.
    let region = app.staff(920_004, &["admin", "invite", "--region"]).await;
    let preview = upload(&region, "Список.csv", FIRST.as_bytes()).await;
    let load = button_data(&preview, "Загрузить");
    let answer = municipal.press_data(preview.message_id, &load).await;
    assert!(answer.text.as_deref().is_some_and(|t| t.contains("только администраторы региона")), "{answer:?}");
    let forged = region.press_data(preview.message_id, "ro:l:abc").await;
    assert_eq!(forged.text.as_deref(), Some("Эта кнопка не работает."));
    let unknown = region.press_data(preview.message_id, "ro:l:12345").await;
    assert!(unknown.text.as_deref().is_some_and(|t| t.contains("другой файл")), "{unknown:?}");
    assert_eq!(classes(&app).await.len(), 3, "nothing was loaded");

    // Revoked after the preview: the button proves nothing, the role is read again.
    let sql = app.sql().await;
    sql.execute("UPDATE staff SET revoked_at = created_at WHERE user_id = 920004").await;
    sql.close().await;
    let answer = region.press_data(preview.message_id, &load).await;
    assert!(answer.text.as_deref().is_some_and(|t| t.contains("только администраторы региона")), "{answer:?}");
    assert_eq!(classes(&app).await.len(), 3, "nothing was loaded");

    // A respondent in the middle of the survey who sends a file gets the survey's answer.
    let parent = app.api.user(4_000_000_078, "ru");
    parent.send_text(&links[0].start_command()).await;
    let question = tap(&parent, "Начать").await;
    let after = parent.enqueue_document("фото.csv", b"x", 1);
    let reply = support::outputs(&parent, after, 1).await.remove(0);
    assert!(reply.text.starts_with("Я понимаю только текст и нажатия кнопок."), "{reply:?}");
    assert!(reply.text.ends_with(&question.text), "the current question again, in the same message: {reply:?}");
}

async fn the_command_line_previews_imports_and_removes_missing_classes(app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    let before = classes(&app).await;
    let file = app
        .write("lower.csv", "Муниципалитет;Школа;Класс;Учеников\nИркутск;Школа № 1;5a;26\nИркутск;Школа № 1;6 б;12\n");
    let out = app.cli(&["roster", "import", &file, "--dry-run"]).await;
    assert!(out.contains("строка 2: 5a → 5А") && out.contains("строка 3: 6 б → 6Б"), "{out}");
    assert!(out.contains("новых: 1, изменённых: 1, без изменений: 0, нет в файле: 2"), "{out}");
    assert!(out.contains("--dry-run"), "{out}");
    assert_eq!(classes(&app).await, before, "a dry run changes nothing");

    // 9В has a class link (the campaign's) but no answers, staff or invitations: it goes; 5Б has
    // an invitation for its teacher: it stays.
    app.cli(&["teacher", "invite", "--school", "Школа № 1", "--class", "5Б"]).await;
    let out = app.cli(&["roster", "import", &file, "--remove-missing"]).await;
    assert!(out.contains("удалено: 1") && out.contains("Иркутск / Школа № 1 / 5Б"), "{out}");
    assert_eq!(classes(&app).await, ["Иркутск/Школа № 1/5А=26", "Иркутск/Школа № 1/5Б=20", "Иркутск/Школа № 1/6Б=12"]);
    assert!(links.iter().any(|l| l.class == "9В"));
}

/// A school whose classes all leave the roster stays while the expert file of a campaign refers
/// to it (removing it failed the whole import before): the classes go, its audited scores stay.
async fn a_school_with_expert_scores_stays_when_its_classes_go(mut app: TestApp) {
    app.seed().await;
    app.start_bot().await;
    let admin = app.staff(960_001, &["admin", "invite", "--region"]).await;
    let expert = "municipality;school;p_inf;p_dist;p_komf_usl;p_org_dost;p_uslug_dost\n\
                  Иркутск;Лицей № 2;70;80;100;100;100\n";
    let stored = admin.send_document("expert.csv", expert.as_bytes()).await;
    assert!(stored.text.contains("сохранены: 1 школа"), "{}", stored.text);
    let roster = "municipality;school;class;students\nИркутск;Школа № 1;5А;25\nИркутск;Школа № 1;5Б;20\n";
    let preview = upload(&admin, "roster.csv", roster.as_bytes()).await;
    assert!(preview.text.contains("Иркутск / Лицей № 2 / 9В"), "{}", preview.text);
    let done = confirm(&app, &admin, "Загрузить и удалить отсутствующие", "удалено").await;
    assert!(done.text.contains("удалено: 1"), "{}", done.text);
    assert_eq!(classes(&app).await, ["Иркутск/Школа № 1/5А=25", "Иркутск/Школа № 1/5Б=20"]);
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM schools WHERE name = 'Лицей № 2'").await, 1, "its scores keep it");
    assert_eq!(sql.count("SELECT COUNT(*) FROM expert_scores").await, 1);
    sql.close().await;
}

on_both_engines!(
    a_school_with_expert_scores_stays_when_its_classes_go,
    a_region_administrator_checks_and_loads_roster_files,
    stale_confirmations_change_nothing,
    only_region_administrators_load_rosters,
    the_command_line_previews_imports_and_removes_missing_classes,
);
