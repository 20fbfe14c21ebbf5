//! The linkage attack suite: the adversary of the anonymity promise, on SQLite and PostgreSQL.
//!
//! Respondents with known Telegram ids and distinct answers go through the real bot, among open
//! drafts enough to give the drafts b-tree interior pages. Then, holding the whole database and
//! the identity key, the attacker tries every link: the register's hashes, equal or adjacent
//! transaction ids (`xmin`), the order of rows by id, by heap position or by rowid against the
//! order people submitted in, times in any column, and the bytes of the database files searched
//! for each id as decimal text, as a big-endian integer and as an SQLite varint. The suite fails
//! if any attack narrows a respondent down to fewer than `privacy.min_group_size` answers.
//!
//! A second scenario migrates the database of a running campaign (responses in submission order,
//! drafts under chat ids) and checks that the order and the chat ids are gone after it.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anketa::privacy::IdentityKey;
use support::bot_api::TestUser;
use support::{Engine, Link, TestApp};

/// `privacy.min_group_size` in the shipped bot.toml, which the tests run with.
const K: usize = 5;

/// One answer as the attacker reads it: every (question, value), sorted.
type Answers = Vec<(String, String)>;

/// The identity key the test bot runs with, as the attacker holds it.
fn identity_key() -> IdentityKey {
    IdentityKey::parse(support::IDENTITY_KEY).expect("the test key")
}

/// Telegram ids of 33–40 bits, as recent accounts have: a match of their bytes by chance in a
/// database file is practically impossible, so a match is a leak.
fn respondent_id(n: usize) -> i64 {
    7_340_000_000 + n as i64 * 1_000_003
}

fn drafter_id(n: usize) -> i64 {
    6_120_000_000 + n as i64 * 999_983
}

/// Opens the link and answers every yes/no question by the bits of `pattern` (so that every
/// respondent's answers differ), skips the free text and submits; returns the answers given.
async fn answer(user: &TestUser, link: &Link, pattern: u32) -> Vec<String> {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
    let mut given = Vec::new();
    for n in 0.. {
        let screen = user.last_message();
        if screen.has_button("Отправить") {
            user.press("Отправить").await;
            break;
        }
        assert!(n < 40, "the questionnaire does not end: {}", screen.text);
        if screen.has_button("Да") {
            let yes = pattern >> (n % 32) & 1 == 1;
            user.press(if yes { "Да" } else { "Нет" }).await;
            given.push(if yes { "yes" } else { "no" }.to_string());
        } else {
            user.press("Пропустить").await;
        }
    }
    assert!(user.last_message().text.contains("Спасибо"), "{}", user.last_message().text);
    given
}

/// Opens a link and leaves the survey at its first question: an open draft.
async fn leave_open(user: &TestUser, link: &Link) {
    user.send_text(&link.start_command()).await;
    user.press("Начать").await;
}

/// A connection on either engine.
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// Reads answers packed as `question_id:byte_length:value` repeated.
fn unpack(mut packed: &str) -> Answers {
    let mut answers = Vec::new();
    while !packed.is_empty() {
        let (question, rest) = packed.split_once(':').expect("packed answers");
        let (length, rest) = rest.split_once(':').expect("packed answers");
        let length: usize = length.parse().expect("a length");
        answers.push((question.to_string(), rest[..length].to_string()));
        packed = &rest[length..];
    }
    answers.sort();
    answers
}

/// An answer row where the attacker finds it: released in `responses` or sealed in `ballots`.
#[derive(Debug, Clone)]
struct Row_ {
    table: &'static str,
    id: i64,
    release_id: Option<i64>,
    /// PostgreSQL's `xmin` of the row.
    xmin: Option<i64>,
    answers: Answers,
}

async fn answer_rows(pool: &Pool, campaign_id: i64) -> Vec<Row_> {
    let xmin = matches!(pool, Pool::Postgres(_));
    let xmin_column = if xmin { "CAST(CAST(xmin AS TEXT) AS BIGINT)" } else { "NULL" };
    let mut rows = Vec::new();
    let released: Vec<(i64, i64, String, Option<i64>)> = on_pool!(pool, p => sqlx::query_as(&format!(
        "SELECT id, release_id, answers, {xmin_column} FROM responses WHERE campaign_id = $1"
    ))
    .bind(campaign_id)
    .fetch_all(p)
    .await
    .unwrap());
    for (id, release_id, packed, row_xmin) in released {
        rows.push(Row_ {
            table: "responses",
            id,
            release_id: Some(release_id),
            xmin: row_xmin,
            answers: unpack(&packed),
        });
    }
    let sealed: Vec<(i64, String, Option<i64>)> = on_pool!(pool, p => sqlx::query_as(&format!(
        "SELECT id, answers, {xmin_column} FROM ballots WHERE campaign_id = $1"
    ))
    .bind(campaign_id)
    .fetch_all(p)
    .await
    .unwrap());
    for (id, packed, row_xmin) in sealed {
        rows.push(Row_ { table: "ballots", id, release_id: None, xmin: row_xmin, answers: unpack(&packed) });
    }
    rows
}

/// The physical order of a table's rows: PostgreSQL's heap order (`ctid`, which is also the
/// order of `pg_dump`), SQLite's scan order (rowid, or key for tables without one).
async fn physical_order(pool: &Pool, table: &str, column: &str) -> Vec<Vec<u8>> {
    let sql = match pool {
        Pool::Sqlite(_) => format!("SELECT CAST({column} AS BLOB) FROM {table}"),
        // Text to bytea keeps digits as they are and reads `\x...` (a bytea as text) back as bytes.
        Pool::Postgres(_) => format!("SELECT CAST(CAST({column} AS TEXT) AS BYTEA) FROM {table} ORDER BY ctid"),
    };
    on_pool!(pool, p => sqlx::query_scalar(&sql).fetch_all(p).await.unwrap())
}

/// How much an order of `n` people follows the order they submitted in: the share of pairs in
/// the same order in both (0.5 for an order unrelated to it, 1.0 for the submission order).
/// An order that leaks is refused from [`LEAKING_ORDER`]: every leak these tests caught showed
/// 1.00, while a random order of ten or more people reaches 0.95 about once in 67,000 tries.
fn concordance(ranks: &[usize]) -> f64 {
    let (mut same, mut pairs) = (0, 0);
    for i in 0..ranks.len() {
        for j in i + 1..ranks.len() {
            pairs += 1;
            same += usize::from(ranks[i] < ranks[j]);
        }
    }
    if pairs == 0 { 0.5 } else { same as f64 / pairs as f64 }
}

const LEAKING_ORDER: f64 = 0.95;
/// Orders of fewer people are not judged: five in a row come out in their own order by chance
/// once in 120 times, ten once in 3.6 million (with at most two pairs swapped, once in 67,000).
const ORDERED_AT_LEAST: usize = 10;

/// The byte strings a Telegram id could be stored as: decimal text, big-endian integers of 4, 5,
/// 6 and 8 bytes (SQLite's record format stores this range in 6 bytes, PostgreSQL a bigint in 8,
/// little-endian on this machine), and SQLite's varint (b-tree keys, rowids).
fn encodings(id: i64) -> Vec<(String, Vec<u8>)> {
    let be = id.to_be_bytes();
    let mut forms = vec![
        ("decimal".to_string(), id.to_string().into_bytes()),
        ("8-byte big-endian".to_string(), be.to_vec()),
        ("6-byte big-endian".to_string(), be[2..].to_vec()),
        ("5-byte big-endian".to_string(), be[3..].to_vec()),
        ("8-byte little-endian".to_string(), id.to_le_bytes().to_vec()),
        ("varint".to_string(), sqlite_varint(id as u64)),
    ];
    if let Ok(small) = u32::try_from(id) {
        forms.push(("4-byte big-endian".to_string(), small.to_be_bytes().to_vec()));
    }
    forms
}

/// SQLite's variable-length integer: 7 bits a byte, high bit set on all but the last, most
/// significant first; the ninth byte, if any, carries 8 bits.
fn sqlite_varint(value: u64) -> Vec<u8> {
    if value > 0x00ff_ffff_ffff_ffff {
        let mut bytes: Vec<u8> = (0..8).map(|i| ((value >> (8 + 7 * (7 - i))) as u8 & 0x7f) | 0x80).collect();
        bytes.push(value as u8);
        return bytes;
    }
    let mut groups = vec![(value & 0x7f) as u8];
    let mut rest = value >> 7;
    while rest > 0 {
        groups.push((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    groups.reverse();
    groups
}

/// The files holding the database: SQLite's file and its write-ahead log; PostgreSQL's files of
/// every relation of the application, after a checkpoint has written every page out.
async fn database_files(app: &TestApp, pool: &Pool) -> Vec<PathBuf> {
    match pool {
        Pool::Sqlite(_) => {
            vec![app.db_file(), PathBuf::from(format!("{}-wal", app.db_file().display()))]
        }
        Pool::Postgres(p) => {
            sqlx::query("CHECKPOINT").execute(p).await.unwrap();
            let data: String = sqlx::query_scalar("SHOW data_directory").fetch_one(p).await.unwrap();
            // Every relation of the application (tables, their indexes and TOAST tables): each
            // file of its fork and segments (`N`, `N.1`, `N_fsm`, `N_vm`).
            let relations: Vec<String> = sqlx::query_scalar::<_, Option<String>>(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace
                    OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
                    OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                                 WHERE t.relnamespace = 'public'::regnamespace OR t.relkind = 't')",
            )
            .fetch_all(p)
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
            let mut files = Vec::new();
            for relation in relations {
                let main = Path::new(&data).join(&relation);
                let stem = main.file_name().unwrap().to_string_lossy().into_owned();
                for file in std::fs::read_dir(main.parent().unwrap()).unwrap().flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    let rest = name.strip_prefix(&stem).unwrap_or("?");
                    if rest.is_empty() || rest.starts_with('.') || rest.starts_with('_') {
                        files.push(file.path());
                    }
                }
            }
            files
        }
    }
}

async fn connect(app: &TestApp) -> Pool {
    match app.engine {
        Engine::Sqlite => Pool::Sqlite(sqlx::SqlitePool::connect(&app.db_url).await.unwrap()),
        Engine::Postgres => Pool::Postgres(sqlx::PgPool::connect(&app.db_url).await.unwrap()),
    }
}

async fn no_reader_of_the_database_and_the_key_can_tie_a_respondent_to_their_answers(mut app: TestApp) {
    let links = app.seed_with(&["--questionnaire", "noko-parents"], 0, 10).await;
    let class = |name: &str| links.iter().find(|l| l.class == name).unwrap().clone();
    app.start_bot().await;

    // Open drafts before, between and after the respondents: the drafts b-tree gets interior pages.
    for n in 0..40 {
        leave_open(&app.api.user(drafter_id(n), "ru"), &class(["5А", "5Б", "9В"][n % 3])).await;
    }
    // Twelve respondents of Школа № 1 in a known order, the classes interleaved: 7 of 5А, 5 of 5Б.
    let classes = ["5А", "5Б", "5А", "5Б", "5А", "5Б", "5А", "5Б", "5А", "5Б", "5А", "5А"];
    let mut given: Vec<(i64, Vec<String>)> = Vec::new();
    for (n, class_name) in classes.iter().enumerate() {
        let user = app.api.user(respondent_id(n), "ru");
        let pressed = answer(&user, &class(class_name), n as u32 * 37 + 5).await;
        given.push((respondent_id(n), pressed));
        if n == 5 {
            for m in 40..80 {
                leave_open(&app.api.user(drafter_id(m), "ru"), &class("5Б")).await;
            }
        }
    }
    for n in 80..120 {
        leave_open(&app.api.user(drafter_id(n), "ru"), &class("5А")).await;
    }
    // 5Б's five left the box together, and at least five of 5А.
    let pool = connect(&app).await;
    for _ in 0..100 {
        let released: i64 =
            on_pool!(&pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM responses").fetch_one(p).await.unwrap());
        if released >= 10 {
            break;
        }
        tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY).await;
    }
    app.stop_bot().await;

    let key = identity_key();
    let (campaign_id, school_id): (i64, i64) = on_pool!(&pool, p => sqlx::query_as(
        "SELECT l.campaign_id, k.school_id FROM class_links l JOIN classes k ON k.id = l.class_id
         WHERE k.name = '5А'"
    )
    .fetch_one(p)
    .await
    .unwrap());

    // What the attacker can do: tell who answered, from the register and the key.
    let hashes: Vec<Vec<u8>> =
        given.iter().map(|(id, _)| key.identity(*id as u64, campaign_id, school_id).as_bytes().to_vec()).collect();
    let register: Vec<(Vec<u8>, Option<i64>)> = on_pool!(&pool, p => sqlx::query_as(&format!(
        "SELECT identity, {} FROM participations WHERE campaign_id = $1",
        if app.engine == Engine::Postgres { "CAST(CAST(xmin AS TEXT) AS BIGINT)" } else { "NULL" }
    ))
    .bind(campaign_id)
    .fetch_all(p)
    .await
    .unwrap());
    assert_eq!(register.len(), given.len(), "one participation per respondent");
    let register_xmin: HashMap<&[u8], Option<i64>> = register.iter().map(|(h, x)| (h.as_slice(), *x)).collect();
    assert!(hashes.iter().all(|h| register_xmin.contains_key(h.as_slice())), "the key finds every respondent");

    // Every respondent's answers are stored exactly once, released or sealed.
    let rows = answer_rows(&pool, campaign_id).await;
    assert_eq!(rows.len(), given.len());
    let mut distinct: Vec<&Answers> = rows.iter().map(|r| &r.answers).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), rows.len(), "every respondent answered differently");
    // Which row is whose is known to the test (not to the attacker), from the answers each gave.
    let mut owner: HashMap<usize, usize> = HashMap::new(); // row index → respondent (submission rank)
    for (respondent, (_, pressed)) in given.iter().enumerate() {
        let row = rows
            .iter()
            .position(|r| answers_match(&r.answers, pressed))
            .unwrap_or_else(|| panic!("respondent {respondent}'s answers {pressed:?} are not stored: {rows:?}"));
        owner.insert(row, respondent);
    }
    assert_eq!(owner.len(), given.len());

    // Releases: each holds at least K responses.
    let mut releases: BTreeMap<i64, usize> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.table == "responses") {
        *releases.entry(row.release_id.unwrap()).or_default() += 1;
    }
    assert!(releases.values().all(|n| *n >= K), "a release smaller than {K}: {releases:?}");

    // Attack 1 (PostgreSQL): equal or adjacent transaction ids. People whose register rows were
    // written in the transactions around one id, and the answer rows written in them: when there
    // are no more people than answers, the people's answers are among those rows.
    if app.engine == Engine::Postgres {
        for window in [0, 1, 2, 5] {
            for (row_index, respondent) in &owner {
                let x = register_xmin[hashes[*respondent].as_slice()].unwrap();
                let near = |v: i64| (v - x).abs() <= window;
                let people = register.iter().filter(|(_, v)| near(v.unwrap())).count();
                let candidates: Vec<usize> = (0..rows.len()).filter(|i| near(rows[*i].xmin.unwrap())).collect();
                assert!(
                    !(candidates.contains(row_index) && people <= candidates.len() && candidates.len() < K),
                    "xmin within {window} ties respondent {respondent} to {} answer rows",
                    candidates.len()
                );
            }
        }
    }

    // Attack 2: order. The attacker knows the order people submitted in (a teacher saw who wrote
    // "done" when); any stored order that follows it would pair people with rows.
    let rank_of_row = |table: &str, ids: &[Vec<u8>]| -> Vec<usize> {
        ids.iter()
            .filter_map(|id| {
                let id: i64 = String::from_utf8_lossy(id).parse().ok()?;
                let index = rows.iter().position(|r| r.table == table && r.id == id)?;
                owner.get(&index).copied()
            })
            .collect()
    };
    let mut orders: Vec<(String, Vec<usize>)> = Vec::new();
    for table in ["responses", "ballots"] {
        let mut by_id: Vec<&Row_> = rows.iter().filter(|r| r.table == table).collect();
        by_id.sort_by_key(|r| r.id);
        let ranks = by_id
            .iter()
            .map(|r| owner[&rows.iter().position(|x| x.table == r.table && x.id == r.id).unwrap()])
            .collect();
        orders.push((format!("{table} by id"), ranks));
        let physical = physical_order(&pool, table, "id").await;
        orders.push((format!("{table} in physical order"), rank_of_row(table, &physical)));
    }
    let register_order = physical_order(&pool, "participations", "identity").await;
    let register_ranks: Vec<usize> = register_order.iter().filter_map(|h| hashes.iter().position(|x| x == h)).collect();
    assert_eq!(register_ranks.len(), given.len(), "the register's rows are found in its physical order");
    orders.push(("participations in physical order".into(), register_ranks));
    if app.engine == Engine::Postgres {
        // Rows of one transaction share an xmin: within it the attacker has only the random ids
        // to go by (ordering ties by the respondent would hand the test the answer).
        let mut by_xmin: Vec<(i64, i64, usize)> =
            owner.iter().map(|(row, respondent)| (rows[*row].xmin.unwrap(), rows[*row].id, *respondent)).collect();
        by_xmin.sort();
        orders.push(("answer rows by xmin".into(), by_xmin.into_iter().map(|(_, _, r)| r).collect()));
    }
    for (name, ranks) in &orders {
        if ranks.len() >= ORDERED_AT_LEAST {
            let c = concordance(ranks);
            assert!(c < LEAKING_ORDER, "{name} follows the submission order (concordance {c:.2}): {ranks:?}");
        }
    }

    // Attack 3: times. No table of the register or the box has a column finer than a day, and
    // responses carry only their release's day.
    for (table, columns) in [
        ("participations", vec!["campaign_id", "identity", "school_id"]),
        ("ballots", vec!["answers", "audience", "campaign_id", "class_id", "id", "questionnaire_id", "school_id"]),
        ("releases", vec!["audience", "campaign_id", "class_id", "id", "released_on", "school_id", "shown_to_staff"]),
        (
            "responses",
            vec!["answers", "audience", "campaign_id", "class_id", "id", "questionnaire_id", "release_id", "school_id"],
        ),
        ("class_tallies", vec!["audience", "campaign_id", "class_id", "responses"]),
    ] {
        let sql = match &pool {
            Pool::Sqlite(_) => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name"),
            Pool::Postgres(_) => format!(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = '{table}' ORDER BY 1"
            ),
        };
        let found: Vec<String> = on_pool!(&pool, p => sqlx::query_scalar(&sql).fetch_all(p).await.unwrap());
        assert_eq!(found, columns, "the columns of {table}");
    }

    // Attack 4: the bytes. No respondent's id, in any form, anywhere in the database's files
    // (the open drafts' chat ids neither: drafts are keyed by a keyed hash).
    let files = database_files(&app, &pool).await;
    assert!(!files.is_empty());
    let contents: Vec<(PathBuf, Vec<u8>)> =
        files.into_iter().filter_map(|f| std::fs::read(&f).ok().map(|bytes| (f, bytes))).collect();
    let ids = given.iter().map(|(id, _)| *id).chain((0..120).map(drafter_id));
    for id in ids {
        for (form, needle) in encodings(id) {
            for (file, bytes) in &contents {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "user id {id} as {form} is in {}",
                    file.display()
                );
            }
        }
    }
    if let Pool::Sqlite(p) = &pool {
        // The drafts b-tree really has interior pages: its root page is an interior page (type
        // 0x02 for a table without rowid, an index b-tree).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(p).await.unwrap();
        let root: i64 =
            sqlx::query_scalar("SELECT rootpage FROM sqlite_master WHERE name = 'drafts'").fetch_one(p).await.unwrap();
        let file = std::fs::read(app.db_file()).unwrap();
        let page_size = match u16::from_be_bytes([file[16], file[17]]) {
            1 => 65_536,
            size => size as usize,
        };
        let header = (root as usize - 1) * page_size + if root == 1 { 100 } else { 0 };
        assert_eq!(file[header], 0x02, "the drafts b-tree has no interior page: the byte search proves less");

        // Attack 5 (SQLite): a row's place in the file. A page fills from its end towards its
        // header, and pages are added at the end of the file, so (page, then place from the page's
        // end) follows the order rows were written in, unless they were rewritten since.
        let place = |needle: &[u8]| {
            let at = file.windows(needle.len()).position(|w| w == needle)?;
            Some((at / page_size, usize::MAX - at % page_size))
        };
        let mut by_place: Vec<(String, Vec<usize>)> = Vec::new();
        let mut register: Vec<((usize, usize), usize)> =
            hashes.iter().enumerate().filter_map(|(respondent, h)| Some((place(h)?, respondent))).collect();
        assert_eq!(register.len(), hashes.len(), "every register row is found in the file");
        register.sort();
        by_place.push(("participations".into(), register.into_iter().map(|(_, r)| r).collect()));
        for table in ["responses", "ballots"] {
            // A rowid is stored as a varint in its cell.
            let mut placed: Vec<((usize, usize), usize)> = owner
                .iter()
                .filter(|(row, _)| rows[**row].table == table)
                .filter_map(|(row, respondent)| Some((place(&sqlite_varint(rows[*row].id as u64))?, *respondent)))
                .collect();
            placed.sort();
            by_place.push((table.into(), placed.into_iter().map(|(_, r)| r).collect()));
        }
        for (table, ranks) in by_place {
            if ranks.len() >= ORDERED_AT_LEAST {
                let c = concordance(&ranks);
                assert!(
                    c < LEAKING_ORDER,
                    "the places of {table} rows in the file follow the submission order ({c:.2}): {ranks:?}"
                );
            }
        }
    }
    on_pool!(pool, p => p.close().await);
}

/// Whether a stored answer row is the one whose yes/no presses were `pressed`, in order.
fn answers_match(stored: &Answers, pressed: &[String]) -> bool {
    let mut by_question: Vec<(u32, &str)> = stored
        .iter()
        .filter(|(_, v)| v == "yes" || v == "no")
        .map(|(q, v)| (q.trim_start_matches('q').parse().unwrap_or(0), v.as_str()))
        .collect();
    by_question.sort();
    let values: Vec<&str> = by_question.into_iter().map(|(_, v)| v).collect();
    values == pressed.iter().map(String::as_str).collect::<Vec<_>>()
}

on_both_engines!(no_reader_of_the_database_and_the_key_can_tie_a_respondent_to_their_answers);

/// The version whose schema stored responses in submission order and drafts under chat ids.
const BALLOT_BOX_MIGRATION: i64 = 20261202000001;

/// A running campaign's database as the version before the ballot box left it: six responses
/// with sequential ids and their days, their register, and one person half-way through.
async fn a_running_campaigns_database_is_migrated_without_its_order_or_chat_ids(mut app: TestApp) {
    use std::sync::Arc;

    use anketa::survey::{Draft, Input, Questionnaire, Survey};
    use chrono::Utc;

    let engine = if app.engine == Engine::Sqlite { "sqlite" } else { "postgres" };
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
    let mut migrator = sqlx::migrate::Migrator::new(folder).await.unwrap();
    migrator.migrations = migrator.migrations.iter().filter(|m| m.version < BALLOT_BOX_MIGRATION).cloned().collect();
    let pool = match app.engine {
        Engine::Sqlite => {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&app.db_url)
                .unwrap()
                .create_if_missing(true);
            Pool::Sqlite(sqlx::SqlitePool::connect_with(options).await.unwrap())
        }
        Engine::Postgres => Pool::Postgres(sqlx::PgPool::connect(&app.db_url).await.unwrap()),
    };
    on_pool!(&pool, p => migrator.run(p).await.unwrap());

    let definition =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires/noko-parents.toml")).unwrap();
    let today = Utc::now().date_naive();
    let key = identity_key();
    let half_way = 7_777_000_001_i64;
    let survey = Survey::new([Arc::new(Questionnaire::from_toml(&definition).unwrap())]);
    let draft = [Input::Begin, Input::Choose("yes".into()), Input::Choose("no".into())]
        .into_iter()
        .fold(Draft::default(), |draft, input| draft.step(&survey, input).unwrap());
    let given: Vec<Answers> = (0..6)
        .map(|n| {
            let mut answers = vec![
                ("q1".to_string(), if n % 2 == 0 { "yes" } else { "no" }.to_string()),
                ("q15".into(), format!("Ответ {n}")),
            ];
            answers.sort();
            answers
        })
        .collect();
    on_pool!(&pool, p => {
        sqlx::query("INSERT INTO municipalities (id, name) VALUES (1, 'Иркутск')").execute(p).await.unwrap();
        sqlx::query("INSERT INTO schools (id, municipality_id, name, timezone) VALUES (1, 1, 'Школа № 1', 'Asia/Irkutsk')")
            .execute(p)
            .await
            .unwrap();
        sqlx::query("INSERT INTO classes (id, school_id, name, headcount) VALUES (1, 1, '5А', 25)").execute(p).await.unwrap();
        sqlx::query("INSERT INTO campaigns (id, name, starts_on, ends_on, target_percent, closed, created_at)
             VALUES (1, 'autumn', $1, $2, 40, FALSE, $3)")
            .bind(today - chrono::Duration::days(3))
            .bind(today + chrono::Duration::days(10))
            .bind(Utc::now())
            .execute(p)
            .await
            .unwrap();
        sqlx::query("INSERT INTO campaign_questionnaires (campaign_id, audience, questionnaire_id, definition)
             VALUES (1, 'parent', 'noko-parents', $1)")
            .bind(&definition)
            .execute(p)
            .await
            .unwrap();
        sqlx::query("INSERT INTO class_links (code, campaign_id, class_id, created_at) VALUES ('Migrated5Acode', 1, 1, $1)")
            .bind(Utc::now())
            .execute(p)
            .await
            .unwrap();
        for (n, answers) in given.iter().enumerate() {
            sqlx::query("INSERT INTO responses (id, campaign_id, school_id, class_id, audience, questionnaire_id, submitted_on)
                 VALUES ($1, 1, 1, 1, 'parent', 'noko-parents', $2)")
                .bind(n as i64 + 1)
                .bind(today - chrono::Duration::days(2 - n as i64 / 3))
                .execute(p)
                .await
                .unwrap();
            for (question, value) in answers {
                sqlx::query("INSERT INTO answers (response_id, question_id, value) VALUES ($1, $2, $3)")
                    .bind(n as i64 + 1)
                    .bind(question)
                    .bind(value)
                    .execute(p)
                    .await
                    .unwrap();
            }
            let identity = key.identity(respondent_id(n) as u64, 1, 1);
            sqlx::query("INSERT INTO participations (campaign_id, identity) VALUES (1, $1)")
                .bind(identity.as_bytes())
                .execute(p)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO drafts (chat_id, link_code, state, revision, updated_at) VALUES ($1, 'Migrated5Acode', $2, 5, $3)")
            .bind(half_way)
            .bind(serde_json::to_string(&draft).unwrap())
            .bind(Utc::now())
            .execute(p)
            .await
            .unwrap();
        p.close().await;
    });

    // The new version starts on it: migrates, rekeys the draft, releases the box.
    app.start_bot().await;
    let link = Link {
        school: "Школа № 1".into(),
        class: "5А".into(),
        url: format!("https://t.me/{}?start=Migrated5Acode", support::bot_api::BOT_USERNAME),
    };
    let person = app.api.user(half_way, "ru");
    let offer = person.send_text("/start").await;
    assert!(offer.text.contains("незаконченная анкета"), "the draft survived: {}", offer.text);
    person.press("Продолжить").await;
    assert!(person.last_message().text.starts_with("Вопрос 3 из 15"), "{}", person.last_message().text);
    let again = app.api.user(respondent_id(0), "ru").send_text(&link.start_command()).await;
    assert!(again.text.contains("уже ответили"), "the register survived: {}", again.text);
    assert!(!app.keeps_user_id(half_way).await, "the chat id of the draft is gone from the database");

    // The responses went back into the box and left it again: random ids, no days of submission.
    let pool = connect(&app).await;
    for _ in 0..100 {
        let released: i64 =
            on_pool!(&pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM responses").fetch_one(p).await.unwrap());
        if released == 6 {
            break;
        }
        tokio::time::sleep(anketa::ballot_box::SETTLE_DELAY).await;
    }
    let rows = answer_rows(&pool, 1).await;
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.table == "responses" && r.id > 6), "ids are new and random: {rows:?}");
    let mut stored: Vec<Answers> = rows.into_iter().map(|r| r.answers).collect();
    stored.sort();
    let mut expected = given;
    expected.sort();
    assert_eq!(stored, expected, "every answer kept");
    on_pool!(pool, p => p.close().await);
    let (header, rows) = app.export().await;
    assert!(!header.contains(&"submitted_on".to_string()), "{header:?}");
    assert_eq!(rows.len(), 6);
}

on_both_engines!(a_running_campaigns_database_is_migrated_without_its_order_or_chat_ids);
