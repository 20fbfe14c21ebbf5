//! Virtual respondents and the load shapes they make (burst, steady rate, open drafts, a
//! population of people reading each screen, arrivals through crashes), and the flooder: one
//! person sending messages as fast as a script can.
//!
//! A respondent is one Telegram user in a private chat (chat id = user id). It opens a class link
//! (`/start <code>`), then acts on the last inline keyboard the bot showed it, like a person
//! waiting for each reply before the next tap. It knows nothing of the questionnaire: it reads the
//! buttons' callback data (`<revision>:<action>`, the format both bots under test use) and
//! chooses among them — never "back", "submit" once offered, otherwise a random choice (fixed
//! seed); a screen whose only way on is "skip" (or nothing) is a free-text question, answered
//! with a typed sentence or skipped.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::stand_in::{Event, Screen, StandIn};

/// Chat and user ids of virtual respondents start here (clear of anything real-looking).
const FIRST_CHAT: i64 = 7_000_000_000;
/// How long a respondent waits for the bot before giving up on it.
const PATIENCE: Duration = Duration::from_secs(30);
const SUGGESTION: &str = "Больше кружков после уроков и горячего питания для старших классов.";
/// Crash scenario: how long a respondent waits for the bot before tapping again, as a person
/// does when nothing happens, and how often it taps again before giving up.
const RETAP_AFTER: Duration = Duration::from_secs(4);
const MOST_RETAPS: u32 = 15;
/// Crash scenario: a person reads each screen for this long (milliseconds, at random).
const THINKING_MS: std::ops::Range<u64> = 100..900;

/// Everything measured while respondents ran.
#[derive(Default)]
pub struct Record {
    /// (when the reply came, the step's latency, what the step was), one per step.
    pub steps: Vec<(Instant, Duration, Kind)>,
    pub completed: usize,
    /// Respondents that reached their goal without completing (open drafts).
    pub parked: usize,
    pub errors: BTreeMap<String, u64>,
    /// Crash scenario: updates sent again after the bot stayed silent, as a person taps again.
    pub retaps: u64,
    /// Crash scenario: surveys the bot no longer knew after a submit, so the link was opened again.
    pub reopened: u64,
    /// Crash scenario: the answer codes (and typed text) of each respondent that finished, in
    /// the order given.
    pub given: Vec<Vec<String>>,
}

impl Record {
    fn error(&mut self, what: String) {
        *self.errors.entry(what).or_default() += 1;
    }
}

pub type Shared = Arc<Mutex<Record>>;

/// What a step was, for latencies by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `/start <code>`.
    Start,
    /// A button press that moves through the questionnaire.
    Press,
    /// The typed answer to the free-text question.
    Text,
    /// The submit button.
    Submit,
}

/// How far a respondent goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// To the end: submit.
    Complete,
    /// Opens the link, begins, answers this many questions, then leaves the draft open.
    Park { answers: u32 },
}

/// What the generator needs to know of the world: the class link codes.
pub struct World {
    pub stand_in: StandIn,
    pub codes: Vec<String>,
    pub seed: u64,
}

enum Failure {
    /// The bot did not answer in time.
    Silent,
    Error(String),
}

struct Respondent<'a> {
    world: &'a World,
    chat: i64,
    events: mpsc::UnboundedReceiver<Event>,
    rng: StdRng,
    next_query: u64,
    next_message: u64,
    screen: Option<Screen>,
    record: &'a Shared,
    /// Through crashes: how long it reads each screen (milliseconds, at random).
    thinking: std::ops::Range<u64>,
}

impl Drop for Respondent<'_> {
    fn drop(&mut self) {
        self.world.stand_in.close(self.chat);
    }
}

/// What a crash-scenario respondent made of the bot's replies to one move.
enum Progress {
    /// The next screen.
    Screen(Screen),
    /// Thanks, or "you have already answered": the response is stored.
    Finished,
    /// "This survey was already sent or cancelled": the survey is gone from the bot, so the
    /// person opens the class link again to learn which.
    Reopen,
}

/// The revision part of a button's callback data (all buttons of a screen share it).
fn revision(screen: &Screen) -> i64 {
    screen.buttons.first().and_then(|d| d.split_once(':')).and_then(|(r, _)| r.parse().ok()).unwrap_or(0)
}

/// The question number of a «Вопрос 3 из 15» screen.
fn question_number(screen: &Screen) -> Option<u32> {
    let (_, rest) = screen.text.split_once("Вопрос ")?;
    rest.split(' ').next()?.parse().ok()
}

/// The action part of a button's callback data.
fn action(data: &str) -> &str {
    data.split_once(':').map_or("", |(_, action)| action)
}

impl<'a> Respondent<'a> {
    fn new(world: &'a World, index: usize, record: &'a Shared) -> Respondent<'a> {
        Respondent::in_chat(world, FIRST_CHAT + index as i64, index, record)
    }

    fn in_chat(world: &'a World, chat: i64, index: usize, record: &'a Shared) -> Respondent<'a> {
        Respondent {
            world,
            chat,
            events: world.stand_in.open(chat),
            rng: StdRng::seed_from_u64(world.seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            next_query: 0,
            next_message: 0,
            screen: None,
            record,
            thinking: THINKING_MS,
        }
    }

    fn person(&self) -> String {
        format!(r#"{{"id":{},"is_bot":false,"first_name":"R","language_code":"ru"}}"#, self.chat)
    }

    fn send_text(&mut self, text: &str) {
        self.next_message += 1;
        self.world.stand_in.deliver(self.chat, "message", &text_message(self.chat, self.next_message, text));
    }

    fn press(&mut self, screen: &Screen, data: &str) {
        self.next_query += 1;
        let markup = screen.markup.as_deref().map(|m| format!(r#","reply_markup":{m}"#)).unwrap_or_default();
        let payload = format!(
            r#"{{"id":"{chat}:{query}","from":{person},"message":{{"message_id":{message},"date":{date},"chat":{{"id":{chat},"type":"private","first_name":"R"}},"from":{{"id":1000,"is_bot":true,"first_name":"Anketa","username":"anketa_load_bot"}},"text":{text}{markup}}},"chat_instance":"{chat}","data":{data}}}"#,
            chat = self.chat,
            query = self.next_query,
            person = self.person(),
            message = screen.message_id,
            date = unix_now(),
            text = screen.text,
            data = serde_json::to_string(data).expect("a string"),
        );
        self.world.stand_in.deliver(self.chat, "callback_query", &payload);
    }

    /// Waits for the bot's reply to the update just sent: the next screen, and for a button press
    /// the answer to the callback query as well.
    async fn reply(&mut self, kind: Kind) -> Result<Screen, Failure> {
        let pressed = matches!(kind, Kind::Press | Kind::Submit);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut screen = None;
        let mut answered = !pressed;
        while screen.is_none() || !answered {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| Failure::Silent)?
                .ok_or(Failure::Silent)?;
            match event {
                Event::Screen(s) => {
                    if let Some(latency) = s.latency {
                        self.record.lock().expect("record").steps.push((Instant::now(), latency, kind));
                    }
                    screen.get_or_insert(s);
                }
                Event::Answer { toast: Some(toast) } => return Err(Failure::Error(format!("toast: {toast}"))),
                Event::Answer { toast: None } => {
                    answered = true;
                    if screen.is_none() {
                        return Err(Failure::Error("a button press answered without a new screen".into()));
                    }
                }
            }
        }
        Ok(screen.expect("the loop waits for it"))
    }

    /// What a person does on this screen: the button to press (`None`: type the free-text
    /// answer) and whether it submits.
    fn choose(&mut self, screen: &Screen) -> Result<(Option<String>, bool), Failure> {
        let choices: Vec<&String> = screen.buttons.iter().filter(|d| action(d).starts_with("c:")).collect();
        let find = |wanted: &str| screen.buttons.iter().find(|d| action(d) == wanted).cloned();
        let (data, submitting) = if let Some(submit) = find("u") {
            (Some(submit), true)
        } else if let Some(choice) = choices.choose(&mut self.rng) {
            (Some((*choice).clone()), false)
        } else if let Some(begin) = find("b").or_else(|| find("r")) {
            (Some(begin), false)
        } else if let Some(audience) =
            screen.buttons.iter().filter(|d| action(d).starts_with("a:")).collect::<Vec<_>>().choose(&mut self.rng)
        {
            (Some((*audience).clone()), false)
        } else if screen.buttons.iter().all(|d| matches!(action(d), "s" | "k")) {
            // A free-text question: type an answer, or skip it when that is offered.
            match find("s").filter(|_| self.rng.gen_bool(0.5)) {
                Some(skip) => (Some(skip), false),
                None => (None, false),
            }
        } else {
            return Err(Failure::Error(format!("a screen the respondent cannot answer: {:?}", screen.buttons)));
        };
        Ok((data, submitting))
    }

    /// One step: what a person does on the current screen, and the bot's reply to it.
    /// Returns whether the survey was submitted.
    async fn step(&mut self) -> Result<bool, Failure> {
        let Some(screen) = self.screen.take() else {
            let code = self.world.codes.choose(&mut self.rng).expect("codes").clone();
            self.send_text(&format!("/start {code}"));
            self.screen = Some(self.reply(Kind::Start).await?);
            return Ok(false);
        };
        let (data, submitting) = self.choose(&screen)?;
        let next = match data {
            Some(data) => {
                self.press(&screen, &data);
                self.reply(if submitting { Kind::Submit } else { Kind::Press }).await?
            }
            None => {
                self.send_text(SUGGESTION);
                self.reply(Kind::Text).await?
            }
        };
        match (submitting, next.buttons.is_empty()) {
            (true, true) => Ok(true),
            (false, false) => {
                self.screen = Some(next);
                Ok(false)
            }
            (true, false) => Err(Failure::Error("submitting showed another screen".into())),
            (false, true) => Err(Failure::Error("a reply without buttons before the end".into())),
        }
    }

    fn fail(&self, failure: Failure) {
        let what = match failure {
            Failure::Silent => format!("no reply within {} s", PATIENCE.as_secs()),
            Failure::Error(e) => e,
        };
        self.record.lock().expect("record").error(what);
    }

    /// Runs to the goal without pauses.
    async fn run(mut self, goal: Goal) {
        let mut answers = 0;
        loop {
            match self.step().await {
                Ok(true) => {
                    self.record.lock().expect("record").completed += 1;
                    return;
                }
                Ok(false) => {
                    let at_question = self.screen.as_ref().is_some_and(|s| {
                        s.buttons.iter().all(|d| !matches!(action(d), "b" | "r") && !action(d).starts_with("a:"))
                    });
                    if let Goal::Park { answers: wanted } = goal {
                        if at_question && answers == wanted {
                            self.record.lock().expect("record").parked += 1;
                            return;
                        }
                        if at_question {
                            answers += 1;
                        }
                    }
                }
                Err(failure) => return self.fail(failure),
            }
        }
    }

    /// Answers to the end while the bot is killed and restarted under it: taps again when the bot
    /// stays silent, opens the link again when the bot no longer knows a submitted survey, and
    /// checks that no answer it gave was forgotten (the question number never goes back, the
    /// bot never forgets a survey before the submit).
    async fn run_through_crashes(mut self) {
        let code = self.world.codes.choose(&mut self.rng).expect("codes").clone();
        let mut given = Vec::new();
        let mut number = 0;
        let mut screen: Option<Screen> = None;
        loop {
            let thinking = self.rng.gen_range(self.thinking.clone());
            tokio::time::sleep(Duration::from_millis(thinking)).await;
            let Some(current) = screen.take() else {
                let start = format!("/start {code}");
                match self.until_progress(|r| r.send_text(&start), |_| true, Kind::Start).await {
                    Ok(Progress::Screen(next)) => screen = Some(next),
                    Ok(Progress::Finished) => return self.finished(given),
                    Ok(Progress::Reopen) => {
                        return self.fail(Failure::Error("a /start was answered as a button".into()));
                    }
                    Err(failure) => return self.fail(failure),
                }
                continue;
            };
            let (data, submitting) = match self.choose(&current) {
                Ok(choice) => choice,
                Err(failure) => return self.fail(failure),
            };
            let pressed = revision(&current);
            let resuming = data.as_deref().is_some_and(|d| action(d) == "r");
            // The next screen has a newer revision; resuming shows the draft as it is.
            let moved_on = |next: &Screen| {
                revision(next) > pressed || (resuming && !next.buttons.iter().any(|d| action(d) == "r"))
            };
            let progress = match &data {
                Some(data) => {
                    let kind = if submitting { Kind::Submit } else { Kind::Press };
                    self.until_progress(|r| r.press(&current, data), moved_on, kind).await
                }
                None => self.until_progress(|r| r.send_text(SUGGESTION), moved_on, Kind::Text).await,
            };
            match progress {
                Ok(Progress::Screen(next)) => {
                    match data.as_deref().map(action) {
                        Some(choice) if choice.starts_with("c:") => given.push(choice[2..].to_string()),
                        None => given.push(SUGGESTION.to_string()),
                        _ => {}
                    }
                    if let Some(now) = question_number(&next) {
                        if now < number {
                            return self.fail(Failure::Error(format!("went back from question {number} to {now}")));
                        }
                        number = now;
                    }
                    screen = Some(next);
                }
                Ok(Progress::Finished) => return self.finished(given),
                Ok(Progress::Reopen) if submitting => {
                    self.record.lock().expect("record").reopened += 1;
                    screen = None;
                }
                Ok(Progress::Reopen) => return self.fail(Failure::Error("the bot forgot an unfinished survey".into())),
                Err(failure) => return self.fail(failure),
            }
        }
    }

    fn finished(&self, given: Vec<String>) {
        let mut record = self.record.lock().expect("record");
        record.completed += 1;
        record.given.push(given);
    }

    /// Sends a move (again and again while the bot is silent) until the bot's replies show
    /// progress: a screen `moved_on` accepts, the end, or that the survey is gone.
    async fn until_progress(
        &mut self,
        send: impl Fn(&mut Self),
        moved_on: impl Fn(&Screen) -> bool,
        kind: Kind,
    ) -> Result<Progress, Failure> {
        for attempt in 0..=MOST_RETAPS {
            if attempt > 0 {
                self.record.lock().expect("record").retaps += 1;
            }
            send(self);
            let deadline = tokio::time::Instant::now() + RETAP_AFTER;
            while let Ok(event) = tokio::time::timeout_at(deadline, self.events.recv()).await {
                match event.ok_or(Failure::Silent)? {
                    Event::Screen(next) => {
                        if let Some(latency) = next.latency {
                            self.record.lock().expect("record").steps.push((Instant::now(), latency, kind));
                        }
                        if next.buttons.is_empty() {
                            if next.text.contains("Спасибо! Ваши ответы") || next.text.contains("уже ответили")
                            {
                                return Ok(Progress::Finished);
                            }
                            // A hint ("answer with the buttons"); the screen it means follows.
                        } else if moved_on(&next) {
                            return Ok(Progress::Screen(next));
                        }
                    }
                    // Sent or cancelled, or a twin press stored it: the link tells which.
                    Event::Answer { toast: Some(toast) }
                        if toast.contains("уже отправлена или отменена") || toast.contains("уже сохранены") =>
                    {
                        return Ok(Progress::Reopen);
                    }
                    // A stale button (the current screen follows) or a plain answer.
                    Event::Answer { .. } => {}
                }
            }
        }
        Err(Failure::Error(format!("no progress after {} taps", MOST_RETAPS + 1)))
    }

    /// Answers to the end, reading each screen for `thinking` first, unless `until` comes first;
    /// returns whether it submitted.
    async fn run_reading(mut self, thinking: std::ops::Range<u64>, until: tokio::time::Instant) -> bool {
        loop {
            let pause = Duration::from_millis(self.rng.gen_range(thinking.clone()));
            if tokio::time::Instant::now() + pause >= until {
                return false;
            }
            tokio::time::sleep(pause).await;
            match self.step().await {
                Ok(true) => {
                    self.record.lock().expect("record").completed += 1;
                    return true;
                }
                Ok(false) => {}
                Err(failure) => {
                    self.fail(failure);
                    return false;
                }
            }
        }
    }

    /// Steps only when the pacer says so: before each step it queues for a turn.
    async fn run_paced(mut self, turns: mpsc::UnboundedSender<oneshot::Sender<()>>) {
        loop {
            match self.step().await {
                Ok(true) => {
                    self.record.lock().expect("record").completed += 1;
                    return;
                }
                Ok(false) => {}
                Err(failure) => return self.fail(failure),
            }
            let (go, wait) = oneshot::channel();
            if turns.send(go).is_err() || wait.await.is_err() {
                return;
            }
        }
    }
}

/// A text message from the user of private chat `chat`, as an update carries it.
pub fn text_message(chat: i64, message_id: u64, text: &str) -> String {
    let person = format!(r#"{{"id":{chat},"is_bot":false,"first_name":"R","language_code":"ru"}}"#);
    let mut payload = format!(
        r#"{{"message_id":{message_id},"date":{},"chat":{{"id":{chat},"type":"private","first_name":"R"}},"from":{person},"text":{}"#,
        unix_now(),
        serde_json::to_string(text).expect("a string"),
    );
    if let Some(command) = text.strip_prefix('/') {
        let length = 1 + command.split(' ').next().unwrap_or_default().len();
        payload.push_str(&format!(r#","entities":[{{"type":"bot_command","offset":0,"length":{length}}}]"#));
    }
    payload.push('}');
    payload
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `count` respondents start within `ramp` (evenly spread) and each answers to the end as fast as
/// the bot replies.
pub async fn burst(world: Arc<World>, count: usize, ramp: Duration, record: Shared) {
    start_within(world, count, ramp, record, false).await;
}

/// Respondents starting evenly spread over `ramp`; through crashes, or as fast as the bot replies.
async fn start_within(world: Arc<World>, count: usize, ramp: Duration, record: Shared, through_crashes: bool) {
    let started = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let (world, record) = (world.clone(), record.clone());
        let at = started + ramp.mul_f64(index as f64 / count.max(1) as f64);
        tasks.spawn(async move {
            tokio::time::sleep_until(at).await;
            let respondent = Respondent::new(&world, index, &record);
            match through_crashes {
                true => respondent.run_through_crashes().await,
                false => respondent.run(Goal::Complete).await,
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Dialog steps at `rate` per second for `length`: each tick gives the next step to a respondent
/// waiting for its turn, or brings a new respondent (whose first step is `/start`).
pub async fn steady(world: Arc<World>, rate: f64, length: Duration, record: Shared) {
    let (turns_tx, mut turns) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let mut tasks = JoinSet::new();
    let mut next_index = 0;
    let mut issued = 0usize;
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while started.elapsed() < length {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as usize;
        while issued < due {
            issued += 1;
            let handed = match turns.try_recv() {
                Ok(go) => go.send(()).is_ok(),
                Err(_) => false,
            };
            if !handed {
                let (world, record, turns_tx) = (world.clone(), record.clone(), turns_tx.clone());
                let index = next_index;
                next_index += 1;
                tasks.spawn(async move { Respondent::new(&world, index, &record).run_paced(turns_tx).await });
            }
        }
    }
    drop(turns_tx);
    drop(turns);
    while tasks.join_next().await.is_some() {}
}

/// `count` respondents start within `ramp` and answer to the end, reading each screen a moment,
/// while the bot under them is killed and restarted (see `crash` in main.rs).
pub async fn through_crashes(world: Arc<World>, count: usize, ramp: Duration, record: Shared) {
    start_within(world, count, ramp, record, true).await;
}

/// `count` respondents, `concurrency` at a time, each opening a link, beginning and answering one
/// question, then leaving the draft open.
pub async fn drafts(world: Arc<World>, count: usize, concurrency: usize, record: Shared) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let (world, record, next) = (world.clone(), record.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return;
                }
                Respondent::new(&world, index, &record).run(Goal::Park { answers: 1 }).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// `count` people at once, each reading every screen for a while (on average `count / rate`
/// seconds, so that together they make `rate` steps a second) for `length`; whoever submits is
/// followed by a new person. They start within the first reading time.
pub async fn population(world: Arc<World>, count: usize, rate: f64, length: Duration, record: Shared) {
    let mean_ms = (count as f64 / rate * 1e3) as u64;
    let thinking = mean_ms / 2..(mean_ms * 3 / 2).max(mean_ms / 2 + 1);
    let started = tokio::time::Instant::now();
    let until = started + length;
    let mut tasks = JoinSet::new();
    for slot in 0..count {
        let (world, record, thinking) = (world.clone(), record.clone(), thinking.clone());
        let at = started + Duration::from_millis(mean_ms).mul_f64(slot as f64 / count.max(1) as f64);
        tasks.spawn(async move {
            tokio::time::sleep_until(at).await;
            let mut index = slot;
            while tokio::time::Instant::now() < until {
                if !Respondent::new(&world, index, &record).run_reading(thinking.clone(), until).await {
                    return;
                }
                index += count;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// New respondents arrive at `per_second` for `length`, each answering to the end through
/// crashes (reading each screen for `thinking` ms, tapping again when the bot stays silent, see
/// [`through_crashes`]); indices from `first`.
pub async fn arrivals_through_crashes(
    world: Arc<World>,
    per_second: f64,
    length: Duration,
    thinking: std::ops::Range<u64>,
    record: Shared,
) {
    let started = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    let mut index = 0;
    let gap = Duration::from_secs_f64(1.0 / per_second);
    let mut next = started;
    while next < started + length {
        tokio::time::sleep_until(next).await;
        let (world, record, thinking) = (world.clone(), record.clone(), thinking.clone());
        tasks.spawn(async move {
            let mut respondent = Respondent::new(&world, index, &record);
            respondent.thinking = thinking;
            respondent.run_through_crashes().await
        });
        index += 1;
        next += gap;
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// What came back to the flooder.
#[derive(Debug, Default)]
pub struct Flood {
    pub sent: u64,
    /// Messages the bot sent or edited in the flooder's chat, per second of the flood.
    pub per_second: Vec<u32>,
}

impl Flood {
    pub fn received(&self) -> u64 {
        self.per_second.iter().map(|&n| u64::from(n)).sum()
    }

    /// Messages a second back after the first `skip` seconds (once flood control's burst and
    /// Telegram's are spent).
    pub fn rate_after(&self, skip: usize) -> f64 {
        let rest = self.per_second.get(skip..).unwrap_or_default();
        rest.iter().map(|&n| f64::from(n)).sum::<f64>() / rest.len().max(1) as f64
    }

    pub fn busiest_second(&self) -> u32 {
        self.per_second.iter().copied().max().unwrap_or(0)
    }
}

/// One person sending a text message `per_second` times a second for `length` (ids apart from
/// the respondents'), counting what the bot sends back in each second.
pub async fn flooder(world: Arc<World>, per_second: f64, length: Duration) -> Flood {
    let record: Shared = Arc::default();
    let mut flooder = Respondent::in_chat(&world, FIRST_CHAT - 1, 0, &record);
    let mut flood = Flood { per_second: vec![0; length.as_secs().max(1) as usize], ..Flood::default() };
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    while started.elapsed() < length {
        tokio::select! {
            _ = tick.tick() => {
                flooder.send_text("Когда будут результаты? Ответьте!");
                flood.sent += 1;
            }
            Some(event) = flooder.events.recv() => {
                if let Event::Screen(_) = event {
                    let second = (started.elapsed().as_secs() as usize).min(flood.per_second.len() - 1);
                    flood.per_second[second] += 1;
                }
            }
        }
    }
    flood
}
