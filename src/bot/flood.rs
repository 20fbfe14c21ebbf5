//! Flood control: a token bucket per Telegram user, in memory, consulted before any handler, so
//! one person sending hundreds of updates costs the database nothing and cannot use up Telegram's
//! budget for everybody else.
//!
//! A user's bucket holds up to `burst` tokens and gains `per_second` a second; each update takes
//! one. An update finding the bucket empty is dropped; the first dropped update of a minute gets a
//! «please slow down», which costs a token as a reply would. Buckets idle long enough to be full
//! again are forgotten (they would admit the same updates as a new one), so the map holds only the
//! users of the last minute or so.
//!
//! An update is best judged as it arrives: polling queues each chat's updates behind one another,
//! and judged only when its turn comes, a flood would be admitted at the pace the chat's queue
//! drains, holding that queue (and the dispatcher behind it) full. So the polling listener judges
//! updates on arrival ([`Stage::Arrival`]) and the schema honours that verdict; updates that
//! arrive otherwise (the webhook) are judged in the schema.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{UpdateId, UpdateKind, UserId};

use super::{App, sending};

/// How often a dropping user is told to slow down, at most.
const WARNING_INTERVAL: Duration = Duration::from_secs(60);
/// How often idle buckets are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Whether the sender's flood budget admits `update` at `stage`. A dropped update costs no
/// database work: its button press is still answered (else the phone's spinner turns), and the
/// first drop of a minute tells the person to slow down. Both are sent from a task of their own, so
/// a flood does not hold this chat's queue (and, behind it, everybody's) on Telegram's limits.
pub fn admits(update: &Update, bot: &Bot, app: &App, stage: Stage) -> bool {
    let Some(user) = update.from() else {
        return true;
    };
    let Verdict::Drop { warn } = app.flood.check(update.id, user.id, Instant::now(), stage) else {
        return true;
    };
    crate::metrics::update_dropped("flood");
    let lang = crate::survey::Lang::from_code(user.language_code.as_deref());
    let slow_down = warn.then(|| app.texts.get(lang, "survey-slow-down"));
    match (&update.kind, update.chat()) {
        (UpdateKind::CallbackQuery(query), _) => {
            // The notice rides on the answer: no message to send.
            let mut answer = bot.answer_callback_query(query.id.clone());
            if let Some(text) = slow_down {
                answer = answer.text(text).show_alert(true);
            }
            tokio::spawn(async move { courtesy_sent(sending::send(answer).await.map(drop)) });
        }
        // Only people's own chats with the bot are answered (the schema ignores groups).
        (_, Some(chat)) if chat.is_private() => {
            if let Some(text) = slow_down {
                let message = bot.send_message(chat.id, text);
                tokio::spawn(async move { courtesy_sent(sending::send(message).await.map(drop)) });
            }
        }
        _ => {}
    }
    false
}

/// Logs a lost answer to a dropped update (nobody waits for it; the error was counted).
fn courtesy_sent(sent: Result<(), RequestError>) {
    if let Err(error) = sent {
        tracing::info!(error = %error, "cannot answer an update dropped by flood control");
    }
}

/// What to do with one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Handle,
    /// Drop it; `warn`: tell the person to slow down (the first drop of a minute).
    Drop {
        warn: bool,
    },
}

/// Where an update is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// As the polling listener receives it, before it queues behind its chat's updates.
    Arrival,
    /// In the schema, before any handler.
    Handling,
}

/// The buckets of all users, shared by every update of this process.
pub struct FloodGate {
    burst: f64,
    per_second: f64,
    state: Mutex<Buckets>,
}

struct Buckets {
    by_user: HashMap<UserId, Bucket>,
    /// Updates admitted on arrival, not yet seen by the schema (with when they arrived).
    admitted: HashMap<UpdateId, Instant>,
    last_sweep: Instant,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    warned: Option<Instant>,
}

impl FloodGate {
    pub fn new(burst: u32, per_second: f64) -> Self {
        let state = Buckets { by_user: HashMap::new(), admitted: HashMap::new(), last_sweep: Instant::now() };
        FloodGate { burst: f64::from(burst), per_second, state: Mutex::new(state) }
    }

    /// Judges `update` from `user` at `now`: takes a token of the user's bucket, if there is one.
    /// An update admitted on arrival passes the schema without a second token.
    pub fn check(&self, update: UpdateId, user: UserId, now: Instant, stage: Stage) -> Verdict {
        let mut state = self.state.lock().expect("lock not poisoned");
        if now.saturating_duration_since(state.last_sweep) >= SWEEP_INTERVAL {
            state.last_sweep = now;
            state.by_user.retain(|_, bucket| !self.forgettable(bucket, now));
            // Admitted, then never handled (the bot stopped meanwhile).
            state.admitted.retain(|_, arrived| now.saturating_duration_since(*arrived) < SWEEP_INTERVAL);
        }
        if stage == Stage::Handling && state.admitted.remove(&update).is_some() {
            return Verdict::Handle;
        }
        let verdict = self.take(&mut state, user, now);
        if stage == Stage::Arrival && verdict == Verdict::Handle {
            state.admitted.insert(update, now);
        }
        verdict
    }

    fn take(&self, state: &mut Buckets, user: UserId, now: Instant) -> Verdict {
        let bucket = state.by_user.entry(user).or_insert(Bucket { tokens: self.burst, updated: now, warned: None });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Verdict::Handle;
        }
        let warn = bucket.warned.is_none_or(|warned| now.saturating_duration_since(warned) >= WARNING_INTERVAL);
        if warn {
            bucket.warned = Some(now);
            // The warning is a message to the chat too: it takes the next reply's token, so the
            // chat gets no more than Telegram's one message a second (else Telegram answers 429).
            bucket.tokens -= 1.0;
        }
        Verdict::Drop { warn }
    }

    /// Whether a new bucket would decide as `bucket` does from `now` on: it is full again and its
    /// warning is over a minute old.
    fn forgettable(&self, bucket: &Bucket, now: Instant) -> bool {
        let idle = now.saturating_duration_since(bucket.updated).as_secs_f64();
        let full = bucket.tokens + idle * self.per_second >= self.burst;
        let warning_over = bucket.warned.is_none_or(|warned| now.saturating_duration_since(warned) >= WARNING_INTERVAL);
        full && warning_over
    }

    /// How many users have a bucket (for tests of the eviction).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.state.lock().expect("lock not poisoned").by_user.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    /// Judges a fresh update in the schema, as the webhook does.
    fn check(gate: &FloodGate, user: UserId, now: Instant) -> Verdict {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let update = UpdateId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        gate.check(update, user, now, Stage::Handling)
    }

    #[test]
    fn a_burst_passes_then_one_a_second_with_one_warning_a_minute() {
        let gate = FloodGate::new(10, 1.0);
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(check(&gate, ALICE, start), Verdict::Handle);
        }
        assert_eq!(check(&gate, ALICE, start), Verdict::Drop { warn: true });
        assert_eq!(check(&gate, ALICE, start), Verdict::Drop { warn: false });
        // Another person is not touched by Alice's flood.
        assert_eq!(check(&gate, BOB, start), Verdict::Handle);

        // The warning took the token of the next second: one message a second in all.
        let later = start + Duration::from_secs(1);
        assert_eq!(check(&gate, ALICE, later), Verdict::Drop { warn: false });
        let later = start + Duration::from_secs(2);
        assert_eq!(check(&gate, ALICE, later), Verdict::Handle);
        assert_eq!(check(&gate, ALICE, later), Verdict::Drop { warn: false });
        let a_minute_on = start + Duration::from_secs(60);
        for _ in 0..10 {
            assert_eq!(check(&gate, ALICE, a_minute_on), Verdict::Handle);
        }
        assert_eq!(check(&gate, ALICE, a_minute_on), Verdict::Drop { warn: true });
    }

    #[test]
    fn an_update_admitted_on_arrival_takes_one_token_only() {
        let gate = FloodGate::new(2, 1.0);
        let now = Instant::now();
        assert_eq!(gate.check(UpdateId(1), ALICE, now, Stage::Arrival), Verdict::Handle);
        assert_eq!(gate.check(UpdateId(1), ALICE, now, Stage::Handling), Verdict::Handle);
        assert_eq!(gate.check(UpdateId(2), ALICE, now, Stage::Arrival), Verdict::Handle);
        assert_eq!(gate.check(UpdateId(3), ALICE, now, Stage::Arrival), Verdict::Drop { warn: true });
        // Admitted on arrival, it passes the schema although the bucket is empty by now.
        assert_eq!(gate.check(UpdateId(2), ALICE, now, Stage::Handling), Verdict::Handle);
        // Judged in the schema alone, an update takes its token there.
        assert_eq!(gate.check(UpdateId(4), ALICE, now, Stage::Handling), Verdict::Drop { warn: false });
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let gate = FloodGate::new(10, 1.0);
        let start = Instant::now();
        for user in 0..1000 {
            check(&gate, UserId(user), start);
        }
        assert_eq!(gate.tracked(), 1000);
        // A minute on, only the person still flooding keeps a bucket.
        let later = start + SWEEP_INTERVAL * 2;
        for _ in 0..20 {
            check(&gate, ALICE, later - Duration::from_secs(1));
        }
        check(&gate, BOB, later);
        assert_eq!(gate.tracked(), 2, "Alice is still limited and Bob just came");
    }
}
