//! Daily digests: every administrator (and each class teacher who asked) gets one digest a day per
//! open campaign of their scope, at `digest.time` in their own timezone, and a final one the day
//! after the campaign ends. Each delivery is claimed in the database before it is sent, so restarts
//! and several bot processes neither repeat nor skip one. A stop ends a round between two digests
//! and gives back the claims of those not sent, so the round resumes exactly after a restart. A
//! round renews its claims while it runs; those of a round that is gone (its process killed) lapse
//! after a two-minute lease and are taken over by the next round.

pub mod chart;
mod glyphs;
mod png_rgb;
pub mod report;
mod zlib_runs;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::args;
use crate::config::Settings;
use crate::db::{CLAIM_RENEW_EVERY, Campaign, Counts, Db, DigestRecipient, Participation, SchoolRef, Within};
use crate::i18n::Texts;
use crate::roles::Scope;
use crate::survey::Lang;
use report::DigestData;

/// How many digests are built at once (counts, text, chart), and how many built ones may wait to
/// be sent: the charts are drawn on blocking threads, so a round uses every core while sending
/// stays paced.
pub const BUILD_AHEAD: usize = 4;

/// Which recipients a run covers (`digest send --school/--municipality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    Everyone,
    Within(Scope),
}

/// Everything a digest run needs.
pub struct Digests<'a> {
    pub db: &'a Db,
    pub texts: &'a Texts,
    pub settings: &'a Settings,
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub sent: usize,
    pub blocked: usize,
    pub failed: usize,
}

/// A recipient's role-specific view of one campaign, ready to send.
pub struct Prepared {
    pub text: String,
    /// The bar chart (not for a teacher's one-line digest).
    pub chart: Option<Vec<u8>>,
    /// Responses per row, kept with the delivery for tomorrow's "change since".
    counts: HashMap<i64, i64>,
}

impl Digests<'_> {
    fn timezone(&self, recipient: &DigestRecipient) -> Tz {
        // A stored zone was checked when the roster was imported.
        recipient
            .timezone
            .as_deref()
            .and_then(|zone| zone.parse().ok())
            .unwrap_or(self.settings.survey.default_timezone)
    }

    /// The digest a recipient gets today for a campaign (`None`: nothing for them in it), from
    /// the campaign's `figures` (read for the recipient's scope or wider).
    pub async fn prepare(
        &self,
        recipient: &DigestRecipient,
        campaign: &Campaign,
        figures: &Figures,
        today: NaiveDate,
        lang: Lang,
    ) -> anyhow::Result<Option<Prepared>> {
        let member = &recipient.member;
        let Some(scope) = member.scope() else { return Ok(None) };
        let counts = &figures.counts;
        let previous: Option<HashMap<i64, i64>> =
            figures.last_shown.get(&member.id).and_then(|json| serde_json::from_str(json).ok());
        let mut lowest = Vec::new();
        let rows: Vec<Participation> = match scope {
            Scope::Region => counts.municipalities(),
            Scope::Municipality { municipality_id } => {
                // Each class's share worked out once, not at every comparison; a stable sort as before.
                let mut classes: Vec<(f64, (String, Participation))> = counts
                    .classes_of_municipality(municipality_id)
                    .into_iter()
                    .map(|class| (class.1.lowest_percent(), class))
                    .collect();
                classes.sort_by(|a, b| a.0.total_cmp(&b.0));
                lowest = classes.into_iter().take(5).map(|(_, class)| class).collect();
                counts.schools_of_municipality(municipality_id)
            }
            Scope::School { school_id, .. } => counts.classes_of_school(school_id),
            Scope::Class { class_id, .. } => {
                let Some(class) = counts.class(class_id) else { return Ok(None) };
                let change = previous.as_ref().map(|p| class.responses() - p.get(&class.id).copied().unwrap_or(0));
                let mut text = report::teacher_line(self.texts, lang, campaign, &class, change);
                // Who started and stopped is shown only in groups the privacy threshold allows.
                let unfinished = self.db.unfinished_in_class(campaign.id, class_id).await?;
                if unfinished >= self.settings.privacy.min_group_size {
                    text.push('\n');
                    text.push_str(&self.texts.get_with(
                        lang,
                        "digest-teacher-unfinished",
                        &args![("count", unfinished)],
                    ));
                }
                return Ok(Some(Prepared {
                    text,
                    chart: None,
                    counts: HashMap::from([(class.id, class.responses())]),
                }));
            }
        };
        let date = match lang {
            Lang::Ru => today.format("%d.%m.%Y").to_string(),
            Lang::En => today.format("%-d %B %Y").to_string(),
        };
        let scope_name =
            if scope == Scope::Region { self.texts.get(lang, "admin-role-region") } else { member.scope_name() };
        let data = DigestData {
            campaign,
            scope_name: &scope_name,
            rows: &rows,
            previous: previous.as_ref(),
            lowest: &lowest,
            today,
            date,
        };
        let counts = rows.iter().map(|r| (r.id, r.responses())).collect();
        let text = report::text(self.texts, lang, &data);
        let title = format!("«{}» — {scope_name}, {}", campaign.name, data.date);
        let target = campaign.target_percent;
        let chart = tokio::task::spawn_blocking(move || chart::participation_png(&title, &rows, target)).await??;
        Ok(Some(Prepared { text, chart: Some(chart), counts }))
    }

    /// The digests due at `now` (all of today's, whatever the time, when `any_time`): each one
    /// claimed, handed to `outbox` and recorded, until `stop` is raised.
    pub async fn run(
        &self,
        now: DateTime<Utc>,
        only: Only,
        any_time: bool,
        stop: &mut watch::Receiver<bool>,
        outbox: &impl Deliver,
    ) -> anyhow::Result<RunSummary> {
        let send_at = self.settings.digest.time;
        let recipients = self.db.digest_recipients().await?;
        let campaigns = self.db.open_campaigns().await?;
        let mut due = Vec::new();
        for recipient in &recipients {
            let Some(scope) = recipient.member.scope() else { continue };
            if let Only::Within(within) = only
                && !within.covers(scope)
            {
                continue;
            }
            let local = now.with_timezone(&self.timezone(recipient));
            let today = local.date_naive();
            if !any_time && local.time() < send_at {
                continue;
            }
            for campaign in &campaigns {
                let final_day = campaign.ends_on.succ_opt().unwrap_or(campaign.ends_on);
                if today >= campaign.starts_on && today <= final_day {
                    due.push((recipient.clone(), campaign.clone(), today));
                }
            }
        }
        // Each campaign's figures, for the scope the run covers.
        let within = match only {
            Only::Everyone => Within::Region,
            Only::Within(scope) => Within::of(scope),
        };
        let figures: HashMap<i64, RoundFigures> =
            campaigns.iter().map(|campaign| (campaign.id, RoundFigures::new(within))).collect();
        // This round's claims, renewed while it runs: a round that is gone leaves them to lapse.
        let holder = format!("{:016x}", rand::random::<u64>());
        let started = std::time::Instant::now();
        let renewing = async {
            loop {
                tokio::time::sleep(CLAIM_RENEW_EVERY).await;
                let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
                if let Err(e) = self.db.renew_digest_claims(&holder, at).await {
                    tracing::warn!(error = %e, "cannot renew the digest claims of a round");
                }
            }
        };
        tokio::select! {
            summary = self.send_due(due, &figures, &holder, now, stop, outbox) => summary,
            never = renewing => never,
        }
    }

    /// Claims, builds and sends the `due` digests of the round `holder`, until `stop` is raised.
    async fn send_due(
        &self,
        due: Vec<(DigestRecipient, Campaign, NaiveDate)>,
        figures: &HashMap<i64, RoundFigures>,
        holder: &str,
        now: DateTime<Utc>,
        stop: &mut watch::Receiver<bool>,
        outbox: &impl Deliver,
    ) -> anyhow::Result<RunSummary> {
        // Built `BUILD_AHEAD` at a time while the ones before are being sent, and sent in the order
        // they are ready: a slow digest (the region's) holds back neither the ones built beside it
        // nor the sending. A stop ends the round between two digests: no more are claimed, and
        // the ones built ahead are given back unsent, to be sent after the restart.
        let (ready, mut to_send) = tokio::sync::mpsc::channel(BUILD_AHEAD);
        let building_stop = stop.clone();
        let building = async move {
            let mut built = futures_util::stream::iter(due)
                .take_while(|_| std::future::ready(!*building_stop.borrow()))
                .map(|(recipient, campaign, today)| {
                    let figures = &figures[&campaign.id];
                    self.claim_and_prepare(recipient, campaign, figures, today, holder, now)
                })
                .buffer_unordered(BUILD_AHEAD);
            // A digest that cannot be built (its claim released) does not hold up the others,
            // which are already claimed; the round reports the first such error at its end.
            let mut failure = None;
            while let Some(next) = built.next().await {
                match next {
                    Ok(Some(digest)) => {
                        // The sending side is gone (an error): the claims of the rest lapse.
                        if ready.send(digest).await.is_err() {
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            failure
        };
        let sending = async move {
            let mut summary = RunSummary::default();
            while let Some((member, campaign, today, prepared)) = to_send.recv().await {
                if *stop.borrow() {
                    self.db.release_digest(member.id, campaign.id, today).await?;
                    continue;
                }
                let counts = serde_json::to_string(&prepared.counts)?;
                match outbox.deliver(member.chat_id, prepared, stop).await {
                    Delivery::Sent => {
                        self.db.finish_digest(member.id, campaign.id, today, "sent", &counts, now).await?;
                        crate::metrics::digest_sent();
                        summary.sent += 1;
                    }
                    Delivery::Unreachable => {
                        tracing::info!(staff = member.id, "a staff member blocked the bot; no more digests to them");
                        self.db.finish_digest(member.id, campaign.id, today, "blocked", &counts, now).await?;
                        self.db.mark_unreachable(member.id).await?;
                        summary.blocked += 1;
                    }
                    Delivery::Unsent => {
                        self.db.release_digest(member.id, campaign.id, today).await?;
                        summary.failed += 1;
                    }
                }
            }
            anyhow::Ok(summary)
        };
        let (failure, summary) = tokio::join!(building, sending);
        match failure {
            Some(e) => Err(e),
            None => summary,
        }
    }

    /// Claims one digest and builds it; `None` when another process has it or there is nothing
    /// to send (the claim is then released).
    async fn claim_and_prepare(
        &self,
        recipient: DigestRecipient,
        campaign: Campaign,
        figures: &RoundFigures,
        today: NaiveDate,
        holder: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<(crate::db::StaffMember, Campaign, NaiveDate, Prepared)>> {
        let member = &recipient.member;
        if !self.db.claim_digest(member.id, campaign.id, today, holder, now).await? {
            return Ok(None);
        }
        // In the language their Telegram spoke when they last used the bot.
        let prepared = async {
            let figures = figures.get(self.db, campaign.id).await?;
            self.prepare(&recipient, &campaign, figures, today, member.language).await
        };
        match prepared.await {
            Ok(Some(prepared)) => Ok(Some((recipient.member, campaign, today, prepared))),
            Ok(None) => {
                self.db.release_digest(member.id, campaign.id, today).await?;
                Ok(None)
            }
            Err(e) => {
                self.db.release_digest(member.id, campaign.id, today).await?;
                Err(e)
            }
        }
    }

    /// The digest texts a school's administrator would get today, without sending anything.
    pub async fn preview_school(
        &self,
        school: &SchoolRef,
        now: DateTime<Utc>,
        lang: Lang,
    ) -> anyhow::Result<Vec<String>> {
        let (municipality_id, school_id) = (school.municipality_id, school.school_id);
        let campaigns = self.db.open_campaigns().await?;
        let member = crate::db::StaffMember {
            id: 0,
            user_id: 0,
            chat_id: 0,
            name: String::new(),
            role: "school".into(),
            municipality_id: Some(municipality_id),
            school_id: Some(school_id),
            class_id: None,
            // Named as the digest of a real school administrator is, not «—».
            municipality: Some(school.municipality.clone()),
            school: Some(school.school.clone()),
            class: None,
            revoked: false,
            language: lang,
        };
        let timezone = self.db.school_timezone(school_id).await?;
        let recipient = DigestRecipient { member, timezone };
        let today = now.with_timezone(&self.timezone(&recipient)).date_naive();
        let mut texts = Vec::new();
        for campaign in
            campaigns.iter().filter(|c| today >= c.starts_on && today <= c.ends_on.succ_opt().unwrap_or(c.ends_on))
        {
            let figures = Figures::read(self.db, campaign.id, Within::School(school_id)).await?;
            if let Some(prepared) = self.prepare(&recipient, campaign, &figures, today, lang).await? {
                texts.push(prepared.text);
            }
        }
        Ok(texts)
    }
}

/// What a campaign's digests are built from, read at once: the counts of the classes within
/// the run's scope, and the counts each recipient's last digest showed (JSON, by staff id).
/// A round reads them once for all its digests (not three queries a digest), and every digest
/// of the round shows the same moment.
pub struct Figures {
    counts: Counts,
    last_shown: HashMap<i64, String>,
}

impl Figures {
    pub async fn read(db: &Db, campaign_id: i64, within: Within) -> sqlx::Result<Figures> {
        let counts = db.counts(campaign_id, within).await?;
        let last_shown = db.last_digest_counts(campaign_id).await?.into_iter().collect();
        Ok(Figures { counts, last_shown })
    }
}

/// A campaign's figures for one round, read by the first digest claimed: a round that finds
/// every digest sent reads nothing.
struct RoundFigures {
    within: Within,
    figures: tokio::sync::OnceCell<Figures>,
}

impl RoundFigures {
    fn new(within: Within) -> RoundFigures {
        RoundFigures { within, figures: tokio::sync::OnceCell::new() }
    }

    async fn get(&self, db: &Db, campaign_id: i64) -> sqlx::Result<&Figures> {
        self.figures.get_or_try_init(|| Figures::read(db, campaign_id, self.within)).await
    }
}

/// Where digests go (the bot's outbox); a stop given meanwhile may leave a digest unsent, never half sent.
pub trait Deliver {
    fn deliver(
        &self,
        chat: i64,
        digest: Prepared,
        stop: &mut watch::Receiver<bool>,
    ) -> impl Future<Output = Delivery> + Send;
}

/// What became of one digest handed to the outbox.
pub enum Delivery {
    Sent,
    /// The recipient blocked the bot (or is gone): recorded, and no more digests to them.
    Unreachable,
    /// Not sent (a failure, or a stop before any of it went out): given back for a later round.
    Unsent,
}
