//! The steps of all chats stored together. Every step's new draft goes to one writer, which stores
//! all the steps waiting at that moment in one statement ([`Db::update_drafts`]: one transaction,
//! one commit) and then tells each handler whether its draft was still at the revision the step was
//! computed from.
//!
//! A step is still answered only once its draft is committed, so a crash loses no answer. What
//! changes is the cost of a burst: the steps that arrive while a commit runs share the next one, so
//! the database makes a commit, and sqlx a hand-over to its connection thread and back, per batch
//! instead of per step. A step that comes alone is stored at once: nothing waits for company.
//!
//! The writer holds a step only while its statement runs, as the handler did before; nothing it
//! is handed outlives the step.

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, DraftWrite};

/// The most steps stored in one statement (five parameters each, well within both engines'
/// limits; each size is a statement sqlx prepares once per connection).
const LARGEST_BATCH: usize = 64;

/// The handle the handlers store their steps through; the writer stops when it is dropped.
pub struct DraftWrites {
    queue: mpsc::UnboundedSender<Waiting>,
}

/// A step waiting for its batch, and the handler waiting for the outcome.
struct Waiting {
    write: DraftWrite,
    outcome: oneshot::Sender<Result<Option<i64>, NotStored>>,
}

/// The statement that was to store the step failed (the same error for every step of its batch).
#[derive(Debug, Clone)]
pub struct NotStored(Arc<sqlx::Error>);

impl fmt::Display for NotStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot store the step's draft")
    }
}

impl Error for NotStored {
    /// The database's own error, so that [`crate::db::is_transient`] sees it.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.0)
    }
}

impl DraftWrites {
    /// Starts the writer (on the current Tokio runtime).
    pub fn start(db: Db) -> DraftWrites {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(write(db, waiting));
        DraftWrites { queue }
    }

    /// Stores `write` if its draft is still at `write.expected_revision`; returns the new revision,
    /// or `None` when something else changed or removed the draft first.
    pub async fn store(&self, write: DraftWrite) -> anyhow::Result<Option<i64>> {
        let (outcome, told) = oneshot::channel();
        self.queue.send(Waiting { write, outcome }).map_err(|_| anyhow::anyhow!("the draft writer has stopped"))?;
        let outcome = told.await.map_err(|_| anyhow::anyhow!("the draft writer has stopped"))?;
        Ok(outcome?)
    }
}

/// The writer: takes what waits, stores it as one batch, tells each handler, and again.
async fn write(db: Db, mut queue: mpsc::UnboundedReceiver<Waiting>) {
    let mut waiting = VecDeque::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(first) => waiting.push_back(first),
                None => return,
            }
        }
        while let Ok(next) = queue.try_recv() {
            waiting.push_back(next);
        }
        let (writes, outcomes): (Vec<DraftWrite>, Vec<_>) =
            next_batch(&mut waiting).into_iter().map(|step| (step.write, step.outcome)).unzip();
        match db.update_drafts(writes).await {
            Ok(revisions) => {
                for (outcome, revision) in outcomes.into_iter().zip(revisions) {
                    // A handler that stopped waiting (its update cancelled) needs no answer.
                    let _ = outcome.send(Ok(revision));
                }
            }
            Err(error) => {
                let failed = NotStored(Arc::new(error));
                for outcome in outcomes {
                    let _ = outcome.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// Takes the next batch out of `waiting`, in order: up to [`LARGEST_BATCH`] steps, one a chat (a
/// chat's second step is computed from its first's outcome, so it waits for the next batch).
fn next_batch(waiting: &mut VecDeque<Waiting>) -> Vec<Waiting> {
    let mut batch: Vec<Waiting> = Vec::new();
    let mut i = 0;
    while i < waiting.len() && batch.len() < LARGEST_BATCH {
        if batch.iter().any(|taken| taken.write.chat == waiting[i].write.chat) {
            i += 1;
        } else {
            batch.extend(waiting.remove(i));
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::IdentityKey;

    fn waiting(chat: i64, revision: i64) -> Waiting {
        let key = IdentityKey::new(&[7; 32]).unwrap();
        let write = DraftWrite {
            chat: key.chat_key(chat),
            expected_revision: revision,
            state: String::new(),
            text_message: None,
            at: chrono::Utc::now(),
        };
        Waiting { write, outcome: oneshot::channel().0 }
    }

    #[test]
    fn a_batch_holds_one_step_a_chat_in_order_and_no_more_than_the_largest() {
        let mut queue: VecDeque<Waiting> = [waiting(1, 10), waiting(2, 20), waiting(1, 11), waiting(3, 30)].into();
        let revisions = |batch: Vec<Waiting>| batch.iter().map(|w| w.write.expected_revision).collect::<Vec<_>>();
        assert_eq!(revisions(next_batch(&mut queue)), [10, 20, 30]);
        assert_eq!(revisions(next_batch(&mut queue)), [11]);
        assert!(queue.is_empty());

        let mut crowd: VecDeque<Waiting> = (0..100).map(|chat| waiting(chat, chat)).collect();
        assert_eq!(next_batch(&mut crowd).len(), LARGEST_BATCH);
        assert_eq!(revisions(next_batch(&mut crowd)), (64..100).collect::<Vec<_>>());
    }
}
