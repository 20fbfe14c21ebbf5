//! Golden digests: a fixed small region (two municipalities, three schools, twenty classes, fixed
//! tallies, a campaign with fixed dates asking parents everywhere and students in grades 9–11), and
//! the digest of each kind (region, municipality, school) compared with the files stored under
//! `tests/expected/digests/`: the text byte for byte, the chart pixel for pixel once decoded (so a
//! cheaper PNG encoding may change the bytes, never the picture). Whatever makes the digests
//! faster must keep these equal. `ANKETA_BLESS=1` rewrites the stored files from what is built.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anketa::app::campaigns::{CampaignRequest, create_campaign};
use anketa::config::Settings;
use anketa::db::{Acceptance, Db, NewInvitation, Within};
use anketa::digest::{Digests, Figures};
use anketa::i18n::Texts;
use anketa::roles::Scope;
use anketa::survey::{Grades, Lang};
use chrono::{NaiveDate, TimeZone, Utc};
use support::TestApp;

const ROSTER: &str = "municipality;school;class;students;timezone\n\
Ангарск;Гимназия № 3;1А;24;Asia/Irkutsk\n\
Ангарск;Гимназия № 3;9А;28;Asia/Irkutsk\n\
Ангарск;Гимназия № 3;11А;19;Asia/Irkutsk\n\
Иркутск;Лицей № 2;5А;30;Asia/Irkutsk\n\
Иркутск;Лицей № 2;10Б;22;Asia/Irkutsk\n\
Иркутск;Лицей № 2;Подготовительный;12;Asia/Irkutsk\n\
Иркутск;Школа № 1;1А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;1Б;23;Asia/Irkutsk\n\
Иркутск;Школа № 1;2А;27;Asia/Irkutsk\n\
Иркутск;Школа № 1;3А;26;Asia/Irkutsk\n\
Иркутск;Школа № 1;4А;24;Asia/Irkutsk\n\
Иркутск;Школа № 1;5А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;5Б;20;Asia/Irkutsk\n\
Иркутск;Школа № 1;6А;28;Asia/Irkutsk\n\
Иркутск;Школа № 1;7А;29;Asia/Irkutsk\n\
Иркутск;Школа № 1;8А;22;Asia/Irkutsk\n\
Иркутск;Школа № 1;9А;25;Asia/Irkutsk\n\
Иркутск;Школа № 1;9Б;18;Asia/Irkutsk\n\
Иркутск;Школа № 1;10А;21;Asia/Irkutsk\n\
Иркутск;Школа № 1;11А;17;Asia/Irkutsk\n";

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/digests")
}

fn bless() -> bool {
    std::env::var_os("ANKETA_BLESS").is_some()
}

/// A PNG's pixels as RGB, whatever its colour type and compression.
fn pixels(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).expect("a PNG frame");
    buffer.truncate(frame.buffer_size());
    let rgb = match frame.color_type {
        png::ColorType::Rgb => buffer,
        png::ColorType::Rgba => buffer.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        png::ColorType::Grayscale => buffer.iter().flat_map(|&v| [v, v, v]).collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    (frame.width, frame.height, rgb)
}

fn compare(kind: &str, text: &str, chart: &[u8]) {
    let dir = expected_dir();
    let (text_file, chart_file) = (dir.join(format!("{kind}.txt")), dir.join(format!("{kind}.png")));
    if bless() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&text_file, text).unwrap();
        std::fs::write(&chart_file, chart).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&text_file).unwrap_or_else(|e| panic!("{}: {e}", text_file.display()));
    assert_eq!(text, expected, "the {kind} digest's text changed");
    let expected = std::fs::read(&chart_file).unwrap_or_else(|e| panic!("{}: {e}", chart_file.display()));
    let (built, stored) = (pixels(chart), pixels(&expected));
    assert_eq!((built.0, built.1), (stored.0, stored.1), "the {kind} chart's size changed");
    let differing = built.2.chunks(3).zip(stored.2.chunks(3)).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} pixels of the {kind} chart changed");
}

/// A staff member of `scope`, through an invitation as the bot makes them.
async fn invite(db: &Db, scope: Scope, user: i64, language: Lang) {
    let now = Utc::now();
    let code = format!("golden-{user}");
    let invitation =
        NewInvitation { code: code.clone(), scope, expires_at: now + chrono::Duration::days(1), invited_by: None };
    db.create_invitation(&invitation, now).await.unwrap();
    let accepted = db.accept_invitation(&code, user, user, "Администратор", language, now).await.unwrap();
    assert!(matches!(accepted, Acceptance::Accepted(_)));
}

async fn digests_of_a_fixed_region_are_as_stored(app: TestApp) {
    let db = Db::connect(&app.db_url).await.unwrap();
    let rows = anketa::roster::parse(ROSTER.as_bytes()).unwrap();
    db.import_roster(&rows, chrono_tz::Asia::Irkutsk).await.unwrap();
    let questionnaires = ["noko-parents".to_string(), "noko-students".to_string()];
    let grades = [("noko-students".to_string(), Grades::parse("9-11").unwrap())];
    let campaign_id = create_campaign(
        &db,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires"),
        CampaignRequest {
            name: "НОКО-2026",
            questionnaires: &questionnaires,
            starts_on: date(20),
            ends_on: date(30),
            target_percent: 40,
            grades: &grades,
        },
    )
    .await
    .unwrap();

    // Fixed tallies: the parents of every class, the students of grades 9–11 (and of the
    // preparatory class, whose grade cannot be read: it is asked everything).
    let sql = app.sql().await;
    let mut class_ids = Vec::new();
    for municipality in db.municipality_places().await.unwrap() {
        for school in db.school_places(municipality.id).await.unwrap() {
            for class in db.class_places(school.id).await.unwrap() {
                class_ids.push((municipality.name.clone(), school.name.clone(), class.id, class.name));
            }
        }
    }
    class_ids.sort_by(|a, b| (&a.0, &a.1, &a.3).cmp(&(&b.0, &b.1, &b.3)));
    assert_eq!(class_ids.len(), 20);
    let mut yesterday = HashMap::new();
    for (index, (_, _, class_id, name)) in class_ids.iter().enumerate() {
        let parents = (index as i64 * 7 + 3) % 19;
        let students =
            if name.starts_with("9") || name.starts_with("10") || name.starts_with("11") || name == "Подготовительный"
            {
                (index as i64 * 5 + 4) % 13
            } else {
                0
            };
        for (audience, responses) in [("parent", parents), ("student", students)] {
            if responses > 0 {
                sql.execute(&format!(
                    "INSERT INTO class_tallies (campaign_id, class_id, audience, responses)
                     VALUES ({campaign_id}, {class_id}, '{audience}', {responses})"
                ))
                .await;
            }
        }
        yesterday.insert(*class_id, (parents + students - index as i64 % 3).max(0));
    }
    sql.close().await;

    let irkutsk = db.find_municipality("Иркутск").await.unwrap().unwrap().0;
    let school = db.school_places(irkutsk).await.unwrap().into_iter().find(|s| s.name == "Школа № 1").unwrap().id;
    invite(&db, Scope::Region, 501, Lang::En).await;
    invite(&db, Scope::Municipality { municipality_id: irkutsk }, 502, Lang::Ru).await;
    invite(&db, Scope::School { municipality_id: irkutsk, school_id: school }, 503, Lang::Ru).await;
    let recipients = db.digest_recipients().await.unwrap();
    assert_eq!(recipients.len(), 3);

    // Yesterday's digest to the school, for the change since.
    let school_admin = recipients.iter().find(|r| r.member.role == "school").unwrap();
    let sent = Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap();
    assert!(db.claim_digest(school_admin.member.id, campaign_id, date(24), "golden", sent).await.unwrap());
    let counts = serde_json::to_string(&yesterday).unwrap();
    db.finish_digest(school_admin.member.id, campaign_id, date(24), "sent", &counts, sent).await.unwrap();

    let campaign = db.open_campaigns().await.unwrap().into_iter().find(|c| c.id == campaign_id).unwrap();
    let (texts, settings) = (Texts::default(), Settings::default());
    let digests = Digests { db: &db, texts: &texts, settings: &settings };
    // From the region's counts, as a round reads them, and from the recipient's scope alone, as
    // `digest send --school` reads them: the same digest.
    let region = Figures::read(&db, campaign_id, Within::Region).await.unwrap();
    for recipient in &recipients {
        let within = Within::of(recipient.member.scope().unwrap());
        let own = Figures::read(&db, campaign_id, within).await.unwrap();
        for figures in [&region, &own] {
            let prepared = digests
                .prepare(recipient, &campaign, figures, date(25), recipient.member.language)
                .await
                .unwrap()
                .expect("a digest is due");
            let chart = prepared.chart.as_deref().expect("an administrator's digest has a chart");
            compare(&recipient.member.role, &prepared.text, chart);
        }
    }
    db.close().await;
}

on_both_engines!(digests_of_a_fixed_region_are_as_stored);
