//! Polling mode's update loop: asks Telegram for updates with `getUpdates` and confirms one (sends
//! an `offset` past it) only once it and every earlier update have been handled, as the webhook
//! answers Telegram only after handling. A `kill -9` then loses nothing: Telegram hands the
//! unconfirmed updates to the next process.
//!
//! Each chat's updates are handled in order, one at a time; chats do not wait for each other. Since
//! Telegram confirms only a prefix of the updates, one slow update holds the confirmation of all
//! later ones back: after [`HOLD_BACK_LIMIT`] it no longer does (it is logged by id and left to
//! finish), so one stuck chat cannot keep the queue from moving for long. Telegram also hands out
//! at most 100 updates from the offset: when those are all taken in and none is new, a held-back
//! update stalls every chat, and is given up on after [`CROWDED_HOLD_BACK_LIMIT`] already.
//!
//! A chat Telegram holds to its pace (a 429 on a reply: someone sending faster than Telegram lets
//! the bot answer them) would hold the offset back the longest, its updates queued one behind the
//! other, each waiting out its `retry_after`: so once the outbox meets a 429 while handling an
//! update, that chat's updates, queued and to come until its queue is empty, no longer hold the
//! confirmation back ([`throttled`]). The same holds from the moment a chat has more than
//! [`DEEP_QUEUE`] updates waiting, before any 429: its replies are bound to meet Telegram's pace,
//! and until then its queue would crowd Telegram's batch however fast the handlers are. A crash
//! then may lose that chat's excess, nobody else's.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::value::RawValue;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree::di::DependencyMap;
use teloxide::prelude::*;
use teloxide::types::{ResponseParameters, UpdateId, UpdateKind};

use super::{App, flood};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long Telegram may keep a `getUpdates` open when there is nothing to hand out (below the
/// HTTP client's 17 s timeout, which teloxide extends by this much anyway).
const LONG_POLL_SECS: u32 = 10;

/// Updates asked for at once (Telegram's maximum).
const BATCH: u8 = 100;

/// While an update is being handled, `getUpdates` returns it again at once instead of waiting for
/// new ones; so the loop asks again after this pause (or as soon as nothing is held back).
const RECHECK: Duration = Duration::from_millis(100);

/// The longest an update being handled holds back the confirmation of later ones. A handler
/// still running by then (a Telegram call hanging and retried) goes on, but a crash from then on
/// would lose it; until then a crash loses nothing.
pub const HOLD_BACK_LIMIT: Duration = Duration::from_secs(30);

/// The same limit once [`BATCH`] updates from the offset are all taken in: Telegram hands out
/// nothing beyond them, so an update held back then keeps every chat from getting its next one.
/// Short, because a flood crowds the batch this way (the flood's dropped updates are handled at
/// once, but Telegram repeats them while one admitted update of the flooder waits on its chat's
/// one message a second), and everybody else's next screen should come within a second.
const CROWDED_HOLD_BACK_LIMIT: Duration = Duration::from_millis(250);

/// More updates waiting in one chat than a person sends (a parent's taps are answered as they
/// come): a script, or someone let past flood control by a raised budget. Telegram lets a bot
/// answer a chat about once a second, so the chat is treated as throttled at once.
const DEEP_QUEUE: usize = 20;

/// The first pause after a failed `getUpdates`; it doubles with each failure in a row up to
/// [`LONGEST_PAUSE`]. A 429's `retry_after` is honoured instead.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// Takes updates from Telegram and handles each through `schema` until `stop` is given; then
/// fetches nothing more, lets the updates in flight finish and confirms them. Whatever is not
/// finished when the caller gives up waiting stays unconfirmed and comes again after a restart.
pub async fn serve(bot: Bot, app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let dependencies = super::dependencies(bot.clone(), app.clone());
    // A bot moved from webhook mode gets no updates by polling until the webhook is gone.
    if let Err(error) = bot.delete_webhook().await {
        tracing::warn!(error = %error, "cannot remove the webhook; polling may be refused");
    }
    let schema = Arc::new(super::schema());
    let mut ledger = Ledger::default();
    let mut chats = Chats::default();
    let (throttle, mut throttles) = mpsc::unbounded_channel();
    let mut handling: JoinSet<Handled> = JoinSet::new();
    let mut failures = 0;
    let mut next_poll = Instant::now();
    loop {
        let offset = ledger.offset();
        let timeout = if ledger.holding_back() { 0 } else { LONG_POLL_SECS };
        let wake = next_poll;
        let poll = async {
            tokio::time::sleep_until(wake).await;
            get_updates(&bot, offset, timeout).await
        };
        tokio::pin!(poll);
        // Handled updates are taken in while the poll is open, so no handler waits on it.
        let polled = loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => break None,
                Some(handled) = handling.join_next() => {
                    let handled = handled.expect("handler panics are caught");
                    ledger.handled(handled.update);
                    chats.finished(handled.chat, handled.update);
                    if !ledger.holding_back() && wake > Instant::now() {
                        // Nothing is held back any more: the next poll confirms all and long-polls.
                        break Some(None);
                    }
                }
                Some(chat) = throttles.recv() => {
                    for update in chats.throttle(chat) {
                        ledger.handled(update);
                    }
                    if !ledger.holding_back() && wake > Instant::now() {
                        break Some(None);
                    }
                }
                polled = &mut poll => break Some(Some(polled)),
            }
        };
        let now = Instant::now();
        give_up(&mut ledger, now, HOLD_BACK_LIMIT);
        match polled {
            None => break,
            Some(None) => next_poll = now,
            Some(Some(Ok(batch))) => {
                failures = 0;
                let crowded = batch.len() == usize::from(BATCH);
                let mut fresh = 0;
                for unread in batch {
                    let Some(update) = read_if_new(&unread, |id| ledger.fetched(offset, id, now)) else {
                        continue;
                    };
                    fresh += 1;
                    // Flood control on arrival: a flood checked only when its turn comes would
                    // fill its chat's queue and hold the offset back for everybody.
                    if super::unreadable(&update) || !flood::admits(&update, &bot, &app, flood::Stage::Arrival) {
                        ledger.handled(update.id);
                        continue;
                    }
                    let chat = chat_of(&update);
                    let (previous, released) = chats.queue(chat, update.id);
                    for update in released {
                        ledger.handled(update);
                    }
                    let (schema, dependencies) = (schema.clone(), dependencies.clone());
                    let throttle = Throttle { chat, tell: throttle.clone() };
                    handling.spawn(THROTTLE.scope(throttle, handle_in_turn(schema, dependencies, update, previous)));
                }
                let stalled = fresh == 0 && crowded && give_up(&mut ledger, now, CROWDED_HOLD_BACK_LIMIT);
                // Nothing new while an update is held back: Telegram would only repeat it at once.
                next_poll = if fresh == 0 && !stalled && ledger.holding_back() { now + RECHECK } else { now };
            }
            Some(Some(Err(error))) => {
                let pause = pause_after(&error, failures);
                failures += 1;
                polling_failed(error, pause);
                next_poll = now + pause;
            }
        }
    }

    tracing::info!(in_flight = handling.len(), "polling stopped; finishing the updates being handled");
    while let Some(handled) = handling.join_next().await {
        ledger.handled(handled.expect("handler panics are caught").update);
    }
    confirm(&bot, ledger.offset()).await;
}

/// Asks Telegram for the updates from `offset` on (waiting up to `timeout` seconds for one), as
/// teloxide's `getUpdates` would, but leaves them unread: while an update is being handled, the
/// offset stays at it and every poll hands out the same updates again, which teloxide would read
/// into `Update`s each time (in a burst, twice the reading for the same updates).
async fn get_updates(bot: &Bot, offset: u32, timeout: u32) -> Result<Vec<Box<RawValue>>, RequestError> {
    let mut url = bot.api_url();
    url.path_segments_mut()
        .map_err(|()| RequestError::Io(Arc::new(std::io::Error::other("the Bot API URL cannot take a path"))))?
        .push(&format!("bot{}", bot.token()))
        .push("getUpdates");
    let request = serde_json::json!({
        "offset": offset_as_i32(offset),
        "timeout": timeout,
        "limit": BATCH,
        "allowed_updates": super::HANDLED_UPDATES,
    });
    // Its URL holds the token: errors leave it out, as teloxide's do.
    let network = |error: reqwest::Error| RequestError::Network(Arc::new(error.without_url()));
    // Read as the bytes they are: a batch is up to 100 updates, most of them handed over before.
    let body = bot.client().post(url).json(&request).send().await.map_err(network)?.bytes().await.map_err(network)?;
    let answer: BotApiAnswer = serde_json::from_slice(&body).map_err(|source| RequestError::InvalidJson {
        source: Arc::new(source),
        raw: String::from_utf8_lossy(&body).into(),
    })?;
    match answer {
        BotApiAnswer { ok: true, result, .. } => Ok(result),
        BotApiAnswer { parameters: Some(ResponseParameters::RetryAfter(wait)), .. } => {
            Err(RequestError::RetryAfter(wait))
        }
        BotApiAnswer { description, .. } => Err(RequestError::Api(
            serde_json::from_value(serde_json::Value::String(description)).unwrap_or(ApiError::Unknown(String::new())),
        )),
    }
}

/// The Bot API's answer to `getUpdates`.
#[derive(serde::Deserialize)]
struct BotApiAnswer {
    ok: bool,
    #[serde(default)]
    result: Vec<Box<RawValue>>,
    #[serde(default)]
    description: String,
    parameters: Option<ResponseParameters>,
}

/// The update, read whole, if `is_new` says its id was not fetched before; the id alone is read
/// otherwise. An update teloxide cannot read comes as [`UpdateKind::Error`], with its id.
fn read_if_new(unread: &RawValue, is_new: impl FnOnce(UpdateId) -> bool) -> Option<Update> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        update_id: u32,
    }
    let id = UpdateId(serde_json::from_str::<IdOnly>(unread.get()).ok()?.update_id);
    if !is_new(id) {
        return None;
    }
    Some(serde_json::from_str(unread.get()).unwrap_or(Update { id, kind: UpdateKind::Error(serde_json::Value::Null) }))
}

/// Stops holding back the updates fetched more than `limit` before `now` (they go on being
/// handled); whether there were any.
fn give_up(ledger: &mut Ledger, now: Instant, limit: Duration) -> bool {
    let overdue = ledger.give_up_overdue(now, limit);
    for update in &overdue {
        tracing::warn!(
            update_id = update.0,
            limit_ms = limit.as_millis() as u64,
            "an update is still being handled; later updates are confirmed without it"
        );
    }
    !overdue.is_empty()
}

/// Tells Telegram every handled update is done with: `getUpdates` with the offset past them,
/// without waiting for new ones.
async fn confirm(bot: &Bot, offset: u32) {
    if offset == 0 {
        return;
    }
    let confirmed = bot.get_updates().offset(offset_as_i32(offset)).timeout(0).limit(1).await;
    if let Err(error) = confirmed {
        // They are handled again after the restart; the handlers are idempotent.
        tracing::warn!(error = %error, "cannot confirm the last handled updates to Telegram");
    }
}

tokio::task_local! {
    /// The chat of the update the task handles, and where to say Telegram holds it to its pace.
    static THROTTLE: Throttle;
}

struct Throttle {
    chat: Option<ChatId>,
    tell: mpsc::UnboundedSender<ChatId>,
}

/// Said by the outbox when Telegram answers a reply with 429: the chat of the update being
/// handled stops holding back the confirmation of everybody's updates until its queue is empty.
/// Nothing outside the polling loop (the webhook, a digest round) has a chat to release.
pub fn throttled() {
    let _ = THROTTLE.try_with(|throttle| {
        if let Some(chat) = throttle.chat {
            let _ = throttle.tell.send(chat);
        }
    });
}

/// What a finished handler reports back.
struct Handled {
    update: UpdateId,
    chat: Option<ChatId>,
}

/// Waits for the chat's previous update, then handles this one. A panicking handler is logged and
/// counted as handled: Telegram would hand the same update over again, to the same panic.
async fn handle_in_turn(
    schema: Arc<UpdateHandler<anyhow::Error>>,
    dependencies: DependencyMap,
    update: Update,
    turn: Turn,
) -> Handled {
    let handled = Handled { update: update.id, chat: chat_of(&update) };
    if let Some(previous) = turn.after {
        let _ = previous.await;
    }
    let handling = super::handle_update(&schema, &dependencies, update);
    if AssertUnwindSafe(handling).catch_unwind().await.is_err() {
        tracing::error!(update_id = handled.update.0, "an update handler panicked");
    }
    drop(turn.done);
    handled
}

/// The chat an update belongs to, whose updates are handled in order (a button press on a message
/// the bot cannot see any more still has its sender's private chat). Updates of no chat go on
/// their own.
fn chat_of(update: &Update) -> Option<ChatId> {
    update.chat().map(|chat| chat.id).or_else(|| update.from().map(|user| ChatId::from(user.id)))
}

/// When an update of a chat may start: after the `after` signal (the chat's previous update
/// finished); dropping `done` lets the chat's next one start.
struct Turn {
    after: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

/// Each chat's updates being handled, the last of them for the next to wait for.
#[derive(Default)]
struct Chats(HashMap<ChatId, Queue>);

struct Queue {
    last: UpdateId,
    /// Closed when `last` is handled.
    finished: oneshot::Receiver<()>,
    /// The chat's updates queued or being handled.
    waiting: Vec<UpdateId>,
    /// Telegram holds the chat to its pace: its updates do not hold the offset back.
    throttled: bool,
}

impl Chats {
    /// Queues `update` behind the chat's last one; returns its turn and the chat's updates that no
    /// longer hold the offset back: this one if the chat is throttled, all it has waiting when this
    /// one makes its queue deeper than [`DEEP_QUEUE`].
    fn queue(&mut self, chat: Option<ChatId>, update: UpdateId) -> (Turn, Vec<UpdateId>) {
        let (done, finished) = oneshot::channel();
        let Some(chat) = chat else {
            return (Turn { after: None, done }, Vec::new());
        };
        match self.0.get_mut(&chat) {
            Some(queue) => {
                let after = std::mem::replace(&mut queue.finished, finished);
                queue.last = update;
                queue.waiting.push(update);
                let released = if queue.throttled {
                    vec![update]
                } else if queue.waiting.len() > DEEP_QUEUE {
                    queue.throttled = true;
                    queue.waiting.clone()
                } else {
                    Vec::new()
                };
                (Turn { after: Some(after), done }, released)
            }
            None => {
                self.0.insert(chat, Queue { last: update, finished, waiting: vec![update], throttled: false });
                (Turn { after: None, done }, Vec::new())
            }
        }
    }

    /// Forgets the update, and the chat once its last queued update is handled.
    fn finished(&mut self, chat: Option<ChatId>, update: UpdateId) {
        let Some(queue) = chat.and_then(|chat| self.0.get_mut(&chat)) else {
            return;
        };
        queue.waiting.retain(|waiting| *waiting != update);
        if queue.last == update {
            self.0.remove(&chat.expect("a queue has a chat"));
        }
    }

    /// Marks the chat throttled until its queue is empty; the updates to stop holding back.
    fn throttle(&mut self, chat: ChatId) -> Vec<UpdateId> {
        let Some(queue) = self.0.get_mut(&chat) else {
            return Vec::new();
        };
        queue.throttled = true;
        queue.waiting.clone()
    }
}

/// Which updates are handled and which offset confirms them: every update below the offset is
/// handled (or was given up on after [`HOLD_BACK_LIMIT`] or, crowded, [`CROWDED_HOLD_BACK_LIMIT`]).
#[derive(Default)]
struct Ledger {
    /// Updates being handled, by id, with when they were fetched.
    in_flight: BTreeMap<u32, Instant>,
    /// One past the highest update id fetched (0 before the first).
    next: u32,
}

impl Ledger {
    /// The offset to send: the first update still being handled, else the one after the last.
    fn offset(&self) -> u32 {
        self.in_flight.keys().next().copied().unwrap_or(self.next)
    }

    /// Whether an update being handled keeps later ones from being confirmed.
    fn holding_back(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Takes in an update of a batch asked for with `offset`; false if it was taken in before
    /// (Telegram repeats those it has not seen confirmed).
    fn fetched(&mut self, offset: u32, update: UpdateId, now: Instant) -> bool {
        let id = update.0;
        // Telegram starts counting anew after a quiet week: only ids between the offset sent and
        // the last one fetched are repeats.
        if (offset..self.next).contains(&id) {
            return false;
        }
        self.in_flight.insert(id, now);
        self.next = id.saturating_add(1);
        true
    }

    fn handled(&mut self, update: UpdateId) {
        self.in_flight.remove(&update.0);
    }

    /// Stops waiting for updates fetched more than `limit` before `now`; returns them.
    fn give_up_overdue(&mut self, now: Instant, limit: Duration) -> Vec<UpdateId> {
        let overdue: Vec<u32> = self
            .in_flight
            .iter()
            .filter(|(_, fetched)| now.duration_since(**fetched) > limit)
            .map(|(id, _)| *id)
            .collect();
        for id in &overdue {
            self.in_flight.remove(id);
        }
        overdue.into_iter().map(UpdateId).collect()
    }
}

/// Telegram's update ids fit an `i32` (the Bot API's offset type).
fn offset_as_i32(offset: u32) -> i32 {
    i32::try_from(offset).unwrap_or(i32::MAX)
}

/// How long to wait after the `failures`-th failed `getUpdates` in a row.
fn pause_after(error: &RequestError, failures: u32) -> Duration {
    match error {
        RequestError::RetryAfter(wait) => wait.duration(),
        _ => FIRST_PAUSE.saturating_mul(2u32.saturating_pow(failures)).min(LONGEST_PAUSE),
    }
}

/// Logs a failed `getUpdates`, never the answer's body: an answer teloxide cannot read carries
/// every update in it, senders included.
fn polling_failed(error: RequestError, pause: Duration) {
    let retry_in_ms = pause.as_millis() as u64;
    match error {
        RequestError::InvalidJson { source, .. } => tracing::error!(
            line = source.line(),
            column = source.column(),
            retry_in_ms,
            "cannot read the Bot API's answer to getUpdates"
        ),
        other => tracing::error!(error = %other, retry_in_ms, "cannot get updates from Telegram"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_read_whole_only_the_first_time_it_comes_and_an_unreadable_one_keeps_its_id() {
        let unread = |json: &str| RawValue::from_string(json.to_string()).unwrap();
        let message = unread(
            r#"{"update_id":8,"message":{"message_id":1,"date":0,"chat":{"id":5,"type":"private","first_name":"A"},
                "from":{"id":5,"is_bot":false,"first_name":"A"},"text":"/help"}}"#,
        );
        assert!(read_if_new(&message, |_| false).is_none(), "a repeat is not read");
        let read = read_if_new(&message, |id| id == UpdateId(8)).expect("a new update is read");
        assert!(matches!(read.kind, UpdateKind::Message(ref m) if m.text() == Some("/help")), "{read:?}");
        // A button press without `chat_instance`, as a Bot API emulator may send it.
        let press =
            unread(r#"{"update_id":9,"callback_query":{"id":"1","from":{"id":5,"is_bot":false,"first_name":"A"}}}"#);
        let read = read_if_new(&press, |_| true).expect("read, as unreadable");
        assert_eq!(read.id, UpdateId(9));
        assert!(matches!(read.kind, UpdateKind::Error(_)));
        assert!(read_if_new(&unread(r#"{"message":{}}"#), |_| true).is_none(), "no id, nothing to confirm");
    }

    #[test]
    fn the_offset_stays_at_the_first_update_not_handled() {
        let now = Instant::now();
        let mut ledger = Ledger::default();
        assert_eq!(ledger.offset(), 0, "the first poll takes what Telegram kept");
        for id in [5, 6, 7] {
            assert!(ledger.fetched(0, UpdateId(id), now));
        }
        ledger.handled(UpdateId(6));
        ledger.handled(UpdateId(7));
        assert_eq!(ledger.offset(), 5, "7 is done, but 5 is not: nothing is confirmed");
        // Telegram repeats 5, 6 and 7 and adds 8.
        let fresh: Vec<u32> = (5..=8).filter(|id| ledger.fetched(5, UpdateId(*id), now)).collect();
        assert_eq!(fresh, [8]);
        ledger.handled(UpdateId(5));
        assert_eq!(ledger.offset(), 8);
        ledger.handled(UpdateId(8));
        assert!(!ledger.holding_back());
        assert_eq!(ledger.offset(), 9);
        // After a quiet week Telegram may count from a lower id.
        assert!(ledger.fetched(9, UpdateId(3), now));
        assert_eq!(ledger.offset(), 3);
    }

    #[test]
    fn an_update_stuck_longer_than_the_limit_stops_holding_the_others_back() {
        let start = Instant::now();
        let mut ledger = Ledger::default();
        ledger.fetched(0, UpdateId(1), start);
        ledger.fetched(0, UpdateId(2), start + Duration::from_secs(5));
        assert!(ledger.give_up_overdue(start + HOLD_BACK_LIMIT, HOLD_BACK_LIMIT).is_empty());
        let later = start + HOLD_BACK_LIMIT + Duration::from_secs(1);
        assert_eq!(ledger.give_up_overdue(later, HOLD_BACK_LIMIT), [UpdateId(1)]);
        assert_eq!(ledger.offset(), 2);
        ledger.handled(UpdateId(1)); // finished after all: nothing changes
        assert_eq!(ledger.offset(), 2);
    }

    #[tokio::test]
    async fn each_chat_waits_for_its_own_previous_update_only() {
        let (a, b) = (Some(ChatId(1)), Some(ChatId(2)));
        let mut chats = Chats::default();
        let (first_a, _) = chats.queue(a, UpdateId(1));
        let (mut second_a, _) = chats.queue(a, UpdateId(2));
        let (first_b, _) = chats.queue(b, UpdateId(3));
        assert!(first_a.after.is_none() && first_b.after.is_none());
        let waiting = second_a.after.as_mut().unwrap();
        assert!(waiting.try_recv().is_err(), "the chat's second update waits");
        drop(first_a.done);
        chats.finished(a, UpdateId(1));
        assert!(chats.0.contains_key(&ChatId(1)), "the second is still queued");
        assert!(waiting.try_recv().is_err_and(|e| e == oneshot::error::TryRecvError::Closed));
        chats.finished(a, UpdateId(2));
        assert!(!chats.0.contains_key(&ChatId(1)));
        assert!(chats.queue(None, UpdateId(4)).0.after.is_none(), "no chat, no queue");
    }

    #[test]
    fn a_throttled_chat_releases_its_queue_and_what_comes_until_it_is_empty() {
        let (a, b) = (Some(ChatId(1)), Some(ChatId(2)));
        let mut chats = Chats::default();
        let _first = chats.queue(a, UpdateId(1));
        let (_, released) = chats.queue(a, UpdateId(2));
        assert!(released.is_empty());
        let _other = chats.queue(b, UpdateId(3));
        assert_eq!(chats.throttle(ChatId(1)), [UpdateId(1), UpdateId(2)], "the chat's queue is let go");
        assert_eq!(chats.queue(a, UpdateId(4)).1, [UpdateId(4)], "what comes meanwhile does not hold back either");
        assert!(chats.queue(b, UpdateId(5)).1.is_empty(), "the other chat still does");
        for update in [1, 2, 4] {
            chats.finished(a, UpdateId(update));
        }
        assert!(chats.queue(a, UpdateId(6)).1.is_empty(), "an emptied queue starts afresh");
        assert!(chats.throttle(ChatId(9)).is_empty(), "a chat with nothing queued has nothing to let go");
    }

    #[test]
    fn a_chat_with_more_waiting_than_a_person_sends_is_throttled_before_any_429() {
        let (a, b) = (Some(ChatId(1)), Some(ChatId(2)));
        let mut chats = Chats::default();
        let mut turns = vec![chats.queue(b, UpdateId(1000)).0];
        for update in 1..=DEEP_QUEUE as u32 {
            let (turn, released) = chats.queue(a, UpdateId(update));
            assert!(released.is_empty(), "{update} waiting hold the offset back");
            turns.push(turn);
        }
        let deeper = UpdateId(DEEP_QUEUE as u32 + 1);
        let (_, released) = chats.queue(a, deeper);
        let all: Vec<UpdateId> = (1..=deeper.0).map(UpdateId).collect();
        assert_eq!(released, all, "the whole queue is let go");
        assert_eq!(chats.queue(a, UpdateId(99)).1, [UpdateId(99)], "and what comes until it is empty");
        assert!(chats.queue(b, UpdateId(2000)).1.is_empty(), "the other chat still holds back");
    }
}
