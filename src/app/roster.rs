//! The roster: a file checked whole against the stored roster, previewed, then imported in one
//! transaction (the bot's upload and `anketa roster import`).

use crate::db::Db;
use crate::roster;

/// What `roster import` found in a file and did with it.
#[derive(Debug)]
pub enum RosterImport {
    /// The file cannot be read as a roster at all.
    Rejected(roster::RosterError),
    /// The file read whole; imported unless it has errors or only a check was asked for.
    Checked { preview: Box<roster::Preview>, applied: Option<roster::Applied> },
}

/// Checks a roster file (CSV or XLSX) against the stored roster and, unless it has errors or
/// `dry_run` is set, imports it in one transaction; `remove_missing` removes the stored classes
/// the file lacks where nothing refers to them.
pub async fn import_roster(
    db: &Db,
    file: &[u8],
    default_timezone: chrono_tz::Tz,
    remove_missing: bool,
    dry_run: bool,
) -> anyhow::Result<RosterImport> {
    let checked = match roster::check(file) {
        Ok(checked) => checked,
        Err(error) => return Ok(RosterImport::Rejected(error)),
    };
    let preview = Box::new(roster::Preview::new(checked, &db.stored_roster().await?));
    if preview.has_errors() || dry_run {
        return Ok(RosterImport::Checked { preview, applied: None });
    }
    let applied = match db.apply_roster(&preview.checked.rows, default_timezone, remove_missing, None).await? {
        crate::db::ImportOutcome::Imported(applied) => applied,
        other => anyhow::bail!("the roster was not imported: {other:?}"),
    };
    Ok(RosterImport::Checked { preview, applied: Some(applied) })
}
