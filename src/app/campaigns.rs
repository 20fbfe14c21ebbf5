//! Campaigns: questionnaires found and checked, campaigns created with an operator's guards,
//! listed, closed, reopened and extended (the bot's console and `anketa campaign`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use crate::db::{CampaignSummary, Db, NewCampaign};
use crate::failure::Failure;
use crate::survey::{Audience, Grades, Questionnaire, Survey, class_grade};

/// Finds a questionnaire by id (or file path) in the questionnaires folder and validates it.
/// Returns the questionnaire and its exact text, which a campaign keeps.
pub fn find_questionnaire(dir: &Path, id_or_path: &str) -> anyhow::Result<(Questionnaire, String)> {
    let as_path = PathBuf::from(id_or_path);
    let candidates: Vec<PathBuf> = if as_path.extension().is_some_and(|e| e == "toml") && as_path.is_file() {
        vec![as_path]
    } else {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Failure::Read(dir.to_path_buf(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    };
    let mut known = Vec::new();
    for path in candidates {
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::Read(path.clone(), e))?;
        let questionnaire =
            Questionnaire::from_toml(&text).map_err(|e| Failure::QuestionnaireInvalid(path.clone(), e))?;
        if questionnaire.id == id_or_path || path == Path::new(id_or_path) {
            return Ok((questionnaire, text));
        }
        known.push(questionnaire.id);
    }
    Err(Failure::NoQuestionnaire { id: id_or_path.to_string(), dir: dir.to_path_buf(), known: known.join(", ") }.into())
}

/// Every valid questionnaire in the questionnaires folder, by file name (the bot offers them).
pub fn list_questionnaires(dir: &Path) -> anyhow::Result<Vec<Questionnaire>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::Read(dir.to_path_buf(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut questionnaires = Vec::new();
    for path in files {
        match Questionnaire::load(&path) {
            Ok(questionnaire) => questionnaires.push(questionnaire),
            Err(e) => tracing::warn!(file = %path.display(), error = format!("{e:#}"), "invalid questionnaire skipped"),
        }
    }
    Ok(questionnaires)
}

/// The validated content of a questionnaire file, for `questionnaire check`.
pub fn check_questionnaire(file: &Path) -> anyhow::Result<Questionnaire> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::Read(file.to_path_buf(), e))?;
    Ok(Questionnaire::from_toml(&text).map_err(|e| Failure::QuestionnaireInvalid(file.to_path_buf(), e))?)
}

/// What `campaign create` is asked for, before it is checked.
pub struct CampaignRequest<'a> {
    pub name: &'a str,
    pub questionnaires: &'a [String],
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_percent: i64,
    /// The grades a questionnaire (named as in `questionnaires`) is asked in; one not named here
    /// is asked in every grade.
    pub grades: &'a [(String, Grades)],
}

/// Reads `--grades QUESTIONNAIRE=GRADES` (`noko-students=9-11`) as typed on the command line.
pub fn parse_grades_arg(text: &str) -> Result<(String, Grades), Failure> {
    let (id, grades) = text.split_once('=').ok_or_else(|| Failure::BadGrades(text.to_string()))?;
    let grades = Grades::parse(grades).map_err(|_| Failure::BadGrades(text.to_string()))?;
    Ok((id.trim().to_string(), grades))
}

/// A campaign just created.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    /// Classes («Школа № 1, Подготовительный») whose grade cannot be read from their name: they
    /// are asked every audience. Listed only when some audience is asked in some grades only.
    pub ungraded: Vec<String>,
}

pub async fn create_campaign(db: &Db, dir: &Path, request: CampaignRequest<'_>) -> anyhow::Result<i64> {
    let new = checked_campaign(dir, &request)?;
    Ok(db.create_campaign(&new, Utc::now()).await?)
}

/// What an operator may wave through when creating a campaign.
#[derive(Debug, Clone, Copy)]
pub struct CreateGuards {
    /// The earliest day it is anywhere in the region (UTC: Russia's time zones are all ahead of it).
    pub today: NaiveDate,
    /// Starting on a day already past (e.g. entering a campaign that began on paper).
    pub allow_past_start: bool,
}

/// Creates a campaign as an operator asks for it, in the CLI or in the bot: besides what
/// [`create_campaign`] checks, a start day already past and an empty roster are refused.
pub async fn create_campaign_checked(
    db: &Db,
    dir: &Path,
    request: CampaignRequest<'_>,
    guards: CreateGuards,
) -> anyhow::Result<Created> {
    let new = checked_campaign(dir, &request)?;
    if db.campaign_by_name(&new.name).await?.is_some() {
        return Err(crate::db::CampaignError::NameTaken(new.name).into());
    }
    if new.starts_on < guards.today && !guards.allow_past_start {
        return Err(Failure::StartInPast { starts: new.starts_on, today: guards.today }.into());
    }
    let roster = db.stored_roster().await?;
    if roster.is_empty() {
        return Err(Failure::EmptyRoster.into());
    }
    let id = db.create_campaign(&new, Utc::now()).await?;
    let ungraded = if new.grades.is_empty() {
        Vec::new()
    } else {
        roster
            .iter()
            .filter(|class| class_grade(&class.class).is_none())
            .map(|class| format!("{}, {}", class.school, class.class))
            .collect()
    };
    Ok(Created { id, ungraded })
}

/// A campaign request checked against itself and the questionnaires folder.
fn checked_campaign(dir: &Path, request: &CampaignRequest<'_>) -> anyhow::Result<NewCampaign> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(Failure::EmptyName.into());
    }
    if request.ends_on < request.starts_on {
        return Err(Failure::EndBeforeStart { starts: request.starts_on, ends: request.ends_on }.into());
    }
    if !(1..=100).contains(&request.target_percent) {
        return Err(Failure::TargetOutOfRange(request.target_percent).into());
    }
    if request.questionnaires.is_empty() {
        return Err(Failure::NoQuestionnaireGiven.into());
    }
    let mut by_audience: BTreeMap<Audience, (String, String)> = BTreeMap::new();
    let mut grades = BTreeMap::new();
    for (named, _) in request.grades {
        if !request.questionnaires.contains(named) {
            let given = request.questionnaires.join(", ");
            return Err(Failure::GradesForUnknown { id: named.clone(), given }.into());
        }
        if request.grades.iter().filter(|(other, _)| other == named).count() > 1 {
            return Err(Failure::GradesTwice(named.clone()).into());
        }
    }
    for id in request.questionnaires {
        let (questionnaire, text) = find_questionnaire(dir, id)?;
        if let Some((_, asked_in)) = request.grades.iter().find(|(named, _)| named == id)
            && !asked_in.is_all()
        {
            grades.insert(questionnaire.audience, *asked_in);
        }
        if let Some((other, _)) = by_audience.get(&questionnaire.audience) {
            return Err(Failure::SameAudience {
                first: other.clone(),
                second: questionnaire.id,
                audience: questionnaire.audience.code().to_string(),
            }
            .into());
        }
        by_audience.insert(questionnaire.audience, (questionnaire.id, text));
    }
    let new = NewCampaign {
        name: name.to_string(),
        starts_on: request.starts_on,
        ends_on: request.ends_on,
        target_percent: request.target_percent,
        questionnaires: by_audience.into_iter().map(|(audience, (id, text))| (audience, id, text)).collect(),
        grades,
    };
    Ok(new)
}

pub async fn list_campaigns(db: &Db) -> anyhow::Result<Vec<CampaignSummary>> {
    Ok(db.list_campaigns().await?)
}

/// The questionnaires a campaign was created with, each asked in its grades.
pub async fn campaign_survey(db: &Db, campaign_id: i64) -> anyhow::Result<Survey> {
    let mut questionnaires = Vec::new();
    let mut grades = Vec::new();
    for stored in db.campaign_questionnaires(campaign_id).await? {
        let id = &stored.questionnaire_id;
        let questionnaire = Questionnaire::from_toml(&stored.definition)
            .map_err(|e| anyhow::anyhow!("stored questionnaire {id}: {e}"))?;
        if let Some(text) = &stored.grades {
            let asked_in = Grades::parse(text).map_err(|e| anyhow::anyhow!("stored questionnaire {id}: {e}"))?;
            grades.push((questionnaire.audience, asked_in));
        }
        questionnaires.push(Arc::new(questionnaire));
    }
    anyhow::ensure!(!questionnaires.is_empty(), "campaign {campaign_id} has no questionnaire");
    Ok(grades
        .into_iter()
        .fold(Survey::new(questionnaires), |survey, (audience, asked_in)| survey.with_grades(audience, asked_in)))
}

pub(crate) async fn campaign_named(db: &Db, name: &str) -> anyhow::Result<crate::db::Campaign> {
    db.campaign_by_name(name).await?.ok_or_else(|| Failure::NoCampaign(name.to_string()).into())
}

/// Closes a campaign; its links then refuse politely and nothing more is stored.
pub async fn close_campaign(db: &Db, name: &str) -> anyhow::Result<()> {
    let campaign = campaign_named(db, name).await?;
    if !db.close_campaign(campaign.id).await? {
        return Err(Failure::AlreadyClosed(name.to_string()).into());
    }
    Ok(())
}

/// Reopens a closed campaign, moving its last day to `ends_on` if given. A campaign whose last
/// day is past needs a new one, today (`today`, the earliest day anywhere) or later.
pub async fn reopen_campaign(
    db: &Db,
    name: &str,
    ends_on: Option<NaiveDate>,
    today: NaiveDate,
) -> anyhow::Result<NaiveDate> {
    let campaign = campaign_named(db, name).await?;
    if !campaign.closed {
        return Err(Failure::NotClosed(name.to_string()).into());
    }
    let ends_on = match ends_on {
        Some(ends_on) => ends_on,
        None if campaign.ends_on < today => {
            return Err(Failure::ReopenNeedsEnd { name: name.to_string(), ends: campaign.ends_on }.into());
        }
        None => campaign.ends_on,
    };
    check_new_end(&campaign, ends_on, today)?;
    db.reopen_campaign(campaign.id, ends_on).await?;
    Ok(ends_on)
}

/// Why `ends_on` cannot be the campaign's last day, if it cannot.
pub fn check_new_end(campaign: &crate::db::Campaign, ends_on: NaiveDate, today: NaiveDate) -> anyhow::Result<()> {
    if ends_on < campaign.starts_on {
        return Err(Failure::EndBeforeStart { starts: campaign.starts_on, ends: ends_on }.into());
    }
    if ends_on < today {
        return Err(Failure::EndInPast { name: campaign.name.clone(), ends: ends_on, today }.into());
    }
    Ok(())
}

/// Moves a campaign's last day (it may also reopen answering if the old end has passed).
pub async fn extend_campaign(db: &Db, name: &str, ends_on: NaiveDate) -> anyhow::Result<()> {
    let campaign = campaign_named(db, name).await?;
    // The earliest day it still is anywhere (UTC; Russia's time zones are all ahead of it).
    check_new_end(&campaign, ends_on, Utc::now().date_naive())?;
    if campaign.closed {
        return Err(Failure::ClosedNotExtended(name.to_string()).into());
    }
    Ok(db.extend_campaign(campaign.id, ends_on).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_questionnaires_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
        let (parents, _) = find_questionnaire(&dir, "noko-parents").unwrap();
        let (students, _) = find_questionnaire(&dir, "noko-students").unwrap();
        assert_eq!((parents.audience, students.audience), (Audience::Parent, Audience::Student));
        assert_eq!(parents.questions.len(), 15);
        let conditional: Vec<_> =
            parents.questions.iter().filter(|q| q.show_if.is_some()).map(|q| q.id.as_str()).collect();
        assert_eq!(conditional, ["q2", "q4", "q7", "q11"]);
        assert!(parents.questions.iter().all(|q| q.text.en.is_some() && q.short.is_some()));
    }
}
