//! Storage guarantees that do not depend on Telegram, checked on a real database with two
//! independent connection pools (as two bot processes would have), on SQLite and PostgreSQL.

mod support;

use std::sync::Arc;

use anketa::db::{Db, DraftWrite, NewCampaign, NewResponse, Reachable, SubmitOutcome};
use anketa::privacy::IdentityKey;
use anketa::roster;
use anketa::survey::{Audience, Lang};
use chrono::Utc;
use futures_util::FutureExt;
use support::{Engine, TestApp};

async fn seeded(url: &str) -> (Db, i64, i64, i64, String) {
    let db = Db::connect(url).await.unwrap();
    let (campaign, links) = campaign_with_links(&db, "municipality,school,class,students\nM,S,1А,20\n").await;
    let target = db.resolve_link(&links[0].code).await.unwrap().unwrap();
    (db, campaign, target.school_id, target.class_id, links[0].code.clone())
}

/// `roster` imported, a campaign of today with `noko-parents`, and a link for each class.
async fn campaign_with_links(db: &Db, roster: &str) -> (i64, Vec<anketa::db::ClassLink>) {
    let rows = roster::parse(roster.as_bytes()).unwrap();
    db.import_roster(&rows, chrono_tz::Europe::Moscow).await.unwrap();
    let today = Utc::now().date_naive();
    let definition =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires/noko-parents.toml")).unwrap();
    let new = NewCampaign {
        name: "race".into(),
        starts_on: today,
        ends_on: today,
        target_percent: 40,
        questionnaires: vec![(Audience::Parent, "noko-parents".into(), definition)],
        grades: Default::default(),
    };
    let campaign = db.create_campaign(&new, Utc::now()).await.unwrap();
    let mut n = 0;
    let links = db
        .ensure_links(campaign, Utc::now(), || {
            n += 1;
            format!("code{n}")
        })
        .await
        .unwrap();
    (campaign, links)
}

/// A parent's response of `noko-parents` with `answers`.
fn parents_response(campaign: i64, school: i64, class: i64, answers: Vec<(String, String)>) -> NewResponse {
    NewResponse {
        campaign_id: campaign,
        school_id: school,
        class_id: class,
        audience: Audience::Parent,
        questionnaire_id: "noko-parents".into(),
        answers,
    }
}

async fn two_processes_submitting_for_one_person_store_exactly_one_response(app: TestApp) {
    let (first, campaign, school, class, code) = seeded(&app.db_url).await;
    let second = Db::connect(&app.db_url).await.unwrap();
    let key = IdentityKey::new(&[9; 32]).unwrap();
    let response = Arc::new(parents_response(campaign, school, class, vec![("q1".into(), "no".into())]));
    for round in 0..20_i64 {
        // The same person, twice: e.g. two devices, each with its own draft, pressing submit at once.
        let identity = key.identity(1_000 + round as u64, campaign, school);
        let (chat_a, chat_b) = (key.chat_key(round * 2 + 1), key.chat_key(round * 2 + 2));
        for chat in [&chat_a, &chat_b] {
            first.start_draft(chat, &code, "{}", 7, Utc::now(), None).await.unwrap();
        }
        let (a, b) = tokio::join!(
            first.submit_response(&chat_a, 7, identity.as_bytes(), &response),
            second.submit_response(&chat_b, 7, identity.as_bytes(), &response),
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| *o == SubmitOutcome::Stored);
        assert_eq!(outcomes, [SubmitOutcome::AlreadyAnswered, SubmitOutcome::Stored], "round {round}");
        assert!(
            first.load_draft(&chat_a).await.unwrap().is_none() && first.load_draft(&chat_b).await.unwrap().is_none()
        );
    }
    assert_eq!(first.class_participation(campaign, class).await.unwrap().unwrap().responses(), 20);
}

async fn a_stale_revision_changes_nothing_and_abandoned_drafts_are_purged(app: TestApp) {
    let (db, ..) = seeded(&app.db_url).await;
    let code = "code1";
    let key = IdentityKey::new(&[9; 32]).unwrap();
    let (one, two) = (key.chat_key(1), key.chat_key(2));
    db.start_draft(&one, code, "{\"a\":1}", 10, Utc::now(), None).await.unwrap();
    let write = |chat, expected_revision, state: &str| DraftWrite {
        chat,
        expected_revision,
        state: state.to_string(),
        text_message: Some(expected_revision),
        at: Utc::now(),
    };
    assert_eq!(db.update_drafts(vec![write(one, 10, "{\"a\":2}")]).await.unwrap(), [Some(11)]);
    assert_eq!(db.update_drafts(vec![write(one, 10, "{\"a\":3}")]).await.unwrap(), [None], "stale revision");
    assert_eq!(db.load_draft(&one).await.unwrap().unwrap().state, "{\"a\":2}");

    // Several chats' steps in one statement: each is stored or refused on its own revision.
    let (three, four) = (key.chat_key(3), key.chat_key(4));
    db.start_draft(&three, code, "{}", 30, Utc::now(), None).await.unwrap();
    db.start_draft(&four, code, "{}", 40, Utc::now(), None).await.unwrap();
    let outcomes = db
        .update_drafts(vec![write(three, 30, "{\"c\":1}"), write(one, 10, "{\"a\":4}"), write(four, 40, "{\"d\":1}")])
        .await
        .unwrap();
    assert_eq!(outcomes, [Some(31), None, Some(41)]);
    let three_now = db.load_draft(&three).await.unwrap().unwrap();
    assert_eq!(
        (three_now.state.as_str(), three_now.revision, three_now.last_text_message),
        ("{\"c\":1}", 31, Some(30))
    );
    assert_eq!(db.load_draft(&one).await.unwrap().unwrap().state, "{\"a\":2}", "the stale write changed nothing");
    assert_eq!(db.load_draft(&four).await.unwrap().unwrap().revision, 41);

    db.start_draft(&two, code, "{}", 5, Utc::now() - chrono::Duration::days(40), None).await.unwrap();
    let purged = db.purge_drafts(Utc::now() - chrono::Duration::days(30)).await.unwrap();
    assert_eq!(purged, 1);
    assert!(db.load_draft(&two).await.unwrap().is_none());
    assert!(db.load_draft(&one).await.unwrap().is_some(), "a recent draft stays");
}

async fn the_export_reads_back_any_answer_text_exactly(app: TestApp) {
    let (db, campaign, school, class, code) = seeded(&app.db_url).await;
    let key = IdentityKey::new(&[9; 32]).unwrap();
    let tricky = "q1:3:no; «Ёлка» — \"да\"\nвторая строка 🎄:";
    let given = [vec![("q1", "yes"), ("q15", tricky), ("q3", "")], vec![]];
    for (person, answers) in given.iter().enumerate() {
        let answers = answers.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect();
        let response = parents_response(campaign, school, class, answers);
        let chat = key.chat_key(person as i64);
        db.start_draft(&chat, &code, "{}", 1, Utc::now(), None).await.unwrap();
        let identity = key.identity(person as u64, campaign, school);
        assert_eq!(db.submit_response(&chat, 1, identity.as_bytes(), &response).await.unwrap(), SubmitOutcome::Stored);
    }
    // The campaign is over: everything leaves the box, in one release of the school's two.
    let released = db.settle_school(campaign, school, 5, Utc::now().date_naive(), true).await.unwrap();
    assert_eq!(released, 2);
    let mut exported = Vec::new();
    let count = db
        .export_responses(
            campaign,
            anketa::roles::Scope::Region,
            anketa::db::Reader::Operator,
            |row: &anketa::db::ExportRow| {
                let mut answers = row.answers.clone();
                answers.sort();
                exported.push(answers);
                Ok(())
            },
        )
        .await
        .unwrap();
    assert_eq!(count, 2);
    exported.sort();
    let expected: Vec<Vec<(String, String)>> =
        given.iter().map(|a| a.iter().map(|(q, v)| (q.to_string(), v.to_string())).collect()).collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(exported, expected);
}

async fn a_drafts_reminder_is_claimed_by_one_process_once(app: TestApp) {
    let (first, _, _, _, code) = seeded(&app.db_url).await;
    let second = Db::connect(&app.db_url).await.unwrap();
    let key = IdentityKey::new(&[9; 32]).unwrap();
    let (chat_id, now) = (7_350_000_001, Utc::now());
    let chat = key.chat_key(chat_id);
    let reachable = Reachable { sealed_chat: key.seal_chat(chat_id), language: Lang::En };
    let yesterday = now.date_naive().pred_opt().unwrap();
    first.start_draft(&chat, &code, "{}", 3, now - chrono::Duration::hours(30), Some(&reachable)).await.unwrap();
    // Not reachable (started before reminders): never due.
    first.start_draft(&key.chat_key(2), &code, "{}", 3, now - chrono::Duration::hours(30), None).await.unwrap();
    assert!(first.due_reminders(now - chrono::Duration::hours(31), yesterday).await.unwrap().is_empty(), "too young");
    let due = first.due_reminders(now - chrono::Duration::hours(24), yesterday).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(key.open_chat(&chat, &due[0].reminder_chat), Some(chat_id));
    assert_eq!(due[0].language, Lang::En);

    assert!(!first.claim_reminder(&chat, 2, now).await.unwrap(), "a draft changed since it was found");
    let (a, b) = tokio::join!(first.claim_reminder(&chat, 3, now), second.claim_reminder(&chat, 3, now));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one process claims the reminder");
    assert!(!first.claim_reminder(&chat, 3, now).await.unwrap(), "never twice");
    assert!(first.due_reminders(now, yesterday).await.unwrap().is_empty(), "claimed: not due again");
}

/// Each scope's export holds its own responses and nobody else's: schools and classes of the
/// same names in other municipalities and schools included (the export groups by id, names only
/// order the groups).
async fn each_scope_exports_exactly_its_own_responses(app: TestApp) {
    use anketa::roles::Scope;
    let db = Db::connect(&app.db_url).await.unwrap();
    let roster = "municipality,school,class,students\nM1,S,1А,20\nM1,S,1Б,20\nM1,T,1А,20\nM2,S,1А,20\nM2,S,1Б,20\n";
    let (campaign, links) = campaign_with_links(&db, roster).await;
    let today = Utc::now().date_naive();
    let key = IdentityKey::new(&[9; 32]).unwrap();
    /// A class's response: the class's scope, its school's, its municipality's id, what it wrote.
    struct Sent {
        class: Scope,
        school: Scope,
        municipality_id: i64,
        written: String,
    }
    fn written_where(classes: &[Sent], within: impl Fn(&Sent) -> bool) -> Vec<String> {
        let mut written: Vec<String> = classes.iter().filter(|c| within(c)).map(|c| c.written.clone()).collect();
        written.sort();
        written
    }
    let mut classes = Vec::new();
    for (person, link) in links.iter().enumerate() {
        let target = db.resolve_link(&link.code).await.unwrap().unwrap();
        let municipality_id = link.municipality_id;
        let written = format!("{municipality_id}/{}/{}", target.school, target.class);
        let response =
            parents_response(campaign, target.school_id, target.class_id, vec![("q15".into(), written.clone())]);
        let chat = key.chat_key(person as i64);
        db.start_draft(&chat, &link.code, "{}", 1, Utc::now(), None).await.unwrap();
        let identity = key.identity(person as u64, campaign, target.school_id);
        assert_eq!(db.submit_response(&chat, 1, identity.as_bytes(), &response).await.unwrap(), SubmitOutcome::Stored);
        let (school_id, class_id) = (target.school_id, target.class_id);
        classes.push(Sent {
            class: Scope::Class { municipality_id, school_id, class_id },
            school: Scope::School { municipality_id, school_id },
            municipality_id,
            written,
        });
    }
    assert_eq!(classes.len(), 5);
    for sent in &classes {
        let Scope::School { school_id, .. } = sent.school else { unreachable!() };
        db.settle_school(campaign, school_id, 1, today, true).await.unwrap();
    }
    let exported = |scope: Scope| {
        let db = &db;
        async move {
            let mut written = Vec::new();
            db.export_responses(campaign, scope, anketa::db::Reader::Staff, |row: &anketa::db::ExportRow| {
                written.push(row.answer("q15").unwrap_or_default().to_string());
                Ok(())
            })
            .await
            .unwrap();
            written.sort();
            written
        }
    };
    assert_eq!(exported(Scope::Region).await, written_where(&classes, |_| true));
    for sent in &classes {
        let (class, school) = (sent.class, sent.school);
        assert_eq!(exported(class).await, written_where(&classes, |c| c.class == class), "{class:?}");
        assert_eq!(exported(school).await, written_where(&classes, |c| c.school == school), "{school:?}");
        let municipality = Scope::Municipality { municipality_id: sent.municipality_id };
        let expected = written_where(&classes, |c| c.municipality_id == sent.municipality_id);
        assert_eq!(exported(municipality).await, expected, "{municipality:?}");
    }
}

/// A submit whose caller stops waiting at its first pause (a webhook request cut off) is still
/// stored whole (on SQLite before the write queued after it).
async fn a_submit_nobody_waits_for_is_stored_whole_or_not_at_all(app: TestApp) {
    let (db, campaign, school, class, code) = seeded(&app.db_url).await;
    let key = IdentityKey::new(&[4; 32]).unwrap();
    let response = parents_response(campaign, school, class, vec![("q1".into(), "yes".into())]);
    for round in 0..20_i64 {
        let (chat, identity) = (key.chat_key(round), key.identity(round as u64, campaign, school));
        db.start_draft(&chat, &code, "{}", 1, Utc::now(), None).await.unwrap();
        let submit = db.submit_response(&chat, 1, identity.as_bytes(), &response);
        // Polled once, then dropped (unless a preempted test thread let it finish meanwhile).
        let _ = submit.now_or_never();
        db.start_draft(&key.chat_key(1_000 + round), &code, "{}", 1, Utc::now(), None).await.unwrap();
        let mut participated = false;
        for _ in 0..250 {
            participated = db.has_participated(campaign, identity.as_bytes()).await.unwrap();
            if participated {
                break;
            }
            assert_eq!(app.engine, Engine::Postgres, "round {round}: SQLite's writer took a write before it");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(participated, "round {round}: the submit was dropped");
        assert!(db.load_draft(&chat).await.unwrap().is_none(), "round {round}: half a submit");
    }
    let class = db.class_participation(campaign, class).await.unwrap().unwrap();
    assert_eq!(class.responses(), 20, "a ballot for each participation");
}

on_both_engines!(
    a_submit_nobody_waits_for_is_stored_whole_or_not_at_all,
    a_drafts_reminder_is_claimed_by_one_process_once,
    two_processes_submitting_for_one_person_store_exactly_one_response,
    a_stale_revision_changes_nothing_and_abandoned_drafts_are_purged,
    the_export_reads_back_any_answer_text_exactly,
    each_scope_exports_exactly_its_own_responses,
);
