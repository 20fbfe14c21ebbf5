//! SQLite's writer: the respondent path's writes and the ballot box's run here, one after the
//! other, on a thread of their own.
//!
//! SQLite lets one connection write at a time. A connection that finds the lock taken sleeps in
//! its busy handler (1, 2, 5, 10 … ms) and tries again, so writers of one process meeting on the
//! lock spent whole milliseconds asleep while it was free. Here they queue in order and each
//! starts the moment the one before it commits.
//!
//! A transaction holds the lock from its first statement to its commit, and on the bot's one
//! runtime thread each of its statements waited for every handler ready to run before it came
//! back (a submit held the lock 10 ms on average in a burst, every step waiting behind it). The
//! writer's thread runs nothing else, so a transaction's statements follow one another at once.
//!
//! A job is carried out even when whoever queued it stops waiting, so a write is either done
//! whole or not begun (PostgreSQL's writes get the same as tasks of their own, [`super::Db`]). Another process (`anketa` on the command line) still meets this one on
//! SQLite's lock and waits in the busy handler, as before.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures_util::FutureExt;

use tokio::sync::{mpsc, oneshot};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The queue of a SQLite pool's writes; the thread stops once every clone of the pool is gone.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer's thread.
    pub(crate) fn start() -> Writer {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("anketa-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the writer's runtime is built like the bot's");
                runtime.block_on(async {
                    while let Some(job) = queue.recv().await {
                        // A job that panics fails alone: its caller gets `WorkerCrashed`.
                        let _ = AssertUnwindSafe(job).catch_unwind().await;
                    }
                });
            })
            .expect("the writer's thread starts");
        Writer { jobs }
    }

    /// Runs `job` once the writes queued before it are done; returns its outcome.
    pub(crate) async fn run<T, E>(&self, job: impl Future<Output = Result<T, E>> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (outcome, told) = oneshot::channel();
        let job = Box::pin(async move {
            let _ = outcome.send(job.await);
        });
        self.jobs.send(job).map_err(|_| sqlx::Error::WorkerCrashed)?;
        told.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}
