//! Callback data of inline buttons: `<draft revision>:<action>`, parsed once at the edge.
//!
//! The revision ties a button to the screen it was drawn on, so a button of an older screen is
//! recognised and changes nothing. Everything fits Telegram's 64-byte limit: a revision is at most
//! 19 digits and option codes at most 24 ASCII characters (checked when a questionnaire loads).

use crate::survey::{Audience, Input};

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A step of the survey engine.
    Step(Input),
    /// Send the survey to the database.
    Submit,
    /// Continue the unfinished survey as it is.
    Resume,
    /// Discard the unfinished survey and start again from this link code.
    StartOver(String),
    /// «Нет, спасибо» under the reminder: delete the unfinished survey.
    Decline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackData {
    pub revision: i64,
    pub action: Action,
}

/// Telegram's limit on callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

impl CallbackData {
    pub fn new(revision: i64, action: Action) -> Self {
        CallbackData { revision, action }
    }

    pub fn encode(&self) -> String {
        let action = match &self.action {
            Action::Step(Input::Begin) => "b".to_string(),
            Action::Step(Input::ChooseAudience(a)) => format!("a:{}", a.code()),
            Action::Step(Input::Choose(code)) => format!("c:{code}"),
            Action::Step(Input::Toggle(code)) => format!("t:{code}"),
            Action::Step(Input::Done) => "d".to_string(),
            Action::Step(Input::Skip) => "s".to_string(),
            Action::Step(Input::Back) => "k".to_string(),
            // Text never travels in a button.
            Action::Step(Input::Text(_)) => unreachable!("text is not a button"),
            Action::Submit => "u".to_string(),
            Action::Resume => "r".to_string(),
            Action::StartOver(code) => format!("n:{code}"),
            Action::Decline => "x".to_string(),
        };
        let data = format!("{}:{action}", self.revision);
        debug_assert!(data.len() <= MAX_CALLBACK_BYTES, "callback data too long: {data}");
        data
    }

    /// Parses callback data; `None` for anything this bot did not produce (forged or corrupted).
    pub fn parse(data: &str) -> Option<Self> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let (revision, rest) = data.split_once(':')?;
        let revision: i64 = revision.parse().ok()?;
        let (kind, argument) = match rest.split_once(':') {
            Some((kind, argument)) => (kind, Some(argument)),
            None => (rest, None),
        };
        let code = |argument: Option<&str>| {
            argument
                .filter(|a| {
                    !a.is_empty()
                        && a.len() <= MAX_CALLBACK_BYTES
                        && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
                .map(str::to_string)
        };
        let action = match (kind, argument) {
            ("b", None) => Action::Step(Input::Begin),
            ("a", Some(a)) => Action::Step(Input::ChooseAudience(Audience::from_code(a)?)),
            ("c", a) => Action::Step(Input::Choose(code(a)?)),
            ("t", a) => Action::Step(Input::Toggle(code(a)?)),
            ("d", None) => Action::Step(Input::Done),
            ("s", None) => Action::Step(Input::Skip),
            ("k", None) => Action::Step(Input::Back),
            ("u", None) => Action::Submit,
            ("r", None) => Action::Resume,
            ("n", a) => Action::StartOver(code(a)?),
            ("x", None) => Action::Decline,
            _ => return None,
        };
        Some(CallbackData { revision, action })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_action() {
        let actions = [
            Action::Step(Input::Begin),
            Action::Step(Input::ChooseAudience(Audience::Student)),
            Action::Step(Input::Choose("yes".into())),
            Action::Step(Input::Toggle("gym".into())),
            Action::Step(Input::Done),
            Action::Step(Input::Skip),
            Action::Step(Input::Back),
            Action::Submit,
            Action::Resume,
            Action::StartOver("AbC123xyz_-9".into()),
            Action::Decline,
        ];
        for action in actions {
            let data = CallbackData::new(i64::MAX, action);
            let encoded = data.encode();
            assert!(encoded.len() <= MAX_CALLBACK_BYTES);
            assert_eq!(CallbackData::parse(&encoded), Some(data));
        }
    }

    #[test]
    fn refuses_what_the_bot_never_sends() {
        for forged in [
            "",
            "x",
            "12",
            "12:",
            "abc:b",
            "12:zz",
            "12:b:extra",
            "12:a:teacher",
            "12:c:",
            "12:c:да",
            "12:c:a b",
            "12:n:../../etc",
            &"1:c:".repeat(30),
        ] {
            assert_eq!(CallbackData::parse(forged), None, "{forged:?}");
        }
    }
}
