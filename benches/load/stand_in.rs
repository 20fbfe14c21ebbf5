//! The Bot API stand-in the load generator plays: an HTTP server on loopback that answers every
//! Bot API method the bots under test call, and the transport that hands them updates.
//!
//! It is built for speed, not for assertions (that is `tests/support/bot_api.rs`): it keeps no
//! history, only routes each reply to the virtual respondent of its chat. Requests are read as
//! JSON (teloxide) or as forms (aiogram); a sent or edited message is echoed back with its text
//! and keyboard spliced in as the bot sent them, as Telegram does. Updates reach the bot either by
//! long polling (`getUpdates`, fed from a queue) or as webhook POSTs; either way the moment an
//! update is handed over is stamped, and the first screen the bot sends back to that chat closes
//! the step's latency.
//!
//! Telegram's limits, when a scenario turns them on ([`StandIn::limit_rates`]), as the stand-in of
//! the tests models them (`tests/support/bot_api.rs`): about one message a second per chat (a
//! burst of 3) over the calls that send or edit messages, and about 30 a second in all for bulk
//! messages (to chats that have not written to the bot in the last minute: digests, reminders;
//! Telegram does not hold replies to people who write to the bot to that budget). A call beyond
//! them is answered `429 Too Many Requests: retry after N` with `parameters.retry_after` and
//! carried out only when tried again. Faults ([`StandIn::inject`]) answer a share of the calls
//! with 429, a 5xx, or hang past the bot's deadline, none of them carried out; webhook
//! deliveries are re-sent until a 2xx, as Telegram does, over the replicas in turn.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use rand::Rng;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{Notify, mpsc};

/// The token both bots are given; the stand-in accepts any.
pub const TOKEN: &str = "1000:LOAD_TEST_TOKEN";
/// The bot's username, as `getMe` returns it.
pub const BOT_USERNAME: &str = "anketa_load_bot";
const BOT_USER: &str = r#"{"id":1000,"is_bot":true,"first_name":"Anketa","username":"anketa_load_bot"}"#;
/// Upper bound of one long poll, whatever `timeout` the bot asks for.
const MAX_LONG_POLL: Duration = Duration::from_secs(2);
const SHARDS: usize = 64;

/// What the bot did in a respondent's chat.
#[derive(Debug)]
pub enum Event {
    /// A message sent or edited: the screen the respondent now sees.
    Screen(Screen),
    /// `answerCallbackQuery`, with the toast text if any.
    Answer { toast: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Screen {
    pub message_id: i64,
    /// From the update's hand-over to this screen, for the first screen after an update.
    pub latency: Option<Duration>,
    /// The text as a JSON string literal (quotes included), ready to splice into an update.
    pub text: String,
    /// The `reply_markup` JSON, if the message has an inline keyboard.
    pub markup: Option<String>,
    /// The callback data of every button, row by row.
    pub buttons: Vec<String>,
}

/// One private chat as the stand-in tracks it.
#[derive(Default)]
struct Chat {
    /// When the update now being handled was handed to the bot.
    handed: Option<Instant>,
    events: Option<mpsc::UnboundedSender<Event>>,
    /// The chat's last screen, for `editMessageReplyMarkup` (which sends no text).
    last_text: Option<String>,
    /// When the chat last wrote to the bot: messages to it since are replies, not bulk.
    wrote: Option<Instant>,
}

/// A token bucket: `burst` tokens, `per_second` more each second.
struct Bucket {
    tokens: f64,
    updated: Instant,
    burst: f64,
    per_second: f64,
}

impl Bucket {
    fn new(burst: f64, per_second: f64) -> Bucket {
        Bucket { tokens: burst, updated: Instant::now(), burst, per_second }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.updated = now;
    }

    /// Whole seconds until a token is there (at least 1, as Telegram never says 0).
    fn retry_after(&self) -> u32 {
        (((1.0 - self.tokens) / self.per_second).ceil() as u32).max(1)
    }
}

/// About one message a second per chat, with a short burst; about 30 a second in all for bulk.
const CHAT_BURST: f64 = 3.0;
const CHAT_PER_SECOND: f64 = 1.0;
const BULK_BURST: f64 = 30.0;
const BULK_PER_SECOND: f64 = 30.0;
/// A message to a chat that wrote to the bot within this long is a reply, not bulk.
const REPLY_WINDOW: Duration = Duration::from_secs(60);

/// Telegram's limits on messages sent: per chat and for the bot's bulk messages.
struct RateLimits {
    per_chat: HashMap<i64, Bucket>,
    bulk: Bucket,
}

impl RateLimits {
    fn new() -> RateLimits {
        RateLimits { per_chat: HashMap::new(), bulk: Bucket::new(BULK_BURST, BULK_PER_SECOND) }
    }

    /// Takes a token from the chat's bucket (and the bulk one for bulk), or says how long to wait.
    fn take(&mut self, chat: i64, bulk: bool) -> Result<(), u32> {
        let now = Instant::now();
        let bucket = self.per_chat.entry(chat).or_insert_with(|| Bucket::new(CHAT_BURST, CHAT_PER_SECOND));
        bucket.refill(now);
        self.bulk.refill(now);
        if bucket.tokens < 1.0 {
            return Err(bucket.retry_after());
        }
        if bulk && self.bulk.tokens < 1.0 {
            return Err(self.bulk.retry_after());
        }
        bucket.tokens -= 1.0;
        if bulk {
            self.bulk.tokens -= 1.0;
        }
        Ok(())
    }
}

/// Telegram misbehaving: each share (0–1) of the calls that send, edit or answer is refused
/// without being carried out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chaos {
    /// `429 Too Many Requests`, retry after 1 s.
    pub too_many: f64,
    /// `502 Bad Gateway`.
    pub bad_gateway: f64,
    /// No answer for [`HANG`] (past the bot's deadline), then `504`.
    pub hang: f64,
}

/// How long a hanging call hangs.
pub const HANG: Duration = Duration::from_secs(5);

struct Queued {
    id: i64,
    chat: i64,
    json: String,
    /// Handed to the bot process now running (a bot that confirms only handled updates is
    /// handed the ones it is still handling again with each poll).
    handed: bool,
    /// Handed to a process that was killed before confirming it.
    handed_before_restart: bool,
}

/// How updates reach the bot.
pub enum Transport {
    Polling,
    /// Updates POSTed to the replicas' URLs in turn; one that fails is re-sent to the next.
    Webhook {
        urls: Vec<String>,
        secret: String,
        client: reqwest::Client,
    },
}

/// Counters of what went wrong on the stand-in's side.
#[derive(Default)]
pub struct Faults {
    /// Methods the stand-in does not know, with how often they were called.
    pub unknown_methods: Mutex<HashMap<String, u64>>,
    /// Requests it could not read (no chat, bad body).
    pub bad_requests: AtomicU64,
    /// Webhook deliveries the bot refused or that failed.
    pub webhook_failures: AtomicU64,
    /// Calls answered 429 by the rate limits.
    pub rate_limited: AtomicU64,
    /// Calls refused by injected faults (429, 5xx, hang).
    pub injected: AtomicU64,
    /// Updates a restarted bot was handed that a killed one already had.
    pub redelivered: AtomicU64,
}

pub struct Shared {
    queue: Mutex<VecDeque<Queued>>,
    arrived: Notify,
    next_update_id: AtomicI64,
    next_message_id: AtomicI64,
    chats: Vec<Mutex<HashMap<i64, Chat>>>,
    /// When the bot first asked for updates (polling) or set its webhook.
    ready_at: Mutex<Option<Instant>>,
    transport: Mutex<Arc<Transport>>,
    limits: Mutex<Option<RateLimits>>,
    chaos: Mutex<Chaos>,
    pub faults: Faults,
}

/// The running stand-in.
#[derive(Clone)]
pub struct StandIn {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl StandIn {
    pub async fn start() -> anyhow::Result<StandIn> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.context("bind the stand-in")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            arrived: Notify::new(),
            next_update_id: AtomicI64::new(1),
            next_message_id: AtomicI64::new(1),
            chats: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            ready_at: Mutex::new(None),
            transport: Mutex::new(Arc::new(Transport::Polling)),
            limits: Mutex::new(None),
            chaos: Mutex::new(Chaos::default()),
            faults: Faults::default(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn { shared, addr })
    }

    /// `TELOXIDE_API_URL`, and the base aiogram's `TelegramAPIServer.from_base` takes.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Turns Telegram's rate limits on or off (see the module docs).
    pub fn limit_rates(&self, on: bool) {
        *self.shared.limits.lock().expect("limits") = on.then(RateLimits::new);
    }

    /// Sets the faults injected from now on.
    pub fn inject(&self, chaos: Chaos) {
        *self.shared.chaos.lock().expect("chaos") = chaos;
    }

    /// Switches the transport for the next bot and forgets everything of the previous one (the
    /// rate limits and faults are off again).
    pub fn reset(&self, transport: Transport) {
        self.limit_rates(false);
        self.inject(Chaos::default());
        self.shared.queue.lock().expect("queue").clear();
        *self.shared.ready_at.lock().expect("ready") = None;
        *self.shared.transport.lock().expect("transport") = Arc::new(transport);
        for shard in &self.shared.chats {
            shard.lock().expect("chats").clear();
        }
    }

    /// The bot is being restarted: it is ready again when it next polls. Unconfirmed updates stay
    /// queued for it, as Telegram keeps them.
    pub fn expect_restart(&self) {
        *self.shared.ready_at.lock().expect("ready") = None;
        for update in self.shared.queue.lock().expect("queue").iter_mut().filter(|update| update.handed) {
            update.handed = false;
            update.handed_before_restart = true;
        }
    }

    /// When the bot became ready for updates, if it has.
    pub fn ready_at(&self) -> Option<Instant> {
        *self.shared.ready_at.lock().expect("ready")
    }

    /// Opens a chat: everything the bot does in it arrives on the returned receiver.
    pub fn open(&self, chat: i64) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.shared.shard(chat).insert(chat, Chat { events: Some(tx), ..Chat::default() });
        rx
    }

    pub fn close(&self, chat: i64) {
        self.shared.shard(chat).remove(&chat);
    }

    /// Hands an update of `kind` (`message`, `callback_query`) with this JSON payload to the bot.
    pub fn deliver(&self, chat: i64, kind: &str, payload: &str) {
        let update = |id: i64| format!(r#"{{"update_id":{id},"{kind}":{payload}}}"#);
        let transport = self.shared.transport.lock().expect("transport").clone();
        match &*transport {
            Transport::Polling => {
                // The id is taken under the queue's lock: the queue must stay in id order, or the
                // bot's next offset (the last id it got + 1) would confirm updates it never saw and
                // have it see others twice.
                let mut queue = self.shared.queue.lock().expect("queue");
                let id = self.shared.next_update_id.fetch_add(1, Ordering::Relaxed);
                queue.push_back(Queued { id, chat, json: update(id), handed: false, handed_before_restart: false });
                drop(queue);
                self.shared.arrived.notify_one();
            }
            Transport::Webhook { urls, secret, client } => {
                let json = update(self.shared.next_update_id.fetch_add(1, Ordering::Relaxed));
                if let Some(state) = self.shared.shard(chat).get_mut(&chat) {
                    let now = Instant::now();
                    state.handed = Some(now);
                    state.wrote = Some(now);
                }
                let (urls, secret, client) = (urls.clone(), secret.clone(), client.clone());
                let shared = self.shared.clone();
                let first = chat.rem_euclid(urls.len().max(1) as i64) as usize;
                tokio::spawn(async move {
                    // Telegram re-sends an update until it is answered with a 2xx; the replicas
                    // behind one URL are tried in turn here.
                    for attempt in 0..600 {
                        let url = &urls[(first + attempt) % urls.len()];
                        let sent = client
                            .post(url)
                            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
                            .header(header::CONTENT_TYPE, "application/json")
                            .body(json.clone())
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status().is_success() => return,
                            _ => {
                                shared.faults.webhook_failures.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
            }
        }
    }
}

impl Shared {
    fn shard(&self, chat: i64) -> std::sync::MutexGuard<'_, HashMap<i64, Chat>> {
        self.chats[chat.rem_euclid(SHARDS as i64) as usize].lock().expect("chats")
    }

    fn mark_ready(&self) {
        self.ready_at.lock().expect("ready").get_or_insert_with(Instant::now);
    }

    /// A long poll: waits for updates (at most [`MAX_LONG_POLL`]) and hands them over.
    async fn get_updates(&self, call: &Call) -> String {
        self.mark_ready();
        let limit = call.limit.unwrap_or(100).clamp(1, 100);
        let wait = Duration::from_secs(call.timeout.unwrap_or(0)).min(MAX_LONG_POLL);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mut handed = Vec::new();
            let body = {
                let mut queue = self.queue.lock().expect("queue");
                let offset = call.offset.unwrap_or(0);
                while queue.front().is_some_and(|q| q.id < offset) {
                    queue.pop_front();
                }
                if queue.is_empty() {
                    None
                } else {
                    let mut body = String::from(r#"{"ok":true,"result":["#);
                    for (n, update) in queue.iter_mut().take(limit).enumerate() {
                        if n > 0 {
                            body.push(',');
                        }
                        body.push_str(&update.json);
                        if !update.handed {
                            update.handed = true;
                            if update.handed_before_restart {
                                self.faults.redelivered.fetch_add(1, Ordering::Relaxed);
                            } else {
                                handed.push(update.chat);
                            }
                        }
                    }
                    body.push_str("]}");
                    Some(body)
                }
            };
            if let Some(body) = body {
                let now = Instant::now();
                for chat in handed {
                    if let Some(state) = self.shard(chat).get_mut(&chat) {
                        state.handed = Some(now);
                        state.wrote = Some(now);
                    }
                }
                return body;
            }
            if tokio::time::timeout_at(deadline, self.arrived.notified()).await.is_err() {
                return r#"{"ok":true,"result":[]}"#.to_string();
            }
        }
    }

    /// `sendMessage` / `editMessageText` / `editMessageReplyMarkup`: the message as Telegram
    /// returns it, and the screen to the chat's respondent.
    fn screen(&self, call: Call, method: &str) -> Result<String, String> {
        let chat = call.chat_id.ok_or("chat_id is empty")?;
        let message_id = match method {
            "sendmessage" => self.next_message_id.fetch_add(1, Ordering::Relaxed),
            _ => call.message_id.ok_or("message_id is empty")?,
        };
        let buttons = match &call.reply_markup {
            Some(markup) => serde_json::from_str::<Markup>(markup)
                .map_err(|e| format!("can't parse reply keyboard markup JSON object: {e}"))?
                .inline_keyboard
                .into_iter()
                .flatten()
                .filter_map(|b| b.callback_data)
                .collect(),
            None => Vec::new(),
        };
        let mut chats = self.shard(chat);
        let state = chats.get_mut(&chat);
        let text = match (call.text, state.as_ref().and_then(|s| s.last_text.clone())) {
            (Some(text), _) | (None, Some(text)) => text,
            (None, None) => r#""""#.to_string(),
        };
        let markup = call.reply_markup.filter(|_| !buttons.is_empty());
        let date = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut body = format!(
            r#"{{"ok":true,"result":{{"message_id":{message_id},"date":{date},"chat":{{"id":{chat},"type":"private","first_name":"R"}},"from":{BOT_USER},"text":{text}"#
        );
        if let Some(markup) = &markup {
            body.push_str(r#","reply_markup":"#);
            body.push_str(markup);
        }
        body.push_str("}}");
        if let Some(state) = state {
            let latency = state.handed.take().map(|at| at.elapsed());
            state.last_text = Some(text.clone());
            if let Some(events) = &state.events {
                let _ = events.send(Event::Screen(Screen { message_id, latency, text, markup, buttons }));
            }
        }
        Ok(body)
    }

    /// `sendPhoto` (a digest's chart): the message as Telegram returns it; no screen.
    fn photo(&self, call: Call) -> Result<String, String> {
        let chat = call.chat_id.ok_or("chat_id is empty")?;
        let message_id = self.next_message_id.fetch_add(1, Ordering::Relaxed);
        let date = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Ok(format!(
            r#"{{"ok":true,"result":{{"message_id":{message_id},"date":{date},"chat":{{"id":{chat},"type":"private","first_name":"R"}},"from":{BOT_USER},"photo":[{{"file_id":"p{message_id}","file_unique_id":"p{message_id}","width":800,"height":400}}]}}}}"#
        ))
    }

    /// `answerCallbackQuery`: the query id starts with the chat id (`<chat>:<n>`).
    fn answer(&self, call: Call) -> Result<String, String> {
        let id = call.callback_query_id.ok_or("callback_query_id is empty")?;
        let chat: i64 = id.split(':').next().and_then(|c| c.parse().ok()).ok_or("query id is invalid")?;
        let toast = match call.text {
            Some(raw) => Some(serde_json::from_str::<String>(&raw).map_err(|e| e.to_string())?),
            None => None,
        }
        .filter(|t| !t.is_empty());
        if let Some(events) = self.shard(chat).get(&chat).and_then(|s| s.events.as_ref()) {
            let _ = events.send(Event::Answer { toast });
        }
        Ok(r#"{"ok":true,"result":true}"#.to_string())
    }
}

/// The fields of a Bot API request the stand-in looks at, however it was encoded.
#[derive(Default)]
struct Call {
    chat_id: Option<i64>,
    message_id: Option<i64>,
    /// The text (message text, or the toast of `answerCallbackQuery`) as a JSON string literal.
    text: Option<String>,
    reply_markup: Option<String>,
    callback_query_id: Option<String>,
    offset: Option<i64>,
    limit: Option<usize>,
    timeout: Option<u64>,
}

#[derive(Deserialize)]
struct JsonCall<'a> {
    chat_id: Option<i64>,
    message_id: Option<i64>,
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    reply_markup: Option<&'a RawValue>,
    callback_query_id: Option<String>,
    offset: Option<i64>,
    limit: Option<usize>,
    timeout: Option<u64>,
}

#[derive(Deserialize)]
struct Markup {
    inline_keyboard: Vec<Vec<Button>>,
}

#[derive(Deserialize)]
struct Button {
    callback_data: Option<String>,
}

impl Call {
    fn from_json(bytes: &[u8]) -> Result<Call, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Call::default());
        }
        let call: JsonCall<'_> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(Call {
            chat_id: call.chat_id,
            message_id: call.message_id,
            text: call.text.map(|t| t.get().to_string()),
            reply_markup: call.reply_markup.map(|m| m.get().to_string()),
            callback_query_id: call.callback_query_id,
            offset: call.offset,
            limit: call.limit,
            timeout: call.timeout,
        })
    }

    fn from_fields(fields: impl IntoIterator<Item = (String, String)>) -> Result<Call, String> {
        let mut call = Call::default();
        let number = |v: &str| v.trim().parse::<i64>().map_err(|e| format!("{v:?}: {e}"));
        for (name, value) in fields {
            match name.as_str() {
                "chat_id" => call.chat_id = Some(number(&value)?),
                "message_id" => call.message_id = Some(number(&value)?),
                "text" => call.text = Some(serde_json::to_string(&value).map_err(|e| e.to_string())?),
                "reply_markup" => call.reply_markup = Some(value),
                "callback_query_id" => call.callback_query_id = Some(value),
                "offset" => call.offset = Some(number(&value)?),
                "limit" => call.limit = Some(number(&value)? as usize),
                "timeout" => call.timeout = Some(number(&value)? as u64),
                _ => {}
            }
        }
        Ok(call)
    }

    async fn read(request: Request) -> Result<Call, String> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut form = Multipart::from_request(request, &()).await.map_err(|e| e.to_string())?;
            let mut fields = Vec::new();
            while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
                let name = field.name().unwrap_or_default().to_string();
                if field.file_name().is_some() {
                    // An upload (a digest's chart): its bytes are not looked at.
                    field.bytes().await.map_err(|e| e.to_string())?;
                    continue;
                }
                fields.push((name, field.text().await.map_err(|e| e.to_string())?));
            }
            return Call::from_fields(fields);
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            let axum::Form(fields) =
                axum::Form::<Vec<(String, String)>>::from_request(request, &()).await.map_err(|e| e.to_string())?;
            return Call::from_fields(fields);
        }
        let bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await.map_err(|e| e.to_string())?;
        Call::from_json(&bytes)
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.uri().path().rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    let call = match Call::read(request).await {
        Ok(call) => call,
        Err(e) => return error(&shared, 400, &format!("Bad Request: {e}")),
    };
    if let Some(refused) = refuse(&shared, &method, &call).await {
        return refused;
    }
    let result = match method.as_str() {
        "getupdates" => Ok(shared.get_updates(&call).await),
        "getme" => Ok(format!(
            r#"{{"ok":true,"result":{{"id":1000,"is_bot":true,"first_name":"Anketa","username":"{BOT_USERNAME}","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":false,"can_connect_to_business":false,"has_main_web_app":false}}}}"#
        )),
        "getwebhookinfo" => {
            Ok(r#"{"ok":true,"result":{"url":"","has_custom_certificate":false,"pending_update_count":0}}"#.to_string())
        }
        "setwebhook" => {
            shared.mark_ready();
            Ok(r#"{"ok":true,"result":true}"#.to_string())
        }
        "deletewebhook" | "setmycommands" | "deletemycommands" | "sendchataction" | "deletemessage"
        | "setchatmenubutton" => Ok(r#"{"ok":true,"result":true}"#.to_string()),
        "getmycommands" => Ok(r#"{"ok":true,"result":[]}"#.to_string()),
        "sendmessage" | "editmessagetext" | "editmessagereplymarkup" => shared.screen(call, &method),
        "answercallbackquery" => shared.answer(call),
        "sendphoto" => shared.photo(call),
        _ => {
            *shared.faults.unknown_methods.lock().expect("faults").entry(method).or_default() += 1;
            return error(&shared, 404, "Not Found: method not found");
        }
    };
    match result {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => error(&shared, 400, &format!("Bad Request: {e}")),
    }
}

/// Whether a method sends or changes a message, and so counts against Telegram's limits.
fn sends_a_message(method: &str) -> bool {
    method.starts_with("send") || method.starts_with("edit") || method == "copymessage" || method == "forwardmessage"
}

/// The answer to a call that is not carried out: an injected fault, or beyond the rate limits.
async fn refuse(shared: &Shared, method: &str, call: &Call) -> Option<Response> {
    if !sends_a_message(method) && method != "answercallbackquery" {
        return None;
    }
    let chaos = *shared.chaos.lock().expect("chaos");
    let roll: f64 = rand::thread_rng().r#gen();
    if roll < chaos.too_many + chaos.bad_gateway + chaos.hang {
        shared.faults.injected.fetch_add(1, Ordering::Relaxed);
        if roll < chaos.too_many {
            return Some(too_many_requests(1));
        }
        if roll < chaos.too_many + chaos.bad_gateway {
            return Some(error(shared, 502, "Bad Gateway"));
        }
        tokio::time::sleep(HANG).await;
        return Some(error(shared, 504, "Gateway Timeout"));
    }
    let chat = call.chat_id.filter(|_| sends_a_message(method))?;
    let mut limits = shared.limits.lock().expect("limits");
    let limits = limits.as_mut()?;
    let bulk = match shared.shard(chat).get(&chat).and_then(|c| c.wrote) {
        Some(wrote) => wrote.elapsed() > REPLY_WINDOW,
        None => true,
    };
    let retry_after = limits.take(chat, bulk).err()?;
    shared.faults.rate_limited.fetch_add(1, Ordering::Relaxed);
    Some(too_many_requests(retry_after))
}

fn too_many_requests(retry_after: u32) -> Response {
    let body = serde_json::json!({
        "ok": false,
        "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after},
    })
    .to_string();
    json_response(StatusCode::TOO_MANY_REQUESTS, body)
}

fn error(shared: &Shared, code: u16, description: &str) -> Response {
    if code == 400 {
        shared.faults.bad_requests.fetch_add(1, Ordering::Relaxed);
    }
    let body = serde_json::json!({"ok": false, "error_code": code, "description": description}).to_string();
    json_response(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST), body)
}

fn json_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a valid response")
}
