//! The digest's text: participation per group against the campaign's target, the change since the
//! previous digest, days left, and for a municipality its five lowest classes. Pure: the scheduler
//! gathers the numbers, this turns them into words.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::args;
use crate::db::{Campaign, Participation};
use crate::i18n::{Texts, percent};
use crate::survey::{Audience, Lang};

/// Everything one digest shows.
pub struct DigestData<'a> {
    pub campaign: &'a Campaign,
    /// The recipient's scope as a person names it ("Иркутск / Школа № 1").
    pub scope_name: &'a str,
    /// One row per class, school or municipality.
    pub rows: &'a [Participation],
    /// Responses per group at the previous digest, if there was one.
    pub previous: Option<&'a HashMap<i64, i64>>,
    /// For a municipality: its lowest classes as (school, class).
    pub lowest: &'a [(String, Participation)],
    /// The recipient's local date.
    pub today: NaiveDate,
    pub date: String,
}

/// «родители: 12 из 25 (48,0%) ⚠ · ученики: 8 из 25 (32,0%)»: each audience asked in the group
/// against its own base, marked ⚠ below `target` if one is given.
pub fn shares_text(texts: &Texts, lang: Lang, row: &Participation, target: Option<i64>) -> String {
    let shares = row.shares();
    if shares.is_empty() {
        return texts.get(lang, "admin-stats-not-asked");
    }
    let shares: Vec<String> = shares
        .into_iter()
        .map(|(audience, share)| {
            let id = match audience {
                Audience::Parent => "admin-stats-share-parent",
                Audience::Student => "admin-stats-share-student",
            };
            let mut text = texts.get_with(
                lang,
                id,
                &args![
                    ("responses", share.responses),
                    ("base", share.base),
                    ("percent", percent(lang, share.percent()))
                ],
            );
            if target.is_some_and(|target| share.percent() < target as f64) {
                text.push_str(" ⚠");
            }
            text
        })
        .collect();
    shares.join(" · ")
}

/// "5А — родители: 7 из 25 (28,0%) ⚠ · ученики: 9 из 20 (45,0%) +2": one group, each audience
/// against the target, with the change of all its responses if known.
pub fn participation_line(texts: &Texts, lang: Lang, row: &Participation, target: i64, change: Option<i64>) -> String {
    let mut line = format!("• {} — {}", row.name, shares_text(texts, lang, row, Some(target)));
    if let Some(change) = change {
        line.push_str(&format!(" {change:+}"));
    }
    line
}

/// Whether the digest is the final one (the day after the campaign ended).
pub fn is_final(campaign: &Campaign, today: NaiveDate) -> bool {
    today > campaign.ends_on
}

pub fn text(texts: &Texts, lang: Lang, data: &DigestData<'_>) -> String {
    let campaign = data.campaign;
    let target = campaign.target_percent;
    let final_digest = is_final(campaign, data.today);
    let total = Participation::sum(data.rows);
    let header = if final_digest { "digest-final-header" } else { "digest-header" };
    let mut lines = vec![texts.get_with(
        lang,
        header,
        &args![("name", campaign.name.as_str()), ("scope", data.scope_name), ("date", data.date.as_str())],
    )];
    lines.push(texts.get_with(
        lang,
        if total.reached(target) { "digest-total-reached" } else { "digest-total-below" },
        &args![("shares", shares_text(texts, lang, &total, None)), ("target", target)],
    ));
    if !final_digest {
        let days_left = (campaign.ends_on - data.today).num_days();
        lines.push(if days_left == 0 {
            texts.get(lang, "digest-last-day")
        } else {
            texts.get_with(lang, "digest-days-left", &args![("days", days_left)])
        });
    }
    lines.push(String::new());
    for row in data.rows {
        let change = data.previous.map(|previous| row.responses() - previous.get(&row.id).copied().unwrap_or(0));
        lines.push(participation_line(texts, lang, row, target, change));
    }
    if !data.lowest.is_empty() {
        lines.push(String::new());
        lines.push(texts.get(lang, "digest-lowest"));
        for (school, class) in data.lowest {
            let named = Participation { name: format!("{school}, {}", class.name), ..class.clone() };
            lines.push(participation_line(texts, lang, &named, target, None));
        }
    }
    if final_digest {
        lines.push(String::new());
        lines.push(texts.get(lang, "digest-final-footer"));
    }
    lines.join("\n")
}

/// The short daily line a class teacher can opt in to.
pub fn teacher_line(
    texts: &Texts,
    lang: Lang,
    campaign: &Campaign,
    class: &Participation,
    change: Option<i64>,
) -> String {
    let line = participation_line(texts, lang, class, campaign.target_percent, change);
    texts.get_with(
        lang,
        "digest-teacher",
        &args![("name", campaign.name.as_str()), ("line", line), ("target", campaign.target_percent)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Share;

    fn campaign() -> Campaign {
        Campaign {
            id: 1,
            name: "НОКО".into(),
            starts_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            target_percent: 40,
            closed: false,
        }
    }

    fn row(id: i64, name: &str, parents: (i64, i64), students: (i64, i64)) -> Participation {
        Participation {
            id,
            name: name.into(),
            parents: Share { responses: parents.0, base: parents.1 },
            students: Share { responses: students.0, base: students.1 },
        }
    }

    #[test]
    fn a_school_digest_shows_change_target_and_days_left() {
        let texts = Texts::default();
        let campaign = campaign();
        let rows = [row(1, "5А", (12, 25), (0, 0)), row(2, "10Б", (3, 20), (9, 20))];
        let previous = HashMap::from([(1, 10), (2, 3)]);
        let data = DigestData {
            campaign: &campaign,
            scope_name: "Школа № 1",
            rows: &rows,
            previous: Some(&previous),
            lowest: &[],
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            date: "25.11.2026".into(),
        };
        let text = text(&texts, Lang::Ru, &data);
        assert!(text.contains("• 5А — родители: 12 из 25 (48,0%) +2\n"), "{text}");
        assert!(text.contains("• 10Б — родители: 3 из 20 (15,0%) ⚠ · ученики: 9 из 20 (45,0%) +9"), "{text}");
        assert!(
            text.contains("Всего: родители: 15 из 45 (33,3%) · ученики: 9 из 20 (45,0%) — ниже цели 40%"),
            "{text}"
        );
        assert!(text.contains("Осталось 5 дней"), "{text}");
    }

    #[test]
    fn the_final_digest_gives_the_outcome() {
        let texts = Texts::default();
        let campaign = campaign();
        let rows = [row(1, "5А", (20, 25), (0, 0))];
        let data = DigestData {
            campaign: &campaign,
            scope_name: "Школа № 1",
            rows: &rows,
            previous: None,
            lowest: &[],
            today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            date: "01.12.2026".into(),
        };
        let text = text(&texts, Lang::En, &data);
        assert!(text.contains("has ended") && text.contains("target of 40% reached"), "{text}");
        assert!(!text.contains("left"), "{text}");
    }
}
