//! The command line in Russian by default and in English by setting or locale, run as the real
//! binary: `--help` (clap's headings and flags included), a result line, hints and refusals;
//! machine-read output (the invitation link as the last line) the same in both.

mod support;

use std::process::Output;

use support::TestApp;

/// Words of four or more Latin letters that are not commands, options, paths, URLs, identifiers,
/// environment variables or placeholders: a crude test for English left in a Russian text.
fn english_words(text: &str) -> Vec<String> {
    const ALLOWED: &[&str] = &[
        "anketa",
        "campaign",
        "create",
        "list",
        "close",
        "extend",
        "reopen",
        "links",
        "export",
        "report",
        "roster",
        "import",
        "admin",
        "invite",
        "teacher",
        "digest",
        "questionnaire",
        "check",
        "preview",
        "generate",
        "autumn",
        "spring",
        "xlsx",
        "umask",
        "revoke",
        "send",
        "migrate",
        "copy",
    ];
    text.split_whitespace()
        .map(|token| token.trim_matches(|c: char| "()[]<>«»,;:.'\"".contains(c)))
        .filter(|token| !token.contains(['-', '_', '.', '/', '@', '=']))
        .filter(|token| token.chars().any(|c| c.is_ascii_lowercase()))
        .filter(|token| !ALLOWED.contains(token))
        .filter(|token| token.split(|c: char| !c.is_ascii_alphabetic()).any(|run| run.len() >= 4))
        .map(str::to_string)
        .collect()
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

async fn run(app: &TestApp, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = app.command(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().await.expect("run anketa")
}

/// The help of the whole program and of one command, in every way of choosing the language.
#[tokio::test]
async fn help_is_russian_by_default_and_english_by_setting_or_locale() {
    let app = TestApp::new(support::Engine::Sqlite).await;
    let russian: [&[(&str, &str)]; 3] =
        [&[], &[("LANG", "ru_RU.UTF-8")], &[("LANG", "en_US.UTF-8"), ("ANKETA_LANGUAGE", "ru")]];
    for env in russian {
        let help = run(&app, env, &["--help"]).await;
        let out = text(&help.stdout);
        assert!(help.status.success(), "{env:?}: {}", text(&help.stderr));
        for expected in
            ["Использование: anketa [ПАРАМЕТРЫ] <КОМАНДА>", "Команды:", "Параметры:", "Показать эту справку"]
        {
            assert!(out.contains(expected), "{env:?}: {expected}: {out}");
        }
        assert!(out.contains("campaign") && out.contains("Создать кампанию"), "{out}");
        assert_eq!(english_words(&out), Vec::<String>::new(), "{env:?}: {out}");

        let create = text(&run(&app, env, &["campaign", "create", "--help"]).await.stdout);
        assert!(create.contains("Создать кампанию по всему списку классов"), "{create}");
        assert!(create.contains("--starts <ДАТА>") && create.contains("ДД.ММ.ГГГГ"), "{create}");
        assert!(create.contains("--allow-past-start"), "{create}");
        assert_eq!(english_words(&create), Vec::<String>::new(), "{env:?}: {create}");
    }

    let english: [&[(&str, &str)]; 4] = [
        &[("ANKETA_LANGUAGE", "en")],
        &[("LANG", "en_US.UTF-8")],
        &[("LANG", "ru_RU.UTF-8"), ("LC_MESSAGES", "en_GB.UTF-8")],
        &[("LANG", "ru_RU.UTF-8"), ("LC_ALL", "en_US.UTF-8")],
    ];
    for env in english {
        let out = text(&run(&app, env, &["--help"]).await.stdout);
        for expected in ["Usage: anketa [OPTIONS] <COMMAND>", "Commands:", "Options:", "Print help"] {
            assert!(out.contains(expected), "{env:?}: {expected}: {out}");
        }
        assert!(!out.contains("Команды"), "{out}");
        let create = text(&run(&app, env, &["campaign", "create", "--help"]).await.stdout);
        assert!(create.contains("Create a campaign over the whole roster"), "{create}");
        assert!(create.contains("--starts <DATE>") && create.contains("DD.MM.YYYY"), "{create}");
    }

    // clap's parse errors, reworded: a missing argument and a value not among the choices.
    let missing = run(&app, &[], &["campaign", "create", "--name", "x"]).await;
    let stderr = text(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ошибка: не указаны обязательные параметры: --questionnaire <АНКЕТА>"), "{stderr}");
    assert!(stderr.contains("Использование: anketa campaign create [ПАРАМЕТРЫ]"), "{stderr}");
    assert_eq!(english_words(&stderr), Vec::<String>::new(), "{stderr}");
    let format = text(&run(&app, &[], &["export", "--campaign", "a", "--out", "b", "--format", "pdf"]).await.stderr);
    assert!(format.contains("«pdf» не подходит для --format <ФОРМАТ> (можно: csv, xlsx)"), "{format}");
    let missing = text(&run(&app, &[("LANG", "en_US.UTF-8")], &["campaign", "create", "--name", "x"]).await.stderr);
    assert!(
        missing.contains("error: the following required arguments were not provided: --questionnaire"),
        "{missing}"
    );

    // The language of `--config`'s file, read before the settings load; the environment wins.
    let config = app.write("english.toml", "[ui]\nlanguage = \"en\"\n");
    let out = text(&run(&app, &[], &["--config", &config, "campaign", "--help"]).await.stdout);
    assert!(out.contains("Usage: anketa campaign"), "{out}");
    let out = text(&run(&app, &[("ANKETA_LANGUAGE", "ru")], &["--config", &config, "--help"]).await.stdout);
    assert!(out.contains("Использование"), "{out}");
}

/// Results, hints and refusals speak the chosen language; what scripts read stays the same.
async fn results_and_refusals_speak_the_chosen_language(app: TestApp) {
    app.seed().await;

    let list = text(&run(&app, &[], &["campaign", "list"]).await.stdout);
    let today = chrono::Utc::now().date_naive();
    let starts = today - chrono::Duration::days(1);
    assert!(list.contains(&format!("{} – ", starts.format("%d.%m.%Y"))), "dates as ДД.ММ.ГГГГ: {list}");
    assert!(list.contains("ответили родители: 0 из 75 (0,0%) · ученики: 0 из 75 (0,0%); цель 40 %\tидёт"), "{list}");
    assert_eq!(english_words(&list), Vec::<String>::new(), "{list}");
    let list = text(&run(&app, &[("ANKETA_LANGUAGE", "en")], &["campaign", "list"]).await.stdout);
    assert!(list.contains(&format!("{starts} – ")), "{list}");
    assert!(list.contains("answered parents: 0 of 75 (0.0%) · students: 0 of 75 (0.0%); target 40%\topen"), "{list}");

    // A result line with its hint.
    let ends = (today + chrono::Duration::days(3)).format("%d.%m.%Y").to_string();
    let created = run(
        &app,
        &[],
        &[
            "campaign",
            "create",
            "--name",
            "весна",
            "--questionnaire",
            "noko-parents",
            "--starts",
            &ends,
            "--ends",
            &ends,
            "--target-percent",
            "30",
        ],
    )
    .await;
    let out = text(&created.stdout);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(out.contains(&format!("Кампания «весна» создана: с {ends} по {ends}, цель 30 %.")), "{out}");
    assert!(out.contains("Дальше: anketa links export --campaign \"весна\""), "{out}");
    assert_eq!(english_words(&out), Vec::<String>::new(), "{out}");
    let extended = run(&app, &[("LANG", "en_US.UTF-8")], &["campaign", "extend", "весна", "--ends", &ends]).await;
    let iso = (today + chrono::Duration::days(3)).to_string();
    assert!(
        text(&extended.stdout).contains(&format!("Campaign \"весна\" now ends on {iso}.")),
        "{}",
        text(&extended.stdout)
    );

    // Refusals: a missing campaign, a date that cannot be read; stderr only, nothing on stdout.
    for (env, missing, bad_date) in [
        (&[][..], "ошибка: нет кампании «spring»", "ошибка: дата «завтра» не распознана: пишите ДД.ММ.ГГГГ"),
        (
            &[("ANKETA_LANGUAGE", "en")][..],
            "error: no campaign named \"spring\"",
            "error: cannot read the date \"завтра\": write DD.MM.YYYY",
        ),
    ] {
        let refused = run(&app, env, &["campaign", "close", "spring"]).await;
        let stderr = text(&refused.stderr);
        assert!(!refused.status.success() && stderr.contains(missing), "{env:?}: {stderr}");
        let refused = run(&app, env, &["campaign", "extend", "autumn", "--ends", "завтра"]).await;
        let stderr = text(&refused.stderr);
        assert!(!refused.status.success() && stderr.contains(bad_date), "{env:?}: {stderr}");
        assert!(refused.stdout.is_empty());
        if env.is_empty() {
            assert_eq!(english_words(&stderr), Vec::<String>::new(), "{stderr}");
        }
    }

    // The invitation link is the last line of stdout in either language.
    for env in [&[][..], &[("ANKETA_LANGUAGE", "en")][..]] {
        let out = text(&run(&app, env, &["admin", "invite", "--region"]).await.stdout);
        let last = out.lines().last().unwrap_or_default();
        assert!(last.starts_with("https://t.me/anketa_test_bot?start=inv_"), "{env:?}: {out}");
    }

    // A language the settings do not know is refused, not guessed.
    let refused = run(&app, &[("ANKETA_LANGUAGE", "de")], &["campaign", "list"]).await;
    assert!(
        !refused.status.success() && text(&refused.stderr).contains("ANKETA_LANGUAGE"),
        "{}",
        text(&refused.stderr)
    );
}

/// The bot's campaign console shows the shared refusals in the administrator's language: a name
/// taken (from the command line) between the dialog's summary and «Создать».
async fn the_campaign_console_words_a_refusal_in_the_administrators_language(mut app: TestApp) {
    let roster = app.write("roster.csv", support::ROSTER);
    app.cli(&["roster", "import", &roster]).await;
    app.start_bot().await;
    let today = chrono::Utc::now().date_naive();
    let (starts, ends) =
        (today.format("%d.%m.%Y").to_string(), (today + chrono::Duration::days(10)).format("%d.%m.%Y").to_string());
    for (id, language, name, done, create, failed, reason) in [
        (930_001, "ru", "Зима", "Готово", "Создать", "Кампания не создана", "кампания «Зима» уже есть"),
        (
            930_002,
            "en",
            "Winter",
            "Done",
            "Create",
            "The campaign was not created",
            "a campaign named \"Winter\" already exists",
        ),
    ] {
        let out = app.cli(&["admin", "invite", "--region"]).await;
        let link = out.lines().last().expect("an invitation link").to_string();
        let admin = app.api.user(id, language);
        admin.send_text(&format!("/start {}", link.split("?start=").nth(1).unwrap())).await;
        admin.send_text("/newcampaign").await;
        admin.send_text(name).await;
        admin.press("noko-parents").await;
        admin.press(done).await;
        admin.send_text(&starts).await;
        admin.send_text(&ends).await;
        admin.press("50%").await;
        assert!(admin.last_message().has_button(create), "{:?}", admin.last_message());
        let args = [
            "campaign",
            "create",
            "--name",
            name,
            "--questionnaire",
            "noko-parents",
            "--starts",
            &starts,
            "--ends",
            &ends,
            "--target-percent",
            "50",
        ];
        app.cli(&args).await;
        admin.press(create).await;
        let refused = admin.wait_for_text(failed).await;
        assert!(refused.text.contains(reason), "{language}: {}", refused.text);
    }
}

on_both_engines!(
    results_and_refusals_speak_the_chosen_language,
    the_campaign_console_words_a_refusal_in_the_administrators_language,
);
