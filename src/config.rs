//! Settings: `bot.toml` (documented, non-secret defaults), then environment overrides.
//! Secrets (the bot token, the identity key) are read from the environment only, where used.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::survey::scoring::OpennessVariant;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub telegram: TelegramSettings,
    pub database: DatabaseSettings,
    pub survey: SurveySettings,
    pub privacy: PrivacySettings,
    pub digest: DigestSettings,
    pub report: ReportSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// Local time ("HH:MM") at which administrators get the daily digest, in their school's or
    /// municipality's timezone (the region's administrators: `survey.default_timezone`).
    pub time: String,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings { time: "09:00".into() }
    }
}

impl DigestSettings {
    pub fn time_of_day(&self) -> anyhow::Result<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
            .map_err(|_| anyhow::anyhow!("digest.time {:?} is not a time of day like 09:00", self.time))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSettings {
    /// The bot's username (without @), for the links `links export` writes.
    pub bot_username: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveySettings {
    /// Where `campaign create` and `questionnaire check` look up questionnaire ids.
    pub questionnaires_dir: PathBuf,
    /// Unfinished answers untouched this many days are deleted.
    pub draft_retention_days: u32,
    /// A school's timezone when the roster gives none (IANA name).
    pub default_timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Counts for a group (a class) are shown only from this many responses.
    pub min_group_size: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// How indicator 1.3 combines the stands (q2) and the website (q4): `per-answered`, each source
    /// among those who used it, or `per-respondent`, both over twice the number of respondents.
    pub openness_variant: OpennessVariant,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings { url: "sqlite://anketa.db".into() }
    }
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            questionnaires_dir: PathBuf::from("questionnaires"),
            draft_retention_days: 30,
            default_timezone: "Europe/Moscow".into(),
        }
    }
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings { min_group_size: 5 }
    }
}

impl Settings {
    /// Reads `path` (a missing default `bot.toml` means built-in defaults; a missing file given
    /// with `--config` is an error), then applies `ANKETA_DATABASE_URL` and `ANKETA_BOT_USERNAME`.
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<Settings> {
        let mut settings = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str::<Settings>(&text)
                .with_context(|| format!("the settings file {} is not valid", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Settings::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read the settings file {}", path.display()));
            }
        };
        if let Some(url) = env_value("ANKETA_DATABASE_URL") {
            settings.database.url = url;
        }
        if let Some(name) = env_value("ANKETA_BOT_USERNAME") {
            settings.telegram.bot_username = name;
        }
        settings.telegram.bot_username = settings.telegram.bot_username.trim_start_matches('@').to_string();
        settings.survey.default_timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow::anyhow!(
                "survey.default_timezone {:?} is not an IANA timezone name",
                settings.survey.default_timezone
            )
        })?;
        if settings.survey.draft_retention_days == 0 {
            anyhow::bail!("survey.draft_retention_days must be at least 1");
        }
        settings.digest.time_of_day()?;
        if settings.privacy.min_group_size < 1 {
            anyhow::bail!("privacy.min_group_size must be at least 1");
        }
        Ok(settings)
    }
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_bot_toml_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let shipped: Settings = toml::from_str(&text).unwrap();
        let defaults = Settings::default();
        assert_eq!(shipped.database.url, defaults.database.url);
        assert_eq!(shipped.survey.draft_retention_days, defaults.survey.draft_retention_days);
        assert_eq!(shipped.survey.default_timezone, defaults.survey.default_timezone);
        assert_eq!(shipped.privacy.min_group_size, defaults.privacy.min_group_size);
        assert_eq!(shipped.survey.questionnaires_dir, defaults.survey.questionnaires_dir);
        assert_eq!(shipped.digest.time, defaults.digest.time);
        assert_eq!(shipped.report.openness_variant, defaults.report.openness_variant);
    }
}
