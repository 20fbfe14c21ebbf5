//! The floor under any teloxide bot: the least a bot written with teloxide as its documentation
//! shows (a `Dispatcher` polling `getUpdates`, a dptree schema) does for a survey step, with no
//! storage and no logic. It shows three answer buttons for fifteen screens, then a submit button,
//! and answers each press as Anketa does: the screen edited in place (`editMessageText`), then
//! the button answered (`answerCallbackQuery`). Its CPU per step is what teloxide's
//! JSON, HTTP and scheduling cost on this machine whatever the bot does; the rest of Anketa's
//! step is its own work. The load benchmark runs it as a peer (`--peer floor`), as a process of
//! its own: this binary started again with [`SERVE_FLAG`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// The argument that makes the benchmark's binary serve as the floor bot.
pub const SERVE_FLAG: &str = "--serve-teloxide-floor";
/// Answer screens before the submit button, about as many as a `noko-parents` survey has.
const SCREENS: u32 = 15;

/// Each chat's screen number, the only state the bot keeps.
type Screens = Arc<Mutex<HashMap<ChatId, u32>>>;

/// Serves until killed, with the Bot API at `TELOXIDE_API_URL` and the token in `TELOXIDE_TOKEN`.
pub fn serve() -> anyhow::Result<()> {
    // As `anketa run`: tokio's multi-threaded runtime, a worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let bot = Bot::from_env();
        let schema = dptree::entry()
            .branch(Update::filter_message().endpoint(on_message))
            .branch(Update::filter_callback_query().endpoint(on_press));
        let screens: Screens = Arc::default();
        Dispatcher::builder(bot, schema).dependencies(dptree::deps![screens]).build().dispatch().await;
    });
    Ok(())
}

/// The screen numbered `screen`: three answers, or the submit button after the last.
fn keyboard(screen: u32) -> InlineKeyboardMarkup {
    let button = |action: &str| InlineKeyboardButton::callback(action, format!("{screen}:{action}"));
    if screen > SCREENS {
        InlineKeyboardMarkup::new([[button("u")]])
    } else {
        InlineKeyboardMarkup::new([[button("c:1"), button("c:2"), button("c:3")]])
    }
}

/// `/start <code>`: the first screen.
async fn on_message(bot: Bot, message: Message, screens: Screens) -> ResponseResult<()> {
    if message.text().is_some_and(|text| text.starts_with("/start")) {
        screens.lock().expect("screens").insert(message.chat.id, 1);
        bot.send_message(message.chat.id, "Вопрос 1").reply_markup(keyboard(1)).await?;
    }
    Ok(())
}

/// A press: the next screen in place of the last, and the button answered.
async fn on_press(bot: Bot, query: CallbackQuery, screens: Screens) -> ResponseResult<()> {
    let Some(message) = query.message.as_ref() else { return Ok(()) };
    let chat = message.chat().id;
    let submitted = query.data.as_deref().is_some_and(|data| data.ends_with(":u"));
    let screen = {
        let mut screens = screens.lock().expect("screens");
        let screen = screens.entry(chat).or_insert(1);
        *screen += 1;
        *screen
    };
    let edit = if submitted {
        screens.lock().expect("screens").remove(&chat);
        bot.edit_message_text(chat, message.id(), "Спасибо!")
    } else {
        bot.edit_message_text(chat, message.id(), format!("Вопрос {screen}")).reply_markup(keyboard(screen))
    };
    edit.await?;
    bot.answer_callback_query(query.id.clone()).await?;
    Ok(())
}
