//! Audiences by grade through the real binary (issue 13, item 3): a campaign asks parents of
//! grades 1–8 and students of grades 9–11; each class link offers only the audiences of its
//! grade, the server refuses a forged choice, and `/stats`, the digest and the thanks screen
//! count each audience against its own base.

mod support;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use support::bot_api::{BotMessage, TestUser};
use support::{Link, TestApp};

/// One school in Irkutsk time: a first grade, a tenth grade and a class whose grade cannot be read.
const ROSTER: &str = "municipality;school;class;students;timezone\n\
Иркутск;Школа № 1;1А;20;Asia/Irkutsk\n\
Иркутск;Школа № 1;10А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;Коррекционный;8;Asia/Irkutsk\n";

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + chrono::Duration::days(offset)
}

/// Imports [`ROSTER`] and creates "autumn" (from yesterday, for ten days) with `extra` arguments;
/// returns what `campaign create` printed.
async fn create(app: &TestApp, extra: &[&str]) -> String {
    let roster = app.write("roster.csv", ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    let (starts, ends) = (day(-1).to_string(), day(10).to_string());
    let mut args = vec!["campaign", "create", "--name", "autumn"];
    args.extend_from_slice(extra);
    args.extend(["--starts", &starts, "--ends", &ends, "--target-percent", "40", "--allow-past-start"]);
    app.cli(&args).await
}

/// Parents in every grade, students in grades 9–11.
const STUDENTS_9_11: [&str; 6] =
    ["--questionnaire", "noko-parents", "--questionnaire", "noko-students", "--grades", "noko-students=9-11"];

/// The region of issue 13: parents of grades 1–8, students of grades 9–11.
const PARENTS_1_8_STUDENTS_9_11: [&str; 8] = [
    "--questionnaire",
    "noko-parents",
    "--questionnaire",
    "noko-students",
    "--grades",
    "noko-parents=1-8",
    "--grades",
    "noko-students=9-11",
];

fn link<'a>(links: &'a [Link], class: &str) -> &'a Link {
    links.iter().find(|l| l.class == class).unwrap_or_else(|| panic!("no link for class {class}"))
}

/// Answers whatever the current screen asks with «Нет», skips the free text and submits;
/// returns the thanks screen.
async fn finish(user: &TestUser) -> BotMessage {
    for _ in 0..40 {
        let screen = user.last_message();
        let button = ["Отправить", "Нет", "Пропустить"].into_iter().find(|b| screen.has_button(b));
        let Some(button) = button else { panic!("no way on from {screen:?}") };
        user.press(button).await;
        if button == "Отправить" {
            return user.last_message();
        }
    }
    panic!("the questionnaire did not end")
}

async fn a_link_offers_only_the_audiences_of_its_grade(mut app: TestApp) {
    create(&app, &STUDENTS_9_11).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;

    // Grade 1: the parents' questionnaire at once, no "who is answering".
    let parent = app.api.user(7_100_000_001, "ru");
    parent.send_text(&link(&links, "1А").start_command()).await;
    assert_eq!(parent.press("Начать").await.text, None);
    let first = parent.last_message();
    assert!(first.text.starts_with("Вопрос 1 из"), "{}", first.text);
    assert!(!first.has_button("Обучающийся"), "{first:?}");

    // A forged "student" press on the grade-1 question is refused, and nothing changes.
    let data = first.buttons.iter().flatten().find_map(|b| b.callback_data.clone()).expect("a button");
    let revision = data.split(':').next().unwrap();
    let refused = parent.press_data(first.message_id, &format!("{revision}:a:student")).await;
    let refusal = refused.text.expect("a clear reply");
    assert!(refusal.contains("не проводится"), "{refusal}");
    assert_eq!(parent.last_message().text, first.text, "still on the parents' first question");
    let thanks = finish(&parent).await;
    assert!(thanks.text.contains("Спасибо"), "{}", thanks.text);

    // Grade 10: both audiences.
    let student = app.api.user(7_100_000_002, "ru");
    student.send_text(&link(&links, "10А").start_command()).await;
    student.press("Начать").await;
    let who = student.last_message();
    assert!(who.text.contains("Кто отвечает") && who.has_button("Родитель") && who.has_button("Обучающийся"));

    // A class whose grade cannot be read is asked everything too.
    let unread = app.api.user(7_100_000_003, "ru");
    unread.send_text(&link(&links, "Коррекционный").start_command()).await;
    unread.press("Начать").await;
    assert!(unread.last_message().has_button("Обучающийся"));

    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM ballots WHERE audience = 'parent'").await, 1);
    assert_eq!(sql.count("SELECT COUNT(*) FROM ballots WHERE audience = 'student'").await, 0);
}

async fn parents_of_the_younger_grades_and_students_of_the_older(mut app: TestApp) {
    create(&app, &PARENTS_1_8_STUDENTS_9_11).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;
    // Grade 10 asks its students only: their questionnaire at once.
    let student = app.api.user(7_100_000_005, "ru");
    student.send_text(&link(&links, "10А").start_command()).await;
    student.press("Начать").await;
    let first = student.last_message();
    assert!(first.text.starts_with("Вопрос 1 из"), "{}", first.text);
    let data = first.buttons.iter().flatten().find_map(|b| b.callback_data.clone()).expect("a button");
    let revision = data.split(':').next().unwrap();
    let refused = student.press_data(first.message_id, &format!("{revision}:a:parent")).await;
    assert!(refused.text.is_some_and(|t| t.contains("не проводится")));
    finish(&student).await;
    let sql = app.sql().await;
    assert_eq!(sql.count("SELECT COUNT(*) FROM ballots WHERE audience = 'student'").await, 1);
    assert_eq!(sql.count("SELECT COUNT(*) FROM ballots WHERE audience = 'parent'").await, 0);

    // The class teacher's text to forward calls on the class's students, not its parents.
    let teacher = app.api.user(920_010, "ru");
    teacher.enqueue_text(&app.invite(&["teacher", "invite", "--school", "Школа № 1", "--class", "10А"]).await);
    teacher.wait_for_text("Уважаемые обучающиеся 10А класса старше 14 лет!").await;
}

async fn a_class_asked_nothing_refuses_its_link(mut app: TestApp) {
    create(&app, &["--questionnaire", "noko-students", "--grades", "noko-students=9-11"]).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;
    let parent = app.api.user(7_100_000_004, "ru");
    let refused = parent.send_text(&link(&links, "1А").start_command()).await;
    assert!(refused.text.contains("опрос не проводится"), "{}", refused.text);
    assert!(refused.buttons.is_empty());
}

const ADMIN: i64 = 920_001;
const TEACHER: i64 = 920_003;

async fn each_audience_is_counted_against_its_own_base(mut app: TestApp) {
    create(&app, &STUDENTS_9_11).await;
    let links = app.export_links("autumn").await;
    // 08:30 in Irkutsk: the digest is not due yet.
    app.start_bot_with(&[("ANKETA_CLOCK", &format!("{}T00:30:00Z", day(0)))]).await;
    let admin = app.api.user(ADMIN, "ru");
    admin.send_text(&app.invite(&["admin", "invite", "--school", "Школа № 1"]).await).await;

    // In 10А one parent and two students answer; in 1А one parent.
    for (user, class, audience) in [
        (7_200_000_001, "10А", "Родитель"),
        (7_200_000_002, "10А", "Обучающийся"),
        (7_200_000_003, "10А", "Обучающийся"),
    ] {
        let respondent = app.api.user(user, "ru");
        respondent.send_text(&link(&links, class).start_command()).await;
        respondent.press("Начать").await;
        respondent.press(audience).await;
        finish(&respondent).await;
    }
    let parent = app.api.user(7_200_000_004, "ru");
    parent.send_text(&link(&links, "1А").start_command()).await;
    parent.press("Начать").await;
    let thanks = finish(&parent).await;
    assert!(!thanks.text.contains("ученики") && !thanks.text.contains("семь"), "{}", thanks.text);

    let stats = admin.send_text("/stats").await.text;
    assert!(stats.contains("• 1А — родители: 1 из 20 (5,0%) ⚠\n"), "grade 1 asks no students: {stats}");
    assert!(
        stats.contains("• 10А — родители: 1 из 25 (4,0%) ⚠ · ученики: 2 из 25 (8,0%) ⚠"),
        "grade 10 asks both, each against its 25: {stats}"
    );
    assert!(
        stats.contains("Всего: родители: 2 из 53 (3,8%) · ученики: 2 из 33 (6,1%)"),
        "parents of all 53, students of 10А and the unread class: {stats}"
    );
    assert!(!stats.contains("семь"), "{stats}");

    // 10А's teacher asks for the daily line.
    let teacher = app.api.user(TEACHER, "ru");
    let before = app.api.seq();
    teacher.enqueue_text(&app.invite(&["teacher", "invite", "--school", "Школа № 1", "--class", "10А"]).await);
    // The welcome, the class link to forward and the hint.
    support::outputs(&teacher, before, 3).await;
    assert!(teacher.send_text("/digest on").await.text.contains("каждое утро"));

    // 09:00 in Irkutsk is 01:00 UTC.
    app.stop_bot().await;
    app.start_bot_with(&[("ANKETA_CLOCK", &format!("{}T01:00:30Z", day(0)))]).await;
    let digest = app
        .api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == ADMIN && b["text"].as_str().is_some_and(|t| t.starts_with("📊")),
            Duration::from_secs(20),
        )
        .await;
    let digest = digest["text"].as_str().unwrap();
    assert!(digest.contains("• 10А — родители: 1 из 25 (4,0%) ⚠ · ученики: 2 из 25 (8,0%) ⚠"), "{digest}");
    assert!(digest.contains("Всего: родители: 2 из 53 (3,8%) · ученики: 2 из 33 (6,1%) — ниже цели 40%"), "{digest}");
    let line = app
        .api
        .wait_for_call_after(
            0,
            "sendMessage",
            |b| b["chat_id"] == TEACHER && b["text"].as_str().is_some_and(|t| t.starts_with("«autumn», ваш класс")),
            Duration::from_secs(20),
        )
        .await;
    let line = line["text"].as_str().unwrap();
    assert!(line.contains("10А — родители: 1 из 25 (4,0%) ⚠ · ученики: 2 из 25 (8,0%) ⚠"), "{line}");
}

async fn the_thanks_screen_counts_the_audiences_apart(mut app: TestApp) {
    create(&app, &STUDENTS_9_11[..4]).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;
    let mut last = None;
    for n in 0..5 {
        let student = app.api.user(7_300_000_000 + n, "ru");
        student.send_text(&link(&links, "10А").start_command()).await;
        student.press("Начать").await;
        student.press("Обучающийся").await;
        last = Some(finish(&student).await.text);
    }
    let thanks = last.unwrap();
    // Five students reach the privacy threshold; the parents (none) are not named.
    assert!(thanks.contains("В классе 10А уже ответили ученики: 5 из 25 (20,0%)."), "{thanks}");
    assert!(!thanks.contains("родители") && !thanks.contains("семь"), "{thanks}");
}

async fn campaign_create_reads_the_grades_and_names_the_classes_it_cannot_place(app: TestApp) {
    let out = create(&app, &PARENTS_1_8_STUDENTS_9_11).await;
    assert!(out.contains("Школа № 1, Коррекционный"), "{out}");
    assert!(!out.contains("10А"), "{out}");
    let sql = app.sql().await;
    assert_eq!(sql.text("SELECT grades FROM campaign_questionnaires WHERE audience = 'student'").await, "9-11");
    assert_eq!(sql.text("SELECT grades FROM campaign_questionnaires WHERE audience = 'parent'").await, "1-8");

    let (starts, ends) = (day(0).to_string(), day(10).to_string());
    for (grades, says) in [
        ("noko-students=9-12", "не удалось прочитать классы «noko-students=9-12»"),
        ("noko-students=0-4", "не удалось прочитать классы"),
        ("noko-students=11-9", "не удалось прочитать классы"),
        ("noko-students", "не удалось прочитать классы"),
        ("noko-teachers=1-4", "классы заданы для анкеты «noko-teachers», которой нет среди анкет кампании"),
    ] {
        let refused = app
            .cli_fails(&[
                "campaign",
                "create",
                "--name",
                "spring",
                "--questionnaire",
                "noko-parents",
                "--questionnaire",
                "noko-students",
                "--grades",
                grades,
                "--starts",
                &starts,
                "--ends",
                &ends,
                "--target-percent",
                "40",
            ])
            .await;
        assert!(refused.contains(says), "{grades}: {refused}");
    }
    assert_eq!(sql.count("SELECT COUNT(*) FROM campaigns").await, 1, "nothing half-created");
}

async fn without_grades_no_class_is_listed(app: TestApp) {
    let out = create(&app, &STUDENTS_9_11[..4]).await;
    assert!(!out.contains("Коррекционный"), "every audience in every grade: nothing to list: {out}");
}

async fn the_bot_asks_the_grades_of_each_audience(mut app: TestApp) {
    let roster = app.write("roster.csv", ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    app.start_bot().await;
    let admin = app.staff(920_002, &["admin", "invite", "--region"]).await;
    admin.send_text("/newcampaign").await;
    admin.send_text("Весна").await;
    admin.press("noko-parents").await;
    admin.press("noko-students").await;
    admin.press("Готово").await;
    let parents = admin.last_message();
    assert!(parents.text.contains("«noko-parents»"), "{}", parents.text);
    for offered in ["во всех классах", "1-8 классы", "9-11 классы", "5-11 классы"] {
        assert!(parents.has_button(offered), "{offered}: {parents:?}");
    }
    admin.press("во всех классах").await;
    assert!(admin.last_message().text.contains("«noko-students»"), "{:?}", admin.last_message());
    let after = admin.enqueue_text("9-12");
    let replies = support::outputs(&admin, after, 2).await;
    assert!(replies[0].text.contains("Не удалось прочитать «9-12»"), "{}", replies[0].text);
    assert!(replies[1].text.contains("«noko-students»"), "asked again: {}", replies[1].text);
    assert!(admin.send_text("9-11").await.text.contains("Первый день"));
    admin.send_text(&day(0).format("%d.%m.%Y").to_string()).await;
    admin.send_text(&day(10).format("%d.%m.%Y").to_string()).await;
    admin.press("50%").await;
    let summary = admin.last_message().text;
    assert!(summary.contains("noko-parents (во всех классах), noko-students (9-11)"), "{summary}");
    admin.press("Создать").await;
    let created = admin.wait_for_text("создана").await;
    assert!(created.text.contains("Школа № 1, Коррекционный"), "the unread class is named: {}", created.text);
    let sql = app.sql().await;
    assert_eq!(sql.text("SELECT grades FROM campaign_questionnaires WHERE audience = 'student'").await, "9-11");
    assert_eq!(sql.count("SELECT COUNT(*) FROM campaign_questionnaires WHERE grades IS NULL").await, 1);
}

async fn db_copy_carries_the_grades_and_the_tallies_by_audience(mut app: TestApp) {
    create(&app, &STUDENTS_9_11).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;
    let student = app.api.user(7_400_000_001, "ru");
    student.send_text(&link(&links, "10А").start_command()).await;
    student.press("Начать").await;
    student.press("Обучающийся").await;
    finish(&student).await;
    app.stop_bot().await;

    let copy = format!("sqlite://{}", app.path("copy.db").display());
    app.cli(&["db", "copy", "--from", &app.db_url, "--to", &copy]).await;
    let copied = sqlx::SqlitePool::connect(&copy).await.unwrap();
    let grades: Option<String> =
        sqlx::query_scalar("SELECT grades FROM campaign_questionnaires WHERE audience = 'student'")
            .fetch_one(&copied)
            .await
            .unwrap();
    assert_eq!(grades.as_deref(), Some("9-11"));
    let tallies: Vec<(String, i64)> =
        sqlx::query_as("SELECT audience, responses FROM class_tallies").fetch_all(&copied).await.unwrap();
    assert_eq!(tallies, [("student".to_string(), 1)]);
}

/// The staff adversary with two audiences. `/export` names each response's class and audience, so
/// a class released with four parents and one student would show that student's answers alone
/// under their class, and `/stats` says which class has one student's answer. Every group of
/// answers staff see, a class's parents or a class's students, holds at least the threshold.
async fn staff_see_each_audience_of_a_class_only_in_groups_of_the_threshold(mut app: TestApp) {
    create(&app, &STUDENTS_9_11).await;
    let links = app.export_links("autumn").await;
    app.start_bot().await;
    let admin = app.api.user(ADMIN, "ru");
    admin.send_text(&app.invite(&["admin", "invite", "--school", "Школа № 1"]).await).await;
    let answer = |user: i64, audience: &'static str| {
        let respondent = app.api.user(user, "ru");
        let start = link(&links, "10А").start_command();
        async move {
            respondent.send_text(&start).await;
            respondent.press("Начать").await;
            respondent.press(audience).await;
            finish(&respondent).await;
        }
    };
    let groups = |rows: &[Vec<String>]| {
        let mut groups = std::collections::BTreeMap::<(String, String), usize>::new();
        for row in rows.iter().skip(1) {
            *groups.entry((row[2].clone(), row[3].clone())).or_default() += 1;
        }
        groups
    };
    // Four parents and one student of 10А: five answers of the class, but one student.
    for n in 0..4 {
        answer(7_400_000_000 + n, "Родитель").await;
    }
    answer(7_400_000_100, "Обучающийся").await;
    tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY * 5).await;
    let seen = groups(&support::exported_rows(&app, &admin).await);
    assert!(seen.values().all(|n| *n >= 5), "a group below the threshold is shown: {seen:?}");

    // Four more students make the class's students five: now they are shown, as a group of five.
    for n in 1..5 {
        answer(7_400_000_100 + n, "Обучающийся").await;
    }
    tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY * 5).await;
    let seen = groups(&support::exported_rows(&app, &admin).await);
    assert_eq!(seen.get(&("10А".to_string(), "Обучающийся".to_string())), Some(&5), "{seen:?}");
    assert!(seen.values().all(|n| *n >= 5), "a group below the threshold is shown: {seen:?}");
}

on_both_engines!(
    staff_see_each_audience_of_a_class_only_in_groups_of_the_threshold,
    db_copy_carries_the_grades_and_the_tallies_by_audience,
    the_bot_asks_the_grades_of_each_audience,
    a_link_offers_only_the_audiences_of_its_grade,
    parents_of_the_younger_grades_and_students_of_the_older,
    a_class_asked_nothing_refuses_its_link,
    each_audience_is_counted_against_its_own_base,
    the_thanks_screen_counts_the_audiences_apart,
    campaign_create_reads_the_grades_and_names_the_classes_it_cannot_place,
    without_grades_no_class_is_listed,
);
