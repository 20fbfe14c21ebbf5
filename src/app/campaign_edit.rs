//! Renaming and deleting a campaign nobody has answered yet: one use case for `anketa campaign
//! rename|delete` and the bot's `/campaigns` console, with its refusals in the reader's language.
//! A campaign with a participation, a ballot, a response or a tally keeps its name and its data.

use crate::args;
use crate::db::{Campaign, CampaignError, Db, Edited};
use crate::i18n::Texts;
use crate::survey::Lang;

/// Longest campaign name, in characters: it goes on posters and into file names.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a campaign was not renamed or deleted.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no campaign named {0:?}")]
    NotFound(String),
    #[error("the campaign {0:?} has responses, so it is neither renamed nor deleted")]
    Answered(String),
    #[error("a campaign named {0:?} already exists")]
    NameTaken(String),
    #[error("a campaign name is 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl EditError {
    /// The refusal as a person reads it.
    pub fn message(&self, texts: &Texts, lang: Lang) -> String {
        match self {
            EditError::NotFound(name) => {
                texts.get_with(lang, "campaign-edit-not-found", &args![("name", name.as_str())])
            }
            EditError::Answered(name) => {
                texts.get_with(lang, "campaign-edit-answered", &args![("name", name.as_str())])
            }
            EditError::NameTaken(name) => {
                texts.get_with(lang, "campaign-edit-name-taken", &args![("name", name.as_str())])
            }
            EditError::BadName => {
                texts.get_with(lang, "campaign-edit-name-invalid", &args![("max", MAX_NAME_CHARS as i64)])
            }
            EditError::Storage(e) => texts.get_with(lang, "campaign-edit-failed", &args![("reason", e.to_string())]),
        }
    }
}

/// A new campaign name, trimmed, or why it cannot be one.
pub fn checked_name(name: &str) -> Result<&str, EditError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS { Err(EditError::BadName) } else { Ok(name) }
}

/// The campaign called `name`.
pub async fn named(db: &Db, name: &str) -> Result<Campaign, EditError> {
    db.campaign_by_name(name).await?.ok_or_else(|| EditError::NotFound(name.to_string()))
}

/// Renames `campaign` to `new_name`, unless someone has answered it meanwhile.
pub async fn rename(db: &Db, campaign: &Campaign, new_name: &str) -> Result<(), EditError> {
    let new_name = checked_name(new_name)?;
    if db.campaign_by_name(new_name).await?.is_some() {
        return Err(EditError::NameTaken(new_name.to_string()));
    }
    let edited = db.rename_campaign(campaign.id, new_name).await.map_err(|e| match e {
        CampaignError::NameTaken(name) => EditError::NameTaken(name),
        CampaignError::Storage(e) => EditError::Storage(e),
    })?;
    outcome(edited, campaign)
}

/// Deletes `campaign` with its links and digest records, unless someone has answered it meanwhile.
pub async fn delete(db: &Db, campaign: &Campaign) -> Result<(), EditError> {
    outcome(db.delete_campaign(campaign.id).await?, campaign)
}

fn outcome(edited: Edited, campaign: &Campaign) -> Result<(), EditError> {
    match edited {
        Edited::Done => Ok(()),
        Edited::Answered => Err(EditError::Answered(campaign.name.clone())),
        Edited::Gone => Err(EditError::NotFound(campaign.name.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(checked_name("  Весна 2027 ").unwrap(), "Весна 2027");
        assert!(matches!(checked_name("   "), Err(EditError::BadName)));
        assert!(checked_name(&"я".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(matches!(checked_name(&"я".repeat(MAX_NAME_CHARS + 1)), Err(EditError::BadName)));
    }

    #[test]
    fn every_refusal_reads_in_both_languages() {
        let texts = Texts::default();
        for error in [
            EditError::NotFound("a".into()),
            EditError::Answered("a".into()),
            EditError::NameTaken("a".into()),
            EditError::BadName,
        ] {
            for lang in [Lang::Ru, Lang::En] {
                let text = error.message(&texts, lang);
                assert!(!text.starts_with("campaign-edit-"), "{text}");
            }
        }
    }
}
