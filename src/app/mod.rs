//! The use cases, one home each, called alike by the command line ([`crate::cli`]) and the bot
//! ([`crate::bot`]): neither reaches into the other, nor into the database for an operation
//! that lives here.
//!
//! - [`roster`]: a roster file checked, previewed and imported.
//! - [`campaigns`]: questionnaires, and campaigns created, listed, closed, reopened, extended;
//!   [`campaign_edit`]: renamed or deleted while nobody has answered.
//! - [`links`]: class links, the link kit, a leaked link reissued.
//! - [`exports`]: released responses as CSV or a workbook.
//! - [`reports`]: the НОКО report and proposals, and the expert file.
//! - [`staff`]: invitations down the hierarchy and revocation.

pub mod campaign_edit;
pub mod campaigns;
pub mod exports;
pub mod links;
pub mod reports;
pub mod roster;
pub mod staff;
