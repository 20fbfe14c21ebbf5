//! Settings: `bot.toml` (documented, non-secret defaults), then environment overrides.
//! Secrets (the bot token, the identity key) are read from the environment only, where used.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::csv_out::Dialect;
use crate::failure::{Expected, Failure};
use crate::report::SampleRule;
use crate::survey::Lang;
use crate::survey::scoring::{EmptyIndicators, Method, OpennessVariant};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub telegram: TelegramSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub survey: SurveySettings,
    pub privacy: PrivacySettings,
    pub digest: DigestSettings,
    pub report: ReportSettings,
    pub files: FileSettings,
    pub ui: UiSettings,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSettings {
    /// The command line's language (`ANKETA_LANGUAGE`); unset: the locale's (`LANG` and the
    /// like), Russian unless that says English.
    pub language: Option<Language>,
}

/// A language the command line speaks, as the settings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ru,
    En,
}

impl std::str::FromStr for Language {
    type Err = Failure;

    fn from_str(value: &str) -> Result<Self, Failure> {
        match value.trim() {
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            other => Err(setting("ANKETA_LANGUAGE", other, Expected::Language)),
        }
    }
}

impl From<Language> for Lang {
    fn from(language: Language) -> Lang {
        match language {
            Language::Ru => Lang::Ru,
            Language::En => Lang::En,
        }
    }
}

/// Just the `[ui]` table of a settings file, read leniently: `--help` is printed before the
/// settings load and must not fail on the rest of the file.
#[derive(Debug, Default, Deserialize)]
struct UiOnly {
    #[serde(default)]
    ui: UiOnlyTable,
}

#[derive(Debug, Default, Deserialize)]
struct UiOnlyTable {
    language: Option<String>,
}

/// The language setting without loading the settings: `ANKETA_LANGUAGE`, else `[ui] language`
/// of the file at `path` if it reads; a value that does not parse counts as unset here (loading
/// the settings then refuses it).
pub fn language_setting(path: &Path) -> Option<Lang> {
    let file = || {
        let text = std::fs::read_to_string(path).ok()?;
        toml::from_str::<UiOnly>(&text).ok()?.ui.language
    };
    let value = env_value("ANKETA_LANGUAGE").or_else(file)?;
    value.parse::<Language>().ok().map(Lang::from)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// Local time ("HH:MM") at which administrators get the daily digest, in their school's or
    /// municipality's timezone (the region's administrators: `survey.default_timezone`).
    #[serde(deserialize_with = "time_of_day")]
    pub time: NaiveTime,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings { time: NaiveTime::from_hms_opt(9, 0, 0).expect("a time of day") }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSettings {
    /// The bot's username (without @), for the links `links export` writes.
    pub bot_username: String,
    /// How updates arrive.
    pub mode: UpdateMode,
    /// Webhook mode: the public URL Telegram posts updates to; its path is the one the bot serves.
    pub webhook_url: String,
    /// Flood control: how many updates one person may send at once (`ANKETA_FLOOD_BURST`).
    pub flood_burst: u32,
    /// Flood control: how many updates a second one person may send after the burst
    /// (`ANKETA_FLOOD_PER_SECOND`).
    pub flood_per_second: f64,
    /// How many bulk messages (digests, reminders) a second every process of this bot sends in
    /// all, kept through the database (`ANKETA_BULK_PER_SECOND`); Telegram allows about 30.
    pub bulk_per_second: f64,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        TelegramSettings {
            bot_username: String::new(),
            mode: UpdateMode::default(),
            webhook_url: String::new(),
            flood_burst: 10,
            flood_per_second: 1.0,
            bulk_per_second: 25.0,
        }
    }
}

/// How the bot gets its updates from Telegram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateMode {
    /// The bot asks (`getUpdates`): nothing to expose to the internet, one process only.
    #[default]
    Polling,
    /// Telegram posts each update to `webhook_url`: any number of replicas behind a proxy.
    Webhook,
}

impl std::str::FromStr for UpdateMode {
    type Err = Failure;

    fn from_str(value: &str) -> Result<Self, Failure> {
        match value.trim() {
            "polling" => Ok(UpdateMode::Polling),
            "webhook" => Ok(UpdateMode::Webhook),
            other => Err(setting("telegram.mode", other, Expected::Mode)),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// The address (`host:port`) of the bot's HTTP server: the webhook, `GET /healthz` and
    /// `GET /metrics`. Empty: no server (allowed in polling mode only).
    #[serde(deserialize_with = "listen_address")]
    pub listen: Option<SocketAddr>,
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
    /// A school's timezone when the roster gives none (an IANA name in the file); also the
    /// region's own: release days, campaign states and times shown to operators.
    #[serde(deserialize_with = "timezone")]
    pub default_timezone: Tz,
    /// How long a draft waits untouched before its respondent gets its one reminder
    /// (`ANKETA_REMIND_AFTER`).
    #[serde(deserialize_with = "remind_after")]
    pub remind_after: chrono::Duration,
    /// The school's local hours in which no reminder is sent (`ANKETA_QUIET_HOURS`): it waits for
    /// the end of them.
    #[serde(deserialize_with = "quiet_hours")]
    pub quiet_hours: QuietHours,
}

/// Local hours from `start` until `end` (across midnight when `end` is earlier), as "21:00-09:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

impl std::str::FromStr for QuietHours {
    type Err = Failure;

    fn from_str(text: &str) -> Result<Self, Failure> {
        let refused = || setting("survey.quiet_hours", text, Expected::QuietHours);
        let (start, end) = text.split_once('-').ok_or_else(refused)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| refused());
        Ok(QuietHours { start: time(start)?, end: time(end)? })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Counts for a group (a class) are shown only from this many responses.
    pub min_group_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettings {
    /// How CSV files are written: `excel` (UTF-8 with BOM, `;`, decimal comma, CRLF: what a
    /// Russian Excel opens by double-click) or `rfc4180` (`,`, decimal point: for tools).
    pub csv: Dialect,
    /// The largest ZIP part of a link kit sent in Telegram, in bytes (`ANKETA_KIT_PART_BYTES`).
    pub kit_part_bytes: u64,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings { csv: Dialect::default(), kit_part_bytes: crate::kit::PART_BYTES }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// How indicator 1.3 combines the stands (q2) and the website (q4): `per-answered`, each source
    /// among those who used it, or `per-respondent`, both over twice the number of respondents.
    pub openness_variant: OpennessVariant,
    /// What a criterion does with a survey indicator nobody could answer (3.3, 4.3, 1.3):
    /// `reweight` or `strict` (`ANKETA_REPORT_EMPTY_INDICATORS`).
    pub empty_indicators: EmptyIndicators,
    /// The minimum sample of a school, in percent of its students (`ANKETA_REPORT_SAMPLE_MIN_PERCENT`).
    pub sample_min_percent: u32,
    /// The most a school's minimum sample can ask; 0: no cap (`ANKETA_REPORT_SAMPLE_CAP`).
    pub sample_cap: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            openness_variant: OpennessVariant::default(),
            empty_indicators: EmptyIndicators::default(),
            sample_min_percent: 40,
            sample_cap: 600,
        }
    }
}

impl ReportSettings {
    pub fn method(&self) -> Method {
        Method { openness: self.openness_variant, empty: self.empty_indicators }
    }

    pub fn sample(&self) -> SampleRule {
        SampleRule { percent: self.sample_min_percent, cap: self.sample_cap }
    }
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
            default_timezone: chrono_tz::Europe::Moscow,
            remind_after: chrono::Duration::hours(24),
            quiet_hours: QuietHours {
                start: NaiveTime::from_hms_opt(21, 0, 0).expect("a time of day"),
                end: NaiveTime::from_hms_opt(9, 0, 0).expect("a time of day"),
            },
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
            Ok(text) => {
                let mut settings =
                    toml::from_str::<Settings>(&text).map_err(|e| Failure::SettingsInvalid(path.to_path_buf(), e))?;
                // Relative paths are beside the settings file, wherever the command runs from:
                // otherwise a command run from another folder makes a new empty database, or finds
                // no questionnaires.
                let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let beside = |relative: &Path| {
                    let joined = folder.join(relative);
                    std::path::absolute(&joined).unwrap_or(joined)
                };
                if let Some(file) = crate::db::sqlite_file(&settings.database.url).filter(|f| f.is_relative()) {
                    let options =
                        settings.database.url.split_once('?').map(|(_, o)| format!("?{o}")).unwrap_or_default();
                    settings.database.url = format!("sqlite://{}{options}", beside(&file).display());
                }
                if settings.survey.questionnaires_dir.is_relative() {
                    settings.survey.questionnaires_dir = beside(&settings.survey.questionnaires_dir);
                }
                settings
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Settings::default(),
            Err(e) => {
                return Err(Failure::SettingsUnreadable(path.to_path_buf(), e).into());
            }
        };
        if let Some(url) = env_value("ANKETA_DATABASE_URL") {
            settings.database.url = url;
        }
        if let Some(name) = env_value("ANKETA_BOT_USERNAME") {
            settings.telegram.bot_username = name;
        }
        if let Some(bytes) = env_value("ANKETA_KIT_PART_BYTES") {
            settings.files.kit_part_bytes =
                bytes.trim().parse().map_err(|_| setting("ANKETA_KIT_PART_BYTES", &bytes, Expected::Positive))?;
        }
        if let Some(mode) = env_value("ANKETA_TELEGRAM_MODE") {
            settings.telegram.mode = mode.parse()?;
        }
        if let Some(url) = env_value("ANKETA_WEBHOOK_URL") {
            settings.telegram.webhook_url = url;
        }
        if let Some(burst) = env_value("ANKETA_FLOOD_BURST") {
            settings.telegram.flood_burst =
                burst.trim().parse().map_err(|_| setting("ANKETA_FLOOD_BURST", &burst, Expected::Positive))?;
        }
        if let Some(rate) = env_value("ANKETA_FLOOD_PER_SECOND") {
            settings.telegram.flood_per_second =
                rate.trim().parse().map_err(|_| setting("ANKETA_FLOOD_PER_SECOND", &rate, Expected::Rate))?;
        }
        if let Some(rate) = env_value("ANKETA_BULK_PER_SECOND") {
            settings.telegram.bulk_per_second =
                rate.trim().parse().map_err(|_| setting("ANKETA_BULK_PER_SECOND", &rate, Expected::Rate))?;
        }
        if let Some(listen) = env_value("ANKETA_LISTEN") {
            settings.server.listen = Some(parse_listen(&listen)?);
        }
        if let Some(after) = env_value("ANKETA_REMIND_AFTER") {
            settings.survey.remind_after =
                parse_duration(&after).map_err(|_| setting("ANKETA_REMIND_AFTER", &after, Expected::Duration))?;
        }
        if let Some(hours) = env_value("ANKETA_QUIET_HOURS") {
            settings.survey.quiet_hours = hours.parse()?;
        }
        if let Some(language) = env_value("ANKETA_LANGUAGE") {
            settings.ui.language = Some(language.parse()?);
        }
        if let Some(policy) = env_value("ANKETA_REPORT_EMPTY_INDICATORS") {
            settings.report.empty_indicators = policy
                .parse()
                .map_err(|()| setting("ANKETA_REPORT_EMPTY_INDICATORS", &policy, Expected::EmptyIndicators))?;
        }
        if let Some(percent) = env_value("ANKETA_REPORT_SAMPLE_MIN_PERCENT") {
            settings.report.sample_min_percent = percent
                .trim()
                .parse()
                .map_err(|_| setting("ANKETA_REPORT_SAMPLE_MIN_PERCENT", &percent, Expected::Percent))?;
        }
        if let Some(cap) = env_value("ANKETA_REPORT_SAMPLE_CAP") {
            settings.report.sample_cap =
                cap.trim().parse().map_err(|_| setting("ANKETA_REPORT_SAMPLE_CAP", &cap, Expected::Count))?;
        }
        settings.telegram.bot_username = settings.telegram.bot_username.trim_start_matches('@').to_string();
        if settings.survey.draft_retention_days == 0 {
            return Err(setting("survey.draft_retention_days", "0", Expected::Positive).into());
        }
        if settings.telegram.mode == UpdateMode::Webhook {
            settings.telegram.webhook()?;
            if settings.server.listen.is_none() {
                return Err(Failure::WebhookNeedsListen.into());
            }
        }
        if settings.telegram.flood_burst == 0 {
            return Err(setting("telegram.flood_burst", "0", Expected::Positive).into());
        }
        let rate = settings.telegram.flood_per_second;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(setting("telegram.flood_per_second", &rate.to_string(), Expected::Rate).into());
        }
        let rate = settings.telegram.bulk_per_second;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(setting("telegram.bulk_per_second", &rate.to_string(), Expected::Rate).into());
        }
        if !(1..=100).contains(&settings.report.sample_min_percent) {
            let got = settings.report.sample_min_percent.to_string();
            return Err(setting("report.sample_min_percent", &got, Expected::Percent).into());
        }
        if settings.privacy.min_group_size < 1 {
            let got = settings.privacy.min_group_size.to_string();
            return Err(setting("privacy.min_group_size", &got, Expected::Positive).into());
        }
        Ok(settings)
    }
}

impl TelegramSettings {
    /// The webhook's public URL, checked.
    pub fn webhook(&self) -> anyhow::Result<reqwest::Url> {
        let refused = || setting("telegram.webhook_url", &redact_url(&self.webhook_url), Expected::WebhookUrl);
        let url = reqwest::Url::parse(self.webhook_url.trim()).map_err(|_| refused())?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(refused().into());
        }
        Ok(url)
    }
}

/// A URL as a message or a log may show it: a password in it (`user:password@`, or a `password=`
/// parameter as PostgreSQL URLs allow) becomes `***`. Works on text, not on a parsed URL, since
/// the messages that echo a URL are often about one that does not parse; where it cannot tell a
/// password from the rest (an unescaped `@` further on), it hides more, never less.
pub fn redact_url(url: &str) -> String {
    let mut redacted = url.to_string();
    if let Some(scheme) = url.find("://") {
        let start = scheme + 3;
        if let Some(at) = url[start..].rfind('@')
            && let Some(colon) = url[start..start + at].find(':')
        {
            redacted = format!("{}:***{}", &url[..start + colon], &url[start + at..]);
        }
    }
    if let Some((base, query)) = redacted.split_once('?') {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((key, _)) if ["password", "sslpassword"].iter().any(|p| key.eq_ignore_ascii_case(p)) => {
                    format!("{key}=***")
                }
                _ => parameter.to_string(),
            })
            .collect();
        redacted = format!("{base}?{}", parameters.join("&"));
    }
    redacted
}

/// `survey.default_timezone`: an IANA name, read once into a time zone.
fn timezone<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.trim()
        .parse()
        .map_err(|_| serde::de::Error::custom(setting("survey.default_timezone", &name, Expected::Timezone)))
}

/// `digest.time`: "HH:MM".
fn time_of_day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| serde::de::Error::custom(setting("digest.time", &text, Expected::TimeOfDay)))
}

/// `survey.remind_after`: a duration such as "24h".
fn remind_after<'de, D: Deserializer<'de>>(deserializer: D) -> Result<chrono::Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text)
        .map_err(|_| serde::de::Error::custom(setting("survey.remind_after", &text, Expected::Duration)))
}

/// `survey.quiet_hours`: "HH:MM-HH:MM".
fn quiet_hours<'de, D: Deserializer<'de>>(deserializer: D) -> Result<QuietHours, D::Error> {
    String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
}

/// Parses `7d`, `48h`, `90m` or a plain number of days.
pub fn parse_duration(text: &str) -> anyhow::Result<chrono::Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 'd'),
    };
    let n: i64 = number.parse().ok().filter(|n| *n > 0).ok_or_else(|| Failure::BadDuration(text.to_string()))?;
    Ok(match unit {
        'd' => chrono::Duration::days(n),
        'h' => chrono::Duration::hours(n),
        'm' => chrono::Duration::minutes(n),
        _ => return Err(Failure::BadDuration(text.to_string()).into()),
    })
}

/// `server.listen`: empty for none, else `host:port`.
fn listen_address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_listen(&text).map(Some).map_err(serde::de::Error::custom)
}

fn parse_listen(text: &str) -> Result<SocketAddr, Failure> {
    text.trim().parse().map_err(|_| setting("server.listen", text, Expected::Address))
}

/// A setting refused, with the value as given (a URL already redacted by the caller).
fn setting(name: &'static str, got: &str, expected: Expected) -> Failure {
    Failure::Setting { name, got: got.to_string(), expected }
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
        assert_eq!(shipped.report.empty_indicators, defaults.report.empty_indicators);
        assert_eq!(shipped.report.sample_min_percent, defaults.report.sample_min_percent);
        assert_eq!(shipped.report.sample_cap, defaults.report.sample_cap);
        assert_eq!(shipped.files.csv, defaults.files.csv);
        assert_eq!(shipped.telegram.mode, defaults.telegram.mode);
        assert_eq!(shipped.telegram.webhook_url, defaults.telegram.webhook_url);
        assert_eq!(shipped.telegram.flood_burst, defaults.telegram.flood_burst);
        assert_eq!(shipped.telegram.flood_per_second, defaults.telegram.flood_per_second);
        assert_eq!(shipped.telegram.bulk_per_second, defaults.telegram.bulk_per_second);
        assert_eq!(shipped.server.listen, defaults.server.listen);
        assert_eq!(shipped.ui.language, defaults.ui.language);
        assert_eq!(shipped.survey.remind_after, defaults.survey.remind_after);
        assert_eq!(shipped.survey.quiet_hours, defaults.survey.quiet_hours);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), chrono::Duration::days(7));
        assert_eq!(parse_duration("48h").unwrap(), chrono::Duration::hours(48));
        assert_eq!(parse_duration("90m").unwrap(), chrono::Duration::minutes(90));
        assert_eq!(parse_duration("3").unwrap(), chrono::Duration::days(3));
        for bad in ["", "d", "-1d", "0d", "7w", "seven"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_hours_may_run_across_midnight() {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let night: QuietHours = "21:00-09:00".parse().unwrap();
        assert!(night.contains(at(23, 0)) && night.contains(at(21, 0)) && night.contains(at(8, 59)));
        assert!(!night.contains(at(9, 0)) && !night.contains(at(20, 59)) && !night.contains(at(12, 0)));
        let lunch: QuietHours = "13:00-14:00".parse().unwrap();
        assert!(lunch.contains(at(13, 30)) && !lunch.contains(at(14, 0)) && !lunch.contains(at(9, 0)));
        for bad in ["21:00", "21-09", "25:00-09:00", ""] {
            assert!(bad.parse::<QuietHours>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_in_urls_are_redacted_and_nothing_else_changes() {
        for (url, shown) in [
            ("postgres://anketa:s3cret@db:5432/anketa", "postgres://anketa:***@db:5432/anketa"),
            ("postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
            ("postgres://u:p@ss/w@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db?sslmode=require&password=s3cret", "postgres://u@h/db?sslmode=require&password=***"),
            ("postgres://u@h/db?PASSWORD=s3cret", "postgres://u@h/db?PASSWORD=***"),
            ("mysql://root:toor@localhost/db", "mysql://root:***@localhost/db"),
            ("https://user:token@api.example/bot", "https://user:***@api.example/bot"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        for unchanged in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://h:5432/db",
            "sqlite://anketa.db",
            "sqlite:///var/lib/anketa/anketa.db",
            "https://anketa.example/telegram/webhook?x=1",
            "not a url",
            "",
        ] {
            assert_eq!(redact_url(unchanged), unchanged);
        }
    }

    fn load_text(text: &str) -> anyhow::Result<Settings> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        Settings::load(file.path(), true)
    }

    #[test]
    fn webhook_mode_needs_a_public_url_and_a_listening_address() {
        let no_url = load_text("[telegram]\nmode = \"webhook\"\n[server]\nlisten = \"127.0.0.1:8080\"\n");
        let texts = crate::i18n::Texts::default();
        let shown = |e: anyhow::Error| crate::failure::render(&e, &texts, Lang::Ru);
        assert!(shown(no_url.unwrap_err()).contains("ANKETA_WEBHOOK_URL"));
        let no_listen = load_text("[telegram]\nmode = \"webhook\"\nwebhook_url = \"https://a.example/hook\"\n");
        assert!(shown(no_listen.unwrap_err()).contains("ANKETA_LISTEN"));
        let bad_mode = load_text("[telegram]\nmode = \"push\"\n");
        assert!(bad_mode.is_err());
        let fine = load_text(
            "[telegram]\nmode = \"webhook\"\nwebhook_url = \"https://a.example/hook\"\n[server]\nlisten = \"0.0.0.0:8080\"\n",
        )
        .unwrap();
        assert_eq!(fine.telegram.webhook().unwrap().path(), "/hook");
    }

    #[test]
    fn settings_are_typed_once_and_a_bad_value_is_named() {
        let fine = load_text(
            "[survey]\ndefault_timezone = \"Asia/Irkutsk\"\n[digest]\ntime = \"18:30\"\n[server]\nlisten = \"127.0.0.1:9\"\n",
        )
        .unwrap();
        assert_eq!(fine.survey.default_timezone, chrono_tz::Asia::Irkutsk);
        assert_eq!(fine.digest.time, NaiveTime::from_hms_opt(18, 30, 0).unwrap());
        assert_eq!(fine.server.listen, Some("127.0.0.1:9".parse().unwrap()));
        assert_eq!(load_text("[server]\nlisten = \"\"\n").unwrap().server.listen, None);
        for (text, named) in [
            ("[survey]\ndefault_timezone = \"Moscow\"\n", "survey.default_timezone"),
            ("[digest]\ntime = \"9 утра\"\n", "digest.time"),
            ("[server]\nlisten = \"localhost\"\n", "server.listen"),
            ("[report]\nsample_min_percent = 0\n", "report.sample_min_percent"),
            ("[report]\nempty_indicators = \"as_100\"\n", "empty_indicators"),
        ] {
            let error = format!("{:#}", load_text(text).unwrap_err());
            assert!(error.contains(named), "{text}: {error}");
        }
    }
}
