//! Invitations delegated down the hierarchy through the real binary and the Bot API stand-in: the
//! command line invites a region administrator, who invites a municipal administrator by buttons,
//! who invites a school administrator, who invites a class teacher; the chain is stored with
//! `invited_by`; the school administrator revokes the teacher from `/team` with a confirmation
//! (menu removed, access ended, a stale confirmation refused); forged `iv:` buttons for places and
//! people outside the presser's reach change nothing; an open invitation is revoked from `/team`.

mod support;

use chrono::Utc;
use support::TestApp;
use support::bot_api::{BotMessage, TestUser};

/// A second municipality beside the test roster's Иркутск.
const MORE: &str = "municipality;school;class;students\nПермь;Школа № 7;3А;15\n";

/// The `/start` command of the invitation link in `text`.
fn start_command(text: &str) -> String {
    let link = text.split_whitespace().find(|w| w.contains("?start=inv_")).unwrap_or_else(|| panic!("no link: {text}"));
    format!("/start {}", link.split("?start=").nth(1).unwrap())
}

/// An invitation from the command line accepted by a new user `id`.
async fn cli_staff(app: &TestApp, id: i64, args: &[&str]) -> TestUser {
    let out = app.cli(args).await;
    let user = app.api.user(id, "ru");
    user.send_text(&start_command(out.lines().last().expect("an invitation link"))).await;
    user
}

/// `inviter` presses the place on their `/invite` picker; returns the invitation message.
async fn invite_by_button(inviter: &TestUser, place: &str, role: &str) -> BotMessage {
    let answer = inviter.press(place).await;
    assert_eq!(answer.text.as_deref(), Some("Приглашение готово"), "{answer:?}");
    inviter.wait_for_text(&format!("Роль: {role}")).await
}

fn button_data(message: &BotMessage, text: &str) -> String {
    message.button(text).and_then(|b| b.callback_data.clone()).unwrap_or_else(|| panic!("no {text:?}: {message:?}"))
}

async fn setup(app: &mut TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.cli(&["roster", "import", &app.write("more.csv", MORE)]).await;
    app.start_bot().await;
}

async fn an_invitation_is_delegated_down_three_levels_and_revoked(mut app: TestApp) {
    setup(&mut app).await;
    let region = cli_staff(&app, 920_001, &["admin", "invite", "--region"]).await;
    let help = region.send_text("/help").await;
    assert!(help.text.contains("/invite") && help.text.contains("/team"), "{}", help.text);

    // Region → municipality, by buttons: every municipality of the region is offered.
    let picker = region.send_text("/invite").await;
    assert!(picker.text.contains("муниципалитет"), "{}", picker.text);
    assert!(picker.has_button("Иркутск") && picker.has_button("Пермь"), "{picker:?}");
    let invitation = invite_by_button(&region, "Иркутск", "администратор муниципалитета — Иркутск").await;
    // Valid for seven days, in the region's time zone, named.
    let until = (Utc::now() + chrono::Duration::days(7)).with_timezone(&chrono_tz::Europe::Moscow);
    let until = format!("действует до {}", until.format("%d.%m.%Y"));
    assert!(invitation.text.contains(&until) && invitation.text.contains("(Europe/Moscow)"), "{}", invitation.text);
    let municipal = app.api.user(920_002, "ru");
    let welcome = municipal.send_text(&start_command(&invitation.text)).await;
    assert!(welcome.text.contains("администратор муниципалитета"), "{}", welcome.text);

    // Municipality → school: only the schools of their municipality.
    let picker = municipal.send_text("/invite").await;
    assert!(picker.has_button("Школа № 1") && picker.has_button("Лицей № 2"), "{picker:?}");
    assert!(!picker.has_button("Школа № 7"), "a school of another municipality is offered: {picker:?}");
    // A forged button for the school of another municipality creates nothing.
    let sql = app.sql().await;
    let elsewhere = sql.count("SELECT id FROM schools WHERE name = 'Школа № 7'").await;
    let invitations = sql.count("SELECT COUNT(*) FROM invitations").await;
    let refused = municipal.press_data(picker.message_id, &format!("iv:s{elsewhere}")).await;
    assert!(refused.text.as_deref().unwrap_or_default().contains("нет в вашей зоне"), "{refused:?}");
    assert_eq!(sql.count("SELECT COUNT(*) FROM invitations").await, invitations, "no invitation created");
    let invitation = invite_by_button(&municipal, "Школа № 1", "администратор школы — Иркутск / Школа № 1").await;
    let school = app.api.user(920_003, "ru");
    school.send_text(&start_command(&invitation.text)).await;

    // School → class teacher, who gets their class link on accepting.
    let picker = school.send_text("/invite").await;
    assert!(picker.has_button("5А") && picker.has_button("5Б") && !picker.has_button("9В"), "{picker:?}");
    let invitation = invite_by_button(&school, "5А", "классный руководитель — Иркутск / Школа № 1 / 5А").await;
    let teacher = app.api.user(920_004, "ru");
    teacher.send_text(&start_command(&invitation.text)).await;
    let link = teacher.wait_for_text("Уважаемые родители").await;
    assert!(link.kind == "photo" && link.text.contains("https://t.me/"), "{link:?}");
    teacher.wait_for_text("пришлёт ссылку снова").await;
    assert!(teacher.send_text("/invite").await.text.contains("не приглашают"), "a teacher has no /invite");
    assert!(teacher.send_text("/team").await.text.contains("не приглашают"), "a teacher has no /team");

    // The chain is stored: each staff row leads to its inviter through its invitation.
    let inviter_of = |user: i64| {
        format!(
            "SELECT COALESCE(MAX(inviter.user_id), 0) FROM staff st
             JOIN invitations i ON i.code = st.invitation_code
             LEFT JOIN staff inviter ON inviter.id = i.invited_by
             WHERE st.user_id = {user}"
        )
    };
    assert_eq!(sql.count(&inviter_of(920_001)).await, 0, "the region administrator came from the command line");
    assert_eq!(sql.count(&inviter_of(920_002)).await, 920_001);
    assert_eq!(sql.count(&inviter_of(920_003)).await, 920_002);
    assert_eq!(sql.count(&inviter_of(920_004)).await, 920_003);
    let list = app.cli(&["admin", "list"]).await;
    let id = |user: i64| format!("SELECT id FROM staff WHERE user_id = {user}");
    let (school_id, teacher_id) = (sql.count(&id(920_003)).await, sql.count(&id(920_004)).await);
    let line = format!("5А\tпринято (сотрудник № {teacher_id})\tпригласил сотрудник № {school_id}");
    assert!(list.contains(&line), "{list}");

    // The school administrator revokes the teacher from /team, with a confirmation.
    assert!(teacher.send_text("/stats").await.text.contains("autumn"), "the teacher's /stats works");
    let team = school.send_text("/team").await;
    assert!(team.text.contains("User 920004") && team.text.contains("5А"), "{}", team.text);
    school.press("Отозвать 1").await;
    let confirmation = school.last_message();
    assert!(confirmation.text.contains("Отозвать доступ?") && confirmation.has_button("Отмена"), "{confirmation:?}");
    let confirm = button_data(&confirmation, "Да, отозвать");
    let calls = app.api.calls("deleteMyCommands").len();
    school.press("Да, отозвать").await;
    assert!(school.wait_for_text("Доступ отозван").await.text.contains("User 920004"));
    let menu = app.api.calls("deleteMyCommands");
    assert!(menu.iter().any(|c| c["scope"]["type"] == "chat" && c["scope"]["chat_id"] == 920_004), "{menu:?}");
    assert!(teacher.wait_for_text("доступ к боту опросов закрыт").await.text.contains("классный руководитель"));
    assert!(teacher.send_text("/stats").await.text.contains("анонимного опроса"), "access ended");

    // The confirmation pressed again changes nothing and says so.
    let stale = school.press_data(confirmation.message_id, &confirm).await;
    assert!(stale.text.as_deref().unwrap_or_default().contains("уже отозван"), "{stale:?}");
    assert_eq!(app.api.calls("deleteMyCommands").len(), calls + 1, "the menu was removed once");
    assert_eq!(sql.count("SELECT COUNT(*) FROM staff WHERE revoked_at IS NOT NULL").await, 1);
    sql.close().await;
}

async fn forged_revocations_change_nothing_and_open_invitations_are_revoked(mut app: TestApp) {
    setup(&mut app).await;
    let region = cli_staff(&app, 930_001, &["admin", "invite", "--region"]).await;
    let municipal = cli_staff(&app, 930_002, &["admin", "invite", "--municipality", "Иркутск"]).await;
    let lyceum = cli_staff(&app, 930_003, &["admin", "invite", "--school", "Лицей № 2"]).await;
    let teacher = cli_staff(&app, 930_004, &["teacher", "invite", "--school", "Школа № 1", "--class", "5А"]).await;
    let sql = app.sql().await;
    let id = |user: i64| format!("SELECT id FROM staff WHERE user_id = {user}");
    let (region_id, municipal_id) = (sql.count(&id(930_001)).await, sql.count(&id(930_002)).await);
    let teacher_id = sql.count(&id(930_004)).await;
    let on = municipal.send_text("/team").await;
    assert!(on.text.contains("никого не пригласили"), "{}", on.text);

    // Someone of a higher role, oneself, another school's teacher, a place one level too deep:
    // refused, whatever the button says.
    for (user, data) in [
        (&municipal, format!("iv:ys{region_id}")),
        (&municipal, format!("iv:as{region_id}")),
        (&municipal, format!("iv:ys{municipal_id}")),
        (&lyceum, format!("iv:ys{teacher_id}")),
    ] {
        let answer = user.press_data(on.message_id, &data).await;
        assert!(answer.text.as_deref().unwrap_or_default().contains("не в вашей зоне"), "{data}: {answer:?}");
    }
    let class = sql.count("SELECT id FROM classes WHERE name = '5Б'").await;
    let invitations = sql.count("SELECT COUNT(*) FROM invitations").await;
    let too_deep = municipal.press_data(on.message_id, &format!("iv:c{class}")).await;
    assert!(too_deep.text.as_deref().unwrap_or_default().contains("нет в вашей зоне"), "{too_deep:?}");
    assert_eq!(sql.count("SELECT COUNT(*) FROM invitations").await, invitations, "no invitation created");
    let forged = teacher.press_data(on.message_id, "iv:s1").await;
    assert!(forged.text.as_deref().unwrap_or_default().contains("не приглашают"), "{forged:?}");
    assert_eq!(sql.count("SELECT COUNT(*) FROM staff WHERE revoked_at IS NOT NULL").await, 0, "nobody revoked");
    assert!(region.send_text("/stats").await.text.contains("autumn"), "the region administrator keeps access");

    // An open invitation is listed and revoked; its link then no longer works.
    municipal.send_text("/invite").await;
    let invitation = invite_by_button(&municipal, "Лицей № 2", "администратор школы").await;
    let team = municipal.send_text("/team").await;
    assert!(team.text.contains("Приглашение ещё не принято") && team.text.contains("Лицей № 2"), "{}", team.text);
    municipal.press("Отозвать 1").await;
    assert!(municipal.last_message().text.contains("Отозвать приглашение?"));
    municipal.press("Да, отозвать").await;
    municipal.wait_for_text("Приглашение отозвано").await;
    let stranger = app.api.user(930_005, "ru");
    assert!(stranger.send_text(&start_command(&invitation.text)).await.text.contains("недействительно"));

    // A municipality of 26 schools: 20 a page, numbers in numeric order, ‹ › between pages.
    let many: String = (10..34).map(|n| format!("Иркутск;Школа № {n};1А;20\n")).collect();
    app.cli(&["roster", "import", &app.write("many.csv", &format!("municipality;school;class;students\n{many}"))])
        .await;
    let first = municipal.send_text("/invite").await;
    assert!(first.text.contains("Страница 1 из 2"), "{}", first.text);
    let places: Vec<String> = first.button_texts().into_iter().filter(|t| t.contains("№")).collect();
    assert_eq!(places.len(), 20, "{places:?}");
    assert_eq!(places[..4], ["Лицей № 2", "Школа № 1", "Школа № 10", "Школа № 11"], "{places:?}");
    assert!(first.has_button("›") && !first.has_button("‹"), "{first:?}");
    municipal.press("›").await;
    let second = municipal.last_message();
    assert!(second.text.contains("Страница 2 из 2") && second.has_button("‹") && !second.has_button("›"));
    assert_eq!(second.message_id, first.message_id, "the picker turns its page in place");
    invite_by_button(&municipal, "Школа № 33", "администратор школы — Иркутск / Школа № 33").await;
    municipal.press("‹").await;
    let picker = municipal.messages().into_iter().find(|m| m.message_id == first.message_id).unwrap();
    assert!(picker.text.contains("Страница 1 из 2") && picker.has_button("Лицей № 2"), "{picker:?}");

    // The region administrator may revoke anyone below, not only whom they invited; the links the
    // municipal administrator sent and nobody used end with their access.
    let open = "SELECT COUNT(*) FROM invitations WHERE accepted_at IS NULL AND revoked_at IS NULL";
    assert_eq!(sql.count(open).await, 1, "the invitation to Школа № 33");
    let done = region.press_data(on.message_id, &format!("iv:ys{municipal_id}")).await;
    assert_eq!(done.text, None, "{done:?}");
    assert!(region.wait_for_text("Доступ отозван").await.text.contains("User 930002"));
    assert_eq!(sql.count(open).await, 0, "their unused invitation was revoked with them");
    assert!(municipal.wait_for_text("доступ к боту опросов закрыт").await.text.contains("Иркутск"));
    sql.close().await;
}

/// `db copy` carries who invited whom.
#[tokio::test]
async fn the_inviter_moves_with_a_database_copy() {
    let mut district = TestApp::new(support::Engine::Sqlite).await;
    setup(&mut district).await;
    let region = cli_staff(&district, 940_001, &["admin", "invite", "--region"]).await;
    region.send_text("/invite").await;
    invite_by_button(&region, "Пермь", "администратор муниципалитета — Пермь").await;
    district.stop_bot().await;
    let target = TestApp::new(support::Engine::Postgres).await;
    district.cli(&["db", "copy", "--from", &district.db_url, "--to", &target.db_url]).await;
    let sql = target.sql().await;
    let invited = "SELECT COUNT(*) FROM invitations i JOIN staff st ON st.id = i.invited_by WHERE st.user_id = 940001";
    assert_eq!(sql.count(invited).await, 1, "the invitation still names its inviter");
    sql.close().await;
}

on_both_engines!(
    an_invitation_is_delegated_down_three_levels_and_revoked,
    forged_revocations_change_nothing_and_open_invitations_are_revoked,
);
