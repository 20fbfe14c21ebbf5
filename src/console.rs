//! What the command line says, and in which language: the language chosen once (the `[ui]
//! language` setting or `ANKETA_LANGUAGE`, else the locale, else Russian), every line printed
//! through Fluent, and `--help` rebuilt from clap's derive with each text, heading and flag from
//! Fluent (`cli-<command path>-about`, `cli-<command path>-arg-<argument>`).
//!
//! `--help` is printed before the settings load, so its language comes from
//! [`crate::config::language_setting`]: `ANKETA_LANGUAGE`, else the `[ui]` table of the
//! `--config` file (read alone, leniently), else the locale. The commands use the loaded
//! settings; both read the same sources, so they agree whenever the settings file is valid.
//! clap's parse errors are reworded from their parts ([`parse_error`]); the rarer kinds not
//! worded here keep clap's English.

use std::ffi::OsString;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};
use fluent_bundle::FluentArgs;

use crate::cli::Cli;
use crate::i18n::{self, Texts};
use crate::survey::Lang;

/// The language the locale asks for: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set,
/// English if it starts with `en`, else Russian (`C`, `POSIX` and unset included).
pub fn locale_language() -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    match locale {
        Some(locale) if locale.starts_with("en") => Lang::En,
        _ => Lang::Ru,
    }
}

/// The command line's language from a setting, else the locale.
pub fn choose(setting: Option<Lang>) -> Lang {
    setting.unwrap_or_else(locale_language)
}

/// The `--config` path among raw arguments, before clap parses them (for the help's language).
fn config_path(args: &[OsString]) -> PathBuf {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            if let Some(path) = args.next() {
                return PathBuf::from(path);
            }
        } else if let Some(path) = arg.strip_prefix("--config=") {
            return PathBuf::from(path);
        }
    }
    PathBuf::from("bot.toml")
}

/// The language before the settings load: for `--help`, and for errors loading them.
pub fn early_language(args: &[OsString]) -> Lang {
    choose(crate::config::language_setting(&config_path(args)))
}

/// Prints through Fluent in one language.
#[derive(Debug)]
pub struct Console {
    pub texts: Texts,
    pub lang: Lang,
}

impl Console {
    pub fn new(lang: Lang) -> Console {
        Console { texts: Texts::default(), lang }
    }

    pub fn text(&self, id: &str, args: &FluentArgs) -> String {
        self.texts.get_with(self.lang, id, args)
    }

    /// A result line, on stdout.
    pub fn say(&self, id: &str, args: &FluentArgs) {
        println!("{}", self.text(id, args));
    }

    /// Progress and notes, on stderr (stdout stays the result, for scripts).
    pub fn note(&self, id: &str, args: &FluentArgs) {
        eprintln!("{}", self.text(id, args));
    }

    pub fn day(&self, day: NaiveDate) -> String {
        i18n::day(self.lang, day)
    }

    /// An error chain as the operator reads it, typed refusals in this language.
    pub fn error(&self, error: &anyhow::Error) -> String {
        let reason = crate::failure::render(error, &self.texts, self.lang);
        self.text("cli-error", &crate::args![("reason", reason)])
    }
}

/// The whole command tree with its help in `lang`.
pub fn command(texts: &Texts, lang: Lang) -> Command {
    let t = |id: &str| texts.get(lang, id);
    let mut root = localise(Cli::command(), "cli", texts, lang).disable_version_flag(true).arg(
        Arg::new("version")
            .short('V')
            .long("version")
            .action(ArgAction::Version)
            .help(t("cli-flag-version"))
            .help_heading(t("cli-heading-options")),
    );
    root.build();
    override_usages(&mut root, &format!("[{}]", t("cli-placeholder-options")));
    root
}

/// Sets the texts of `command` (whose Fluent ids start with `path`) and of everything under it.
fn localise(command: Command, path: &str, texts: &Texts, lang: Lang) -> Command {
    let t = |id: &str| texts.get(lang, id);
    let (options, arguments) = (t("cli-heading-options"), t("cli-heading-arguments"));
    let template =
        format!("{{about-with-newline}}\n{}: {{usage}}\n\n{{all-args}}{{after-help}}", t("cli-heading-usage"));
    let mut command = command
        .about(t(&format!("{path}-about")))
        .long_about(None::<&str>)
        .help_template(template)
        .subcommand_help_heading(t("cli-heading-commands"))
        .subcommand_value_name(t("cli-placeholder-command"))
        .disable_help_subcommand(true)
        .disable_help_flag(true);
    let ids: Vec<String> = command.get_arguments().map(|a| a.get_id().to_string()).collect();
    for id in ids {
        let name = id.replace('_', "-");
        let heading = if command.get_arguments().any(|a| a.get_id() == id.as_str() && a.is_positional()) {
            arguments.clone()
        } else {
            options.clone()
        };
        command = command.mut_arg(&id, |arg| {
            let arg = arg.help(t(&format!("{path}-arg-{name}"))).long_help(None::<&str>).help_heading(heading);
            if !arg.get_action().takes_values() {
                return arg;
            }
            // clap words defaults and choices in English; the Fluent help names them instead.
            arg.value_name(t(&format!("cli-value-{name}"))).hide_default_value(true).hide_possible_values(true)
        });
    }
    command = command.arg(
        Arg::new("help").short('h').long("help").action(ArgAction::Help).help(t("cli-flag-help")).help_heading(options),
    );
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        command = command.mut_subcommand(&name, |sub| localise(sub, &format!("{path}-{name}"), texts, lang));
    }
    command
}

/// clap writes `[OPTIONS]` into usage lines itself: each usage is rendered once and the word
/// replaced by `options`.
fn override_usages(command: &mut Command, options: &str) {
    let usage = command.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).replace("[OPTIONS]", options);
    *command = std::mem::take(command).override_usage(usage);
    for sub in command.get_subcommands_mut() {
        override_usages(sub, options);
    }
}

/// Parses the command line with its help in `lang`; `--help` and `--version` print and exit
/// here, as clap does, and so do parse errors, in `lang`, with clap's exit code.
pub fn parse(args: Vec<OsString>, texts: &Texts, lang: Lang) -> Cli {
    let refuse = |e: clap::Error| -> ! {
        if !e.use_stderr() {
            e.exit();
        }
        eprintln!("{}", parse_error(&e, texts, lang));
        std::process::exit(e.exit_code());
    };
    let matches = command(texts, lang).try_get_matches_from(args).unwrap_or_else(|e| refuse(e));
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| refuse(e))
}

/// A parse error in `lang`, rebuilt from the parts clap keeps (the argument, the value, the
/// usage line, which is already localised); kinds not worded here keep clap's English.
fn parse_error(error: &clap::Error, texts: &Texts, lang: Lang) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let part = |kind: ContextKind| match error.get(kind) {
        Some(ContextValue::String(text)) => text.clone(),
        Some(ContextValue::Strings(texts)) => texts.join(", "),
        Some(ContextValue::StyledStr(text)) => text.to_string(),
        Some(ContextValue::StyledStrs(texts)) => texts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let (id, args) = match error.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => (
            "cli-parse-invalid-value",
            crate::args![("arg", part(ContextKind::InvalidArg)), ("value", part(ContextKind::InvalidValue))],
        ),
        ErrorKind::UnknownArgument => {
            ("cli-parse-unknown-argument", crate::args![("arg", part(ContextKind::InvalidArg))])
        }
        ErrorKind::InvalidSubcommand => {
            ("cli-parse-unknown-command", crate::args![("command", part(ContextKind::InvalidSubcommand))])
        }
        ErrorKind::MissingRequiredArgument => {
            ("cli-parse-missing", crate::args![("args", part(ContextKind::InvalidArg))])
        }
        ErrorKind::ArgumentConflict => (
            "cli-parse-conflict",
            crate::args![("arg", part(ContextKind::InvalidArg)), ("other", part(ContextKind::PriorArg))],
        ),
        _ => return error.render().to_string(),
    };
    let mut reason = texts.get_with(lang, id, &args);
    let valid = part(ContextKind::ValidValue);
    if !valid.is_empty() {
        reason = format!("{reason} ({})", texts.get_with(lang, "cli-parse-valid", &crate::args![("values", valid)]));
    }
    let mut text = texts.get_with(lang, "cli-error", &crate::args![("reason", reason)]);
    let usage = part(ContextKind::Usage);
    let usage = usage.trim().strip_prefix("Usage:").unwrap_or(usage.trim()).trim();
    if !usage.is_empty() {
        text = format!("{text}\n\n{}: {usage}", texts.get(lang, "cli-heading-usage"));
    }
    format!("{text}\n\n{}", texts.get(lang, "cli-parse-hint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(command: &Command, seen: &mut Vec<String>, check: &mut impl FnMut(&Command)) {
        check(command);
        seen.push(command.get_name().to_string());
        for sub in command.get_subcommands() {
            visit(sub, seen, check);
        }
    }

    /// Words of four or more Latin letters that are not command names, options, paths,
    /// identifiers, environment variables or signals (a crude test for English left in Russian).
    fn english_words(text: &str, allowed: &[String]) -> Vec<String> {
        text.split_whitespace()
            .map(|token| token.trim_matches(|c: char| "()[]<>«»,;:.'\"".contains(c)))
            .filter(|token| !token.contains(['-', '_', '.', '/', '@', '=']))
            .filter(|token| !token.chars().all(|c| !c.is_ascii_lowercase()))
            .filter(|token| !allowed.iter().any(|a| a == token))
            .filter(|token| token.split(|c: char| !c.is_ascii_alphabetic()).any(|run| run.len() >= 4))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_command_and_argument_has_help_in_both_languages_and_russian_has_no_english() {
        let texts = Texts::default();
        for lang in [Lang::Ru, Lang::En] {
            let mut root = command(&texts, lang);
            let mut names = vec!["anketa".to_string(), "xlsx".to_string(), "umask".to_string()];
            visit(&root, &mut names, &mut |_| {});
            let mut shown = Vec::new();
            visit(&root, &mut Vec::new(), &mut |command| {
                let about = command.get_about().map(ToString::to_string).unwrap_or_default();
                assert!(
                    !about.is_empty() && !about.starts_with("cli-"),
                    "{lang:?} {}: about {about:?}",
                    command.get_name()
                );
                shown.push(about);
                for arg in command.get_arguments() {
                    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                    assert!(
                        !help.is_empty() && !help.starts_with("cli-"),
                        "{lang:?} {} {}: {help:?}",
                        command.get_name(),
                        arg.get_id()
                    );
                    shown.push(help);
                    for value in arg.get_value_names().unwrap_or_default() {
                        assert!(!value.starts_with("cli-"), "{lang:?} {}: value name {value}", arg.get_id());
                        shown.push(value.to_string());
                    }
                }
            });
            shown.push(root.render_help().to_string());
            let campaign = root.find_subcommand_mut("campaign").unwrap();
            shown.push(campaign.find_subcommand_mut("create").unwrap().render_help().to_string());
            if lang == Lang::Ru {
                let english: Vec<String> = shown.iter().flat_map(|text| english_words(text, &names)).collect();
                assert!(english.is_empty(), "English in the Russian help: {english:?}");
            }
        }
    }

    #[test]
    fn the_help_language_follows_the_config_file_given() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.toml");
        std::fs::write(&file, "[ui]\nlanguage = \"en\"\n[database]\nurl = \"sqlite://x.db\"\n").unwrap();
        let args = |tail: &[&str]| -> Vec<OsString> { ["anketa"].iter().chain(tail).map(OsString::from).collect() };
        assert_eq!(config_path(&args(&["--config", file.to_str().unwrap(), "run"])), file);
        assert_eq!(config_path(&args(&[&format!("--config={}", file.display()), "run"])), file);
        assert_eq!(config_path(&args(&["run", "--", "--config", "x"])), PathBuf::from("bot.toml"));
        assert_eq!(crate::config::language_setting(&file), Some(Lang::En));
        std::fs::write(&file, "[ui]\nlanguage = \"de\"\n").unwrap();
        assert_eq!(crate::config::language_setting(&file), None, "refused later, by the settings");
    }
}
