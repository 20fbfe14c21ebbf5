//! `/kit` through the real binary and the Bot API stand-in: the region administrator's kit of a
//! municipality (a links table with hyperlinks, QR codes and posters that decode to the class
//! links), parts under a small limit with whole schools, a forged press outside the presser's
//! scope, and the campaign named on a teacher's link when two campaigns are open.

mod support;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::Duration;

use anketa::poster::{Audiences, CampaignNotice, ClassAudiences};
use support::{Link, TestApp};

/// A second municipality beside the test roster's Иркутск.
const MORE: &str = "municipality;school;class;students\nПермь;Школа № 7;3А;15\n";

/// Every entry of a ZIP, by name.
fn entries(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a valid ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn irkutsk(links: &[Link]) -> BTreeMap<(String, String), String> {
    links
        .iter()
        .filter(|l| l.school != "Школа № 7")
        .map(|l| ((l.school.clone(), l.class.clone()), l.url.clone()))
        .collect()
}

async fn seed(app: &TestApp) -> Vec<Link> {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    app.cli(&["roster", "import", &app.write("more.csv", MORE)]).await;
    app.export_links("autumn").await
}

async fn a_region_administrator_gets_a_municipality_kit_whose_codes_are_the_links(mut app: TestApp) {
    let links = seed(&app).await;
    app.start_bot().await;
    let admin = app.staff(900_100, &["admin", "invite", "--region"]).await;
    let choice = admin.send_text("/kit").await;
    assert!(choice.button("Весь регион").is_some(), "{choice:?}");
    admin.press("Иркутск").await;
    let parts = app.documents(900_100, ".zip", 1).await;
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].0, "Иркутск.zip");
    let files = entries(&parts[0].1);
    let expected = irkutsk(&links);
    let table = support::links_table(&files["Ссылки.xlsx"]);
    let rows: BTreeMap<(String, String), String> =
        table.iter().map(|[_, school, class, _, link]| ((school.clone(), class.clone()), link.clone())).collect();
    assert_eq!(rows, expected, "a row per class of the municipality, its link a hyperlink");
    assert!(table.iter().all(|row| row[0] == "Иркутск"));
    for ((school, class), url) in &expected {
        let png = &files[&format!("{school}/{class}.png")];
        assert_eq!(&support::decode_qr(png), url, "{school}/{class}.png");
    }
    assert_eq!(support::pdf_pages(&files["Школа № 1/Плакаты.pdf"]), 2);
    assert_eq!(support::pdf_pages(&files["Лицей № 2/Плакаты.pdf"]), 1);
    assert!(!files.keys().any(|name| name.contains("Школа № 7")), "another municipality's school");
}

async fn a_tight_part_limit_sends_several_valid_parts_with_whole_schools(mut app: TestApp) {
    let links = seed(&app).await;
    // The limit is just under the whole municipality in one ZIP, as the library builds it.
    let classes: Vec<anketa::kit::KitClass> = links
        .iter()
        .filter(|l| l.school != "Школа № 7")
        .map(|l| anketa::kit::KitClass {
            municipality: "Иркутск".into(),
            school: l.school.clone(),
            class: l.class.clone(),
            headcount: 25,
            link: l.url.clone(),
        })
        .collect();
    // The posters the bot draws: parents only, the campaign's last day ten days on.
    let ends_on = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let notice = CampaignNotice { name: None, ends_on, audiences: ClassAudiences::everywhere(Audiences::Parents) };
    let whole = anketa::kit::build("Иркутск", notice, &classes, anketa::kit::PART_BYTES, |_, _| {}).unwrap();
    let limit = whole[0].bytes.len() - 1;
    app.start_bot_with(&[("ANKETA_KIT_PART_BYTES", &limit.to_string())]).await;
    let admin = app.staff(900_110, &["admin", "invite", "--municipality", "Иркутск"]).await;
    admin.enqueue_text("/kit");
    let parts = app.documents(900_110, ".zip", 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let parts_now = app.documents(900_110, ".zip", 2).await;
    assert_eq!(parts_now.len(), parts.len(), "no more parts after a pause");
    let names: Vec<&str> = parts.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["Иркутск (часть 1 из 2).zip", "Иркутск (часть 2 из 2).zip"]);
    let mut covered = BTreeMap::new();
    let mut schools_per_part = Vec::new();
    for (name, bytes) in &parts {
        assert!(bytes.len() <= limit, "{name}: {} bytes over {limit}", bytes.len());
        let files = entries(bytes);
        let mut schools: Vec<String> = Vec::new();
        for [_, school, class, _, link] in support::links_table(&files["Ссылки.xlsx"]) {
            assert_eq!(support::decode_qr(&files[&format!("{school}/{class}.png")]), link);
            assert!(covered.insert((school.clone(), class), link).is_none(), "a class in two parts");
            if !schools.contains(&school) {
                schools.push(school);
            }
        }
        schools_per_part.push(schools);
    }
    assert_eq!(covered, irkutsk(&links), "every class once");
    let all: Vec<&String> = schools_per_part.iter().flatten().collect();
    assert_eq!(all.len(), 2, "each school in one part only: {schools_per_part:?}");
}

async fn a_forged_kit_press_outside_the_scope_is_refused_and_sends_nothing(mut app: TestApp) {
    seed(&app).await;
    app.start_bot().await;
    let region = app.staff(900_120, &["admin", "invite", "--region"]).await;
    let choice = region.send_text("/kit").await;
    let perm = choice.button("Пермь").and_then(|b| b.callback_data.clone()).expect("Пермь's button");
    let irkutsk = choice.button("Иркутск").and_then(|b| b.callback_data.clone()).expect("Иркутск's button");
    let school = app.staff(900_121, &["admin", "invite", "--school", "Школа № 1"]).await;
    let message = school.send_text("/help").await.message_id;
    let campaign = perm.split(':').nth(2).unwrap();
    let refusal = "Такого места нет в вашей зоне.";
    for data in [perm.as_str(), irkutsk.as_str(), &format!("kt:m:{campaign}:999999"), &format!("kt:r:{campaign}")] {
        let answer = school.press_data(message, data).await;
        assert_eq!(answer.text.as_deref(), Some(refusal), "{data}");
    }
    let answer = school.press_data(message, "kt:m:zz").await;
    assert_eq!(answer.text.as_deref(), Some("Эта кнопка не работает."));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.api.uploads().iter().all(|u| u.chat_id != Some(900_121)), "nothing sent to the school administrator");
}

async fn with_two_open_campaigns_links_and_posters_name_each(mut app: TestApp) {
    app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    let today = chrono::Utc::now().date_naive();
    let ends = (today + chrono::Duration::days(20)).to_string();
    app.cli(&[
        "campaign",
        "create",
        "--name",
        "spring",
        "--questionnaire",
        "noko-parents",
        "--starts",
        &today.to_string(),
        "--ends",
        &ends,
        "--target-percent",
        "40",
    ])
    .await;
    app.start_bot().await;
    let teacher = app.api.user(900_130, "ru");
    teacher.enqueue_text(&app.invite(&["teacher", "invite", "--school", "Школа № 1", "--class", "5А"]).await);
    for name in ["autumn", "spring"] {
        let message = teacher.wait_for_text(&format!("Опрос: {name}")).await;
        assert!(message.text.contains("Уважаемые родители 5А класса"), "{}", message.text);
    }
    let admin = app.staff(900_131, &["admin", "invite", "--school", "Школа № 1"]).await;
    let before = app.api.seq();
    admin.enqueue_text("/links");
    let documents = support::outputs(&admin, before, 4).await;
    for name in ["autumn", "spring"] {
        assert!(documents.iter().any(|d| d.text.contains(&format!("Опрос: {name}"))), "{documents:?}");
    }
}

on_both_engines!(
    a_region_administrator_gets_a_municipality_kit_whose_codes_are_the_links,
    a_tight_part_limit_sends_several_valid_parts_with_whole_schools,
    a_forged_kit_press_outside_the_scope_is_refused_and_sends_nothing,
    with_two_open_campaigns_links_and_posters_name_each,
);
