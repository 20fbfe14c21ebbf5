//! Campaign facts free of Telegram and SQL: days as operators type them (`ДД.ММ.ГГГГ`, `Д.М.ГГГГ`
//! or ISO `ГГГГ-ММ-ДД`) and the state a campaign is in on a given local day.

use chrono::NaiveDate;

/// A day that could not be read, with the text as typed. People read it through Fluent
/// (`failure-date`, naming both forms); this wording is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the date {0:?}: write DD.MM.YYYY (23.11.2026) or YYYY-MM-DD (2026-11-23)")]
pub struct DateError(pub String);

/// Reads a day typed as `ДД.ММ.ГГГГ` (also `Д.М.ГГГГ`) or `ГГГГ-ММ-ДД`.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let trimmed = text.trim();
    let error = || DateError(trimmed.to_string());
    let (day, month, year) = if let Some((year, rest)) = trimmed.split_once('-') {
        let (month, day) = rest.split_once('-').ok_or_else(error)?;
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(error());
        }
        (day, month, year)
    } else {
        let mut parts = trimmed.split('.');
        let (Some(day), Some(month), Some(year), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        if !(1..=2).contains(&day.len()) || !(1..=2).contains(&month.len()) || year.len() != 4 {
            return Err(error());
        }
        (day, month, year)
    };
    let number = |part: &str| -> Result<u32, DateError> {
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().map_err(|_| error()) } else { Err(error()) }
    };
    let year = i32::try_from(number(year)?).map_err(|_| error())?;
    NaiveDate::from_ymd_opt(year, number(month)?, number(day)?).ok_or_else(error)
}

/// Where a campaign stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    /// Before its first day.
    Scheduled,
    /// Between its first and last day, both included.
    Open,
    /// After its last day, not closed.
    Ended,
    /// Closed by an operator.
    Closed,
}

impl CampaignState {
    /// The state of a campaign running `starts_on..=ends_on` on the local day `today`.
    pub fn on(today: NaiveDate, starts_on: NaiveDate, ends_on: NaiveDate, closed: bool) -> CampaignState {
        if closed {
            CampaignState::Closed
        } else if today < starts_on {
            CampaignState::Scheduled
        } else if today > ends_on {
            CampaignState::Ended
        } else {
            CampaignState::Open
        }
    }

    /// The id of the state's word in the Fluent files.
    pub fn message_id(self) -> &'static str {
        match self {
            CampaignState::Scheduled => "campaigns-state-scheduled",
            CampaignState::Open => "campaigns-state-open",
            CampaignState::Ended => "campaigns-state-ended",
            CampaignState::Closed => "campaigns-state-closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn both_forms_are_read() {
        assert_eq!(parse_date("23.11.2026"), Ok(day(2026, 11, 23)));
        assert_eq!(parse_date(" 3.1.2027 "), Ok(day(2027, 1, 3)));
        assert_eq!(parse_date("03.01.2027"), Ok(day(2027, 1, 3)));
        assert_eq!(parse_date("2026-11-23"), Ok(day(2026, 11, 23)));
        assert_eq!(parse_date("29.02.2028"), Ok(day(2028, 2, 29)));
    }

    #[test]
    fn anything_else_is_refused_keeping_the_text() {
        for bad in [
            "",
            "31.11.2026",
            "29.02.2027",
            "23.11.26",
            "23/11/2026",
            "2026-1-3",
            "23.11.2026.1",
            "+3.11.2026",
            "завтра",
            "23.11",
            "2026-11-23T00:00",
            "１.１.2026",
        ] {
            let error = parse_date(bad).expect_err(bad);
            assert_eq!(error.0, bad.trim(), "the text as typed is kept for the message");
        }
    }

    #[test]
    fn state_follows_the_local_day() {
        let (starts, ends) = (day(2026, 11, 23), day(2026, 12, 20));
        assert_eq!(CampaignState::on(day(2026, 11, 22), starts, ends, false), CampaignState::Scheduled);
        assert_eq!(CampaignState::on(starts, starts, ends, false), CampaignState::Open);
        assert_eq!(CampaignState::on(ends, starts, ends, false), CampaignState::Open);
        assert_eq!(CampaignState::on(day(2026, 12, 21), starts, ends, false), CampaignState::Ended);
        assert_eq!(CampaignState::on(day(2026, 12, 1), starts, ends, true), CampaignState::Closed);
        assert_eq!(CampaignState::on(day(2026, 11, 1), starts, ends, true), CampaignState::Closed);
    }
}
