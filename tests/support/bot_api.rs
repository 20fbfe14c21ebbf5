//! A Telegram Bot API stand-in on loopback, for integration tests that run
//! the real bot binary (teloxide, long polling) with
//! `TELOXIDE_API_URL=<BotApi::url()>` and `TELOXIDE_TOKEN=<BotApi::token()>`.
//!
//! The server answers `POST|GET /bot{token}/{method}` (method names are matched
//! case-insensitively, teloxide sends e.g. `GetUpdates`) with Telegram-shaped
//! JSON that teloxide deserializes, records every call, keeps the chats as a
//! user would see them (bot messages after edits/deletes) and lets a test play
//! the user's side: send texts, stickers and photos, press inline buttons.
//!
//! Fidelity notes (things Telegram does that the stand-in does too, so bugs
//! show up in tests rather than in production):
//! * `parse_mode` `HTML`, `MarkdownV2` and `Markdown` are parsed like Telegram
//!   does; malformed markup (unsupported tags such as `<br>`, unescaped `<`,
//!   unescaped MarkdownV2 reserved characters, unclosed entities) is rejected
//!   with `400 Bad Request: can't parse entities: ...`. The stored/displayed
//!   text is the rendered text (tags stripped, `&lt;` decoded).
//! * empty text → `message text is empty`; text over 4096 UTF-16 units →
//!   `message is too long` (`MESSAGE_TOO_LONG` for edits); caption over 1024 →
//!   `message caption is too long`; `callback_data` outside 1..=64 bytes →
//!   `BUTTON_DATA_INVALID`; an empty uploaded file → `file must be non-empty`.
//! * `editMessageText` without `reply_markup` removes the inline keyboard;
//!   editing to identical content and markup → `message is not modified: ...`;
//!   editing a missing message → `message to edit not found`; editing the text
//!   of a photo/document → `there is no text in the message to edit`.
//! * `answerCallbackQuery` with an unknown or already answered id →
//!   `query is too old and response timeout expired or query id is invalid`.
//! * Only inline keyboards are echoed in `Message.reply_markup` (Telegram never
//!   returns reply keyboards there, and teloxide could not deserialize them).
//!
//! The server runs as a task on the test's tokio runtime: while waiting for
//! the bot, await (e.g. `tokio::time::sleep`, `tokio::process`), never block
//! the runtime thread (`std::thread::sleep`, `std::process::Command::output`),
//! or the stand-in stops answering.
//!
//! Webhook mode works as Telegram's does: after `setWebhook` every update (and those still
//! queued) is POSTed to the URL with the `X-Telegram-Bot-Api-Secret-Token` header, concurrently,
//! and re-sent until the answer is a 2xx; `getUpdates` is refused with 409 meanwhile;
//! `deleteWebhook` goes back to polling.
//!
//! Telegram's rate limits, always unless a test lifts them ([`BotApi::lift_rate_limits`], with a
//! comment saying why): about one message a second per chat after a burst, and about 30 a second
//! for bulk messages (to chats that have not written to the bot within the last minute: digests,
//! reminders; replies to people using the bot are not held to it, as the load benchmark's stand-in
//! models it too), counted over the calls that send or edit messages; a call beyond them is
//! answered `429 Too Many Requests: retry after N` with `parameters.retry_after`, as Telegram does,
//! and carried out only when tried again. Telegram publishes no burst; people going through a
//! questionnaire at a person's pace never meet it, scripted users press as fast as the bot answers.
//! The per-chat burst of 40 is what the tests' scripted users need to go through questionnaires
//! without being held up where a person would not be (measured over the test files on a loaded
//! machine: a questionnaire run through takes 14–17 messages in a burst, the inputs test 22, two
//! schools' questionnaires in a row 30; on a faster machine the need nears the message count, 32
//! there, hence the room). The bulk burst of 150: a dozen recipients' digests at once go out
//! without a wait, a bulk round beyond 30 a second meets the limit within seconds. (When replies
//! counted too, scripted users' screens came seconds after their buttons' answers on a loaded
//! machine, and a press read off the old screen went astray: tests/linkage.rs.)
//!
//! Injected network faults ([`Failure::Dropped`], [`Failure::Hung`]) act on the TCP connection:
//! the listener hands each request a switch for its connection, and a cut connection fails every
//! read and write, so hyper closes it without sending a byte of the response.
//!
//! Users send documents too ([`TestUser::send_document`]): `getFile` answers with a `file_path`,
//! and `GET /file/bot<token>/<file_path>` serves the bytes, as teloxide's `download_file` asks.
//!
//! Message ids are global to one stand-in (one counter for bot and user
//! messages), update ids increase from 1.
//!
//! Needs `axum = { version = "0.8", features = ["multipart"] }` in
//! `[dev-dependencies]` (sendPhoto/sendDocument are multipart requests).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The bot's user id (also the numeric part of [`TOKEN`]).
pub const BOT_ID: i64 = 1000;
/// The bot's username as returned by `getMe`.
pub const BOT_USERNAME: &str = "anketa_test_bot";
/// The bot's first name as returned by `getMe`.
pub const BOT_FIRST_NAME: &str = "Anketa Test Bot";
/// The token handed to the bot; the server accepts any token.
pub const TOKEN: &str = "1000:TEST_TOKEN";
/// How long the user-side helpers wait for the bot.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// Upper bound for one `getUpdates` long poll, whatever `timeout` the bot asks.
const MAX_LONG_POLL: Duration = Duration::from_secs(2);
/// Body size limit of the server.
const BODY_LIMIT: usize = 64 << 20;
/// Methods whose successful calls count as "bot output to a chat".
const OUTPUT_METHODS: &[&str] =
    &["sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup", "editmessagecaption"];
const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup \
                            of the message";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// A failure to inject into a method with [`BotApi::set_failure`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Answer the next call of the method (once) with `429 Too Many Requests:
    /// retry after N` and `parameters.retry_after = N`; later calls succeed.
    TooManyRequests { retry_after: u32 },
    /// Answer every call of the method with `403 Forbidden: bot was blocked by
    /// the user` until cleared with `set_failure(method, None)`.
    Forbidden,
    /// Answer the next `times` calls of the method with a front proxy's `502 Bad
    /// Gateway` HTML page (not Telegram's JSON), as during a Telegram outage.
    BadGateway { times: u32 },
    /// Answer the next `times` calls after a pause of `delay_ms`, then normally.
    Slow { times: u32, delay_ms: u64 },
    /// Take the next `times` calls of the method in full, then close the connection without any
    /// HTTP response (a proxy restarting, a NAT forgetting the connection). The call is not carried
    /// out: nothing is sent, no update is handed out.
    Dropped { times: u32 },
    /// Never answer the next `times` calls of the method: the connection stays open and silent
    /// until the stand-in shuts down, when it is closed without a response. The bot's HTTP
    /// client has to give up on it. The call is not carried out.
    Hung { times: u32 },
    /// Carry out the next `times` calls of the method, but answer each with `ok: true` and an
    /// empty object for a result, not the documented one (as some Bot API emulators do).
    OddResult { times: u32 },
}

impl Failure {
    /// The same failure with one use less, or `None` after its last use.
    fn used_once(&self) -> Option<Failure> {
        let less = |times: u32| times.checked_sub(1).filter(|t| *t > 0);
        match self {
            Failure::TooManyRequests { .. } => None,
            Failure::Forbidden => Some(Failure::Forbidden),
            Failure::BadGateway { times } => less(*times).map(|times| Failure::BadGateway { times }),
            Failure::Slow { times, delay_ms } => less(*times).map(|times| Failure::Slow { times, delay_ms: *delay_ms }),
            Failure::Dropped { times } => less(*times).map(|times| Failure::Dropped { times }),
            Failure::Hung { times } => less(*times).map(|times| Failure::Hung { times }),
            Failure::OddResult { times } => less(*times).map(|times| Failure::OddResult { times }),
        }
    }
}

/// A bot message as the user sees it.
#[derive(Clone, Debug)]
pub struct BotMessage {
    pub message_id: i32,
    /// The rendered text (or caption): markup tags stripped, entities decoded.
    pub text: String,
    /// Inline keyboard rows (empty when the message has no inline keyboard).
    pub buttons: Vec<Vec<Button>>,
    /// `"text"`, `"photo"` or `"document"`.
    pub kind: String,
}

/// One inline keyboard button.
#[derive(Clone, Debug)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

impl BotMessage {
    /// All button texts, row by row.
    pub fn button_texts(&self) -> Vec<String> {
        self.buttons.iter().flatten().map(|b| b.text.clone()).collect()
    }

    /// Whether some button's text contains `contains`.
    pub fn has_button(&self, contains: &str) -> bool {
        self.buttons.iter().flatten().any(|b| b.text.contains(contains))
    }

    /// The first button whose text contains `contains`.
    pub fn button(&self, contains: &str) -> Option<&Button> {
        self.buttons.iter().flatten().find(|b| b.text.contains(contains))
    }

    fn from_json(msg: &Value) -> BotMessage {
        let kind = if msg.get("photo").is_some() {
            "photo"
        } else if msg.get("document").is_some() {
            "document"
        } else {
            "text"
        };
        let text =
            msg.get("text").or_else(|| msg.get("caption")).and_then(Value::as_str).unwrap_or_default().to_owned();
        let buttons = msg
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|row| {
                        row.as_array()
                            .map(|r| {
                                r.iter()
                                    .map(|b| Button {
                                        text: str_of(b, "text").unwrap_or_default(),
                                        callback_data: str_of(b, "callback_data"),
                                        url: str_of(b, "url"),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        BotMessage {
            message_id: msg.get("message_id").and_then(Value::as_i64).unwrap_or_default() as i32,
            text,
            buttons,
            kind: kind.to_owned(),
        }
    }
}

/// What the bot answered to a callback query (`answerCallbackQuery`).
#[derive(Clone, Debug)]
pub struct CallbackAnswer {
    pub text: Option<String>,
    pub show_alert: bool,
}

/// One recorded request.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// Global sequence number, starting at 1, shared by all methods.
    pub seq: u64,
    /// The method name as it appeared in the URL (e.g. `SendMessage`).
    pub method: String,
    /// The request body: JSON as sent; multipart fields as a JSON object of
    /// strings (a file part is `"<file name> (<n> bytes)"`); `{}` when empty.
    pub body: Value,
    /// Whether the stand-in answered `ok: true`.
    pub ok: bool,
    /// The `result` on success, the whole error JSON on failure (`null` for
    /// `getUpdates`).
    pub response: Value,
    /// The `chat_id` of the request, if any.
    pub chat_id: Option<i64>,
    /// When the request arrived (its body read): the moment Telegram would count it against its
    /// rate limits.
    pub at: std::time::Instant,
}

/// A file uploaded in a multipart request (e.g. the CSV of a `sendDocument`).
#[derive(Clone, Debug)]
pub struct Upload {
    /// Sequence number of the call that carried it.
    pub seq: u64,
    /// The method name as it appeared in the URL.
    pub method: String,
    /// The field referring to it (`document`, `photo`), resolved through
    /// `attach://`; the part name if nothing refers to it.
    pub field: String,
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
    /// The `chat_id` of the request, if any.
    pub chat_id: Option<i64>,
}

// ---------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------

/// Rendered text plus an entity fingerprint, compared for "not modified".
#[derive(Clone, Debug, PartialEq, Default)]
struct Formatted {
    text: String,
    entities: Vec<(String, usize, usize, String)>,
}

struct StoredMsg {
    chat_id: i64,
    /// The Message JSON as Telegram would return it now.
    json: Value,
    formatted: Formatted,
}

struct FilePart {
    name: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

struct Inner {
    seq: u64,
    calls: Vec<RecordedCall>,
    next_update_id: u32,
    /// Updates not yet confirmed by an `offset`.
    updates: VecDeque<(u32, Value)>,
    /// Highest update id ever returned by getUpdates.
    delivered_upto: u32,
    next_message_id: i32,
    next_callback: u64,
    next_file: u64,
    /// Bot messages by id.
    messages: BTreeMap<i32, StoredMsg>,
    /// Known users: id → language code.
    users: HashMap<i64, String>,
    /// Callback ids handed out and not yet answered.
    open_callbacks: HashSet<String>,
    failures: HashMap<String, Failure>,
    uploads: Vec<Upload>,
    /// Where updates are posted, once the bot called `setWebhook`.
    webhook: Option<WebhookTarget>,
    /// Every webhook POST and how it ended.
    deliveries: Vec<Delivery>,
    shutting_down: bool,
    /// Each user's last message, to hand over again as Telegram does after a restart.
    last_messages: HashMap<i64, Value>,
    /// Documents users sent, by `file_id`: the `file_path` `getFile` gives and the bytes
    /// `GET /file/bot<token>/<file_path>` serves.
    user_files: HashMap<String, (String, Vec<u8>)>,
    /// Telegram's rate limits, unless a test lifted them.
    limits: Option<RateLimits>,
}

/// Telegram's limits on messages sent: per chat and for the bot's bulk messages.
struct RateLimits {
    per_chat: HashMap<i64, Bucket>,
    bulk: Bucket,
    /// When each chat last wrote to the bot: messages to it since are replies, not bulk.
    wrote: HashMap<i64, std::time::Instant>,
}

/// A token bucket: `burst` tokens, `per_second` more each second.
struct Bucket {
    tokens: f64,
    updated: std::time::Instant,
    burst: f64,
    per_second: f64,
}

impl Bucket {
    fn new(burst: f64, per_second: f64) -> Bucket {
        Bucket { tokens: burst, updated: std::time::Instant::now(), burst, per_second }
    }

    fn refill(&mut self, now: std::time::Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.updated = now;
    }

    /// Whole seconds until a token is there (at least 1, as Telegram never says 0).
    fn retry_after(&self) -> u32 {
        (((1.0 - self.tokens) / self.per_second).ceil() as u32).max(1)
    }
}

/// About one message a second per chat, after a burst that scripted users going through
/// questionnaires need (see the module docs).
const CHAT_BURST: f64 = 40.0;
const CHAT_PER_SECOND: f64 = 1.0;
/// About 30 bulk messages a second, Telegram's limit for sends to many people (see the module docs).
const BULK_BURST: f64 = 150.0;
const BULK_PER_SECOND: f64 = 30.0;
/// A message to a chat that wrote to the bot within this long is a reply, not bulk.
const REPLY_WINDOW: Duration = Duration::from_secs(60);

impl RateLimits {
    fn new() -> RateLimits {
        RateLimits { per_chat: HashMap::new(), bulk: Bucket::new(BULK_BURST, BULK_PER_SECOND), wrote: HashMap::new() }
    }

    /// Takes a token from the chat's bucket (and the bulk one for bulk), or says how long to wait.
    fn take(&mut self, chat_id: i64) -> Result<(), u32> {
        let now = std::time::Instant::now();
        let bulk = self.wrote.get(&chat_id).is_none_or(|wrote| now.duration_since(*wrote) > REPLY_WINDOW);
        let chat = self.per_chat.entry(chat_id).or_insert_with(|| Bucket::new(CHAT_BURST, CHAT_PER_SECOND));
        chat.refill(now);
        self.bulk.refill(now);
        if chat.tokens < 1.0 {
            return Err(chat.retry_after());
        }
        if bulk && self.bulk.tokens < 1.0 {
            return Err(self.bulk.retry_after());
        }
        chat.tokens -= 1.0;
        if bulk {
            self.bulk.tokens -= 1.0;
        }
        Ok(())
    }
}

/// Whether a method sends or changes a message, and so counts against Telegram's limits.
fn sends_a_message(method: &str) -> bool {
    method.starts_with("send") || method.starts_with("edit") || method == "copymessage" || method == "forwardmessage"
}

#[derive(Clone)]
struct WebhookTarget {
    url: String,
    secret: Option<String>,
}

/// One webhook POST of an update: the HTTP status, or `None` when no answer came.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub update_id: u32,
    pub status: Option<u16>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Bumped (to the last seq) after every recorded call.
    calls_tx: watch::Sender<u64>,
    /// Bumped after every enqueued update and on shutdown.
    updates_tx: watch::Sender<u64>,
    shutdown_tx: watch::Sender<bool>,
    http: reqwest::Client,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wait until `f` returns `Some` (re-checked after every recorded call) or
    /// the timeout passes. Never polls: wakes on the calls watch channel.
    async fn wait<T>(&self, timeout: Duration, mut f: impl FnMut(&Inner) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut rx = self.calls_tx.subscribe();
            let found = {
                let inner = self.lock();
                f(&inner)
            };
            if found.is_some() {
                return found;
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                let inner = self.lock();
                return f(&inner);
            }
        }
    }

    fn enqueue_update(self: &Arc<Self>, kind: &str, payload: Value) -> u32 {
        let (id, post) = {
            let mut inner = self.lock();
            if let (Some(limits), Some(sender)) = (&mut inner.limits, payload["from"]["id"].as_i64()) {
                limits.wrote.insert(sender, std::time::Instant::now());
            }
            inner.next_update_id += 1;
            let id = inner.next_update_id;
            let mut update = Map::new();
            update.insert("update_id".into(), json!(id));
            update.insert(kind.into(), payload);
            let update = Value::Object(update);
            if inner.webhook.is_some() {
                (id, Some(update))
            } else {
                inner.updates.push_back((id, update));
                (id, None)
            }
        };
        match post {
            Some(update) => self.post_update(id, update),
            None => {
                self.updates_tx.send_modify(|v| *v += 1);
            }
        }
        id
    }

    /// Posts an update to the webhook in the background, again and again until a 2xx answer (50 ms
    /// apart, as Telegram retries too) or until the webhook is deleted (the update is queued
    /// for `getUpdates` again) or the stand-in shuts down.
    fn post_update(self: &Arc<Self>, id: u32, update: Value) {
        let shared = self.clone();
        tokio::spawn(async move {
            loop {
                let target = {
                    let mut inner = shared.lock();
                    if inner.shutting_down {
                        return;
                    }
                    match inner.webhook.clone() {
                        Some(target) => target,
                        None => {
                            inner.updates.push_back((id, update));
                            inner.updates.make_contiguous().sort_by_key(|(id, _)| *id);
                            drop(inner);
                            shared.updates_tx.send_modify(|v| *v += 1);
                            return;
                        }
                    }
                };
                let mut request = shared.http.post(&target.url).json(&update).timeout(Duration::from_secs(30));
                if let Some(secret) = &target.secret {
                    request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
                }
                let status = request.send().await.ok().map(|response| response.status().as_u16());
                shared.lock().deliveries.push(Delivery { update_id: id, status });
                if status.is_some_and(|s| (200..300).contains(&s)) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }

    /// `setWebhook`: from now on updates are posted, the queued ones first.
    fn set_webhook(self: &Arc<Self>, body: &Value) -> Result<Value, ApiErr> {
        let url = body.get("url").and_then(Value::as_str).unwrap_or_default().to_string();
        if url.is_empty() {
            self.lock().webhook = None;
            return Ok(json!(true));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiErr::bad("bad webhook: An HTTPS URL must be provided for webhook"));
        }
        let secret = body.get("secret_token").and_then(Value::as_str).map(str::to_string);
        let queued: Vec<(u32, Value)> = {
            let mut inner = self.lock();
            inner.webhook = Some(WebhookTarget { url, secret });
            inner.updates.drain(..).collect()
        };
        for (id, update) in queued {
            self.post_update(id, update);
        }
        Ok(json!(true))
    }

    fn record(&self, call: RecordedCall, files: Vec<FilePart>) -> u64 {
        let seq = {
            let mut inner = self.lock();
            inner.seq += 1;
            let seq = inner.seq;
            let mut call = call;
            call.seq = seq;
            for part in files {
                let field = call
                    .body
                    .as_object()
                    .and_then(|o| {
                        o.iter().find_map(|(k, v)| {
                            (v.as_str() == Some(&format!("attach://{}", part.name))).then(|| k.clone())
                        })
                    })
                    .unwrap_or_else(|| part.name.clone());
                inner.uploads.push(Upload {
                    seq,
                    method: call.method.clone(),
                    field,
                    file_name: part.file_name,
                    bytes: part.bytes,
                    chat_id: call.chat_id,
                });
            }
            inner.calls.push(call);
            seq
        };
        self.calls_tx.send_replace(seq);
        seq
    }

    fn dump_calls(&self, last: usize) -> String {
        let inner = self.lock();
        dump_calls(&inner, last)
    }
}

/// The last `last` calls, one a line; successful `getUpdates` polls are
/// left out (only counted), they would drown everything else.
fn dump_calls(inner: &Inner, last: usize) -> String {
    let mut s = String::new();
    let shown: Vec<&RecordedCall> =
        inner.calls.iter().filter(|c| !(c.ok && c.method.eq_ignore_ascii_case("getUpdates"))).collect();
    let polls = inner.calls.len() - shown.len();
    let from = shown.len().saturating_sub(last);
    for c in &shown[from..] {
        let mut body = c.body.to_string();
        if body.len() > 400 {
            let mut cut = 400;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push('…');
        }
        let err = if c.ok {
            String::new()
        } else {
            format!(" error={}", c.response.get("description").unwrap_or(&Value::Null))
        };
        s.push_str(&format!("  #{} {} chat={:?}{} body={}\n", c.seq, c.method, c.chat_id, err, body));
    }
    if s.is_empty() {
        s.push_str("  (no calls recorded besides getUpdates)\n");
    }
    s.push_str(&format!("  ({polls} successful getUpdates polls not shown)\n"));
    s
}

fn dump_chat(inner: &Inner, chat_id: i64) -> String {
    let mut s = String::new();
    for m in inner.messages.values().filter(|m| m.chat_id == chat_id) {
        let bm = BotMessage::from_json(&m.json);
        s.push_str(&format!("  [{} {}] {:?}\n", bm.message_id, bm.kind, bm.text));
        for row in &bm.buttons {
            let row: Vec<String> = row
                .iter()
                .map(|b| match (&b.callback_data, &b.url) {
                    (Some(d), _) => format!("{:?} ({d})", b.text),
                    (None, Some(u)) => format!("{:?} (url {u})", b.text),
                    _ => format!("{:?}", b.text),
                })
                .collect();
            s.push_str(&format!("      buttons: {}\n", row.join(" | ")));
        }
    }
    if s.is_empty() {
        s.push_str("  (no bot messages in this chat)\n");
    }
    s
}

// ---------------------------------------------------------------------------
// BotApi
// ---------------------------------------------------------------------------

/// The stand-in server. Dropping it shuts the server down.
pub struct BotApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl BotApi {
    /// Start the server on `127.0.0.1:0` (bot id 1000, username
    /// `anketa_test_bot`). Must be called inside a tokio runtime.
    pub async fn start() -> BotApi {
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the Bot API stand-in on 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr of the Bot API stand-in");
        let (calls_tx, _) = watch::channel(0);
        let (updates_tx, _) = watch::channel(0);
        let (shutdown_tx, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                seq: 0,
                calls: Vec::new(),
                next_update_id: 0,
                updates: VecDeque::new(),
                delivered_upto: 0,
                next_message_id: 0,
                next_callback: 0,
                next_file: 0,
                messages: BTreeMap::new(),
                users: HashMap::new(),
                open_callbacks: HashSet::new(),
                failures: HashMap::new(),
                uploads: Vec::new(),
                webhook: None,
                deliveries: Vec::new(),
                shutting_down: false,
                last_messages: HashMap::new(),
                user_files: HashMap::new(),
                limits: Some(RateLimits::new()),
            }),
            calls_tx,
            updates_tx,
            shutdown_tx,
            http: reqwest::Client::new(),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(shared.clone())
            .into_make_service_with_connect_info::<Cut>();
        let mut shutdown_rx = shared.shutdown_tx.subscribe();
        let server = tokio::spawn(async move {
            let _ = axum::serve(CuttableListener(listener), app)
                .with_graceful_shutdown(async move {
                    let _ = shutdown_rx.wait_for(|down| *down).await;
                })
                .await;
        });
        BotApi { shared, addr, server: Mutex::new(Some(server)) }
    }

    /// The value for `TELOXIDE_API_URL`, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The value for `TELOXIDE_TOKEN` (any token is accepted by the server).
    pub fn token(&self) -> &'static str {
        TOKEN
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A user with a private chat whose `chat.id == id`. `language_code` is
    /// sent as `from.language_code` (omitted when empty).
    pub fn user(&self, id: i64, language_code: &str) -> TestUser {
        self.shared.lock().users.insert(id, language_code.to_owned());
        TestUser { id, language_code: language_code.to_owned(), shared: self.shared.clone() }
    }

    /// Every recorded request body of `method` (case-insensitive), in order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let inner = self.shared.lock();
        inner.calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).map(|c| c.body.clone()).collect()
    }

    /// Every recorded call (all methods, with responses), in order.
    pub fn all_calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// The sequence number of the last recorded call (0 before any call).
    /// Use with [`BotApi::wait_for_call_after`] / [`TestUser::wait_output_after`].
    pub fn seq(&self) -> u64 {
        self.shared.lock().seq
    }

    /// Every file uploaded so far (multipart file parts), in order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.lock().uploads.clone()
    }

    /// Wait until some call of `method` (case-insensitive; any call recorded so
    /// far counts, the first match is returned) has a body matching `pred`.
    /// Panics on timeout, listing the recent calls.
    pub async fn wait_for_call(&self, method: &str, pred: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        self.wait_for_call_after(0, method, pred, timeout).await
    }

    /// Like [`BotApi::wait_for_call`], but only calls with `seq > after` count.
    pub async fn wait_for_call_after(
        &self,
        after: u64,
        method: &str,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let found = self
            .shared
            .wait(timeout, |inner| {
                inner
                    .calls
                    .iter()
                    .find(|c| c.seq > after && c.method.eq_ignore_ascii_case(method) && pred(&c.body))
                    .map(|c| c.body.clone())
            })
            .await;
        match found {
            Some(v) => v,
            None => panic!(
                "Bot API stand-in: no matching {method} call (after #{after}) within {timeout:?}; \
                 recent calls:\n{}",
                self.shared.dump_calls(30)
            ),
        }
    }

    /// Every webhook POST so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Updates not yet fetched by `getUpdates`.
    pub fn pending_updates(&self) -> usize {
        let inner = self.shared.lock();
        inner.updates.iter().filter(|(id, _)| *id > inner.delivered_upto).count()
    }

    /// Make `method` (case-insensitive) fail; `None` clears the failure.
    /// The failing call is still recorded (with `ok == false`).
    pub fn set_failure(&self, method: &str, failure: Option<Failure>) {
        let mut inner = self.shared.lock();
        let key = method.to_ascii_lowercase();
        match failure {
            Some(f) => {
                inner.failures.insert(key, f);
            }
            None => {
                inner.failures.remove(&key);
            }
        }
    }

    /// From now on, carry out calls beyond Telegram's rate limits too: for a test that must exceed
    /// them (say why where it is called).
    pub fn lift_rate_limits(&self) {
        self.shared.lock().limits = None;
    }

    /// Enqueue an arbitrary update; `update` is e.g.
    /// `json!({"edited_message": {...}})` (its `update_id` is assigned here).
    /// Returns the update id.
    pub fn enqueue_update(&self, update: Value) -> u32 {
        let obj = update.as_object().expect("enqueue_update wants a JSON object");
        let (kind, payload) = obj
            .iter()
            .find(|(k, _)| k.as_str() != "update_id")
            .expect("enqueue_update wants one update kind, e.g. {\"message\": ...}");
        self.shared.enqueue_update(kind, payload.clone())
    }

    /// Shut the server down and wait (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self.signal_shutdown();
        let handle = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut handle) = handle
            && tokio::time::timeout(Duration::from_secs(5), &mut handle).await.is_err()
        {
            // Connections still open after 5 s.
            handle.abort();
        }
    }

    fn signal_shutdown(&self) {
        self.shared.lock().shutting_down = true;
        self.shared.shutdown_tx.send_replace(true);
        self.shared.updates_tx.send_modify(|v| *v += 1);
    }
}

impl Drop for BotApi {
    fn drop(&mut self) {
        self.signal_shutdown();
        // Graceful shutdown closes idle keep-alive connections; abort whatever
        // is left so nothing outlives the stand-in.
        if let Some(handle) = self.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
            handle.abort();
        }
    }
}

// ---------------------------------------------------------------------------
// TestUser
// ---------------------------------------------------------------------------

/// The user side of one private chat (`chat.id == user id`).
#[derive(Clone)]
pub struct TestUser {
    id: i64,
    language_code: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TestUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestUser").field("id", &self.id).field("language_code", &self.language_code).finish()
    }
}

impl TestUser {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn language_code(&self) -> &str {
        &self.language_code
    }

    /// Send a text message (with a `bot_command` entity when it starts with
    /// `/`) and wait (10 s) for the next bot output to this chat recorded after
    /// it (sendMessage/sendPhoto/sendDocument/editMessage*); returns the
    /// message as that call left it.
    pub async fn send_text(&self, text: &str) -> BotMessage {
        let after = self.enqueue_message(self.text_payload(text));
        self.wait_output_after_ctx(after, &format!("after the user sent {text:?}")).await
    }

    /// Send a sticker (no text) and wait for the next bot output (see `send_text`).
    pub async fn send_sticker(&self) -> BotMessage {
        let n = self.file_counter();
        let payload = json!({
            "sticker": {
                "file_id": format!("STICKER_{n}"),
                "file_unique_id": format!("UST{n}"),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": false,
                "is_video": false,
                "emoji": "👍",
                "file_size": 12345
            }
        });
        let after = self.enqueue_message(payload);
        self.wait_output_after_ctx(after, "after the user sent a sticker").await
    }

    /// Send a photo (no caption) and wait for the next bot output (see `send_text`).
    pub async fn send_photo(&self) -> BotMessage {
        let n = self.file_counter();
        let payload = json!({
            "photo": [
                {"file_id": format!("PHOTO_{n}_S"), "file_unique_id": format!("UPS{n}"), "file_size": 1500, "width": 90, "height": 67},
                {"file_id": format!("PHOTO_{n}_M"), "file_unique_id": format!("UPM{n}"), "file_size": 24000, "width": 320, "height": 240},
                {"file_id": format!("PHOTO_{n}_L"), "file_unique_id": format!("UPL{n}"), "file_size": 98000, "width": 1280, "height": 960}
            ]
        });
        let after = self.enqueue_message(payload);
        self.wait_output_after_ctx(after, "after the user sent a photo").await
    }

    /// Send a document (a file with its name) and wait for the next bot output (see `send_text`).
    /// The bot fetches it as from Telegram: `getFile`, then `GET /file/bot<token>/<file_path>`.
    pub async fn send_document(&self, file_name: &str, bytes: &[u8]) -> BotMessage {
        let after = self.enqueue_document(file_name, bytes, bytes.len() as u64);
        self.wait_output_after_ctx(after, &format!("after the user sent the file {file_name:?}")).await
    }

    /// Sends a file as the answer to the bot's message `reply_to` (Telegram's «Ответить»): the
    /// update carries that message, buttons included, as `reply_to_message`.
    pub async fn reply_with_document(&self, reply_to: i32, file_name: &str, bytes: &[u8]) -> BotMessage {
        let original = {
            let inner = self.shared.lock();
            match inner.messages.get(&reply_to) {
                Some(m) if m.chat_id == self.id => m.json.clone(),
                _ => panic!("Bot API stand-in: user {} has no message {reply_to} to answer", self.id),
            }
        };
        let after = self.enqueue_document_with(file_name, bytes, bytes.len() as u64, Some(original));
        self.wait_output_after_ctx(after, &format!("after the user answered with the file {file_name:?}")).await
    }

    /// Enqueue a document whose `file_size` Telegram reports as `file_size` without waiting;
    /// returns the seq before it.
    pub fn enqueue_document(&self, file_name: &str, bytes: &[u8], file_size: u64) -> u64 {
        self.enqueue_document_with(file_name, bytes, file_size, None)
    }

    fn enqueue_document_with(&self, file_name: &str, bytes: &[u8], file_size: u64, reply_to: Option<Value>) -> u64 {
        let n = self.file_counter();
        let file_id = format!("DOC_{n}");
        let mime_type = if file_name.ends_with(".xlsx") {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        } else {
            "text/csv"
        };
        self.shared.lock().user_files.insert(file_id.clone(), (format!("documents/file_{n}"), bytes.to_vec()));
        let mut content = json!({
            "document": {
                "file_id": file_id,
                "file_unique_id": format!("UDOC{n}"),
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": file_size
            }
        });
        if let Some(original) = reply_to {
            content["reply_to_message"] = original;
        }
        self.enqueue_message(content)
    }

    /// Enqueue a text message without waiting. Returns the seq of the last
    /// call recorded before it (for [`TestUser::wait_output_after`]).
    pub fn enqueue_text(&self, text: &str) -> u64 {
        self.enqueue_message(self.text_payload(text))
    }

    /// Hand this user's last message to the bot once more, unchanged (same message id), as
    /// Telegram does with an update the bot had not confirmed when it stopped. Returns the seq of
    /// the last call recorded before it.
    pub fn resend_last_message(&self) -> u64 {
        let (after, msg) = {
            let inner = self.shared.lock();
            let msg = inner.last_messages.get(&self.id).cloned().expect("the user sent a message before");
            (inner.seq, msg)
        };
        self.shared.enqueue_update("message", msg);
        after
    }

    /// Press the button whose text contains `button_text` on the NEWEST bot
    /// message in this chat that has one; wait (10 s) for the bot's
    /// `answerCallbackQuery`. Panics (showing the chat) if there is no such
    /// button or it has no callback data.
    pub async fn press(&self, button_text: &str) -> CallbackAnswer {
        let found = {
            let inner = self.shared.lock();
            inner
                .messages
                .values()
                .rev()
                .filter(|m| m.chat_id == self.id)
                .find_map(|m| {
                    let bm = BotMessage::from_json(&m.json);
                    bm.button(button_text).map(|b| (bm.message_id, b.clone()))
                })
                .ok_or_else(|| dump_chat(&inner, self.id))
        };
        let (message_id, button) = match found {
            Ok(x) => x,
            Err(chat) => {
                panic!("Bot API stand-in: user {} has no button containing {button_text:?}; chat:\n{chat}", self.id)
            }
        };
        let Some(data) = button.callback_data else {
            panic!(
                "Bot API stand-in: button {:?} in message {message_id} has no callback_data (url: {:?})",
                button.text, button.url
            )
        };
        let id = self.enqueue_press(message_id, &data);
        self.wait_answer(&id).await
    }

    /// Press the newest button whose text contains `button_text`, as a person does: wait for its
    /// answer, which must say nothing, and then for the screen it leads to. The bot answers a
    /// button a second after the press at the latest; the screen may come later, when Telegram
    /// holds the bot to its rate limits, and a next press read off the old screen would be stale.
    pub async fn press_and_see(&self, button_text: &str) -> BotMessage {
        let pressed = self.seq();
        let answer = self.press(button_text).await;
        assert_eq!(answer.text, None, "pressing {button_text:?} gave a notice");
        self.wait_output_after(pressed).await
    }

    /// Press a (possibly forged) callback `data` on message `message_id` and
    /// wait for the answer. A message that the stand-in does not know (or of
    /// another chat) is sent as an inaccessible message (`date: 0`).
    pub async fn press_data(&self, message_id: i32, data: &str) -> CallbackAnswer {
        let id = self.enqueue_press(message_id, data);
        self.wait_answer(&id).await
    }

    /// Enqueue a callback query without waiting; returns its id.
    pub fn enqueue_press(&self, message_id: i32, data: &str) -> String {
        let (id, payload) = self.press_payload(message_id, data);
        self.shared.enqueue_update("callback_query", payload);
        id
    }

    /// A callback query as Telegram would send it, for a test to deliver itself (to one webhook
    /// replica of its choice); its id, and the `callback_query` object.
    pub fn press_payload(&self, message_id: i32, data: &str) -> (String, Value) {
        {
            let mut inner = self.shared.lock();
            inner.next_callback += 1;
            let id = format!("cb{}-{}", self.id, inner.next_callback);
            inner.open_callbacks.insert(id.clone());
            let message = match inner.messages.get(&message_id) {
                Some(m) if m.chat_id == self.id => m.json.clone(),
                _ => json!({"message_id": message_id, "date": 0, "chat": private_chat(self.id)}),
            };
            let payload = json!({
                "id": id,
                "from": human(self.id, &self.language_code),
                "message": message,
                "chat_instance": format!("ci{}", self.id),
                "data": data,
            });
            (id, payload)
        }
    }

    /// Wait (10 s) for the bot's `answerCallbackQuery` with this id (an
    /// answer recorded before the call counts too).
    pub async fn wait_answer(&self, callback_id: &str) -> CallbackAnswer {
        self.wait_answer_within(callback_id, DEFAULT_WAIT).await
    }

    /// [`TestUser::wait_answer`] with another timeout (for a bot that is made to wait).
    pub async fn wait_answer_within(&self, callback_id: &str, timeout: Duration) -> CallbackAnswer {
        self.wait_answer_where(callback_id, timeout, false).await
    }

    /// Wait (up to `timeout`) until the bot's `answerCallbackQuery` with this id succeeded:
    /// unlike [`TestUser::wait_answer_within`], a failed attempt (an injected failure) does not
    /// count.
    pub async fn wait_answered_within(&self, callback_id: &str, timeout: Duration) -> CallbackAnswer {
        self.wait_answer_where(callback_id, timeout, true).await
    }

    async fn wait_answer_where(&self, callback_id: &str, timeout: Duration, succeeded: bool) -> CallbackAnswer {
        let found = self
            .shared
            .wait(timeout, |inner| {
                inner
                    .calls
                    .iter()
                    .find(|c| {
                        (c.ok || !succeeded)
                            && c.method.eq_ignore_ascii_case("answerCallbackQuery")
                            && str_of(&c.body, "callback_query_id").as_deref() == Some(callback_id)
                    })
                    .map(|c| CallbackAnswer {
                        text: str_of(&c.body, "text"),
                        show_alert: bool_of(&c.body, "show_alert").unwrap_or(false),
                    })
            })
            .await;
        match found {
            Some(a) => a,
            None => panic!(
                "Bot API stand-in: the bot did not answer callback query {callback_id}{} within {timeout:?}; \
                 recent calls:\n{}",
                if succeeded { " successfully" } else { "" },
                self.shared.dump_calls(30)
            ),
        }
    }

    /// The chat as the user sees it now: bot messages in order, after edits
    /// and deletions.
    pub fn messages(&self) -> Vec<BotMessage> {
        let inner = self.shared.lock();
        inner.messages.values().filter(|m| m.chat_id == self.id).map(|m| BotMessage::from_json(&m.json)).collect()
    }

    /// The newest bot message in this chat. Panics if there is none.
    pub fn last_message(&self) -> BotMessage {
        match self.messages().pop() {
            Some(m) => m,
            None => panic!(
                "Bot API stand-in: no bot messages in chat {}; recent calls:\n{}",
                self.id,
                self.shared.dump_calls(30)
            ),
        }
    }

    /// Wait (10 s) until some message in this chat (current state) contains
    /// `needle`; returns the newest such message.
    pub async fn wait_for_text(&self, needle: &str) -> BotMessage {
        let found = self
            .shared
            .wait(DEFAULT_WAIT, |inner| {
                inner
                    .messages
                    .values()
                    .rev()
                    .filter(|m| m.chat_id == self.id)
                    .map(|m| BotMessage::from_json(&m.json))
                    .find(|m| m.text.contains(needle))
            })
            .await;
        match found {
            Some(m) => m,
            None => {
                let chat = dump_chat(&self.shared.lock(), self.id);
                panic!(
                    "Bot API stand-in: no message containing {needle:?} in chat {} within \
                     {DEFAULT_WAIT:?}; chat:\n{chat}recent calls:\n{}",
                    self.id,
                    self.shared.dump_calls(30)
                )
            }
        }
    }

    /// The sequence number of the last call the stand-in recorded, to wait for what comes after.
    pub fn seq(&self) -> u64 {
        self.shared.lock().seq
    }

    /// Wait (10 s) for the first successful bot output to this chat
    /// (sendMessage/sendPhoto/sendDocument/editMessage*) with `seq > after`.
    pub async fn wait_output_after(&self, after: u64) -> BotMessage {
        self.wait_output_after_ctx(after, &format!("after call #{after}")).await
    }

    /// All successful bot outputs to this chat with `seq > after`, in order
    /// (each as that call left the message). Does not wait.
    pub fn outputs_after(&self, after: u64) -> Vec<BotMessage> {
        let inner = self.shared.lock();
        inner
            .calls
            .iter()
            .filter(|c| c.seq > after && self.is_output(c))
            .map(|c| BotMessage::from_json(&c.response))
            .collect()
    }

    async fn wait_output_after_ctx(&self, after: u64, ctx: &str) -> BotMessage {
        let found = self
            .shared
            .wait(DEFAULT_WAIT, |inner| {
                inner
                    .calls
                    .iter()
                    .find(|c| c.seq > after && self.is_output(c))
                    .map(|c| BotMessage::from_json(&c.response))
            })
            .await;
        match found {
            Some(m) => m,
            None => panic!(
                "Bot API stand-in: no bot output to chat {} {ctx} within {DEFAULT_WAIT:?}; \
                 recent calls:\n{}",
                self.id,
                self.shared.dump_calls(30)
            ),
        }
    }

    fn is_output(&self, c: &RecordedCall) -> bool {
        c.ok && c.chat_id == Some(self.id)
            && OUTPUT_METHODS.iter().any(|m| c.method.eq_ignore_ascii_case(m))
            && c.response.is_object()
    }

    fn text_payload(&self, text: &str) -> Value {
        let mut p = json!({ "text": text });
        if text.starts_with('/') {
            let cmd = text.split(char::is_whitespace).next().unwrap_or(text);
            p["entities"] = json!([{
                "type": "bot_command",
                "offset": 0,
                "length": cmd.encode_utf16().count()
            }]);
        }
        p
    }

    fn file_counter(&self) -> u64 {
        let mut inner = self.shared.lock();
        inner.next_file += 1;
        inner.next_file
    }

    /// Enqueue a message update with `content` merged into the envelope;
    /// returns the seq before it.
    fn enqueue_message(&self, content: Value) -> u64 {
        let (after, msg) = {
            let mut inner = self.shared.lock();
            inner.next_message_id += 1;
            let mut msg = json!({
                "message_id": inner.next_message_id,
                "date": now(),
                "chat": private_chat(self.id),
                "from": human(self.id, &self.language_code),
            });
            if let (Some(m), Some(c)) = (msg.as_object_mut(), content.as_object()) {
                for (k, v) in c {
                    m.insert(k.clone(), v.clone());
                }
            }
            inner.last_messages.insert(self.id, msg.clone());
            (inner.seq, msg)
        };
        self.shared.enqueue_update("message", msg);
        after
    }
}

// ---------------------------------------------------------------------------
// JSON helpers
// ---------------------------------------------------------------------------

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(1_700_000_000)
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME})
}

fn me_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false
    })
}

fn private_chat(id: i64) -> Value {
    json!({"id": id, "type": "private", "first_name": format!("User {id}")})
}

fn human(id: i64, language_code: &str) -> Value {
    let mut u = json!({"id": id, "is_bot": false, "first_name": format!("User {id}")});
    if !language_code.is_empty() {
        u["language_code"] = json!(language_code);
    }
    u
}

/// A string field (numbers and bools are stringified).
fn str_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer field (JSON number or a string holding one, as in multipart).
fn i64_of(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_of(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true" || s == "1"),
        _ => None,
    }
}

/// A JSON field that multipart requests carry as a JSON string.
fn json_of(v: &Value, key: &str) -> Option<Value> {
    match v.get(key)? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

// ---------------------------------------------------------------------------
// Connections a handler can cut
// ---------------------------------------------------------------------------

/// The stand-in's listener: plain TCP, but each connection carries a [`Cut`] switch.
struct CuttableListener(TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CuttableStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (CuttableStream { stream, cut: Cut(Arc::new(AtomicBool::new(false))) }, addr);
                }
                // Out of file descriptors and the like: wait a little, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The switch of one connection, handed to its requests as `ConnectInfo<Cut>`: once cut, every
/// read and write of the connection fails, so hyper closes it without writing anything more.
#[derive(Clone)]
struct Cut(Arc<AtomicBool>);

impl Cut {
    fn cut(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_cut(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Cut {
        stream.io().cut.clone()
    }
}

struct CuttableStream {
    stream: TcpStream,
    cut: Cut,
}

fn cut_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "cut by the Bot API stand-in")
}

impl AsyncRead for CuttableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------
// HTTP handling
// ---------------------------------------------------------------------------

struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl ApiErr {
    fn bad(desc: impl AsRef<str>) -> ApiErr {
        ApiErr { code: 400, description: format!("Bad Request: {}", desc.as_ref()), retry_after: None }
    }

    fn json(&self) -> Value {
        let mut v = json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(r) = self.retry_after {
            v["parameters"] = json!({ "retry_after": r });
        }
        v
    }

    fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.json())).into_response()
    }
}

/// What nginx in front of the Bot API answers when Telegram's back end is down.
const BAD_GATEWAY_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad \
                                Gateway</h1></center><hr><center>nginx</center></body></html>";

fn ok_response(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, ConnectInfo(cut): ConnectInfo<Cut>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.trim_start_matches('/').strip_prefix("file/bot") {
        // A file download: `/file/bot<token>/<file_path>` (teloxide appends to the API URL's `/`,
        // and writes the path's slashes as `%2F`, as Telegram accepts).
        let file_path = percent_decode(rest.split_once('/').map(|(_, p)| p).unwrap_or_default());
        let inner = shared.lock();
        return match inner.user_files.values().find(|(p, _)| *p == file_path) {
            Some((_, bytes)) => (StatusCode::OK, bytes.clone()).into_response(),
            None => ApiErr { code: 404, description: "Not Found".into(), retry_after: None }.response(),
        };
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = match segments.as_slice() {
        [.., token, method] if token.starts_with("bot") => (*method).to_owned(),
        _ => {
            return ApiErr { code: 404, description: "Not Found".into(), retry_after: None }.response();
        }
    };
    let query = req.uri().query().map(str::to_owned);
    let (mut body, files) = match read_body(req).await {
        Ok(x) => x,
        Err(e) => return e.response(),
    };
    if let (Some(q), Some(obj)) = (query, body.as_object_mut()) {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            obj.entry(percent_decode(k)).or_insert_with(|| Value::String(percent_decode(v)));
        }
    }
    let lc = method.to_ascii_lowercase();
    let chat_id = i64_of(&body, "chat_id");
    let at = std::time::Instant::now();
    let mut call = RecordedCall { seq: 0, method, body, ok: true, response: Value::Null, chat_id, at };

    // Injected failures.
    let mut delay = None;
    let mut cut_off = None;
    let mut odd_result = false;
    let failure = {
        let mut inner = shared.lock();
        let injected = inner.failures.get(&lc).cloned();
        if let Some(injected) = &injected {
            match injected.used_once() {
                Some(left) => inner.failures.insert(lc.clone(), left),
                None => inner.failures.remove(&lc),
            };
        }
        match injected {
            Some(Failure::TooManyRequests { retry_after }) => Some(ApiErr {
                code: 429,
                description: format!("Too Many Requests: retry after {retry_after}"),
                retry_after: Some(retry_after),
            }),
            Some(Failure::Forbidden) => Some(ApiErr {
                code: 403,
                description: "Forbidden: bot was blocked by the user".into(),
                retry_after: None,
            }),
            Some(Failure::BadGateway { .. }) => {
                Some(ApiErr { code: 502, description: BAD_GATEWAY_PAGE.into(), retry_after: None })
            }
            Some(Failure::Slow { delay_ms, .. }) => {
                delay = Some(Duration::from_millis(delay_ms));
                None
            }
            Some(Failure::Dropped { .. }) => {
                cut_off = Some(false);
                None
            }
            Some(Failure::Hung { .. }) => {
                cut_off = Some(true);
                None
            }
            Some(Failure::OddResult { .. }) => {
                odd_result = true;
                None
            }
            None => match (&mut inner.limits, call.chat_id) {
                (Some(limits), Some(chat)) if sends_a_message(&lc) => {
                    limits.take(chat).err().map(|retry_after| ApiErr {
                        code: 429,
                        description: format!("Too Many Requests: retry after {retry_after}"),
                        retry_after: Some(retry_after),
                    })
                }
                _ => None,
            },
        }
    };
    if let Some(hang) = cut_off {
        call.ok = false;
        let what = if hang { "never answered" } else { "connection closed without a response" };
        call.response = json!({"ok": false, "description": format!("(stand-in: {what})")});
        shared.record(call, files);
        if hang {
            let mut shutdown = shared.shutdown_tx.subscribe();
            let _ = shutdown.wait_for(|down| *down).await;
        }
        // Whatever hyper makes of this response, it cannot write a byte of it.
        cut.cut();
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(err) = failure {
        call.ok = false;
        call.response = err.json();
        shared.record(call, files);
        if err.code == 502 {
            let page = [(header::CONTENT_TYPE, "text/html")];
            return (StatusCode::BAD_GATEWAY, page, BAD_GATEWAY_PAGE).into_response();
        }
        return err.response();
    }

    if lc == "setwebhook" || lc == "deletewebhook" {
        let body = if lc == "setwebhook" { call.body.clone() } else { json!({}) };
        let outcome = shared.set_webhook(&body);
        let ok = outcome.is_ok();
        call.ok = ok;
        call.response = match &outcome {
            Ok(result) => result.clone(),
            Err(err) => err.json(),
        };
        shared.record(call, files);
        return match outcome {
            Ok(result) => ok_response(result),
            Err(err) => err.response(),
        };
    }
    if lc == "getupdates" && shared.lock().webhook.is_some() {
        let err = ApiErr {
            code: 409,
            description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to \
                          delete the webhook first"
                .into(),
            retry_after: None,
        };
        call.ok = false;
        call.response = err.json();
        shared.record(call, files);
        return err.response();
    }
    if lc == "getupdates" {
        let body = call.body.clone();
        shared.record(call, files);
        return ok_response(get_updates(&shared, &body).await);
    }

    let outcome = {
        let mut inner = shared.lock();
        dispatch(&mut inner, &lc, &call.body, &files)
    };
    match outcome {
        Ok(result) => {
            let result = if odd_result { json!({}) } else { result };
            call.response = result.clone();
            shared.record(call, files);
            ok_response(result)
        }
        Err(err) => {
            call.ok = false;
            call.response = err.json();
            shared.record(call, files);
            err.response()
        }
    }
}

async fn read_body(req: Request) -> Result<(Value, Vec<FilePart>), ApiErr> {
    let ctype =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiErr::bad(format!("can't parse multipart body: {e}")))?;
        let mut parts: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
        loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    let file_name = field.file_name().map(str::to_owned);
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| ApiErr::bad(format!("can't read multipart field {name}: {e}")))?;
                    parts.push((name, file_name, bytes.to_vec()));
                }
                Ok(None) => break,
                Err(e) => return Err(ApiErr::bad(format!("can't parse multipart body: {e}"))),
            }
        }
        // A part is a file if it has a file name or something refers to it
        // with `attach://`.
        let attached: HashSet<String> = parts
            .iter()
            .filter_map(|(_, _, b)| std::str::from_utf8(b).ok()?.strip_prefix("attach://").map(str::to_owned))
            .collect();
        let mut obj = Map::new();
        let mut files = Vec::new();
        for (name, file_name, bytes) in parts {
            if file_name.is_some() || attached.contains(&name) {
                let shown = file_name.clone().unwrap_or_default();
                obj.insert(name.clone(), Value::String(format!("{shown} ({} bytes)", bytes.len())));
                files.push(FilePart { name, file_name, bytes });
            } else {
                obj.insert(name, Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        return Ok((Value::Object(obj), files));
    }
    let bytes = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| ApiErr::bad(format!("can't read body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((json!({}), Vec::new()));
    }
    if ctype.starts_with("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&bytes);
        let mut obj = Map::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            obj.insert(percent_decode(k), Value::String(percent_decode(v)));
        }
        return Ok((Value::Object(obj), Vec::new()));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok((v, Vec::new())),
        Ok(other) => Ok((json!({ "_body": other }), Vec::new())),
        Err(_) => Ok((json!({ "_raw": String::from_utf8_lossy(&bytes) }), Vec::new())),
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push(hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_updates(shared: &Shared, body: &Value) -> Value {
    let offset = i64_of(body, "offset").unwrap_or(0);
    let limit = i64_of(body, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(i64_of(body, "timeout").unwrap_or(0).max(0) as u64).min(MAX_LONG_POLL);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let mut rx = shared.updates_tx.subscribe();
        let batch = {
            let mut inner = shared.lock();
            if offset > 0 {
                while inner.updates.front().is_some_and(|(id, _)| i64::from(*id) < offset) {
                    inner.updates.pop_front();
                }
            } else if offset < 0 {
                let keep = offset.unsigned_abs() as usize;
                while inner.updates.len() > keep {
                    inner.updates.pop_front();
                }
            }
            let batch: Vec<(u32, Value)> = inner.updates.iter().take(limit).cloned().collect();
            if let Some((last, _)) = batch.last() {
                inner.delivered_upto = inner.delivered_upto.max(*last);
            }
            if !batch.is_empty() || inner.shutting_down { Some(batch) } else { None }
        };
        if let Some(batch) = batch {
            return Value::Array(batch.into_iter().map(|(_, u)| u).collect());
        }
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            return json!([]);
        }
    }
}

fn dispatch(inner: &mut Inner, method: &str, body: &Value, files: &[FilePart]) -> Result<Value, ApiErr> {
    match method {
        "getme" => Ok(me_json()),
        "getwebhookinfo" => {
            let pending = inner.updates.len();
            let url = inner.webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default();
            Ok(json!({"url": url, "has_custom_certificate": false, "pending_update_count": pending}))
        }
        "setmycommands"
        | "deletemycommands"
        | "sendchataction"
        | "setmydescription"
        | "setmyshortdescription"
        | "setmyname"
        | "setchatmenubutton"
        | "setmydefaultadministratorrights"
        | "deletemessages" => Ok(json!(true)),
        "getmycommands" => Ok(json!([])),
        "getfile" => {
            let file_id = str_of(body, "file_id").unwrap_or_default();
            match inner.user_files.get(&file_id) {
                Some((path, bytes)) => Ok(json!({
                    "file_id": file_id,
                    "file_unique_id": format!("U{file_id}"),
                    "file_size": bytes.len(),
                    "file_path": path
                })),
                None => Err(ApiErr::bad("invalid file_id")),
            }
        }
        "sendmessage" => send_message(inner, body),
        "sendphoto" => send_media(inner, "photo", body, files),
        "senddocument" => send_media(inner, "document", body, files),
        "editmessagetext" => edit_message(inner, EditKind::Text, body),
        "editmessagecaption" => edit_message(inner, EditKind::Caption, body),
        "editmessagereplymarkup" => edit_message(inner, EditKind::Markup, body),
        "deletemessage" => {
            let chat = chat_of(body)?;
            let id = i64_of(body, "message_id").ok_or_else(|| ApiErr::bad("message identifier is not specified"))?;
            match inner.messages.get(&(id as i32)) {
                Some(m) if m.chat_id == chat => {
                    inner.messages.remove(&(id as i32));
                    Ok(json!(true))
                }
                _ => Err(ApiErr::bad("message to delete not found")),
            }
        }
        "answercallbackquery" => {
            let id = str_of(body, "callback_query_id").unwrap_or_default();
            if let Some(text) = str_of(body, "text")
                && text.chars().count() > 200
            {
                return Err(ApiErr::bad("MESSAGE_TOO_LONG"));
            }
            if inner.open_callbacks.remove(&id) {
                Ok(json!(true))
            } else {
                Err(ApiErr::bad("query is too old and response timeout expired or query id is invalid"))
            }
        }
        _ => Err(ApiErr { code: 404, description: "Not Found: method not found".into(), retry_after: None }),
    }
}

fn chat_of(body: &Value) -> Result<i64, ApiErr> {
    match body.get("chat_id") {
        None | Some(Value::Null) => Err(ApiErr::bad("chat_id is empty")),
        Some(_) => i64_of(body, "chat_id").ok_or_else(|| ApiErr::bad("chat not found")),
    }
}

/// Render `text_key` with `parse_mode` (or explicit `entities_key`).
fn render_field(body: &Value, text_key: &str, entities_key: &str) -> Result<Formatted, ApiErr> {
    let raw = str_of(body, text_key).unwrap_or_default();
    if let Some(entities) = json_of(body, entities_key) {
        return Ok(Formatted { text: raw, entities: vec![("explicit".into(), 0, 0, entities.to_string())] });
    }
    let mode = str_of(body, "parse_mode").unwrap_or_default();
    let parsed = match mode.to_ascii_lowercase().as_str() {
        "" => Ok(Formatted { text: raw, entities: Vec::new() }),
        "html" => parse_html(&raw),
        "markdownv2" => parse_markdown_v2(&raw),
        "markdown" => parse_markdown_legacy(&raw),
        _ => return Err(ApiErr::bad("unsupported parse_mode")),
    };
    parsed.map_err(|e| ApiErr::bad(format!("can't parse entities: {e}")))
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The inline keyboard of `reply_markup`, validated like Telegram does.
/// Other keyboards (reply keyboards, remove, force reply) are accepted but not
/// echoed, as Telegram does.
fn inline_markup(body: &Value) -> Result<Option<Value>, ApiErr> {
    let Some(markup) = json_of(body, "reply_markup") else {
        if body.get("reply_markup").is_some_and(|v| !v.is_null()) {
            return Err(ApiErr::bad("can't parse reply keyboard markup JSON object"));
        }
        return Ok(None);
    };
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(None);
    };
    let rows = rows.as_array().ok_or_else(|| ApiErr::bad("field \"inline_keyboard\" must be an Array"))?;
    for row in rows {
        let row = row
            .as_array()
            .ok_or_else(|| ApiErr::bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object"))?;
        for b in row {
            if !b.get("text").is_some_and(Value::is_string) {
                return Err(ApiErr::bad("can't parse inline keyboard button: Field \"text\" must be of type String"));
            }
            if let Some(d) = b.get("callback_data") {
                let len = d.as_str().map(str::len).unwrap_or(0);
                if !(1..=64).contains(&len) {
                    return Err(ApiErr::bad("BUTTON_DATA_INVALID"));
                }
            }
        }
    }
    if rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty)) {
        return Ok(None);
    }
    Ok(Some(json!({ "inline_keyboard": rows })))
}

fn next_message_id(inner: &mut Inner) -> i32 {
    inner.next_message_id += 1;
    inner.next_message_id
}

fn base_message(id: i32, chat: i64) -> Value {
    json!({"message_id": id, "date": now(), "chat": private_chat(chat), "from": bot_user()})
}

fn send_message(inner: &mut Inner, body: &Value) -> Result<Value, ApiErr> {
    let chat = chat_of(body)?;
    let formatted = render_field(body, "text", "entities")?;
    if formatted.text.trim().is_empty() {
        return Err(ApiErr::bad("message text is empty"));
    }
    if utf16_len(&formatted.text) > 4096 {
        return Err(ApiErr::bad("message is too long"));
    }
    let markup = inline_markup(body)?;
    let id = next_message_id(inner);
    let mut msg = base_message(id, chat);
    msg["text"] = json!(formatted.text);
    if let Some(m) = markup {
        msg["reply_markup"] = m;
    }
    inner.messages.insert(id, StoredMsg { chat_id: chat, json: msg.clone(), formatted });
    Ok(msg)
}

fn guess_mime(file_name: &str) -> &'static str {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "csv" => "text/csv",
        "txt" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

fn send_media(inner: &mut Inner, kind: &str, body: &Value, files: &[FilePart]) -> Result<Value, ApiErr> {
    let chat = chat_of(body)?;
    let reference = str_of(body, kind).ok_or_else(|| ApiErr::bad(format!("there is no {kind} in the request")))?;
    let (file_name, size) = match reference.strip_prefix("attach://") {
        Some(part) => {
            let f = files
                .iter()
                .find(|f| f.name == part)
                .ok_or_else(|| ApiErr::bad("wrong file identifier/HTTP URL specified"))?;
            if f.bytes.is_empty() {
                return Err(ApiErr::bad("file must be non-empty"));
            }
            (f.file_name.clone().filter(|n| !n.is_empty()), f.bytes.len())
        }
        None => (None, 4321),
    };
    let formatted = render_field(body, "caption", "caption_entities")?;
    if utf16_len(&formatted.text) > 1024 {
        return Err(ApiErr::bad("message caption is too long"));
    }
    let markup = inline_markup(body)?;
    inner.next_file += 1;
    let n = inner.next_file;
    let id = next_message_id(inner);
    let mut msg = base_message(id, chat);
    if kind == "photo" {
        msg["photo"] = json!([
            {"file_id": format!("BOTPHOTO_{n}_S"), "file_unique_id": format!("UBS{n}"), "file_size": (size / 20).max(1), "width": 90, "height": 90},
            {"file_id": format!("BOTPHOTO_{n}_L"), "file_unique_id": format!("UBL{n}"), "file_size": size, "width": 800, "height": 800}
        ]);
    } else {
        let mut doc = json!({"file_id": format!("BOTDOC_{n}"), "file_unique_id": format!("UBD{n}"), "file_size": size});
        if let Some(name) = &file_name {
            doc["file_name"] = json!(name);
        }
        doc["mime_type"] = json!(guess_mime(file_name.as_deref().unwrap_or("")));
        msg["document"] = doc;
    }
    if !formatted.text.is_empty() {
        msg["caption"] = json!(formatted.text);
    }
    if let Some(m) = markup {
        msg["reply_markup"] = m;
    }
    inner.messages.insert(id, StoredMsg { chat_id: chat, json: msg.clone(), formatted });
    Ok(msg)
}

#[derive(Clone, Copy, PartialEq)]
enum EditKind {
    Text,
    Caption,
    Markup,
}

fn edit_message(inner: &mut Inner, kind: EditKind, body: &Value) -> Result<Value, ApiErr> {
    if body.get("inline_message_id").is_some() {
        // Inline messages are not modelled; Telegram answers `true` for them.
        return Ok(json!(true));
    }
    let chat = chat_of(body)?;
    let id = i64_of(body, "message_id").ok_or_else(|| ApiErr::bad("message identifier is not specified"))? as i32;
    let markup = inline_markup(body)?;
    let stored = match inner.messages.get_mut(&id) {
        Some(m) if m.chat_id == chat => m,
        _ => return Err(ApiErr::bad("message to edit not found")),
    };
    let is_text = stored.json.get("text").is_some();
    let formatted = match kind {
        EditKind::Text => {
            if !is_text {
                return Err(ApiErr::bad("there is no text in the message to edit"));
            }
            let f = render_field(body, "text", "entities")?;
            if f.text.trim().is_empty() {
                return Err(ApiErr::bad("message text is empty"));
            }
            if utf16_len(&f.text) > 4096 {
                return Err(ApiErr::bad("MESSAGE_TOO_LONG"));
            }
            f
        }
        EditKind::Caption => {
            if is_text {
                return Err(ApiErr::bad("there is no caption in the message to edit"));
            }
            let f = render_field(body, "caption", "caption_entities")?;
            if utf16_len(&f.text) > 1024 {
                return Err(ApiErr::bad("message caption is too long"));
            }
            f
        }
        EditKind::Markup => stored.formatted.clone(),
    };
    if formatted == stored.formatted && stored.json.get("reply_markup") == markup.as_ref() {
        return Err(ApiErr::bad(NOT_MODIFIED));
    }
    let obj = stored.json.as_object_mut().expect("stored messages are objects");
    match kind {
        EditKind::Text => {
            obj.insert("text".into(), json!(formatted.text));
        }
        EditKind::Caption => {
            if formatted.text.is_empty() {
                obj.remove("caption");
            } else {
                obj.insert("caption".into(), json!(formatted.text));
            }
        }
        EditKind::Markup => {}
    }
    match markup {
        Some(m) => {
            obj.insert("reply_markup".into(), m);
        }
        None => {
            obj.remove("reply_markup");
        }
    }
    obj.insert("edit_date".into(), json!(now()));
    stored.formatted = formatted;
    Ok(stored.json.clone())
}

// ---------------------------------------------------------------------------
// Markup parsing (close to Telegram's / TDLib's rules)
// ---------------------------------------------------------------------------

struct Out {
    text: String,
    len16: usize,
    entities: Vec<(String, usize, usize, String)>,
}

impl Out {
    fn new() -> Out {
        Out { text: String::new(), len16: 0, entities: Vec::new() }
    }

    fn push(&mut self, c: char) {
        self.text.push(c);
        self.len16 += c.len_utf16();
    }

    fn entity(&mut self, kind: &str, start: usize, extra: String) {
        if self.len16 > start {
            self.entities.push((kind.to_owned(), start, self.len16 - start, extra));
        }
    }

    fn finish(mut self) -> Formatted {
        self.entities.sort();
        Formatted { text: self.text, entities: self.entities }
    }
}

fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
}

/// Decode an HTML entity at the start of `s` (which starts with `&`).
fn decode_html_entity(s: &str) -> Option<(char, usize)> {
    let semi = s.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let name = &s[1..semi];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            if code == 0 {
                return None;
            }
            char::from_u32(code)?
        }
    };
    Some((c, semi + 1))
}

fn parse_html(src: &str) -> Result<Formatted, String> {
    const SUPPORTED: &[&str] = &[
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ];
    let b = src.as_bytes();
    let mut out = Out::new();
    let mut stack: Vec<(String, usize, String)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'&' {
            match decode_html_entity(&src[i..]) {
                Some((c, len)) => {
                    out.push(c);
                    i += len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            }
            continue;
        }
        if b[i] != b'<' {
            let c = src[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let begin = i;
        i += 1;
        if i < b.len() && b[i] == b'/' {
            if stack.is_empty() {
                return Err(format!("Unexpected end tag at byte offset {begin}"));
            }
            i += 1;
            let name_start = i;
            while i < b.len() && !is_html_space(b[i]) && b[i] != b'>' {
                i += 1;
            }
            let name = src[name_start..i].to_ascii_lowercase();
            while i < b.len() && is_html_space(b[i]) {
                i += 1;
            }
            if i >= b.len() || b[i] != b'>' {
                return Err(format!("Unclosed end tag at byte offset {begin}"));
            }
            i += 1;
            let (tag, start, attrs) = stack.pop().expect("checked non-empty");
            if !name.is_empty() && name != tag {
                return Err(format!(
                    "Unmatched end tag at byte offset {begin}, expected \"</{tag}>\", found \"</{name}>\""
                ));
            }
            let kind = match tag.as_str() {
                "b" | "strong" => "bold",
                "i" | "em" => "italic",
                "u" | "ins" => "underline",
                "s" | "strike" | "del" => "strikethrough",
                "span" | "tg-spoiler" => "spoiler",
                "a" => "text_link",
                other => other,
            };
            out.entity(kind, start, attrs);
        } else {
            let name_start = i;
            while i < b.len() && !is_html_space(b[i]) && b[i] != b'>' {
                i += 1;
            }
            if i >= b.len() {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            let name = src[name_start..i].to_ascii_lowercase();
            if !SUPPORTED.contains(&name.as_str()) {
                return Err(format!("Unsupported start tag \"{name}\" at byte offset {begin}"));
            }
            let attrs_start = i;
            let mut quote: Option<u8> = None;
            while i < b.len() {
                match quote {
                    Some(q) if b[i] == q => quote = None,
                    Some(_) => {}
                    None if b[i] == b'"' || b[i] == b'\'' => quote = Some(b[i]),
                    None if b[i] == b'>' => break,
                    None => {}
                }
                i += 1;
            }
            if i >= b.len() {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            let attrs = src[attrs_start..i].trim().to_owned();
            i += 1;
            stack.push((name, out.len16, attrs));
        }
    }
    if let Some((tag, _, _)) = stack.last() {
        return Err(format!("Can't find end tag corresponding to start tag {tag}"));
    }
    Ok(out.finish())
}

fn md_entity_name(kind: &str) -> &'static str {
    match kind {
        "bold" => "Bold",
        "italic" => "Italic",
        "underline" => "Underline",
        "strikethrough" => "Strikethrough",
        "spoiler" => "Spoiler",
        "code" => "Code",
        "pre" => "Pre",
        "text_link" => "TextUrl",
        "custom_emoji" => "CustomEmoji",
        _ => "Unknown",
    }
}

fn parse_markdown_v2(src: &str) -> Result<Formatted, String> {
    const RESERVED: &str = "_*[]()~`>#+-=|{}.!";
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let mut out = Out::new();
    // (kind, start utf16, byte offset of the opening marker)
    let mut stack: Vec<(&'static str, usize, usize)> = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if c == '\\' && at(k + 1).is_some_and(|n| (1..=126).contains(&(n as u32))) {
            out.push(at(k + 1).expect("checked"));
            k += 2;
            continue;
        }
        let top = stack.last().map(|e| e.0);
        if matches!(top, Some("code") | Some("pre")) {
            if c == '`' {
                if top == Some("pre") {
                    if at(k + 1) == Some('`') && at(k + 2) == Some('`') {
                        let (_, start, _) = stack.pop().expect("top exists");
                        out.entity("pre", start, String::new());
                        k += 3;
                        continue;
                    }
                    return Err(format!("Character '{c}' is reserved and must be escaped with the preceding '\\'"));
                }
                let (_, start, _) = stack.pop().expect("top exists");
                out.entity("code", start, String::new());
                k += 1;
                continue;
            }
            out.push(c);
            k += 1;
            continue;
        }
        let toggle = |stack: &mut Vec<(&'static str, usize, usize)>, out: &mut Out, kind: &'static str| {
            if stack.last().map(|e| e.0) == Some(kind) {
                let (_, start, _) = stack.pop().expect("top exists");
                out.entity(kind, start, String::new());
            } else {
                stack.push((kind, out.len16, pos));
            }
        };
        match c {
            '_' => {
                if top == Some("italic") && at(k + 1) != Some('_') {
                    toggle(&mut stack, &mut out, "italic");
                    k += 1;
                } else if at(k + 1) == Some('_') {
                    toggle(&mut stack, &mut out, "underline");
                    k += 2;
                } else {
                    toggle(&mut stack, &mut out, "italic");
                    k += 1;
                }
            }
            '*' => {
                toggle(&mut stack, &mut out, "bold");
                k += 1;
            }
            '~' => {
                toggle(&mut stack, &mut out, "strikethrough");
                k += 1;
            }
            '|' if at(k + 1) == Some('|') => {
                toggle(&mut stack, &mut out, "spoiler");
                k += 2;
            }
            '`' => {
                if at(k + 1) == Some('`') && at(k + 2) == Some('`') {
                    k += 3;
                    // Optional language up to the first newline.
                    let mut j = k;
                    while j < chars.len() && chars[j].1 != '\n' && !chars[j].1.is_whitespace() && chars[j].1 != '`' {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].1 == '\n' {
                        k = j + 1;
                    }
                    stack.push(("pre", out.len16, pos));
                } else {
                    stack.push(("code", out.len16, pos));
                    k += 1;
                }
            }
            '[' => {
                stack.push(("text_link", out.len16, pos));
                k += 1;
            }
            '!' if at(k + 1) == Some('[') => {
                stack.push(("custom_emoji", out.len16, pos));
                k += 2;
            }
            ']' if matches!(top, Some("text_link") | Some("custom_emoji")) => {
                let (kind, start, _) = stack.pop().expect("top exists");
                k += 1;
                let mut url = String::new();
                if at(k) == Some('(') {
                    let url_start = chars.get(k).map(|&(p, _)| p).unwrap_or(src.len());
                    k += 1;
                    loop {
                        match at(k) {
                            None => {
                                return Err(format!("Can't find end of a URL at byte offset {url_start}"));
                            }
                            Some(')') => {
                                k += 1;
                                break;
                            }
                            Some('\\') if at(k + 1).is_some() => {
                                url.push(at(k + 1).expect("checked"));
                                k += 2;
                            }
                            Some(ch) => {
                                url.push(ch);
                                k += 1;
                            }
                        }
                    }
                }
                if !url.is_empty() {
                    out.entity(kind, start, url);
                } else if kind == "custom_emoji" {
                    return Err("Custom emoji entity must contain a tg://emoji URL".into());
                }
            }
            '>' if k == 0 || at(k - 1) == Some('\n') => {
                // Block quotation marker at a line start: not part of the text.
                k += 1;
            }
            c if RESERVED.contains(c) => {
                return Err(format!("Character '{c}' is reserved and must be escaped with the preceding '\\'"));
            }
            c => {
                out.push(c);
                k += 1;
            }
        }
    }
    if let Some((kind, _, byte)) = stack.last() {
        return Err(format!("Can't find end of {} entity at byte offset {byte}", md_entity_name(kind)));
    }
    Ok(out.finish())
}

fn parse_markdown_legacy(src: &str) -> Result<Formatted, String> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let mut out = Out::new();
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if c == '\\' && matches!(at(k + 1), Some('_' | '*' | '`' | '[')) {
            out.push(at(k + 1).expect("checked"));
            k += 2;
            continue;
        }
        let (kind, end, skip) = match c {
            '*' => ("bold", "*", 1),
            '_' => ("italic", "_", 1),
            '`' if at(k + 1) == Some('`') && at(k + 2) == Some('`') => ("pre", "```", 3),
            '`' => ("code", "`", 1),
            '[' => ("text_link", "]", 1),
            c => {
                out.push(c);
                k += 1;
                continue;
            }
        };
        let start = out.len16;
        k += skip;
        let end_chars: Vec<char> = end.chars().collect();
        let mut closed = false;
        while k < chars.len() {
            if chars[k..].iter().map(|&(_, c)| c).take(end_chars.len()).eq(end_chars.iter().copied()) {
                k += end_chars.len();
                closed = true;
                break;
            }
            out.push(chars[k].1);
            k += 1;
        }
        if !closed {
            return Err(format!("Can't find end of the entity starting at byte offset {pos}"));
        }
        let mut extra = String::new();
        if kind == "text_link" && at(k) == Some('(') {
            k += 1;
            while let Some(ch) = at(k) {
                k += 1;
                if ch == ')' {
                    break;
                }
                extra.push(ch);
            }
        }
        out.entity(kind, start, extra);
    }
    Ok(out.finish())
}
