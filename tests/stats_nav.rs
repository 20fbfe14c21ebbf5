//! `/stats` through the real binary and the Bot API stand-in: a region administrator taps down
//! region → municipality → school → class and back up in one message; a school administrator
//! cannot go above the school and a forged `st:` button for another school shows nothing of it;
//! typed names as people type them, ambiguous names and near misses answered with buttons, and
//! nothing outside the caller's scope ever named.

mod support;

use chrono::{Duration, Utc};
use support::TestApp;
use support::bot_api::{BotMessage, TestUser};

/// Two municipalities, each with a «Школа № 1»; the lyceum's name carries straight quotes, as a
/// spreadsheet keeps them.
const ROSTER: &str = "municipality;school;class;students\n\
Иркутск;\"МАОУ \"\"Лицей № 2\"\"\";9В;30\n\
Иркутск;\"МАОУ \"\"Лицей № 2\"\"\";10А;25\n\
Иркутск;Школа № 1;5А;25\n\
Иркутск;Школа № 1;5Б;20\n\
Ангарск;Школа № 1;5А;22\n\
Ангарск;Гимназия № 3;7А;28\n";

async fn roster_and_campaign(app: &mut TestApp) {
    let roster = app.write("roster.csv", ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    let today = Utc::now().date_naive();
    let (starts, ends) = (today.to_string(), (today + Duration::days(10)).to_string());
    app.cli(&[
        "campaign",
        "create",
        "--name",
        "autumn",
        "--questionnaire",
        "noko-parents",
        "--starts",
        &starts,
        "--ends",
        &ends,
        "--target-percent",
        "40",
    ])
    .await;
    app.start_bot().await;
}

/// The first line of a `/stats` screen: the place it shows.
fn heading(message: &BotMessage) -> &str {
    message.text.lines().next().unwrap_or_default()
}

/// Presses `button` and returns the screen it led to (the same message, edited).
async fn tap(user: &TestUser, button: &str) -> BotMessage {
    let answer = user.press(button).await;
    assert_eq!(answer.text, None, "{button}: no toast expected");
    user.last_message()
}

async fn a_region_administrator_taps_down_to_a_class_and_back(mut app: TestApp) {
    roster_and_campaign(&mut app).await;
    let admin = app.staff(930_001, &["admin", "invite", "--region"]).await;

    let region = admin.send_text("/stats").await;
    let messages = admin.messages().len();
    assert_eq!(heading(&region), "Весь регион");
    assert!(region.text.contains("«autumn»") && region.text.contains("Всего: родители: 0 из 150"), "{}", region.text);
    assert!(region.has_button("Иркутск") && region.has_button("Ангарск"), "{region:?}");
    assert!(!region.has_button("Назад"), "nothing above the region");

    let municipality = tap(&admin, "Иркутск").await;
    assert_eq!(municipality.message_id, region.message_id, "the same message, edited in place");
    assert_eq!(heading(&municipality), "Иркутск");
    assert!(municipality.text.contains("Всего: родители: 0 из 100"), "{}", municipality.text);
    assert!(municipality.has_button("Лицей № 2") && municipality.has_button("Школа № 1"), "{municipality:?}");
    assert!(!municipality.has_button("Гимназия"), "another municipality's school: {municipality:?}");

    let school = tap(&admin, "Школа № 1").await;
    assert_eq!(heading(&school), "Школа № 1 (Иркутск)");
    assert!(
        school.text.contains("Всего: родители: 0 из 45") && school.text.contains("• 5Б — родители: 0 из 20"),
        "{}",
        school.text
    );
    let class = tap(&admin, "5А").await;
    assert_eq!(heading(&class), "5А — Школа № 1");
    assert!(class.text.contains("Всего: родители: 0 из 25") && !class.text.contains("5Б"), "{}", class.text);
    assert!(class.button_texts().iter().all(|b| b.contains("Назад")), "{class:?}");

    assert_eq!(heading(&tap(&admin, "Назад").await), "Школа № 1 (Иркутск)");
    assert_eq!(heading(&tap(&admin, "Назад").await), "Иркутск");
    assert_eq!(heading(&tap(&admin, "Назад").await), "Весь регион");
    assert_eq!(admin.messages().len(), messages, "one message all along");
}

async fn a_school_administrator_stays_within_the_school(mut app: TestApp) {
    roster_and_campaign(&mut app).await;
    let school = app.staff(931_001, &["admin", "invite", "--school", "Иркутск/Школа № 1"]).await;
    let lyceum_id = app.sql().await.count("SELECT CAST(id AS BIGINT) FROM schools WHERE name LIKE '%Лицей%'").await;
    let irkutsk_id =
        app.sql().await.count("SELECT CAST(id AS BIGINT) FROM municipalities WHERE name = 'Иркутск'").await;

    let own = school.send_text("/stats").await;
    assert_eq!(heading(&own), "Школа № 1 (Иркутск)");
    assert!(own.has_button("5А") && own.has_button("5Б") && !own.has_button("Назад"), "{own:?}");
    let class = tap(&school, "5Б").await;
    assert_eq!(heading(&class), "5Б — Школа № 1");
    let back = tap(&school, "Назад").await;
    assert_eq!(heading(&back), "Школа № 1 (Иркутск)");
    assert!(!back.has_button("Назад"), "not above the school: {back:?}");

    // Forged buttons for another school, the municipality, the region and a school that does not
    // exist: one answer for all, and the screen stays as it was.
    let mut answers = Vec::new();
    for forged in [format!("st:s{lyceum_id}:0"), format!("st:m{irkutsk_id}:0"), "st:r:0".into(), "st:s987654:0".into()]
    {
        answers.push(school.press_data(own.message_id, &forged).await.text);
    }
    assert!(answers.iter().all(|a| a.as_deref() == Some("Этого места нет. Отправьте /stats, чтобы начать сначала.")));
    let after = school.last_message();
    assert_eq!(heading(&after), "Школа № 1 (Иркутск)");
    assert!(school.messages().iter().all(|m| !m.text.contains("9В") && !m.text.contains("Лицей")), "nothing shown");
    assert_eq!(school.press_data(own.message_id, "st:s1;DROP").await.text.as_deref(), Some("Эта кнопка не работает."));

    // Typed: a class of the school in any spelling; nothing outside the school, even misspelt.
    for typed in ["/stats 5а", "/stats 5A", "/stats 5 а"] {
        assert_eq!(heading(&school.send_text(typed).await), "5А — Школа № 1", "{typed}");
    }
    for typed in ["/stats Лицей № 2", "/stats 9В", "/stats Гимназия № 3", "/stats Иркутск"] {
        let refused = school.send_text(typed).await;
        assert!(refused.text.contains("не нашлось") && refused.button_texts().is_empty(), "{typed}: {refused:?}");
    }
    let near = school.send_text("/stats 5Д").await;
    assert!(near.text.contains("Возможно, вы имели в виду"), "{}", near.text);
    let offered = near.button_texts();
    assert!(!offered.is_empty() && offered.iter().all(|b| b.contains("Школа № 1")), "{offered:?}");
    assert_eq!(heading(&tap(&school, "5Б").await), "5Б — Школа № 1");
}

async fn names_are_found_as_people_type_them(mut app: TestApp) {
    roster_and_campaign(&mut app).await;
    let region = app.staff(932_001, &["admin", "invite", "--region"]).await;
    // The command line finds the lyceum by a part of its name too.
    let angarsk = app.staff(932_002, &["admin", "invite", "--municipality", "Ангарск"]).await;
    let lyceum = app.staff(932_003, &["admin", "invite", "--school", "лицей №2"]).await;
    assert_eq!(heading(&lyceum.send_text("/stats").await), "МАОУ \"Лицей № 2\" (Иркутск)");
    // ... and a class however its letter is typed.
    let teacher = app.staff(932_004, &["teacher", "invite", "--school", "Лицей № 2", "--class", "10a"]).await;
    teacher.wait_for_text("Перешлите сообщение выше").await;
    assert_eq!(heading(&teacher.send_text("/stats").await), "10А — МАОУ \"Лицей № 2\"");

    for typed in ["/stats МАОУ «Лицей № 2»", "/stats лицей №2", "/stats маоу “ЛИЦЕЙ № 2”"]
    {
        let found = region.send_text(typed).await;
        assert_eq!(heading(&found), "МАОУ \"Лицей № 2\" (Иркутск)", "{typed}");
        assert!(found.has_button("9В") && found.has_button("10А"), "{found:?}");
    }
    assert_eq!(heading(&region.send_text("/stats Лицей № 2 / 10а").await), "10А — МАОУ \"Лицей № 2\"");
    assert_eq!(heading(&region.send_text("/stats ангарск").await), "Ангарск");

    // Two schools answer to «Школа № 1»: both offered, each leads to its own.
    let several = region.send_text("/stats Школа № 1").await;
    assert!(several.text.contains("несколько"), "{}", several.text);
    assert_eq!(several.button_texts(), ["Школа № 1 (Ангарск)", "Школа № 1 (Иркутск)"]);
    assert_eq!(heading(&tap(&region, "Школа № 1 (Ангарск)").await), "Школа № 1 (Ангарск)");

    // A typo: «вы имели в виду» with a button that works.
    let near = region.send_text("/stats Гимназя 3").await;
    assert!(near.text.contains("Возможно, вы имели в виду"), "{}", near.text);
    assert_eq!(near.button_texts(), ["Гимназия № 3 (Ангарск)"]);
    let gymnasium = tap(&region, "Гимназия № 3").await;
    assert_eq!(heading(&gymnasium), "Гимназия № 3 (Ангарск)");
    assert!(gymnasium.has_button("7А") && gymnasium.has_button("Назад"), "{gymnasium:?}");
    let nothing = region.send_text("/stats Колледж искусств").await;
    assert!(nothing.text.contains("без названия") && nothing.button_texts().is_empty(), "{nothing:?}");

    // A municipal administrator is offered only their own municipality's names.
    let near = angarsk.send_text("/stats Школа № 2").await;
    assert_eq!(near.button_texts(), ["Школа № 1 (Ангарск)"], "{near:?}");
    let refused = angarsk.send_text("/stats Лицей № 2").await;
    assert!(refused.text.contains("не нашлось") && refused.button_texts().is_empty(), "{refused:?}");
    assert!(!angarsk.send_text("/stats").await.has_button("Назад"), "not above the municipality");
}

async fn many_places_come_in_pages(mut app: TestApp) {
    let mut roster = String::from("municipality;school;class;students\n");
    for n in 1..=25 {
        roster.push_str(&format!("Братск;Школа № {n};1А;10\n"));
    }
    let roster = app.write("roster.csv", &roster);
    app.cli(&["roster", "import", &roster]).await;
    app.start_bot().await;
    let admin = app.staff(933_001, &["admin", "invite", "--municipality", "Братск"]).await;
    let first = admin.send_text("/stats").await;
    assert!(first.text.contains("Страница 1 из 2"), "{}", first.text);
    assert_eq!(first.button_texts().iter().filter(|b| b.starts_with("Школа")).count(), 20, "{first:?}");
    assert!(first.has_button("›") && !first.has_button("‹"), "{first:?}");
    let second = tap(&admin, "›").await;
    assert!(second.text.contains("Страница 2 из 2"), "{}", second.text);
    assert_eq!(second.button_texts().iter().filter(|b| b.starts_with("Школа")).count(), 5, "{second:?}");
    assert!(second.has_button("‹") && !second.has_button("›"), "{second:?}");
    assert_eq!(heading(&tap(&admin, "‹").await), "Братск");
}

on_both_engines!(
    a_region_administrator_taps_down_to_a_class_and_back,
    a_school_administrator_stays_within_the_school,
    names_are_found_as_people_type_them,
    many_places_come_in_pages,
);
