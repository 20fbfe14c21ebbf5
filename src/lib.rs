//! Anketa: anonymous, counted-once school surveys in Telegram.
//!
//! Crate map:
//! - [`survey`]: the engine — questionnaires, the respondent's state machine, answers (no I/O).
pub mod survey;
