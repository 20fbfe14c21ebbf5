//! `anketa report` run as the real binary on responses stored through the library (as the bot
//! stores them: "yes"/"no", a question skipped by the branching absent), checked against a hand
//! calculation: indicators with their numerators and denominators, н/д for zero denominators, 1.3
//! with an unused source and in both variants, pooled municipality and region rows, the criteria
//! with an expert file under both policies for indicators nobody could answer, the sample check,
//! the municipal means and the ranking, and the proposals without small classes.

mod support;

use anketa::db::{Db, NewResponse, SubmitOutcome};
use anketa::privacy::IdentityKey;
use anketa::survey::Audience;
use chrono::Utc;
use support::TestApp;

const ROSTER: &str = "municipality;school;class;students\n\
Иркутск;Школа № 1;5А;8\n\
Иркутск;Школа № 1;5Б;7\n\
Иркутск;Лицей № 2;9В;64\n\
Кунгур;Школа № 3;1А;20\n";

/// (class, audience, answers). Hand counts for Школа № 1 (six respondents):
/// q2 2/3, q4 3/4 → 1.3 = 0.5 × (2/3 + 3/4) × 100 = 70.83 (per respondent: 5 / 12 = 41.67);
/// q5 4/6 = 66.67; q7 0/1 = 0; q8 4/6; q9 5/6 = 83.33; q11 2/3; q12 4/6; q13 3/6 = 50; q14 4/6.
/// Лицей № 2 (three respondents, one a student): nobody used the website, nobody has a
/// disability, nobody used remote contact: q2 1/2 → 1.3 = 50 (per respondent: 1 / 6 = 16.67);
/// 3.3 and 4.3 н/д; q5, q8, q9, q12, q13 2/3; q14 3/3.
/// Школа № 3: nobody answered.
/// The sample (40 % of the students, rounded up): Школа № 1 6 of 15 students, needs 6: reached;
/// Лицей № 2 3 of 64, needs 26, and Школа № 3 0 of 20, needs 8: below.
const RESPONSES: &[(&str, Audience, &str)] = &[
    (
        "5А",
        Audience::Parent,
        "q1=yes q2=yes q3=yes q4=yes q5=yes q6=no q8=yes q9=yes q10=yes q11=yes q12=yes q13=yes q14=yes q15=Больше_кружков",
    ),
    (
        "5А",
        Audience::Parent,
        "q1=yes q2=no q3=yes q4=yes q5=yes q6=yes q7=no q8=yes q9=no q10=no q12=yes q13=no q14=yes",
    ),
    (
        "5А",
        Audience::Parent,
        "q1=no q3=yes q4=no q5=no q6=no q8=no q9=yes q10=yes q11=yes q12=no q13=no q14=no q15=Починить_крыльцо",
    ),
    ("5А", Audience::Parent, "q1=no q3=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=yes"),
    ("5Б", Audience::Parent, "q1=yes q2=yes q3=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=yes q15=Буфет"),
    ("5Б", Audience::Parent, "q1=no q3=yes q4=yes q5=no q6=no q8=no q9=yes q10=yes q11=no q12=no q13=no q14=no"),
    (
        "9В",
        Audience::Parent,
        "q1=yes q2=yes q3=no q5=yes q6=no q8=yes q9=yes q10=no q12=yes q13=yes q14=yes q15=Спортзал",
    ),
    ("9В", Audience::Parent, "q1=yes q2=no q3=no q5=no q6=no q8=yes q9=no q10=no q12=no q13=yes q14=yes"),
    ("9В", Audience::Student, "q1=no q3=no q5=yes q6=no q8=no q9=yes q10=no q12=yes q13=no q14=yes"),
];

/// Imports the roster, creates campaign "autumn" with both НОКО questionnaires through the CLI,
/// and stores [`RESPONSES`] through the library.
async fn seed(app: &TestApp) {
    let roster = app.write("roster.csv", ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    let today = Utc::now().date_naive();
    let (starts, ends) =
        ((today - chrono::Duration::days(1)).to_string(), (today + chrono::Duration::days(9)).to_string());
    app.cli(&[
        "campaign",
        "create",
        "--name",
        "autumn",
        "--questionnaire",
        "noko-parents",
        "--questionnaire",
        "noko-students",
        "--starts",
        &starts,
        "--ends",
        &ends,
        "--target-percent",
        "40",
        "--allow-past-start",
    ])
    .await;
    let links = app.export_links("autumn").await;
    let db = Db::connect(&app.db_url).await.unwrap();
    let key = IdentityKey::new(&[3; 32]).unwrap();
    for (n, (class, audience, answers)) in RESPONSES.iter().enumerate() {
        let code = links.iter().find(|l| l.class == *class).unwrap().code();
        let target = db.resolve_link(code).await.unwrap().unwrap();
        let chat = key.chat_key(n as i64 + 1);
        db.start_draft(&chat, code, "{}", 1, Utc::now(), None).await.unwrap();
        let response = NewResponse {
            campaign_id: target.campaign.id,
            school_id: target.school_id,
            class_id: target.class_id,
            audience: *audience,
            questionnaire_id: format!("noko-{}s", audience.code()),
            answers: answers
                .split_whitespace()
                .map(|a| {
                    let (id, value) = a.split_once('=').unwrap();
                    (id.to_string(), value.replace('_', " "))
                })
                .collect(),
        };
        let identity = key.identity(n as u64 + 1, target.campaign.id, target.school_id);
        let stored = db.submit_response(&chat, 1, identity.as_bytes(), &response).await.unwrap();
        assert_eq!(stored, SubmitOutcome::Stored);
    }
    db.close().await;
}

/// A report CSV: the header, the rows, and the notes below them.
struct Report {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Report {
    fn read(path: &std::path::Path) -> Report {
        let mut records = support::read_excel_csv(path).into_iter();
        let header = records.next().expect("a header");
        let (rows, notes): (Vec<_>, Vec<_>) = records.partition(|r| r.len() == header.len());
        Report { header, rows, notes: notes.into_iter().map(|mut n| n.remove(0)).collect() }
    }

    /// The cell of the row (municipality, school) under the column headed `column`, or else the
    /// first whose header starts with it.
    fn get(&self, municipality: &str, school: &str, column: &str) -> &str {
        let index = self
            .header
            .iter()
            .position(|h| h == column)
            .or_else(|| self.header.iter().position(|h| h.starts_with(column)))
            .unwrap_or_else(|| panic!("no column {column:?} in {:?}", self.header));
        let row = self
            .rows
            .iter()
            .find(|r| r[0] == municipality && r[1] == school)
            .unwrap_or_else(|| panic!("no row {municipality} / {school}"));
        &row[index]
    }

    /// The cells of one row under the columns whose headers start with each of `columns`.
    fn cells(&self, municipality: &str, school: &str, columns: &[&str]) -> Vec<&str> {
        columns.iter().map(|c| self.get(municipality, school, c)).collect()
    }
}

const INDICATORS: [&str; 9] = ["1.3 ", "2.3 ", "3.3 ", "4.1 ", "4.2 ", "4.3 ", "5.1 ", "5.2 ", "5.3 "];
const SURVEY_PARTS: [&str; 5] =
    ["К1: часть по опросу", "К2: часть по опросу", "К3: часть по опросу", "К4: часть по опросу", "К5: часть по опросу"];

async fn the_report_matches_a_hand_calculation(app: TestApp) {
    seed(&app).await;
    // Closing the campaign releases every answer from the ballot box.
    app.cli(&["campaign", "close", "autumn"]).await;
    // Лицей № 2 has three respondents: figures are published from three on in this run, from
    // five (the default) in the one below.
    let config = app.write("three.toml", "[privacy]\nmin_group_size = 3\n");
    let expert = app.write(
        "expert.csv",
        "\u{feff}municipality;school;p_inf;p_dist;p_komf_usl;p_org_dost;p_uslug_dost\n\
         Иркутск;Школа № 1;90;100;80;60;50,5\n\
         Иркутск;Лицей № 2;70;80;90;100;100\n",
    );
    let out = app.path("results/report.csv");
    let stdout = app
        .cli(&[
            "--config",
            &config,
            "report",
            "--campaign",
            "autumn",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--expert",
            &expert,
        ])
        .await;
    assert!(stdout.contains("Результаты 3 школ (9 респондентов)"), "{stdout}");
    assert!(stdout.contains("нет строк для 1 школы") && stdout.contains("Кунгур / Школа № 3"), "{stdout}");
    let report = Report::read(&out);

    assert_eq!(&report.header[..3], ["Муниципалитет", "Образовательная организация", "Респондентов"]);
    let school = |column: &str| report.get("Иркутск", "Школа № 1", column);
    assert_eq!(school("Респондентов"), "6");
    assert_eq!(
        report.cells(
            "Иркутск",
            "Школа № 1",
            &["1.3 ", "1.3: «Да» на q2", "1.3: ответили на q2", "1.3: «Да» на q4", "1.3: ответили на q4"]
        ),
        ["70,83", "2", "3", "3", "4"]
    );
    assert_eq!(
        report.cells("Иркутск", "Школа № 1", &INDICATORS),
        ["70,83", "66,67", "0,00", "66,67", "83,33", "66,67", "66,67", "50,00", "66,67"]
    );
    assert_eq!(report.cells("Иркутск", "Школа № 1", &["3.3: «Да» на q7", "3.3: ответили на q7"]), ["0", "1"]);
    assert_eq!(report.cells("Иркутск", "Школа № 1", &["4.3: «Да» на q11", "4.3: ответили на q11"]), ["2", "3"]);
    // К1 0.4 × 70.83; К2 0.5 × 66.67; К3 0.3 × 0; К4 0.4 × 66.67 + 0.4 × 83.33 + 0.2 × 66.67; К5 0.3 × 66.67 + 0.2 × 50 + 0.5 × 66.67.
    assert_eq!(report.cells("Иркутск", "Школа № 1", &SURVEY_PARTS), ["28,33", "33,33", "0,00", "73,33", "63,33"]);
    // With the expert file: К1 27 + 30 + 28.33; К2 40 + 33.33; К3 18 + 20.2 + 0; total = mean.
    assert_eq!(
        report.cells(
            "Иркутск",
            "Школа № 1",
            &["1.1 Пинф", "3.2 Пуслуг.дост", "К1", "К2", "К3", "К4", "К5", "Итоговый балл"]
        ),
        ["90,00", "50,50", "85,33", "73,33", "38,20", "73,33", "63,33", "66,71"]
    );

    // Лицей № 2: zero denominators are н/д; 1.3 rests on the stands alone.
    assert_eq!(
        report.cells("Иркутск", "Лицей № 2", &["1.3: ответили на q4", "3.3: ответили на q7", "4.3: ответили на q11"]),
        ["0", "0", "0"]
    );
    assert_eq!(
        report.cells("Иркутск", "Лицей № 2", &INDICATORS),
        ["50,00", "66,67", "н/д", "66,67", "66,67", "н/д", "66,67", "66,67", "100,00"]
    );
    // By default (reweight) К3 and К4 stand on their other terms: К3's survey part has none, К4's
    // is 4.1 and 4.2 with weights 0.5 each; К3 = (0.3 × 100 + 0.4 × 100) / 0.7 = 100; the total
    // (65 + 78.33 + 100 + 66.67 + 83.33) / 5 = 78.67.
    assert_eq!(report.cells("Иркутск", "Лицей № 2", &SURVEY_PARTS), ["20,00", "33,33", "н/д", "66,67", "83,33"]);
    assert_eq!(
        report.cells("Иркутск", "Лицей № 2", &["К1", "К2", "К3", "К4", "К5", "Итоговый балл"]),
        ["65,00", "78,33", "100,00", "66,67", "83,33", "78,67"]
    );
    // The sample check: parents and students side by side, the base, the minimum, reached or not.
    let sample =
        ["Из них родителей", "Из них обучающихся", "Обучающихся в классах", "Минимум выборки", "Выборка набрана"];
    assert_eq!(report.cells("Иркутск", "Школа № 1", &sample), ["6", "0", "15", "6", "да"]);
    assert_eq!(report.cells("Иркутск", "Лицей № 2", &sample), ["2", "1", "64", "26", "⚠ ниже выборки"]);
    assert_eq!(report.cells("Кунгур", "Школа № 3", &sample), ["0", "0", "20", "8", "⚠ ниже выборки"]);
    assert_eq!(report.cells("Регион", "Все школы", &sample), ["8", "1", "99", "", ""]);
    assert!(report.notes[0].starts_with("Не набрали минимальную выборку (2)"), "{:?}", report.notes);
    assert_eq!(
        report.notes[1..3],
        [
            "⚠ Иркутск / Лицей № 2: 3 из 26 (обучающихся в классах: 64)",
            "⚠ Кунгур / Школа № 3: 0 из 8 (обучающихся в классах: 20)"
        ]
    );
    assert!(report.notes[3].contains("40 %") && report.notes[3].contains("675н"), "{}", report.notes[3]);
    let notes = report.notes.join("\n");
    assert!(notes.contains("report.empty_indicators = \"reweight\"") && notes.contains("не найдено"), "{notes}");

    // Strict, by setting: н/д carries into К3, К4 and the total.
    let strict = app.write("strict.toml", "[privacy]\nmin_group_size = 3\n\n[report]\nempty_indicators = \"strict\"\n");
    let strict_out = app.path("results/strict.csv");
    app.cli(&[
        "--config",
        &strict,
        "report",
        "--campaign",
        "autumn",
        "--format",
        "csv",
        "--out",
        strict_out.to_str().unwrap(),
        "--expert",
        &expert,
    ])
    .await;
    let strict_report = Report::read(&strict_out);
    assert_eq!(strict_report.cells("Иркутск", "Лицей № 2", &SURVEY_PARTS), ["20,00", "33,33", "н/д", "н/д", "83,33"]);
    assert_eq!(
        strict_report.cells("Иркутск", "Лицей № 2", &["К1", "К2", "К3", "К4", "К5", "Итоговый балл"]),
        ["65,00", "78,33", "н/д", "н/д", "83,33", "н/д"]
    );
    assert_eq!(strict_report.get("Иркутск", "Школа № 1", "Итоговый балл"), "66,71", "nothing missing: the same");
    assert!(
        strict_report.notes.iter().any(|n| n.contains("empty_indicators = \"strict\"")),
        "{:?}",
        strict_report.notes
    );

    // A school nobody answered for: 0 respondents, н/д everywhere, and no expert row: no criteria.
    assert_eq!(report.get("Кунгур", "Школа № 3", "Респондентов"), "0");
    assert!(report.cells("Кунгур", "Школа № 3", &INDICATORS).iter().all(|c| *c == "н/д"));
    assert_eq!(report.cells("Кунгур", "Школа № 3", &["1.1 Пинф", "К1", "Итоговый балл"]), ["", "", ""]);

    // Pooled rows add the schools' counts: Иркутск's 1.3 is 0.5 × (3/5 + 3/4), not the mean of 70.83 and 50.
    for (municipality, school) in [("Иркутск", "Все школы"), ("Регион", "Все школы")] {
        assert_eq!(report.get(municipality, school, "Респондентов"), "9");
        assert_eq!(
            report.cells(
                municipality,
                school,
                &["1.3: «Да» на q2", "1.3: ответили на q2", "1.3: «Да» на q4", "1.3: ответили на q4"]
            ),
            ["3", "5", "3", "4"]
        );
        assert_eq!(
            report.cells(municipality, school, &INDICATORS),
            ["67,50", "66,67", "0,00", "66,67", "77,78", "66,67", "66,67", "55,56", "77,78"]
        );
        assert_eq!(report.cells(municipality, school, &SURVEY_PARTS), ["27,00", "33,33", "0,00", "71,11", "70,00"]);
        assert_eq!(
            report.cells(municipality, school, &["К1", "Итоговый балл"]),
            ["", ""],
            "no criteria for pooled rows"
        );
    }
    assert_eq!(report.get("Кунгур", "Все школы", "Респондентов"), "0");
    let order: Vec<(&str, &str)> = report.rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(
        order,
        [
            ("Иркутск", "Лицей № 2"),
            ("Иркутск", "Школа № 1"),
            ("Кунгур", "Школа № 3"),
            ("Иркутск", "Все школы"),
            ("Кунгур", "Все школы"),
            ("Регион", "Все школы"),
        ],
        "the pooled rows apart from the schools"
    );
    let notes = report.notes.join("\n");
    assert!(notes.contains("числители и знаменатели школ складываются"), "{notes}");
    assert!(notes.contains("0,5 × (Да(q2) / ответили(q2) + Да(q4) / ответили(q4))"), "{notes}");

    // With the default threshold of five, Лицей № 2's three respondents are counted and nothing
    // drawn from their answers is shown; the pooled rows still include them.
    let out = app.path("default/report.csv");
    let stdout = app.cli(&["report", "--campaign", "autumn", "--format", "csv", "--out", out.to_str().unwrap()]).await;
    // Лицей № 2's proposal («Спортзал») is held back: its school has fewer than five responses.
    assert!(stdout.contains("Не показаны ради анонимности (в школе меньше 5 ответов): 1."), "{stdout}");
    let report = Report::read(&out);
    assert_eq!(report.get("Иркутск", "Лицей № 2", "Респондентов"), "3");
    assert!(report.cells("Иркутск", "Лицей № 2", &INDICATORS).iter().all(|c| *c == "мало ответов"));
    assert!(report.cells("Иркутск", "Лицей № 2", &SURVEY_PARTS).iter().all(|c| *c == "мало ответов"));
    assert_eq!(report.cells("Иркутск", "Лицей № 2", &["1.3: «Да» на q2"]), ["мало ответов"]);
    assert_eq!(report.cells("Иркутск", "Школа № 1", &["5.3 "]), ["66,67"]);
    assert_eq!(report.get("Регион", "Все школы", "Респондентов"), "9");
    assert_eq!(report.cells("Регион", "Все школы", &["5.3 "]), ["77,78"]);
    assert!(report.notes.iter().any(|n| n.contains("меньше 5 респондентов")), "{:?}", report.notes);

    // Proposals beside the report; no class of Школа № 1 reached 5 responses, so its answers are
    // pooled, unnamed; Лицей № 2's three responses are too few to hide in and are left out.
    let proposals = Report::read(&app.path("default/report-proposals.csv"));
    assert_eq!(proposals.header, ["Муниципалитет", "Образовательная организация", "Класс", "Предложение (вопрос q15)"]);
    assert_eq!(
        proposals.rows,
        [
            ["Иркутск", "Школа № 1", "", "Больше кружков"],
            ["Иркутск", "Школа № 1", "", "Буфет"],
            ["Иркутск", "Школа № 1", "", "Починить крыльцо"],
        ]
    );
    assert!(proposals.notes[0].contains("меньше 5 ответов"), "{:?}", proposals.notes);
}

async fn the_other_openness_variant_and_a_smaller_group_size_in_a_workbook(app: TestApp) {
    use calamine::{Data, Reader};
    seed(&app).await;
    let config =
        app.write("report.toml", "[privacy]\nmin_group_size = 3\n\n[report]\nopenness_variant = \"per-respondent\"\n");
    app.cli(&["--config", &config, "campaign", "close", "autumn"]).await;
    let out = app.path("report.xlsx");
    app.cli(&[
        "--config",
        &config,
        "report",
        "--campaign",
        "autumn",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
    ])
    .await;

    let mut workbook = calamine::open_workbook::<calamine::Xlsx<_>, _>(&out).expect("a valid XLSX");
    assert_eq!(workbook.sheet_names(), ["Результаты", "Средние по муниципалитетам", "Рейтинг школ", "Пояснения"]);
    let results = workbook.worksheet_range("Результаты").unwrap();
    let rows: Vec<&[Data]> = results.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert!(!header.iter().any(|h| h.starts_with("К1") && !h.contains("часть")), "no criteria without --expert");
    let value = |municipality: &str, school: &str, column: &str| -> Data {
        let index = header.iter().position(|h| h.starts_with(column)).unwrap();
        let row = rows.iter().find(|r| r[0] == municipality && r[1] == school).unwrap();
        row[index].clone()
    };
    let points = |municipality: &str, school: &str, column: &str| match value(municipality, school, column) {
        Data::Float(points) => points,
        other => panic!("{municipality} / {school} / {column}: {other:?}"),
    };
    // (Да(q2) + Да(q4)) / (2 × respondents): 5 / 12, 1 / 6, and pooled 6 / 18.
    assert!((points("Иркутск", "Школа № 1", "1.3 ") - 500.0 / 12.0).abs() < 1e-9);
    assert!((points("Иркутск", "Лицей № 2", "1.3 ") - 100.0 / 6.0).abs() < 1e-9);
    assert!((points("Регион", "Все школы", "1.3 ") - 100.0 / 3.0).abs() < 1e-9);
    assert!((points("Иркутск", "Школа № 1", "К1: часть по опросу") - 0.4 * 500.0 / 12.0).abs() < 1e-9);
    assert_eq!(value("Иркутск", "Лицей № 2", "3.3 "), Data::String("н/д".into()));
    assert_eq!(value("Кунгур", "Школа № 3", "1.3 "), Data::String("н/д".into()), "no respondents at all");
    assert_eq!(value("Иркутск", "Школа № 1", "Респондентов"), Data::Float(6.0));
    let notes = workbook.worksheet_range("Пояснения").unwrap();
    let notes: Vec<String> = notes.rows().map(|r| r[0].to_string()).collect();
    assert!(notes.iter().any(|n| n.contains("(Да(q2) + Да(q4)) / (2 × число респондентов)")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("--expert")), "{notes:?}");

    // From three responses of one audience a class is named. 5А's four parents would be, but 5Б's
    // two could not stand alone when the campaign closed, so they joined 5А's release, which lost
    // its name; 9В's two parents and one student are each too few, so Лицей № 2's are unnamed.
    let mut proposals =
        calamine::open_workbook::<calamine::Xlsx<_>, _>(app.path("report-proposals.xlsx")).expect("a valid XLSX");
    assert_eq!(proposals.sheet_names(), ["Предложения", "Пояснения"]);
    let sheet = proposals.worksheet_range("Предложения").unwrap();
    let shown: Vec<Vec<String>> = sheet.rows().skip(1).map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(
        shown,
        [
            ["Иркутск", "Лицей № 2", "", "Спортзал"],
            ["Иркутск", "Школа № 1", "", "Больше кружков"],
            ["Иркутск", "Школа № 1", "", "Буфет"],
            ["Иркутск", "Школа № 1", "", "Починить крыльцо"],
        ]
    );
}

async fn a_bad_expert_file_is_rejected_with_its_line_number(app: TestApp) {
    seed(&app).await;
    let out = app.path("report.csv");
    let out = out.to_str().unwrap();
    let header = "municipality,school,p_inf,p_dist,p_komf_usl,p_org_dost,p_uslug_dost\n";
    let bad = app.write(
        "bad.csv",
        &format!("{header}Иркутск,Школа № 1,90,100,80,60,50\n\nИркутск,Лицей № 2,70,80,120,100,100\n"),
    );
    let stderr =
        app.cli_fails(&["report", "--campaign", "autumn", "--format", "csv", "--out", out, "--expert", &bad]).await;
    assert!(
        stderr.contains("не использован")
            && stderr.contains("строка 4: в столбце «p_komf_usl» должно быть число от 0 до 100, а стоит «120»"),
        "{stderr}"
    );
    let unknown = app.write("unknown.csv", &format!("{header}Иркутск,Школа № 9,90,100,80,60,50\n"));
    let stderr =
        app.cli_fails(&["report", "--campaign", "autumn", "--format", "csv", "--out", out, "--expert", &unknown]).await;
    assert!(stderr.contains("строка 2: в списке классов нет школы «Школа № 9»"), "{stderr}");
    let columns = app.write("columns.csv", "municipality,school,p_inf\nИркутск,Школа № 1,90\n");
    let stderr =
        app.cli_fails(&["report", "--campaign", "autumn", "--format", "csv", "--out", out, "--expert", &columns]).await;
    assert!(stderr.contains("нет столбца «p_dist»"), "{stderr}");
    assert!(!std::path::Path::new(out).exists(), "nothing is written when the expert file is refused");
    let stderr = app.cli_fails(&["report", "--campaign", "spring", "--out", out]).await;
    assert!(stderr.contains("нет кампании «spring»"), "{stderr}");
}

/// Every cell of a workbook's sheet as text.
fn cells(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a valid XLSX");
    let range = workbook.worksheet_range(sheet).expect("the sheet");
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The region administrator's `/report` in Telegram: interim while the campaign runs (only what
/// staff may see: here nothing, since no class has five answers), final once it is closed, and
/// then the same results and proposals the command line writes; other roles and forged buttons
/// are refused.
async fn a_region_administrator_gets_the_report_in_telegram(mut app: TestApp) {
    seed(&app).await;
    app.start_bot().await;
    let region = app.staff(930_001, &["admin", "invite", "--region"]).await;
    let school = app.staff(930_002, &["admin", "invite", "--school", "Школа № 1"]).await;
    assert!(school.send_text("/report").await.text.contains("администраторы региона"));

    region.send_text("/report").await;
    let interim = region.wait_for_text("Промежуточный отчёт").await;
    assert!(interim.text.contains("0 респондентов"), "nothing is released to staff yet: {}", interim.text);
    let files = app.documents(region.id(), ".xlsx", 2).await;
    assert!(files[0].0.starts_with("Промежуточный отчёт НОКО — autumn"), "{:?}", files[0].0);
    assert!(files[1].0.starts_with("Предложения — autumn"), "{:?}", files[1].0);

    app.cli(&["campaign", "close", "autumn"]).await;
    region.send_text("/report").await;
    let last = region.wait_for_text("Итоговый отчёт").await;
    assert!(last.text.contains("9 респондентов") && last.text.contains("3 школы"), "{}", last.text);
    let files = app.documents(region.id(), ".xlsx", 4).await;
    assert!(files[2].0.starts_with("Отчёт НОКО — autumn"), "{:?}", files[2].0);
    let proposals = region.wait_for_text("Предложения участников: 3.").await;
    assert!(
        proposals.text.contains("Не показаны ради анонимности (в школе меньше 5 ответов): 1."),
        "{}",
        proposals.text
    );
    let out = app.path("report.xlsx");
    app.cli(&["report", "--campaign", "autumn", "--format", "xlsx", "--out", out.to_str().unwrap()]).await;
    let written = std::fs::read(&out).unwrap();
    assert_eq!(cells(&files[2].1, "Результаты"), cells(&written, "Результаты"), "the results the CLI writes");
    let proposals = std::fs::read(app.path("report-proposals.xlsx")).unwrap();
    assert_eq!(cells(&files[3].1, "Предложения"), cells(&proposals, "Предложения"));

    let message = region.last_message().message_id;
    assert!(school.press_data(message, "rp:1").await.text.unwrap_or_default().contains("администраторы региона"));
    for forged in ["rp:x", "rp:", "rp:-1"] {
        let toast = region.press_data(message, forged).await.text.unwrap_or_default();
        assert!(toast.contains("не работает"), "{forged}: {toast}");
    }
    assert!(region.press_data(message, "rp:999").await.text.unwrap_or_default().contains("больше нет"));
    assert_eq!(app.documents(region.id(), ".xlsx", 4).await.len(), 4, "no report for a refused press");

    // The audited indicators for К1–К5: with one campaign, the file alone is enough.
    assert!(last.text.contains("ответьте на это сообщение файлом экспертных показателей"), "{}", last.text);
    let expert = "municipality;school;p_inf;p_dist;p_komf_usl;p_org_dost;p_uslug_dost\n\
                  Иркутск;Школа № 1;90;100;80;60;50\nИркутск;Лицей № 2;70;80;100;100;100\n";
    let bad = expert.replace("100;100;100", "100;100;120");
    let refused = region.send_document("expert.csv", bad.as_bytes()).await;
    assert!(
        refused.text.contains("не сохранён") && refused.text.contains("строка 3: в столбце «p_uslug_dost»"),
        "{}",
        refused.text
    );
    let school_refused = school.send_document("expert.csv", expert.as_bytes()).await;
    assert!(school_refused.text.contains("администраторы региона"), "{}", school_refused.text);
    let stored = region.send_document("expert.csv", expert.as_bytes()).await;
    assert!(
        stored.text.contains("сохранены: 2 школы") && stored.text.contains("Кунгур / Школа № 3"),
        "{}",
        stored.text
    );
    region.press("Обновить отчёт").await;
    let with_criteria = region.wait_for_text("с экспертными показателями").await;
    assert!(with_criteria.text.contains("Итоговый отчёт"), "{}", with_criteria.text);
    let files = app.documents(region.id(), ".xlsx", 6).await;
    let expert_file = app.write("expert.csv", expert);
    let out = app.path("with-expert.xlsx");
    app.cli(&[
        "report",
        "--campaign",
        "autumn",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
        "--expert",
        &expert_file,
    ])
    .await;
    let written = cells(&std::fs::read(&out).unwrap(), "Результаты");
    assert!(written[0].iter().any(|h| h.starts_with("Итоговый балл")), "the criteria are there: {:?}", written[0]);
    assert_eq!(cells(&files[4].1, "Результаты"), written, "the criteria the CLI computes from the same file");

    // With two campaigns the file answers the report message of the one it is for.
    app.cli(&[
        "campaign",
        "create",
        "--name",
        "spring",
        "--questionnaire",
        "noko-parents",
        "--starts",
        &today_plus(1),
        "--ends",
        &today_plus(20),
        "--target-percent",
        "40",
    ])
    .await;
    let which = region.send_document("expert.csv", expert.as_bytes()).await;
    assert!(which.text.contains("Кампаний несколько"), "{}", which.text);
    region.send_text("/report").await;
    region.press("spring").await;
    let spring = region.wait_for_text("Промежуточный отчёт по кампании «spring»").await;
    let answered = region.reply_with_document(spring.message_id, "expert.csv", expert.as_bytes()).await;
    assert!(answered.text.contains("«spring» сохранены"), "{}", answered.text);
    let sql = app.sql().await;
    assert_eq!(
        sql.count(
            "SELECT COUNT(*) FROM expert_scores e JOIN campaigns c ON c.id = e.campaign_id WHERE c.name = 'spring'"
        )
        .await,
        2
    );
    assert_eq!(sql.count("SELECT COUNT(*) FROM expert_scores").await, 4, "autumn's scores stay as they were");
}

/// The ranking and the municipal means, in the workbook: Школа № 1 is ranked; Лицей № 2 is below
/// its sample (3 of 26) and Школа № 3 has nobody: both follow, unranked and marked.
async fn the_ranking_and_the_municipal_means(app: TestApp) {
    use calamine::{Data, Reader};
    seed(&app).await;
    app.cli(&["campaign", "close", "autumn"]).await;
    let config = app.write("three.toml", "[privacy]\nmin_group_size = 3\n");
    let expert = app.write(
        "expert.csv",
        "municipality;school;p_inf;p_dist;p_komf_usl;p_org_dost;p_uslug_dost\n\
         Иркутск;Школа № 1;90;100;80;60;50,5\n\
         Иркутск;Лицей № 2;70;80;90;100;100\n",
    );
    let out = app.path("report.xlsx");
    app.cli(&[
        "--config",
        &config,
        "report",
        "--campaign",
        "autumn",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
        "--expert",
        &expert,
    ])
    .await;
    let mut workbook = calamine::open_workbook::<calamine::Xlsx<_>, _>(&out).expect("a valid XLSX");
    let ranking: Vec<Vec<Data>> =
        workbook.worksheet_range("Рейтинг школ").unwrap().rows().map(|r| r.to_vec()).collect();
    assert_eq!(
        ranking[0].iter().map(|c| c.to_string()).collect::<Vec<_>>()[..4],
        ["Место", "Муниципалитет", "Образовательная организация", "Итоговый балл (среднее К1–К5)"]
    );
    let total = |row: &[Data]| match row[3] {
        Data::Float(points) => points,
        ref other => panic!("{other:?}"),
    };
    assert_eq!(ranking[1][0], Data::Float(1.0));
    assert_eq!(ranking[1][2], Data::String("Школа № 1".into()));
    assert!((total(&ranking[1]) - 66.706_666).abs() < 1e-3, "{:?}", ranking[1]);
    assert!(matches!(ranking[2][0], Data::Empty), "{:?}", ranking[2]);
    assert_eq!(ranking[2][2], Data::String("Лицей № 2".into()));
    assert!((total(&ranking[2]) - 78.666_666).abs() < 1e-3, "its total is shown, unranked");
    assert_eq!(ranking[2][6], Data::String("⚠ ниже выборки — не ранжируется".into()));
    assert_eq!(ranking[3][2], Data::String("Школа № 3".into()));
    assert_eq!(ranking[3][6], Data::String("⚠ ниже выборки — не ранжируется".into()));
    assert_eq!(ranking.len(), 4);

    let means: Vec<Vec<Data>> =
        workbook.worksheet_range("Средние по муниципалитетам").unwrap().rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = means[0].iter().map(|c| c.to_string()).collect();
    let column = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
    assert_eq!(means[1][0], Data::String("Иркутск".into()));
    assert_eq!((&means[1][1], &means[1][2]), (&Data::Float(2.0), &Data::Float(1.0)), "two schools, one below");
    let value = |row: usize, name: &str| match means[row][column(name)] {
        Data::Float(points) => points,
        ref other => panic!("{name}: {other:?}"),
    };
    // Each school weighs the same: 5.3 (66.67 + 100) / 2, the total (66.71 + 78.67) / 2.
    assert!((value(1, "5.3 ") - (200.0 / 3.0 + 100.0) / 2.0).abs() < 1e-9);
    assert!((value(1, "Итоговый балл") - (66.706_666 + 78.666_666) / 2.0).abs() < 1e-3);
    assert_eq!(means[2][0], Data::String("Кунгур".into()));
    assert_eq!(means[2][column("Итоговый балл")], Data::String("н/д".into()), "nobody answered at Школа № 3");
    assert_eq!(means.len(), 3);
    let notes: Vec<String> = workbook.worksheet_range("Пояснения").unwrap().rows().map(|r| r[0].to_string()).collect();
    assert!(notes[0].starts_with("Не набрали минимальную выборку (2)"), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("место общее")), "{notes:?}");
}

/// `/results` has the sample line of each school of the caller's scope, over the responses
/// already shown to staff; the sample percent by its environment override.
async fn results_in_telegram_show_the_sample_of_each_school(mut app: TestApp) {
    seed(&app).await;
    // Groups of two of one audience leave the ballot box: 5А's four parents, 5Б's two and 9В's two;
    // 9В's one student waits.
    let two = app.write("two.toml", "[privacy]\nmin_group_size = 2\n");
    let out = app.path("report.csv");
    app.cli(&["--config", &two, "report", "--campaign", "autumn", "--format", "csv", "--out", out.to_str().unwrap()])
        .await;
    // 25 %: Школа № 1 needs 4 of 15, Лицей № 2 16 of 64, Школа № 3 5 of 20.
    app.start_bot_with(&[("ANKETA_REPORT_SAMPLE_MIN_PERCENT", "25")]).await;
    let region = app.staff(930_011, &["admin", "invite", "--region"]).await;
    let results = region.send_text("/results").await.text;
    assert!(results.contains("показатели по 8 ответам"), "{results}");
    assert!(results.contains("Выборка по школам (минимум — 25 % обучающихся, не больше 600"), "{results}");
    assert!(results.contains("• Иркутск / Школа № 1 — 6 из 4: набрана"), "{results}");
    assert!(results.contains("• Иркутск / Лицей № 2 — 2 из 16: ⚠ ниже выборки"), "{results}");
    assert!(results.contains("• Кунгур / Школа № 3 — 0 из 5: ⚠ ниже выборки"), "{results}");
    let municipality = app.staff(930_012, &["admin", "invite", "--municipality", "Иркутск"]).await;
    let results = municipality.send_text("/results").await.text;
    assert!(results.contains("• Школа № 1 — 6 из 4: набрана"), "{results}");
    assert!(results.contains("• Лицей № 2 — 2 из 16: ⚠ ниже выборки"), "{results}");
    assert!(!results.contains("Школа № 3"), "only the caller's scope: {results}");
    // A school's two shown answers are below the privacy threshold: no figures, no sample line.
    let school = app.staff(930_013, &["admin", "invite", "--school", "Лицей № 2"]).await;
    let results = school.send_text("/results").await.text;
    assert!(results.contains("пока 2 ответов") && !results.contains("Выборка"), "{results}");
}

fn today_plus(days: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

on_both_engines!(
    a_region_administrator_gets_the_report_in_telegram,
    the_report_matches_a_hand_calculation,
    the_other_openness_variant_and_a_smaller_group_size_in_a_workbook,
    a_bad_expert_file_is_rejected_with_its_line_number,
    the_ranking_and_the_municipal_means,
    results_in_telegram_show_the_sample_of_each_school,
);
