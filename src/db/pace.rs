//! The bulk budget's shared slot: one row per bot holding the next moment a bulk message (a digest,
//! a reminder) may go out, so that every process on this database together keeps to
//! `telegram.bulk_per_second`. The pacing itself (the waiting) is the outbox's, `bot::sending`.

use super::{BeginWrite, Db, on_pool};

impl Db {
    /// Claims `bot`'s next free bulk slot: the later of `now` and the slot left by the last claim,
    /// moving it on by `interval` (all in microseconds since the Unix epoch). One short write: two
    /// processes never get the same slot.
    pub async fn claim_bulk_slot(&self, bot: i64, now: i64, interval: i64) -> sqlx::Result<i64> {
        let next: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let next = sqlx::query_scalar(
                "INSERT INTO bulk_pace (bot, next_slot) VALUES ($1, $2 + $3)
                 ON CONFLICT (bot) DO UPDATE SET next_slot =
                     CASE WHEN bulk_pace.next_slot > $2 THEN bulk_pace.next_slot ELSE $2 END + $3
                 RETURNING next_slot",
            )
            .bind(bot)
            .bind(now)
            .bind(interval)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            next
        });
        Ok(next - interval)
    }
}
