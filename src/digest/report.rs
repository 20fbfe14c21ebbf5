//! The digest's text: participation per group against the campaign's target, the change since the
//! previous digest, days left, and for a municipality its five lowest classes. Pure: the scheduler
//! gathers the numbers, this turns them into words.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::args;
use crate::db::{Campaign, Participation};
use crate::i18n::{Texts, percent};
use crate::survey::Lang;

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

/// "5А — 7 из 25 (28,0%) +2 ⚠": one group against the target, with the change if known.
pub fn participation_line(texts: &Texts, lang: Lang, row: &Participation, target: i64, change: Option<i64>) -> String {
    let mut line = format!(
        "• {} — {}",
        row.name,
        texts.get_with(
            lang,
            "admin-stats-row",
            &args![
                ("responses", row.responses),
                ("headcount", row.headcount),
                ("percent", percent(lang, row.percent()))
            ],
        )
    );
    if let Some(change) = change {
        line.push_str(&format!(" {change:+}"));
    }
    if row.percent() < target as f64 {
        line.push_str(" ⚠");
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
    let responses: i64 = data.rows.iter().map(|r| r.responses).sum();
    let headcount: i64 = data.rows.iter().map(|r| r.headcount).sum();
    let total = Participation { id: 0, name: String::new(), responses, headcount };
    let header = if final_digest { "digest-final-header" } else { "digest-header" };
    let mut lines = vec![texts.get_with(
        lang,
        header,
        &args![("name", campaign.name.as_str()), ("scope", data.scope_name), ("date", data.date.as_str())],
    )];
    let reached = total.percent() >= target as f64;
    lines.push(texts.get_with(
        lang,
        if reached { "digest-total-reached" } else { "digest-total-below" },
        &args![
            ("responses", responses),
            ("headcount", headcount),
            ("percent", percent(lang, total.percent())),
            ("target", target)
        ],
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
        let change = data.previous.map(|previous| row.responses - previous.get(&row.id).copied().unwrap_or(0));
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

    fn row(id: i64, name: &str, responses: i64, headcount: i64) -> Participation {
        Participation { id, name: name.into(), responses, headcount }
    }

    #[test]
    fn a_school_digest_shows_change_target_and_days_left() {
        let texts = Texts::default();
        let campaign = campaign();
        let rows = [row(1, "5А", 12, 25), row(2, "5Б", 3, 20)];
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
        assert!(text.contains("• 5А — 12 из 25 (48,0%) +2"), "{text}");
        assert!(text.contains("• 5Б — 3 из 20 (15,0%) +0 ⚠"), "{text}");
        assert!(text.contains("15 из 45 (33,3%)") && text.contains("ниже цели 40%"), "{text}");
        assert!(text.contains("Осталось 5 дней"), "{text}");
    }

    #[test]
    fn the_final_digest_gives_the_outcome() {
        let texts = Texts::default();
        let campaign = campaign();
        let rows = [row(1, "5А", 20, 25)];
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
