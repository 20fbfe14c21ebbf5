//! The ballot box's keeper: when sealed answers leave the box (by the rule of [`crate::releases`]).
//!
//! A school is settled shortly after each submit (one settling for every submit of that moment,
//! as the write-ahead-log scrub does), at start (for a process killed in between), every minute
//! (a campaign that has just ended releases what is left) and by the command line before it reads
//! responses. Settling also rewrites the school's sealed ballots and register in random order (see
//! [`crate::db`]), so the short delay is how long a submit's traces (PostgreSQL's transaction id,
//! the rows' places in their pages) stay shared by its participation and its ballot.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::db::{Db, SealedSchool};
use crate::metrics;

/// How long after a submit its school is settled.
pub const SETTLE_DELAY: Duration = Duration::from_millis(100);
/// How often every school with sealed answers is looked at, for campaigns that have ended.
const SETTLE_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct BallotBox {
    db: Db,
    min_group: usize,
    /// Release days are days in this timezone (the region's, `survey.default_timezone`).
    timezone: Tz,
    clock: Clock,
    /// Schools (campaign, school) waiting for the settling a submit scheduled.
    scheduled: Arc<Mutex<HashSet<(i64, i64)>>>,
}

impl BallotBox {
    pub fn new(db: Db, min_group: usize, timezone: Tz, clock: Clock) -> BallotBox {
        BallotBox { db, min_group, timezone, clock, scheduled: Arc::default() }
    }

    fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.timezone).date_naive()
    }

    /// After a submit: settles the school within [`SETTLE_DELAY`], by a task of its own so the
    /// respondent does not wait; submits meanwhile join it.
    pub fn settle_soon(&self, campaign_id: i64, school_id: i64) {
        let mut scheduled = self.scheduled.lock().expect("lock not poisoned");
        let first = scheduled.is_empty();
        scheduled.insert((campaign_id, school_id));
        if first {
            let keeper = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SETTLE_DELAY).await;
                keeper.settle_scheduled().await;
            });
        }
    }

    /// Settles the schools submits scheduled, at once (at shutdown, once no update is handled any
    /// more, so that no settling is left for after the database closes).
    pub async fn settle_scheduled(&self) {
        let schools: Vec<(i64, i64)> = self.scheduled.lock().expect("lock not poisoned").drain().collect();
        let today = self.today();
        for (campaign_id, school_id) in schools {
            // A campaign that is over takes no submits; its end is settled by `settle_all`.
            match self.db.settle_school(campaign_id, school_id, self.min_group, today, false).await {
                Ok(released) => metrics::responses_released(released),
                // Nothing is lost: the ballots stay sealed and the next settling takes them.
                Err(error) => tracing::warn!(error = format!("{error:#}"), "cannot settle a school's ballot box"),
            }
        }
    }

    /// Settles every school with sealed answers, releasing all of them where the campaign is over
    /// (closed, or past its end day in the school's timezone). Returns how many were released.
    pub async fn settle_all(&self) -> anyhow::Result<u64> {
        self.settle_where(|_| true).await
    }

    /// Settles the schools `due` picks among those with sealed answers.
    async fn settle_where(&self, due: impl Fn(&SealedSchool) -> bool) -> anyhow::Result<u64> {
        let today = self.today();
        let mut released = 0;
        for school in self.db.sealed_schools().await?.iter().filter(|s| due(s)) {
            let over = is_over(school, self.clock);
            released +=
                self.db.settle_school(school.campaign_id, school.school_id, self.min_group, today, over).await?;
        }
        metrics::responses_released(released);
        Ok(released)
    }

    /// Settles every school at start (a process killed before it settled a submit's school), then
    /// every minute the schools with something to release (a campaign over, or a class whose
    /// settling failed), until `stop`.
    /// Settling rewrites a school's register, so schools with nothing new are left alone.
    pub async fn keep(self, mut stop: watch::Receiver<bool>) {
        let mut settled_all = false;
        let min_group = i64::try_from(self.min_group).unwrap_or(i64::MAX);
        loop {
            let settled = if settled_all {
                self.settle_where(|school| is_over(school, self.clock) || school.fullest_class >= min_group).await
            } else {
                self.settle_all().await
            };
            match settled {
                Ok(_) => settled_all = true,
                Err(error) => tracing::warn!(error = format!("{error:#}"), "cannot settle the ballot box"),
            }
            tokio::select! {
                _ = tokio::time::sleep(SETTLE_EVERY) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// Whether the campaign takes no more answers at this school.
fn is_over(school: &SealedSchool, clock: Clock) -> bool {
    let timezone: Tz = school.timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    school.closed || clock.now().with_timezone(&timezone).date_naive() > school.ends_on
}
