//! Staff through the real binary and the Bot API stand-in: one-time invitations (accepted once,
//! expired, revoked), the teacher's link, per-role menus, `/stats` within scope and refused
//! outside it, `/links`, and the campaign lifecycle commands.

mod support;

use std::time::Duration;

use support::bot_api::TestUser;
use support::{Link, TestApp, exported_rows, read_workbook};

/// The invitation link is the last line of stdout; returns the `/start` command it stands for.
async fn invite(app: &TestApp, args: &[&str]) -> String {
    let out = app.cli(args).await;
    let (notice, link) = out.trim_end().rsplit_once('\n').expect("a notice, then the link");
    // Valid until a time of the region (bot.toml's Europe/Moscow), not of UTC. (The link is not
    // looked at: its random code may well hold the letters "UTC".)
    assert!(notice.contains("(Europe/Moscow)") && !notice.contains("UTC"), "{out}");
    let link = link.trim().to_string();
    assert!(link.starts_with("https://t.me/anketa_test_bot?start=inv_"), "{out}");
    format!("/start {}", link.split("?start=").nth(1).unwrap())
}

fn link<'a>(links: &'a [Link], class: &str) -> &'a Link {
    links.iter().find(|l| l.class == class).unwrap()
}

/// Completes the parents' НОКО questionnaire answering «Нет» throughout, screen by screen (several
/// respondents at once go beyond Telegram's 30 messages a second: a screen may come after its answer).
async fn respond(user: &TestUser, link: &Link) {
    user.send_text(&link.start_command()).await;
    user.press_and_see("Начать").await;
    for _ in 0..10 {
        user.press_and_see("Нет").await;
    }
    user.press_and_see("Пропустить").await;
    assert!(user.press_and_see("Отправить").await.text.contains("Спасибо"));
}

async fn an_invitation_makes_one_person_staff_once(mut app: TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let start = invite(&app, &["admin", "invite", "--school", "Школа № 1"]).await;
    let admin = app.api.user(900_001, "ru");
    let before = app.api.seq();
    let welcome = admin.send_text(&start).await;
    assert!(welcome.text.contains("администратор школы") && welcome.text.contains("Школа № 1"), "{}", welcome.text);
    // The menu is the school administrator's, set for this chat only.
    let menu = app
        .api
        .wait_for_call_after(before, "setMyCommands", |b| b["scope"]["type"] == "chat", Duration::from_secs(10))
        .await;
    let commands: Vec<&str> =
        menu["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(commands, ["stats", "links", "results", "kit", "invite", "team", "export", "help"]);
    assert_eq!(menu["scope"]["chat_id"], 900_001);

    // A second person opening the same link gets nothing.
    let intruder = app.api.user(900_002, "ru");
    let refused = intruder.send_text(&start).await;
    assert!(refused.text.contains("недействительно"), "{}", refused.text);
    assert!(intruder.send_text("/stats").await.text.contains("анонимного опроса"), "not staff: the respondent help");

    // Revoked and expired invitations say the same.
    let revoked = invite(&app, &["admin", "invite", "--municipality", "Иркутск"]).await;
    // The operator revokes it with the link they were given.
    let link = format!("https://t.me/anketa_test_bot?start={}", revoked.trim_start_matches("/start "));
    app.cli(&["admin", "revoke", &link]).await;
    assert!(intruder.send_text(&revoked).await.text.contains("недействительно"));
    let expired = invite(&app, &["admin", "invite", "--region", "--expires-in", "1h"]).await;
    let sql = app.sql().await;
    sql.execute("UPDATE invitations SET expires_at = '2020-01-01T00:00:00+00:00' WHERE accepted_at IS NULL").await;
    assert!(intruder.send_text(&expired).await.text.contains("недействительно"));

    // `admin list` shows the member; revoking them ends their access.
    let list = app.cli(&["admin", "list"]).await;
    let line = list.lines().find(|l| l.contains("school\tИркутск / Школа № 1")).unwrap_or_else(|| panic!("{list}"));
    let id = line.split_whitespace().next().unwrap();
    app.cli(&["admin", "revoke", id]).await;
    assert!(admin.send_text("/stats").await.text.contains("анонимного опроса"));
    assert!(app.api.calls("deleteMyCommands").iter().any(|c| c["scope"]["chat_id"] == 900_001), "menu removed");
}

async fn stats_stay_within_each_scope(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    for (n, class) in ["5А", "5А", "5Б"].iter().enumerate() {
        respond(&app.api.user(700_000 + n as i64, "ru"), link(&links, class)).await;
    }
    let school_admin = app.api.user(900_010, "ru");
    school_admin.send_text(&invite(&app, &["admin", "invite", "--school", "Иркутск/Школа № 1"]).await).await;
    let teacher = app.api.user(900_011, "en");
    let start = invite(&app, &["teacher", "invite", "--school", "Школа № 1", "--class", "5А"]).await;
    teacher.send_text(&start).await;
    // The welcome is followed by the class link to forward; wait for it before asking anything.
    teacher.wait_for_text("Уважаемые родители").await;
    let municipal = app.api.user(900_012, "ru");
    municipal.send_text(&invite(&app, &["admin", "invite", "--municipality", "Иркутск"]).await).await;

    let school = school_admin.send_text("/stats").await.text;
    assert!(school.contains("Всего: родители: 3 из 45 (6,7%)"), "{school}");
    assert!(
        school.contains("• 5А — родители: 2 из 25 (8,0%) ⚠") && school.contains("• 5Б — родители: 1 из 20 (5,0%) ⚠"),
        "{school}"
    );
    assert!(!school.contains("9В"), "{school}");
    let one_class = school_admin.send_text("/stats 5Б").await.text;
    assert!(one_class.contains("5Б") && !one_class.contains("5А"), "{one_class}");
    for outside in ["/stats Лицей № 2", "/stats 9В", "/stats Иркутск", "/stats Нигде"] {
        let refused = school_admin.send_text(outside).await.text;
        assert!(refused.contains("не нашлось в вашей зоне"), "{outside}: {refused}");
        assert!(!refused.contains(" из "), "{outside}: no numbers leak: {refused}");
    }

    let class = teacher.send_text("/stats").await.text;
    assert!(class.contains("• 5А — parents: 2 of 25 (8.0%)") && !class.contains("5Б"), "{class}");
    assert!(teacher.send_text("/stats 5Б").await.text.contains("was not found"));
    assert!(teacher.send_text("/stats Школа № 1").await.text.contains("was not found"));

    let municipality = municipal.send_text("/stats").await.text;
    assert!(
        municipality.contains("• Школа № 1 — родители: 3 из 45")
            && municipality.contains("• Лицей № 2 — родители: 0 из 30"),
        "{municipality}"
    );
    let drill = municipal.send_text("/stats Школа № 1").await.text;
    assert!(drill.contains("• 5А — родители: 2 из 25"), "{drill}");
}

async fn a_teacher_gets_the_class_link_ready_to_forward(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let teacher = app.api.user(900_020, "ru");
    let before = app.api.seq();
    teacher.enqueue_text(&invite(&app, &["teacher", "invite", "--school", "Школа № 1", "--class", "5Б"]).await);
    let forward = teacher.wait_for_text("Уважаемые родители 5Б класса").await;
    assert!(forward.text.contains(&link(&links, "5Б").url), "{}", forward.text);
    assert_eq!(forward.kind, "photo", "the QR code, with the text to forward as its caption");
    let qr = app.api.uploads().into_iter().find(|u| u.chat_id == Some(900_020)).expect("the QR picture");
    assert_eq!(support::decode_qr(&qr.bytes), link(&links, "5Б").url);
    teacher.wait_for_text("Перешлите сообщение выше").await;
    let menu = app
        .api
        .wait_for_call_after(before, "setMyCommands", |b| b["scope"]["type"] == "chat", Duration::from_secs(10))
        .await;
    assert!(menu["commands"].as_array().unwrap().iter().any(|c| c["command"] == "link"));
    let before = app.api.seq();
    teacher.enqueue_text("/link");
    let again = support::outputs(&teacher, before, 2).await;
    assert!(again[0].text.contains(&link(&links, "5Б").url), "{}", again[0].text);
    // `/links` is for school administrators; a teacher gets their help instead.
    assert!(teacher.send_text("/links").await.text.contains("/link —"));
}

async fn a_school_administrator_gets_the_class_links_as_a_file(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let admin = app.api.user(900_030, "ru");
    admin.send_text(&invite(&app, &["admin", "invite", "--school", "Школа № 1"]).await).await;
    let before = app.api.seq();
    admin.enqueue_text("/links");
    let documents = support::outputs(&admin, before, 2).await;
    assert!(documents.iter().all(|d| d.kind == "document"), "{documents:?}");
    let upload = app.api.uploads().into_iter().find(|u| u.chat_id == Some(900_030)).expect("a CSV upload");
    let csv = String::from_utf8(upload.bytes).unwrap();
    // As a Russian Excel opens it: a byte order mark, `;`, CRLF.
    assert!(csv.starts_with("\u{feff}class;url\r\n"), "{csv}");
    for class in ["5А", "5Б"] {
        assert!(csv.contains(&format!("{class};{}\r\n", link(&links, class).url)), "{csv}");
    }
    assert!(!csv.contains("9В"), "another school's class: {csv}");
    let posters = app
        .api
        .uploads()
        .into_iter()
        .find(|u| u.chat_id == Some(900_030) && u.bytes.starts_with(b"%PDF"))
        .expect("the posters");
    assert_eq!(posters.file_name.as_deref(), Some("posters-autumn.pdf"));
    assert_eq!(support::pdf_pages(&posters.bytes), 2, "a page per class of the school");
}

async fn ambiguous_school_names_are_an_error_that_lists_the_candidates(app: TestApp) {
    let roster =
        app.write("two.csv", "municipality,school,class,students\nКунгур,Школа № 1,1А,20\nПермь,Школа № 1,1А,25\n");
    app.cli(&["roster", "import", &roster]).await;
    let stderr = app.cli_fails(&["admin", "invite", "--school", "Школа № 1"]).await;
    assert!(
        stderr.contains("несколько")
            && stderr.contains("\"Кунгур/Школа № 1\"")
            && stderr.contains("\"Пермь/Школа № 1\""),
        "{stderr}"
    );
    invite(&app, &["teacher", "invite", "--school", "Пермь/Школа № 1", "--class", "1А"]).await;
    let stderr = app.cli_fails(&["teacher", "invite", "--school", "Пермь/Школа № 1", "--class", "9Я"]).await;
    assert!(stderr.contains("нет класса «9Я»"), "{stderr}");
    let stderr = app.cli_fails(&["admin", "invite", "--region", "--school", "Пермь/Школа № 1"]).await;
    assert!(stderr.contains("--region нельзя указать вместе с --school"), "{stderr}");
}

async fn campaigns_close_and_extend_and_leaked_links_are_replaced(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let parent = app.api.user(700_100, "ru");

    let old = link(&links, "5А").clone();
    let out = app.cli(&["links", "revoke", "--campaign", "autumn", "--school", "Школа № 1", "--class", "5А"]).await;
    let new_url = out.lines().last().unwrap().to_string();
    assert!(new_url.starts_with("https://t.me/anketa_test_bot?start=") && new_url != old.url, "{out}");
    let refused = parent.send_text(&old.start_command()).await;
    assert!(refused.text.contains("ссылка недействительна"), "{}", refused.text);
    let fresh = Link { url: new_url, ..old.clone() };
    assert!(parent.send_text(&fresh.start_command()).await.has_button("Начать"));
    let again = app.export_links("autumn").await;
    assert_eq!(link(&again, "5А").url, fresh.url, "links export shows the new link");

    let today = chrono::Utc::now().date_naive();
    let stderr = app
        .cli_fails(&["campaign", "extend", "autumn", "--ends", &(today - chrono::Duration::days(5)).to_string()])
        .await;
    assert!(stderr.contains("раньше, чем начинается"), "{stderr}");
    let later = today + chrono::Duration::days(40);
    app.cli(&["campaign", "extend", "autumn", "--ends", &later.to_string()]).await;
    assert!(app.cli(&["campaign", "list"]).await.contains(&later.format("%d.%m.%Y").to_string()));

    app.cli(&["campaign", "close", "autumn"]).await;
    assert!(app.cli(&["campaign", "list"]).await.contains("\tзакрыта"));
    assert!(app.cli_fails(&["campaign", "close", "autumn"]).await.contains("уже закрыта"));
    // The unfinished survey can no longer be submitted; new visitors are told it is closed.
    let other = app.api.user(700_101, "ru");
    assert!(other.send_text(&link(&links, "5Б").start_command()).await.text.contains("опрос закрыт"));
}

async fn export_workbooks_hide_groups_below_the_privacy_threshold(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    for n in 0..5 {
        respond(&app.api.user(710_000 + n, "ru"), link(&links, "5А")).await;
    }
    // The fifth answer of 5А releases the class's five from the ballot box.
    app.wait_released(5).await;
    respond(&app.api.user(710_005, "ru"), link(&links, "5А")).await;
    for n in 0..2 {
        respond(&app.api.user(720_000 + n, "ru"), link(&links, "5Б")).await;
    }
    let admin = app.api.user(900_040, "ru");
    admin.send_text(&invite(&app, &["admin", "invite", "--school", "Школа № 1"]).await).await;
    let document = admin.send_text("/export").await;
    assert_eq!(document.kind, "document");
    assert!(document.text.contains("5 анонимных ответов"), "{}", document.text);
    let upload = app.api.uploads().into_iter().rev().find(|u| u.chat_id == Some(900_040)).unwrap();
    assert_eq!(upload.file_name.as_deref(), Some("autumn.xlsx"));
    let sheets = read_workbook(upload.bytes);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Ответы", "Распределение", "Вопросы"]);
    let responses = &sheets[0].1;
    // Headers and answers in the reader's language, no codes and no date for staff.
    assert_eq!(
        responses[0][..5],
        ["Муниципалитет", "Школа", "Класс", "Кто отвечал", "q1 · Информация на стендах"],
        "no date for staff"
    );
    assert_eq!(responses.len(), 6, "5А's released five; its sixth and 5Б's two wait in the box");
    assert!(responses[1..].iter().all(|r| r[2] == "5А" && r[3] == "Родитель" && r[4] == "Нет" && r[5].is_empty()));
    let distribution = &sheets[1].1;
    let q1_no = distribution.iter().find(|r| r[0] == "q1" && r[2] == "Нет").expect("q1 «Нет» row");
    assert_eq!((q1_no[3].as_str(), q1_no[4].as_str()), ("5", "1"));
    assert!(distribution.iter().all(|r| r[0] != "q2" || r[3] == "0"), "q2 was never asked");

    // The indicators so far: everyone answered «Нет», so satisfaction is 0, and 3.3 (asked only of
    // respondents with a disability) has no data.
    let results = admin.send_text("/results").await.text;
    assert!(results.contains("показатели по 5 ответам"), "{results}");
    assert!(results.contains("• 5.3 Пуд (удовлетворённость в целом) — 0,0"), "{results}");
    assert!(results.contains("• 3.3 Пдост уд (доступность для инвалидов) — н/д"), "{results}");
    assert!(results.contains("• К5: часть по опросу — 0,0"), "{results}");
    // 4.3 has no data: by default (report.empty_indicators = "reweight") К4 stands on 4.1 and 4.2.
    assert!(results.contains("• К4: часть по опросу — 0,0"), "{results}");
    assert!(results.contains("• К3: часть по опросу — н/д"), "3.3 is К3's only survey term: {results}");

    let teacher = app.api.user(900_041, "ru");
    let start = invite(&app, &["teacher", "invite", "--school", "Школа № 1", "--class", "5Б"]).await;
    let before = app.api.seq();
    teacher.enqueue_text(&start);
    support::outputs(&teacher, before, 3).await;
    assert!(!teacher.send_text("/results").await.text.contains("показатели по"), "teachers get their help");
    let refused = teacher.send_text("/export").await;
    assert!(refused.text.contains("меньше 5 ответов"), "{}", refused.text);

    // The operator's workbook has what is released, with its day; once the campaign is closed,
    // everything: the sixth of 5А and 5Б's two join 5А's release, which loses its class name and
    // is no longer shown to staff (next to what they saw, it would show the three by difference).
    let out = app.path("all.xlsx");
    app.cli(&["export", "--campaign", "autumn", "--format", "xlsx", "--out", out.to_str().unwrap()]).await;
    let sheets = read_workbook(std::fs::read(&out).unwrap());
    assert_eq!(sheets[0].1[0][4], "День выпуска из урны");
    assert_eq!(sheets[0].1.len(), 6);
    app.cli(&["campaign", "close", "autumn"]).await;
    app.cli(&["export", "--campaign", "autumn", "--format", "xlsx", "--out", out.to_str().unwrap()]).await;
    let sheets = read_workbook(std::fs::read(&out).unwrap());
    assert_eq!(sheets[0].1.len(), 9);
    assert!(sheets[0].1[1..].iter().all(|r| r[2].is_empty()), "pooled under the school");
}

/// How many responses a staff member's `/results` is computed over.
async fn results_count(user: &TestUser) -> usize {
    let text = user.send_text("/results").await.text;
    let count = text
        .split_once("показатели по ")
        .or_else(|| text.split_once("пока "))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok());
    count.unwrap_or_else(|| panic!("no count in {text:?}"))
}

/// The staff adversary: a school administrator and a class teacher look at `/export` and
/// `/results` after every single response (as someone who saw a parent write "done" in the class
/// chat would). Each screen either stays as it was or changes by at least five responses, rows
/// carry no date, and rows come in no telling order.
async fn staff_screens_change_only_by_whole_groups(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.start_bot().await;
    let admin = app.api.user(900_060, "ru");
    admin.send_text(&invite(&app, &["admin", "invite", "--school", "Школа № 1"]).await).await;
    let teacher = app.api.user(900_061, "ru");
    let start = invite(&app, &["teacher", "invite", "--school", "Школа № 1", "--class", "5А"]).await;
    let before = app.api.seq();
    teacher.enqueue_text(&start);
    support::outputs(&teacher, before, 3).await;

    let mut seen = (Vec::new(), 0, Vec::new());
    let classes = ["5А", "5Б", "5А", "5А", "5Б", "5А", "5А", "5Б", "5Б", "5А", "5Б", "5А"];
    for (n, class) in classes.iter().enumerate() {
        respond(&app.api.user(730_000 + n as i64, "ru"), link(&links, class)).await;
        // Time for the ballot box to settle the school, had this response completed a group.
        tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY * 5).await;
        let now = (exported_rows(&app, &admin).await, results_count(&admin).await, exported_rows(&app, &teacher).await);
        let changes = [
            ("the school's /export", seen.0.len().saturating_sub(1), now.0.len().saturating_sub(1)),
            ("the school's /results", seen.1, now.1),
            ("the class's /export", seen.2.len().saturating_sub(1), now.2.len().saturating_sub(1)),
        ];
        for (screen, was, is) in changes {
            assert!(is == was || is >= was + 5, "after response {n}, {screen} went from {was} to {is}");
        }
        for rows in [&now.0, &now.2] {
            if let Some(header) = rows.first() {
                // Where the operator's has the release day, staff's goes straight on to the answers.
                assert!(header[3] == "Кто отвечал" && header[4].starts_with("q1 "), "{header:?}");
                assert!(!header.iter().any(|h| h.contains("День") || h.contains("date")), "{header:?}");
            }
        }
        seen = now;
    }
    // Who has answered is live, whatever the box holds.
    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("ответили родители: 12 из"), "{list}");
    // By the end something was shown: 5А's seven and 5Б's five crossed five (rows: a header too).
    assert!(seen.0.len() > 10 && seen.1 >= 10 && seen.2.len() > 5, "{} {} {}", seen.0.len(), seen.1, seen.2.len());
}

on_both_engines!(
    staff_screens_change_only_by_whole_groups,
    export_workbooks_hide_groups_below_the_privacy_threshold,
    an_invitation_makes_one_person_staff_once,
    stats_stay_within_each_scope,
    a_teacher_gets_the_class_link_ready_to_forward,
    a_school_administrator_gets_the_class_links_as_a_file,
    ambiguous_school_names_are_an_error_that_lists_the_candidates,
    campaigns_close_and_extend_and_leaked_links_are_replaced,
);
