//! The region's outputs of a fixed small region against stored expected files, so that making the
//! region-scale jobs faster cannot change what they write: the CSV export byte for byte, the XLSX
//! export and the XLSX and CSV reports (results and proposals) read back cell by cell, on both
//! engines, against the same files under `tests/expected/`.
//!
//! Everything is fixed: the roster, the answers (a formula of the respondent's number), the clock
//! (`ANKETA_CLOCK`, which gives the campaign's dates and the release day). One thing is not, on
//! purpose: the ballot box releases responses in random order under random ids (anonymity), so the
//! export's rows within a class come in no defined order. Those rows are compared sorted: the CSV's
//! lines below the header, and the rows below the header of the XLSX export's responses sheet.
//! Everything else (the header bytes, the byte order mark, the other sheets, the reports, whose
//! rows go by school and whose proposals are sorted by text) is compared as written.
//!
//! `ANKETA_BLESS=1 cargo test --test golden` rewrites the expected files from the present code;
//! only do that for a change of output that is meant, and read the diff.

mod support;

use std::path::{Path, PathBuf};

use anketa::db::{Db, NewResponse, SubmitOutcome};
use anketa::privacy::IdentityKey;
use anketa::survey::Audience;
use chrono::{DateTime, Utc};
use support::TestApp;

/// Six schools' classes in two municipalities; Гимназия № 4 gets no response at all.
const ROSTER: &str = "municipality;school;class;students\n\
Иркутск;Школа № 1;5А;25\n\
Иркутск;Школа № 1;5Б;20\n\
Иркутск;Лицей № 2;9В;30\n\
Иркутск;Лицей № 2;10А;12\n\
Кунгур;Школа № 3;1А;20\n\
Кунгур;Гимназия № 4;7Б;28\n";

/// (class, parents, students). The ballot box names a class's release once it holds five of one
/// audience: 5А's and 5Б's parents and 1А's are named; 5А's one student is released unnamed; 9В's
/// and 10А's parents pool to five under Лицей № 2; 10А's student joins 9В's students, whose
/// release then loses its class name. 7Б has no response.
const CLASSES: [(&str, usize, usize); 5] = [("5А", 6, 1), ("5Б", 5, 0), ("9В", 3, 5), ("10А", 2, 1), ("1А", 5, 0)];

/// Free-text proposals, with what a CSV and a spreadsheet must guard and quote.
const PROPOSALS: [&str; 5] =
    ["Больше кружков", "=HYPERLINK(\"http://x\")", "Буфет; и столовая", "Кавычки \"как есть\"", "  Починить крыльцо "];

/// The campaign runs 2026-11-20..=2026-11-30; everything happens on 2026-11-24 in Moscow.
const CLOCK: &str = "2026-11-24T12:00:00+03:00";

/// Respondent `n`'s answers: a yes/no pattern of `n` and the question, the follow-up questions
/// (q2 and q4 after q1, q7 after q6, q11 after q10) only after «Да», a proposal (q15, both questionnaires' free text)
/// from every third.
fn answers(n: usize) -> Vec<(String, String)> {
    let yes = |q: usize| (n * 7 + q * 3 + n / 4) % 5 < 3;
    let mut answers = Vec::new();
    for q in 1..=14 {
        let follows = match q {
            2 | 4 => Some(1),
            7 => Some(6),
            11 => Some(10),
            _ => None,
        };
        if follows.is_some_and(|first| !yes(first)) {
            continue;
        }
        answers.push((format!("q{q}"), if yes(q) { "yes" } else { "no" }.to_string()));
    }
    if n.is_multiple_of(3) {
        answers.push(("q15".to_string(), PROPOSALS[n / 3 % PROPOSALS.len()].to_string()));
    }
    answers
}

async fn cli(app: &TestApp, args: &[&str]) {
    let output = app.command(args).env("ANKETA_CLOCK", CLOCK).output().await.expect("run anketa");
    assert!(
        output.status.success(),
        "anketa {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The roster, campaign "autumn" with both НОКО questionnaires, the responses submitted through
/// the library, and the campaign closed (every answer released on the clock's day).
async fn seed(app: &TestApp) {
    let roster = app.write("roster.csv", ROSTER);
    cli(app, &["roster", "import", &roster]).await;
    cli(
        app,
        &[
            "campaign",
            "create",
            "--name",
            "autumn",
            "--questionnaire",
            "noko-parents",
            "--questionnaire",
            "noko-students",
            "--starts",
            "2026-11-20",
            "--ends",
            "2026-11-30",
            "--target-percent",
            "40",
            "--allow-past-start",
        ],
    )
    .await;
    let links_dir = app.path("links");
    cli(app, &["links", "export", "--campaign", "autumn", "--out", links_dir.to_str().unwrap()]).await;
    let links = support::read_excel_csv(&links_dir.join("links.csv"));
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339(CLOCK).unwrap().with_timezone(&Utc);
    let db = Db::connect(&app.db_url).await.unwrap();
    let key = IdentityKey::new(&[9; 32]).unwrap();
    let mut n = 0;
    for (class, parents, students) in CLASSES {
        let url = &links.iter().find(|l| l[2] == class).unwrap()[3];
        let code = url.split("?start=").nth(1).unwrap();
        let target = db.resolve_link(code).await.unwrap().unwrap();
        let audiences =
            std::iter::repeat_n(Audience::Parent, parents).chain(std::iter::repeat_n(Audience::Student, students));
        for audience in audiences {
            n += 1;
            let chat = key.chat_key(n as i64);
            db.start_draft(&chat, code, "{}", 1, now, None).await.unwrap();
            let response = NewResponse {
                campaign_id: target.campaign.id,
                school_id: target.school_id,
                class_id: target.class_id,
                audience,
                questionnaire_id: format!("noko-{}s", audience.code()),
                answers: answers(n),
            };
            let identity = key.identity(n as u64, target.campaign.id, target.school_id);
            let stored = db.submit_response(&chat, 1, identity.as_bytes(), &response).await.unwrap();
            assert_eq!(stored, SubmitOutcome::Stored);
        }
    }
    db.close().await;
    cli(app, &["campaign", "close", "autumn"]).await;
}

fn expected_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected").join(name)
}

/// Compares `actual` with the expected file `name` (or rewrites it with `ANKETA_BLESS=1`).
fn compare(name: &str, actual: &[u8]) {
    let path = expected_path(name);
    if std::env::var_os("ANKETA_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let (expected, actual) = (String::from_utf8_lossy(&expected), String::from_utf8_lossy(actual));
        let first = expected.lines().zip(actual.lines()).position(|(e, a)| e != a);
        panic!(
            "{name} differs from tests/expected/{name} (first differing line {first:?})\n--- expected\n{expected}\n--- actual\n{actual}"
        );
    }
}

/// The CSV with its lines below the header sorted (their order within a class is random).
fn sorted_csv(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "the last line ends in CRLF too");
    let mut lines: Vec<&str> = text.split_terminator("\r\n").collect();
    lines[1..].sort_unstable();
    lines.iter().flat_map(|line| [*line, "\r\n"]).collect::<String>().into_bytes()
}

/// A workbook as text: each sheet's name, then its rows one a line, cells separated by tabs (tabs,
/// newlines and backslashes in cells escaped). `sorted_sheets` names the sheets whose rows below
/// the header are sorted.
fn workbook_text(bytes: Vec<u8>, sorted_sheets: &[usize]) -> Vec<u8> {
    let escape = |cell: &str| cell.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r");
    let mut text = String::new();
    for (index, (name, rows)) in support::read_workbook(bytes).into_iter().enumerate() {
        let mut lines: Vec<String> =
            rows.iter().map(|row| row.iter().map(|c| escape(c)).collect::<Vec<_>>().join("\t")).collect();
        if sorted_sheets.contains(&index) && lines.len() > 1 {
            lines[1..].sort_unstable();
        }
        text.push_str(&format!("# {name}\n"));
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.into_bytes()
}

async fn outputs_equal_the_expected_files(app: TestApp) {
    seed(&app).await;
    let out = |name: &str| app.path(name).to_str().unwrap().to_string();

    cli(&app, &["export", "--campaign", "autumn", "--format", "csv", "--out", &out("export.csv")]).await;
    let csv = std::fs::read(app.path("export.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}municipality;school;class;audience;released_on;q1;".as_bytes()));
    let csv = sorted_csv(csv);
    assert_eq!(
        csv.split(|b| *b == b'\n').count() - 2,
        CLASSES.iter().map(|(_, p, s)| p + s).sum::<usize>(),
        "a row each"
    );
    compare("export.csv", &csv);

    cli(&app, &["export", "--campaign", "autumn", "--format", "xlsx", "--out", &out("export.xlsx")]).await;
    compare("export.xlsx.txt", &workbook_text(std::fs::read(app.path("export.xlsx")).unwrap(), &[0]));

    cli(&app, &["report", "--campaign", "autumn", "--format", "xlsx", "--out", &out("report.xlsx")]).await;
    compare("report.xlsx.txt", &workbook_text(std::fs::read(app.path("report.xlsx")).unwrap(), &[]));
    compare(
        "report-proposals.xlsx.txt",
        &workbook_text(std::fs::read(app.path("report-proposals.xlsx")).unwrap(), &[]),
    );

    cli(&app, &["report", "--campaign", "autumn", "--format", "csv", "--out", &out("report.csv")]).await;
    compare("report.csv", &std::fs::read(app.path("report.csv")).unwrap());
    compare("report-proposals.csv", &std::fs::read(app.path("report-proposals.csv")).unwrap());
}

on_both_engines!(outputs_equal_the_expected_files);
