//! The drafts this process stored last, kept in memory until the chat's next update, so that the
//! usual press (a button on the screen this process just drew) costs the database one conditional
//! update instead of a read and an update.
//!
//! The database stays the only authority. An entry is a draft at one revision, and a revision
//! names one state for good (every change moves it on; a new draft starts at a random one), so an
//! entry at the pressed revision is the state that screen was drawn from. Whether the database
//! still holds it is settled by the step's own `UPDATE … WHERE revision = ?`: when another
//! process (a replica, `anketa` on the command line) changed or removed the draft meanwhile, the
//! update changes nothing and the press is handled again from the database.
//!
//! What is held, and for how long, is part of the anonymity design: an entry is taken out by the
//! chat's next update whatever it is (a press, a command, a message), so a submitted, cancelled or
//! restarted draft leaves nothing here; an abandoned one is dropped after [`IDLE_LIMIT`]. Only
//! unfinished drafts are ever held, under their [`ChatKey`], as the database holds them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::{LinkTarget, StoredDraft};
use crate::privacy::ChatKey;

/// How long an entry waits for its chat's next update. A respondent who pauses longer pays one
/// read at the next step.
pub const IDLE_LIMIT: Duration = Duration::from_secs(10 * 60);

/// The most entries held (a region's evening peak has a few thousand people mid-survey at once);
/// beyond it steps are stored as before, just not kept.
const CAPACITY: usize = 20_000;

/// Drafts by chat, each with where its link leads and when it was kept.
#[derive(Default)]
pub struct DraftCache {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_chat: HashMap<ChatKey, Kept>,
    last_sweep: Option<Instant>,
}

struct Kept {
    draft: StoredDraft,
    target: LinkTarget,
    at: Instant,
}

impl DraftCache {
    /// Takes the chat's entry out; returns it if it holds the draft at `revision` (and is not
    /// older than [`IDLE_LIMIT`]). Whatever it held, the chat has no entry afterwards.
    pub fn take_at(&self, chat: &ChatKey, revision: i64) -> Option<(StoredDraft, LinkTarget)> {
        let kept = self.lock().by_chat.remove(chat)?;
        (kept.draft.revision == revision && kept.at.elapsed() < IDLE_LIMIT).then_some((kept.draft, kept.target))
    }

    /// Drops the chat's entry, if any: the chat's update is handled from the database.
    pub fn forget(&self, chat: &ChatKey) {
        self.lock().by_chat.remove(chat);
    }

    /// Keeps the draft this process has just stored, for the chat's next update.
    pub fn keep(&self, chat: ChatKey, draft: StoredDraft, target: LinkTarget) {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.last_sweep.is_none_or(|last| now.duration_since(last) >= IDLE_LIMIT / 10) {
            entries.by_chat.retain(|_, kept| now.duration_since(kept.at) < IDLE_LIMIT);
            entries.last_sweep = Some(now);
        }
        if entries.by_chat.len() < CAPACITY || entries.by_chat.contains_key(&chat) {
            entries.by_chat.insert(chat, Kept { draft, target, at: now });
        }
    }

    /// How many drafts are held (for the anonymity tests).
    pub fn held(&self) -> usize {
        self.lock().by_chat.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().expect("lock not poisoned")
    }
}
