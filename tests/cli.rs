//! The operator's command line, run as the real binary: roster import (errors with line numbers,
//! nothing half-imported, re-import updates), campaigns, links with their QR codes and posters,
//! questionnaire checks, and `run`'s refusal to start without an identity key.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use support::{ROSTER, TestApp};

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = app.sql().await;
    let n = sql.count(&format!("SELECT COUNT(*) FROM {table}")).await;
    sql.close().await;
    n
}

async fn a_bad_roster_row_rejects_the_whole_file_with_its_line_number(app: TestApp) {
    let file = app.write(
        "bad.csv",
        "municipality,school,class,students\nКунгур,Школа № 3,1А,25\nКунгур,Школа № 3,1Б,25\nКунгур,Школа № 3,1В,много\n",
    );
    let stderr = app.cli_fails(&["roster", "import", &file]).await;
    assert!(stderr.contains("строка 4"), "{stderr}");
    assert!(stderr.contains("«много»"), "{stderr}");
    assert_eq!(count(&app, "classes").await, 0, "nothing is half-imported");

    let file = app.write("tz.csv", "municipality;school;class;students;timezone\nA;B;1А;10;Europe/Nowhere\n");
    let stderr = app.cli_fails(&["roster", "import", &file]).await;
    assert!(stderr.contains("строка 2") && stderr.contains("Europe/Nowhere"), "{stderr}");

    let file = app.write("cols.csv", "school,class,students\nB,1А,10\n");
    let stderr = app.cli_fails(&["roster", "import", &file]).await;
    assert!(stderr.contains("«муниципалитет»"), "{stderr}");

    let stderr = app.cli_fails(&["roster", "import", "/no/such/file.csv"]).await;
    assert!(stderr.contains("не удалось прочитать /no/such/file.csv"), "{stderr}");
}

async fn re_importing_updates_headcounts_and_never_duplicates(app: TestApp) {
    let file = app.write("roster.csv", &format!("\u{feff}{ROSTER}"));
    let out = app.cli(&["roster", "import", &file]).await;
    assert!(out.contains("добавлено классов: 3"), "{out}");
    let updated = ROSTER.replace("5А;25", "5А;27");
    let file = app.write("roster2.csv", &format!("{updated}Иркутск;Лицей № 2;10А;15;\n"));
    let out = app.cli(&["roster", "import", &file]).await;
    assert!(out.contains("добавлено классов: 1, изменено: 1, без изменений: 2"), "{out}");
    assert_eq!(count(&app, "classes").await, 4);
    assert_eq!(count(&app, "schools").await, 2);
    assert_eq!(count(&app, "municipalities").await, 1);
    let sql = app.sql().await;
    let headcount = sql.count("SELECT k.headcount FROM classes k WHERE k.name = '5А'").await;
    let timezone =
        sql.text("SELECT s.timezone FROM classes k JOIN schools s ON s.id = k.school_id WHERE k.name = '5А'").await;
    assert_eq!((headcount, timezone.as_str()), (27, "Asia/Irkutsk"));
    let default_zone = sql.text("SELECT timezone FROM schools WHERE name = 'Лицей № 2'").await;
    assert_eq!(default_zone, "Europe/Moscow", "bot.toml's default timezone");
}

async fn campaigns_are_checked_and_listed_and_links_are_stable(app: TestApp) {
    let links = app.seed().await;
    assert!(links.iter().all(|l| l.url.starts_with("https://t.me/anketa_test_bot?start=")));
    let codes: Vec<&str> = links.iter().map(|l| l.code()).collect();
    assert!(codes.iter().all(|c| c.len() == 14 && c.bytes().all(|b| b.is_ascii_alphanumeric())), "{codes:?}");
    // Exporting again keeps the same codes.
    let again = app.export_links("autumn").await;
    assert_eq!(again.iter().map(|l| l.code()).collect::<Vec<_>>(), codes);

    let list = app.cli(&["campaign", "list"]).await;
    assert!(list.contains("autumn") && list.contains("noko-parents, noko-students"), "{list}");
    assert!(list.contains("ответили родители: 0 из 75 (0,0%) · ученики: 0 из 75 (0,0%); цель 40 %"), "{list}");

    let valid = ["--questionnaire", "noko-parents", "--starts", "2026-01-01", "--ends", "2026-02-01"];
    let cases: [(Vec<&str>, &str); 5] = [
        ([&["--name", "autumn"][..], &valid, &["--target-percent", "40"]].concat(), "уже есть"),
        (
            vec![
                "--name",
                "x",
                "--questionnaire",
                "nope",
                "--starts",
                "2026-01-01",
                "--ends",
                "2026-02-01",
                "--target-percent",
                "40",
            ],
            // The folder beside bot.toml, named whole.
            "/questionnaires (есть: noko-parents",
        ),
        (
            [&["--name", "x", "--questionnaire", "noko-parents"][..], &valid, &["--target-percent", "40"]].concat(),
            "одна анкета на аудиторию",
        ),
        (
            vec![
                "--name",
                "x",
                "--questionnaire",
                "noko-parents",
                "--starts",
                "2026-03-01",
                "--ends",
                "2026-02-01",
                "--target-percent",
                "40",
            ],
            "заканчивается (01.02.2026) раньше, чем начинается (01.03.2026)",
        ),
        ([&["--name", "x"][..], &valid, &["--target-percent", "140"]].concat(), "от 1 до 100 (указано 140)"),
    ];
    for (arguments, error) in cases {
        let args = [&["campaign", "create"][..], &arguments].concat();
        let stderr = app.cli_fails(&args).await;
        assert!(stderr.contains(error), "{args:?}: {stderr}");
    }
    let missing = app.cli_fails(&["links", "export", "--campaign", "spring", "--out", "/tmp"]).await;
    assert!(missing.contains("нет кампании «spring»"), "{missing}");
}

/// Every file under `dir`, as paths relative to it with `/` between folders.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let relative = path.strip_prefix(dir).unwrap();
            files.insert(relative.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/"));
        }
    }
    files
}

async fn links_export_writes_a_qr_code_and_a_poster_for_every_class(app: TestApp) {
    app.seed().await;
    // A school name Windows would refuse as a folder, and a class differing only in case.
    let more = app.write(
        "more.csv",
        "municipality;school;class;students\nИркутск;\"Гимназия: \"\"Вектор\"\"\";10А;20\nИркутск;Школа № 1;5а;18\n",
    );
    app.cli(&["roster", "import", &more]).await;
    let out = app.path("links");
    let output = app
        .command(&["links", "export", "--campaign", "autumn", "--out", out.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // `5а` is the class `5А` written another way: its headcount changed, no class was added.
    assert!(stderr.contains("4 из 4 классов"), "progress on stderr: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("4 классов в 3 школах"), "{stdout}");

    let urls: BTreeMap<(String, String), String> = support::read_excel_csv(&out.join("links.csv"))
        .into_iter()
        .skip(1)
        .map(|r| ((r[1].to_string(), r[2].to_string()), r[3].to_string()))
        .collect();
    assert_eq!(urls.len(), 4);
    let table = support::links_table(&std::fs::read(out.join("Ссылки.xlsx")).unwrap());
    let table: BTreeMap<(String, String), String> =
        table.into_iter().map(|[_, school, class, _, link]| ((school, class), link)).collect();
    assert_eq!(table, urls, "Ссылки.xlsx holds the links of links.csv, clickable");
    assert!(stdout.contains("Ссылки.xlsx"), "{stdout}");

    // (folder under DIR, file name, school, class): names a person recognises, safe on Windows.
    let expected = [
        ("Иркутск/Школа № 1", "5А", "Школа № 1", "5А"),
        ("Иркутск/Школа № 1", "5Б", "Школа № 1", "5Б"),
        ("Иркутск/Лицей № 2", "9В", "Лицей № 2", "9В"),
        ("Иркутск/Гимназия_ _Вектор_", "10А", "Гимназия: \"Вектор\"", "10А"),
    ];
    let mut files = BTreeSet::from(["links.csv".to_string(), "Ссылки.xlsx".to_string()]);
    for (folder, name, school, class) in expected {
        let url = &urls[&(school.to_string(), class.to_string())];
        let stem = out.join(folder).join(name);
        assert_eq!(
            &support::decode_qr(&std::fs::read(stem.with_added_extension("png")).unwrap()),
            url,
            "{folder}/{name}.png"
        );
        let svg = std::fs::read_to_string(stem.with_added_extension("svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("viewBox=") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert_eq!(
            support::pdf_pages(&std::fs::read(stem.with_added_extension("pdf")).unwrap()),
            1,
            "{folder}/{name}.pdf"
        );
        files.extend(["png", "svg", "pdf"].map(|ext| format!("{folder}/{name}.{ext}")));
    }
    for (folder, classes) in [("Иркутск/Школа № 1", 2), ("Иркутск/Лицей № 2", 1), ("Иркутск/Гимназия_ _Вектор_", 1)]
    {
        assert_eq!(
            support::pdf_pages(&std::fs::read(out.join(folder).join("posters.pdf")).unwrap()),
            classes,
            "{folder}/posters.pdf"
        );
        files.insert(format!("{folder}/posters.pdf"));
    }
    assert_eq!(files_under(&out), files, "nothing else, nothing missing");
}

async fn questionnaire_check_names_the_question_and_the_problem(app: TestApp) {
    for shipped in ["questionnaires/noko-parents.toml", "questionnaires/noko-students.toml"] {
        let out = app.cli(&["questionnaire", "check", shipped]).await;
        assert!(out.contains("в порядке: вопросов — 15, из них с условием — 4"), "{out}");
    }
    let broken = app.write(
        "broken.toml",
        r#"
id = "broken"
audience = "parent"
title = { ru = "Т" }
preamble = { ru = "П" }
[[questions]]
id = "q1"
kind = "yes_no"
text = { ru = "Первый" }
[[questions]]
id = "q2"
kind = "yes_no"
show_if = { question = "q9", equals = "yes" }
text = { ru = "Второй" }
"#,
    );
    let stderr = app.cli_fails(&["questionnaire", "check", &broken]).await;
    assert!(stderr.contains("вопрос \"q2\"") && stderr.contains("\"q9\""), "{stderr}");
}

async fn run_refuses_to_start_without_an_identity_key_and_says_how_to_make_one(app: TestApp) {
    use std::os::unix::fs::PermissionsExt;
    let stderr_of = |output: std::process::Output| String::from_utf8_lossy(&output.stderr).into_owned();
    let output = app.command(&["run"]).env_remove("ANKETA_IDENTITY_KEY").output().await.unwrap();
    assert!(!output.status.success());
    let stderr = stderr_of(output);
    assert!(stderr.contains("ANKETA_IDENTITY_KEY") && stderr.contains("anketa key generate"), "{stderr}");
    assert!(stderr.contains("openssl rand -hex 32"), "{stderr}");

    let passphrase = "Our-School-Survey-Key-For-The-Autumn-Campaign 2026";
    let stderr = stderr_of(app.command(&["run"]).env("ANKETA_IDENTITY_KEY", passphrase).output().await.unwrap());
    assert!(stderr.contains("в шестнадцатеричном виде или base64, а не парольная фраза"), "{stderr}");

    // `anketa key generate` prints a key; in a file others may read, it is refused with the fix.
    let key = app.cli(&["key", "generate"]).await;
    assert!(key.trim().len() == 64 && key.trim().bytes().all(|b| b.is_ascii_hexdigit()), "{key:?}");
    let key_file = app.write("identity.key", &key);
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let from_file = || {
        let mut command = app.command(&["run"]);
        command.env_remove("ANKETA_IDENTITY_KEY").env("ANKETA_IDENTITY_KEY_FILE", &key_file);
        command
    };
    let stderr = stderr_of(from_file().output().await.unwrap());
    assert!(stderr.contains(&format!("(права 644): выполните `chmod 600 {key_file}`")), "{stderr}");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Accepted now: the start stops at the next thing missing, the bot token.
    let stderr = stderr_of(from_file().env_remove("TELOXIDE_TOKEN").output().await.unwrap());
    assert!(stderr.contains("TELOXIDE_TOKEN") && !stderr.contains("ключ"), "{stderr}");
    // The variable and the file both set: which key would count the respondents?
    let both = app.command(&["run"]).env("ANKETA_IDENTITY_KEY_FILE", &key_file).output().await.unwrap();
    let stderr = stderr_of(both);
    assert!(stderr.contains("заданы и ANKETA_IDENTITY_KEY, и ANKETA_IDENTITY_KEY_FILE"), "{stderr}");
}

#[tokio::test]
async fn run_refuses_a_webhook_secret_shorter_than_32_characters() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let webhook = [
        ("ANKETA_TELEGRAM_MODE", "webhook"),
        ("ANKETA_WEBHOOK_URL", "https://anketa.example/telegram/webhook"),
        ("ANKETA_LISTEN", "127.0.0.1:0"),
    ];
    let output =
        app.command(&["run"]).envs(webhook).env("ANKETA_WEBHOOK_SECRET", "a".repeat(31)).output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("от 32 до 256 символов (указано 31)") && stderr.contains("openssl rand -hex 32"),
        "{stderr}"
    );
}

/// CSV files open by double-click in a Russian Excel by default; `[files] csv = "rfc4180"` writes
/// them for tools instead.
#[tokio::test]
async fn csv_files_are_for_excel_unless_tools_are_asked_for() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    assert_eq!(links.len(), 3, "links.csv read as Russian Excel reads it");
    let config = app.write("tools.toml", "[files]\ncsv = \"rfc4180\"\n");
    let out = app.path("tools");
    app.cli(&["--config", &config, "links", "export", "--campaign", "autumn", "--out", out.to_str().unwrap()]).await;
    let text = std::fs::read_to_string(out.join("links.csv")).unwrap();
    assert!(text.starts_with("municipality,school,class,url\r\n"), "{text}");
    let refused = app.write("bad.toml", "[files]\ncsv = \"excel-2003\"\n");
    let stderr = app.cli_fails(&["--config", &refused, "campaign", "list"]).await;
    assert!(stderr.contains("excel-2003"), "{stderr}");
}

/// A relative questionnaires folder in the settings file is the one beside it too: a campaign is
/// created from another folder (here the repository's) with the questionnaires of the settings'.
#[tokio::test]
async fn the_questionnaires_are_the_ones_beside_the_settings() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let roster = app.write("roster.csv", support::ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    let folder = app.path("region/forms");
    std::fs::create_dir_all(&folder).unwrap();
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let parents = std::fs::read_to_string(repository.join("questionnaires/noko-parents.toml")).unwrap();
    let renamed = parents.replacen("id = \"noko-parents\"", "id = \"region-parents\"", 1);
    assert_ne!(renamed, parents, "the id was renamed");
    std::fs::write(folder.join("region-parents.toml"), renamed).unwrap();
    let config = app.write("region/settings.toml", "[survey]\nquestionnaires_dir = \"forms\"\n");
    let today = chrono::Utc::now().date_naive().to_string();
    let create = ["campaign", "create", "--name", "local", "--questionnaire", "region-parents"];
    let dates = ["--starts", &today, "--ends", &today, "--target-percent", "40"];
    let with_config: Vec<&str> = ["--config", config.as_str()].into_iter().chain(create).chain(dates).collect();
    let out = app.cli(&with_config).await;
    assert!(out.contains("«local»"), "{out}");
    // Without the settings file the repository's own folder is used, which has no such questionnaire.
    let without: Vec<&str> = create.into_iter().chain(dates).collect();
    let refused = app.cli_fails(&without).await;
    assert!(refused.contains("region-parents"), "{refused}");
}

/// A relative database in the settings file is the one beside it, wherever the command runs; a
/// command on a database that does not exist refuses instead of making an empty one.
#[tokio::test]
async fn the_database_is_the_one_the_settings_name_and_never_a_new_empty_one() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let config = app.write("settings.toml", "[database]\nurl = \"sqlite://region.db\"\n");
    let roster = app.write("roster.csv", support::ROSTER);
    // The commands run from the repository's folder, not the settings file's.
    let output = app
        .command(&["--config", &config, "roster", "import", &roster])
        .env_remove("ANKETA_DATABASE_URL")
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(app.path("region.db").exists(), "the database is beside the settings file");
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("region.db").exists());
    let listed = app
        .command(&["--config", &config, "campaign", "list"])
        .env_remove("ANKETA_DATABASE_URL")
        .output()
        .await
        .unwrap();
    assert!(listed.status.success());
    assert!(
        String::from_utf8_lossy(&listed.stderr).contains(&app.path("region.db").display().to_string()),
        "names the database"
    );

    let missing = app.path("elsewhere/anketa.db");
    let output = app
        .command(&["campaign", "list"])
        .env("ANKETA_DATABASE_URL", format!("sqlite://{}", missing.display()))
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("нет базы данных") && stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(!missing.exists(), "no new empty database");
}

/// Extending a campaign to a day already past would end it at once, silently: refused, with the
/// command that does end it.
#[tokio::test]
async fn a_campaign_is_not_extended_into_the_past() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    app.seed_with(&["--questionnaire", "noko-parents"], -5, 10).await;
    let past = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let stderr = app.cli_fails(&["campaign", "extend", "autumn", "--ends", &past.to_string()]).await;
    assert!(stderr.contains("уже прошла") && stderr.contains("campaign close"), "{stderr}");
    let shown = past.format("%d.%m.%Y").to_string();
    assert!(stderr.contains(&shown), "{stderr}");
    assert!(!app.cli(&["campaign", "list"]).await.contains(&shown), "the end date is unchanged");
}

/// Links and posters name the configured bot; a token of another bot is refused at start.
#[tokio::test]
async fn run_refuses_a_token_of_another_bot_than_the_links_name() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let output = app.command(&["run"]).env("ANKETA_BOT_USERNAME", "@Other_School_Bot").output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("@anketa_test_bot") && stderr.contains("@Other_School_Bot"), "{stderr}");
    // The same name in other letter case is the same bot.
    let mut app = app;
    app.start_bot_with(&[("ANKETA_BOT_USERNAME", "Anketa_Test_Bot")]).await;
    app.assert_running();
}

/// The commands that echo a database URL show it without its password.
#[tokio::test]
async fn database_passwords_never_show_in_messages() {
    let app = TestApp::new(support::Engine::Postgres).await;
    // The test server trusts local connections, so the password is accepted whatever it is.
    let mut url = reqwest::Url::parse(&app.db_url).unwrap();
    url.set_password(Some("Sup3r-Secret")).unwrap();
    let shown = url.as_str().replace("Sup3r-Secret", "***");
    let output = app.command(&["db", "migrate"]).env("ANKETA_DATABASE_URL", url.as_str()).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(&format!("База данных {shown} в актуальном состоянии")),
        "{stdout}"
    );

    let source = format!("sqlite://{}", app.path("source.db").display());
    let copied = app.cli(&["db", "copy", "--from", &source, "--to", url.as_str()]).await;
    assert!(copied.contains(&format!("в {shown}.")), "{copied}");

    let mysql = "mysql://root:Sup3r-Secret@localhost/anketa";
    let refused = app.command(&["db", "migrate"]).env("ANKETA_DATABASE_URL", mysql).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("(указано \"mysql://root:***@localhost/anketa\")"), "{stderr}");
    for output in [stdout.as_ref(), copied.as_str(), stderr.as_ref()] {
        assert!(!output.contains("Sup3r-Secret"), "{output}");
    }
}

async fn questionnaire_preview_walks_the_file_in_the_terminal(app: TestApp) {
    use tokio::io::AsyncWriteExt;
    let mut child = app
        .command(&["questionnaire", "preview", "noko-students", "--lang", "en"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Start; q1 «No» skips q2; then an invalid choice; then quit.
    stdin.write_all(b"1\n2\nyes please\nq\n").await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success());
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("Question 1 of 15") && screen.contains("Question 2 of 14"), "{screen}");
    assert!(screen.contains("[1] Yes") && screen.contains("[2] No"), "{screen}");
    assert!(screen.contains("! Please answer with the buttons"), "{screen}");
}

/// Every cell of a CSV file, header and notes included.
fn csv_cells(path: &Path) -> Vec<String> {
    support::read_excel_csv(path).into_iter().flatten().collect()
}

/// Names and free text that a spreadsheet would run as formulas come out of every CSV file with a
/// leading apostrophe: the links, the responses export, the report and its proposals.
async fn no_csv_cell_is_a_spreadsheet_formula(mut app: TestApp) {
    let roster = app.write("formulas.csv", "municipality;school;class;students\n=Город;@Школа;-5А;25\n");
    app.cli(&["roster", "import", &roster]).await;
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    let link = links.iter().find(|l| l.school == "'@Школа").expect("the formula school's link, guarded");
    assert_eq!(link.class, "'-5А");
    app.start_bot().await;
    let parent = app.api.user(740_001, "ru");
    parent.send_text(&link.start_command()).await;
    parent.press("Начать").await;
    for _ in 0..10 {
        parent.press("Нет").await;
    }
    parent.send_text("=HYPERLINK(\"http://evil.example\",\"ok\")").await;
    parent.press("Отправить").await;

    // Every group shown (a group of one), so the class keeps its name and the proposal is listed.
    let config = app.write("k1.toml", "[privacy]\nmin_group_size = 1\n");
    app.cli(&["--config", &config, "campaign", "close", "autumn"]).await;
    let (header, rows) = app.export().await;
    let idea = header.iter().position(|h| h == "q15").expect("the proposals question");
    assert_eq!(rows[0][..3], ["'=Город", "'@Школа", "'-5А"]);
    assert_eq!(rows[0][idea], "'=HYPERLINK(\"http://evil.example\",\"ok\")");

    // The report.
    let results = app.path("results.csv");
    app.cli(&[
        "--config",
        &config,
        "report",
        "--campaign",
        "autumn",
        "--format",
        "csv",
        "--out",
        results.to_str().unwrap(),
    ])
    .await;
    let proposals = app.path("results-proposals.csv");
    assert!(csv_cells(&results).contains(&"'@Школа".to_string()), "{:?}", csv_cells(&results));
    assert!(csv_cells(&proposals).iter().any(|c| c.starts_with("'=HYPERLINK")), "{:?}", csv_cells(&proposals));
    for file in [app.path("links").join("links.csv"), app.path("export.csv"), results, proposals] {
        let formulas: Vec<String> =
            csv_cells(&file).into_iter().filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r'])).collect();
        assert!(formulas.is_empty(), "{}: {formulas:?}", file.display());
    }
}

#[tokio::test]
async fn a_district_moves_from_sqlite_to_postgres_without_losing_a_row() {
    let mut district = TestApp::new(support::Engine::Sqlite).await;
    let links = district.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    district.start_bot().await;
    for n in 0..3 {
        let parent = district.api.user(730_000 + n, "ru");
        parent.send_text(&links[n as usize].start_command()).await;
        parent.press("Начать").await;
        for _ in 0..10 {
            parent.press("Нет").await;
        }
        parent.send_text("Спасибо школе").await;
        parent.press("Отправить").await;
    }
    district.stop_bot().await;
    let region = TestApp::new(support::Engine::Postgres).await;
    district.cli(&["db", "copy", "--from", &district.db_url, "--to", &region.db_url]).await;
    assert_eq!(district.export().await, region.export().await, "the same responses, row for row");
    // The target keeps working: new rows get fresh ids, and a second copy into it is refused.
    let more = region.write("more.csv", "municipality,school,class,students\nИркутск,Школа № 1,6А,22\n");
    region.cli(&["roster", "import", &more]).await;
    assert_eq!(region.export_links("autumn").await.len(), 4);
    let refused = district.cli_fails(&["db", "copy", "--from", &district.db_url, "--to", &region.db_url]).await;
    assert!(refused.contains("копируйте только в новую пустую базу"), "{refused}");
}

on_both_engines!(
    questionnaire_preview_walks_the_file_in_the_terminal,
    a_bad_roster_row_rejects_the_whole_file_with_its_line_number,
    re_importing_updates_headcounts_and_never_duplicates,
    campaigns_are_checked_and_listed_and_links_are_stable,
    links_export_writes_a_qr_code_and_a_poster_for_every_class,
    questionnaire_check_names_the_question_and_the_problem,
    run_refuses_to_start_without_an_identity_key_and_says_how_to_make_one,
    no_csv_cell_is_a_spreadsheet_formula,
);
