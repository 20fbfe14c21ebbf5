//! The time. Normally the system clock; `ANKETA_CLOCK=2026-11-24T09:00:00+08:00` starts the clock
//! at a chosen instant instead, from which it runs at normal speed — for rehearsing a campaign's
//! schedule (digests at 09:00 in each school's timezone) and for tests, without waiting for a day.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { offset: Duration::zero() }
    }

    /// The system clock, or the one `ANKETA_CLOCK` sets.
    pub fn from_env() -> anyhow::Result<Clock> {
        match std::env::var("ANKETA_CLOCK").ok().filter(|v| !v.trim().is_empty()) {
            None => Ok(Clock::system()),
            Some(text) => {
                let start = DateTime::parse_from_rfc3339(text.trim())
                    .map_err(|_| crate::failure::Failure::BadClock(text.clone()))?;
                tracing::warn!(clock = %start, "the clock is set by ANKETA_CLOCK");
                Ok(Clock { offset: start.with_timezone(&Utc) - Utc::now() })
            }
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_starts_where_it_was_set_and_runs() {
        let start = DateTime::parse_from_rfc3339("2030-01-02T09:00:00+08:00").unwrap().with_timezone(&Utc);
        let clock = Clock { offset: start - Utc::now() };
        let now = clock.now();
        assert!(now >= start && now - start < Duration::seconds(5));
        assert!((Clock::system().now() - Utc::now()).num_seconds().abs() < 5);
    }
}
