//! Flood control: a token bucket per Telegram user, in memory, consulted before any handler, so
//! one person sending hundreds of updates costs the database nothing and cannot use up Telegram's
//! budget for everybody else.
//!
//! A user's bucket holds up to `burst` tokens and gains `per_second` a second; each update takes
//! one. An update finding the bucket empty is dropped; the first dropped update of a minute gets a
//! «please slow down». Buckets idle long enough to be full again are forgotten (they would admit
//! the same updates as a new one), so the map holds only the users of the last minute or so.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use teloxide::types::UserId;

/// How often a dropping user is told to slow down, at most.
const WARNING_INTERVAL: Duration = Duration::from_secs(60);
/// How often idle buckets are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// What to do with one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Handle,
    /// Drop it; `warn`: tell the person to slow down (the first drop of a minute).
    Drop {
        warn: bool,
    },
}

/// The buckets of all users, shared by every update of this process.
pub struct FloodGate {
    burst: f64,
    per_second: f64,
    state: Mutex<Buckets>,
}

struct Buckets {
    by_user: HashMap<UserId, Bucket>,
    last_sweep: Instant,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    warned: Option<Instant>,
}

impl FloodGate {
    pub fn new(burst: u32, per_second: f64) -> Self {
        let state = Buckets { by_user: HashMap::new(), last_sweep: Instant::now() };
        FloodGate { burst: f64::from(burst), per_second, state: Mutex::new(state) }
    }

    /// Takes a token of `user`'s bucket, if there is one, at `now`.
    pub fn check(&self, user: UserId, now: Instant) -> Verdict {
        let mut state = self.state.lock().expect("lock not poisoned");
        if now.saturating_duration_since(state.last_sweep) >= SWEEP_INTERVAL {
            state.last_sweep = now;
            state.by_user.retain(|_, bucket| !self.forgettable(bucket, now));
        }
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

    #[test]
    fn a_burst_passes_then_one_a_second_with_one_warning_a_minute() {
        let gate = FloodGate::new(10, 1.0);
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(gate.check(ALICE, start), Verdict::Handle);
        }
        assert_eq!(gate.check(ALICE, start), Verdict::Drop { warn: true });
        assert_eq!(gate.check(ALICE, start), Verdict::Drop { warn: false });
        // Another person is not touched by Alice's flood.
        assert_eq!(gate.check(BOB, start), Verdict::Handle);

        let later = start + Duration::from_secs(1);
        assert_eq!(gate.check(ALICE, later), Verdict::Handle);
        assert_eq!(gate.check(ALICE, later), Verdict::Drop { warn: false });
        let a_minute_on = start + Duration::from_secs(60);
        for _ in 0..10 {
            assert_eq!(gate.check(ALICE, a_minute_on), Verdict::Handle);
        }
        assert_eq!(gate.check(ALICE, a_minute_on), Verdict::Drop { warn: true });
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let gate = FloodGate::new(10, 1.0);
        let start = Instant::now();
        for user in 0..1000 {
            gate.check(UserId(user), start);
        }
        assert_eq!(gate.tracked(), 1000);
        // A minute on, only the person still flooding keeps a bucket.
        let later = start + SWEEP_INTERVAL * 2;
        for _ in 0..20 {
            gate.check(ALICE, later - Duration::from_secs(1));
        }
        gate.check(BOB, later);
        assert_eq!(gate.tracked(), 2, "Alice is still limited and Bob just came");
    }
}
