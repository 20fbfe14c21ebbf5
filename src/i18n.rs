//! User-facing text: Fluent messages from `locales/<lang>/*.ftl`, embedded in the binary.
//! No user-facing literal lives anywhere else (questionnaire text lives with the questionnaire).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::langid;

use crate::survey::Lang;

const RU: &[&str] = &[
    include_str!("../locales/ru/survey.ftl"),
    include_str!("../locales/ru/admin.ftl"),
    include_str!("../locales/ru/export.ftl"),
    include_str!("../locales/ru/digest.ftl"),
    include_str!("../locales/ru/report.ftl"),
    include_str!("../locales/ru/poster.ftl"),
    include_str!("../locales/ru/campaigns.ftl"),
    include_str!("../locales/ru/kit.ftl"),
    include_str!("../locales/ru/invite.ftl"),
    include_str!("../locales/ru/stats.ftl"),
    include_str!("../locales/ru/roster.ftl"),
    include_str!("../locales/ru/cli.ftl"),
];
const EN: &[&str] = &[
    include_str!("../locales/en/survey.ftl"),
    include_str!("../locales/en/admin.ftl"),
    include_str!("../locales/en/export.ftl"),
    include_str!("../locales/en/digest.ftl"),
    include_str!("../locales/en/report.ftl"),
    include_str!("../locales/en/poster.ftl"),
    include_str!("../locales/en/campaigns.ftl"),
    include_str!("../locales/en/kit.ftl"),
    include_str!("../locales/en/invite.ftl"),
    include_str!("../locales/en/stats.ftl"),
    include_str!("../locales/en/roster.ftl"),
    include_str!("../locales/en/cli.ftl"),
];

/// The message bundles of every supported language.
pub struct Texts {
    ru: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Texts")
    }
}

fn bundle(lang: unic_langid::LanguageIdentifier, sources: &[&str]) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Telegram shows Unicode isolation marks as stray characters.
    bundle.set_use_isolating(false);
    for source in sources {
        let resource = FluentResource::try_new(source.to_string()).expect("the embedded .ftl files parse (tested)");
        bundle.add_resource(resource).expect("message ids are unique (tested)");
    }
    bundle
}

impl Default for Texts {
    fn default() -> Self {
        Texts { ru: bundle(langid!("ru"), RU), en: bundle(langid!("en"), EN) }
    }
}

/// Arguments for a message: `args![("count", 3), ("school", name)]`.
#[macro_export]
macro_rules! args {
    ($(($name:expr, $value:expr)),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut args = fluent_bundle::FluentArgs::new();
        $(args.set($name, fluent_bundle::FluentValue::from($value));)*
        args
    }};
}

impl Texts {
    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang`; a missing message yields its id (and a test fails).
    pub fn get(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, None)
    }

    pub fn get_with(&self, lang: Lang, id: &str, args: &FluentArgs) -> String {
        self.format(lang, id, Some(args))
    }

    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::error!(message_id = id, "missing message in the {} locale", lang.code());
            return id.to_string();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(message_id = id, ?errors, "cannot format message");
        }
        text.into_owned()
    }

    /// A number as Fluent needs it for plural selection.
    pub fn number(n: i64) -> FluentValue<'static> {
        FluentValue::from(n)
    }
}

/// A day as the language writes it: `ДД.ММ.ГГГГ` in Russian, ISO `YYYY-MM-DD` in English (the
/// two forms the command line reads back).
pub fn day(lang: Lang, day: chrono::NaiveDate) -> String {
    match lang {
        Lang::Ru => day.format("%d.%m.%Y").to_string(),
        Lang::En => day.format("%Y-%m-%d").to_string(),
    }
}

/// A percentage with one decimal, with the decimal comma in Russian.
pub fn percent(lang: Lang, value: f64) -> String {
    let text = format!("{value:.1}");
    if lang == Lang::Ru { text.replace('.', ",") } else { text }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn ids(sources: &[&str]) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for source in sources {
            let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(_, e)| panic!("{e:?}"));
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    assert!(ids.insert(m.id.name.to_string()), "duplicate id {}", m.id.name);
                }
            }
        }
        ids
    }

    #[test]
    fn every_language_has_the_same_messages() {
        assert_eq!(ids(RU), ids(EN));
    }

    /// Every message id quoted in the source code exists.
    #[test]
    fn every_id_the_code_uses_exists() {
        let known = ids(RU);
        let mut used = BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap();
            for piece in code.split('"').skip(1).step_by(2) {
                let is_id =
                    ["survey-", "admin-", "export-", "digest-", "report-", "poster-", "roster-", "cli-", "failure-"]
                        .iter()
                        .any(|p| piece.starts_with(p))
                        && piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if is_id {
                    used.insert(piece.to_string());
                }
            }
        }
        let missing: Vec<_> = used.difference(&known).collect();
        assert!(missing.is_empty(), "message ids used in code but missing in locales: {missing:?}");
    }

    #[test]
    fn russian_plurals() {
        let texts = Texts::default();
        let line = |n: i64| texts.get_with(Lang::Ru, "digest-days-left", &crate::args![("days", n)]);
        assert!(line(1).contains("1 день"), "{}", line(1));
        assert!(line(3).contains("3 дня"), "{}", line(3));
        assert!(line(5).contains("5 дней"), "{}", line(5));
        assert!(line(21).contains("21 день"), "{}", line(21));
        assert!(line(12).contains("12 дней"), "{}", line(12));
        assert!(!line(5).contains('\u{2068}'), "no isolation marks");
    }
}
