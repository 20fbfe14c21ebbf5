"""The aiogram 3 peer of the load benchmark (`cargo bench --bench load -- --peer aiogram`).

The shipped `noko-parents` questionnaire as a minimal aiogram 3 bot on uvloop (as aiogram's docs
recommend for production), with aiogram's FSM in one of two persistent storages (BENCH_STORAGE):

- `redis`: aiogram's own `RedisStorage` on the Redis at BENCH_REDIS_URL, the storage aiogram's
  documentation recommends for production (keys under the prefix BENCH_REDIS_PREFIX, which the
  benchmark deletes before and after);
- `sqlite`: a hand-made SQLite storage, one row per chat, with the pragmas Anketa uses (WAL,
  synchronous=NORMAL, secure_delete) and one commit per step, before the step's screen is sent (as
  Anketa's one transaction per step).

Links, participations and responses live in SQLite in both variants (the same pragmas). One
question per screen with inline buttons, skip logic (`show_if`), a free-text question, a review
screen and a submit that stores the response and a hash of the user id (answer once). Its buttons use Anketa's callback data format
(`<revision>:<action>`), so the benchmark's generic respondents drive both bots alike. The
benchmark creates its virtual environment (`requirements.txt`) and configures it through the
environment: BENCH_API_URL, BENCH_TOKEN, BENCH_DATABASE, BENCH_CODES, BENCH_QUESTIONNAIRE and, for
webhook mode, BENCH_LISTEN, BENCH_WEBHOOK_URL, BENCH_WEBHOOK_SECRET.
"""

import asyncio
import hashlib
import json
import logging
import os
import random
import tomllib
from typing import Any, Dict, Optional

import aiosqlite
import uvloop
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


class SQLiteStorage(BaseStorage):
    """aiogram FSM storage in one SQLite table: key → (state, data as JSON). It does not commit:
    the handler commits once per step ([`commit_step`])."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self.keys = DefaultKeyBuilder(with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.db.execute(
            "INSERT INTO fsm (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state",
            (self.keys.build(key), value),
        )

    async def get_state(self, key: StorageKey) -> Optional[str]:
        async with self.db.execute("SELECT state FROM fsm WHERE key = ?", (self.keys.build(key),)) as rows:
            row = await rows.fetchone()
        return row[0] if row else None

    async def set_data(self, key: StorageKey, data: Dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO fsm (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data",
            (self.keys.build(key), json.dumps(data, ensure_ascii=False)),
        )

    async def get_data(self, key: StorageKey) -> Dict[str, Any]:
        async with self.db.execute("SELECT data FROM fsm WHERE key = ?", (self.keys.build(key),)) as rows:
            row = await rows.fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    async def close(self) -> None:
        await self.db.close()


async def commit_step() -> None:
    """One commit per step, before its screen is sent (as Anketa stores a step before showing the
    next screen): whatever the handler and the SQLite storage wrote. Nothing to commit on a step
    of the Redis variant but the submit."""
    if db.in_transaction:
        await db.commit()


class Survey(StatesGroup):
    answering = State()


with open(os.environ["BENCH_QUESTIONNAIRE"], "rb") as file:
    QUESTIONNAIRE = tomllib.load(file)
QUESTIONS = QUESTIONNAIRE["questions"]
router = Router()
db: aiosqlite.Connection


def visible(index: int, answers: Dict[str, str]) -> bool:
    condition = QUESTIONS[index].get("show_if")
    return condition is None or answers.get(condition["question"]) == condition["equals"]


def next_question(after: int, answers: Dict[str, str]) -> Optional[int]:
    for index in range(after + 1, len(QUESTIONS)):
        if visible(index, answers):
            return index
    return None


def previous_question(before: int, answers: Dict[str, str]) -> Optional[int]:
    for index in range(before - 1, -1, -1):
        if visible(index, answers):
            return index
    return None


def screen(data: Dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    rev = data["rev"]

    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=f"{rev}:{action}")

    question = data["q"]
    if question is None:
        text = f"{QUESTIONNAIRE['title']['ru']}\n\n{QUESTIONNAIRE['preamble']['ru']}\n\nОпрос анонимный."
        return text, InlineKeyboardMarkup(inline_keyboard=[[button("Начать", "b")]])
    if question == "review":
        lines = ["Проверьте ответы:"]
        for number, item in enumerate(q for q in QUESTIONS if q["id"] in data["answers"]):
            answer = data["answers"][item["id"]]
            shown = {"yes": "Да", "no": "Нет"}.get(answer, f"«{answer}»")
            lines.append(f"{number + 1}. {item['short']['ru']}: {shown}")
        keyboard = [[button("Отправить", "u")], [button("« Назад", "k")]]
        return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=keyboard)
    item = QUESTIONS[question]
    text = f"Вопрос {question + 1} из {len(QUESTIONS)}\n\n{item['text']['ru']}"
    if item["kind"] == "yes_no":
        rows = [[button("Да", "c:yes"), button("Нет", "c:no")]]
    else:
        text += f"\n\nНапишите ответ сообщением (до {item['max_length']} символов)."
        rows = [[button("Пропустить", "s")]] if item.get("optional") else []
    rows.append([button("« Назад", "k")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(CommandStart(deep_link=True))
async def start(message: Message, command: CommandObject, state: FSMContext) -> None:
    code = command.args or ""
    async with db.execute("SELECT 1 FROM links WHERE code = ?", (code,)) as rows:
        if await rows.fetchone() is None:
            await message.answer("Ссылка недействительна.")
            return
    identity = hashlib.sha256(f"{message.from_user.id}".encode()).hexdigest()
    async with db.execute("SELECT 1 FROM participations WHERE identity = ?", (identity,)) as rows:
        if await rows.fetchone() is not None:
            await message.answer("Вы уже ответили на эту анкету.")
            return
    data = {"code": code, "rev": random.randrange(1, 1 << 40), "q": None, "answers": {}}
    await state.set_state(Survey.answering)
    await state.set_data(data)
    await commit_step()
    text, keyboard = screen(data)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(Survey.answering)
async def press(query: CallbackQuery, state: FSMContext) -> None:
    data = await state.get_data()
    rev, _, action = (query.data or "").partition(":")
    if rev != str(data.get("rev")):
        await query.answer("Эта кнопка устарела.")
        return
    answers = data["answers"]
    current = data["q"]
    if action == "u" and current == "review":
        identity = hashlib.sha256(f"{query.from_user.id}".encode()).hexdigest()
        await db.execute("INSERT INTO participations (identity) VALUES (?)", (identity,))
        await db.execute(
            "INSERT INTO responses (code, answers) VALUES (?, ?)",
            (data["code"], json.dumps(answers, ensure_ascii=False)),
        )
        await state.clear()
        await commit_step()
        await query.message.edit_text("Спасибо! Ваши ответы сохранены.")
        await query.answer()
        return
    if action == "b" and current is None:
        data["q"] = next_question(-1, answers)
    elif action.startswith("c:") and isinstance(current, int):
        answers[QUESTIONS[current]["id"]] = action[2:]
        data["q"] = next_question(current, answers)
    elif action == "s" and isinstance(current, int):
        answers.pop(QUESTIONS[current]["id"], None)
        data["q"] = next_question(current, answers)
    elif action == "k" and current is not None:
        data["q"] = previous_question(len(QUESTIONS) if current == "review" else current, answers)
    else:
        await query.answer("Эта кнопка сейчас не действует.")
        return
    if data["q"] is None and action != "k":
        data["q"] = "review"
    # Answers of questions now hidden by skip logic are dropped.
    data["answers"] = {q["id"]: answers[q["id"]] for i, q in enumerate(QUESTIONS) if q["id"] in answers and visible(i, answers)}
    data["rev"] += 1
    await state.set_data(data)
    await commit_step()
    text, keyboard = screen(data)
    await query.message.edit_text(text, reply_markup=keyboard)
    await query.answer()


@router.message(Survey.answering, F.text)
async def typed(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    current = data["q"]
    if not isinstance(current, int) or QUESTIONS[current]["kind"] != "text":
        await message.answer("Ответьте кнопками под вопросом.")
        return
    data["answers"][QUESTIONS[current]["id"]] = message.text[: QUESTIONS[current]["max_length"]]
    data["q"] = next_question(current, data["answers"]) or "review"
    data["rev"] += 1
    await state.set_data(data)
    await commit_step()
    text, keyboard = screen(data)
    await message.answer(text, reply_markup=keyboard)


async def open_database(path: str, codes_file: str) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "secure_delete=on"):
        await connection.execute(f"PRAGMA {pragma}")
    await connection.executescript(
        """
        CREATE TABLE IF NOT EXISTS fsm (key TEXT PRIMARY KEY, state TEXT, data TEXT);
        CREATE TABLE IF NOT EXISTS links (code TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS participations (identity TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS responses (id INTEGER PRIMARY KEY, code TEXT NOT NULL, answers TEXT NOT NULL);
        """
    )
    with open(codes_file, encoding="utf-8") as file:
        codes = [(line.strip(),) for line in file if line.strip()]
    await connection.executemany("INSERT OR IGNORE INTO links (code) VALUES (?)", codes)
    await connection.commit()
    return connection


async def main() -> None:
    global db
    logging.basicConfig(level=logging.WARNING)
    db = await open_database(os.environ["BENCH_DATABASE"], os.environ["BENCH_CODES"])
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BENCH_API_URL"]))
    bot = Bot(os.environ["BENCH_TOKEN"], session=session)
    if os.environ.get("BENCH_STORAGE", "sqlite") == "redis":
        from aiogram.fsm.storage.redis import RedisStorage

        keys = DefaultKeyBuilder(prefix=os.environ["BENCH_REDIS_PREFIX"], with_destiny=True)
        storage = RedisStorage.from_url(os.environ["BENCH_REDIS_URL"], key_builder=keys)
    else:
        storage = SQLiteStorage(db)
    dispatcher = Dispatcher(storage=storage)
    dispatcher.include_router(router)
    if "BENCH_WEBHOOK_URL" in os.environ:
        from aiohttp import web
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

        app = web.Application()
        secret = os.environ["BENCH_WEBHOOK_SECRET"]
        SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(app, path="/telegram")
        setup_application(app, dispatcher, bot=bot)
        host, port = os.environ["BENCH_LISTEN"].rsplit(":", 1)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, host, int(port)).start()
        await bot.set_webhook(os.environ["BENCH_WEBHOOK_URL"], secret_token=secret)
        await asyncio.Event().wait()
    else:
        try:
            await dispatcher.start_polling(bot, handle_signals=True)
        finally:
            # aiosqlite runs the connection in a non-daemon thread: left open (the Redis variant's
            # storage does not own it), the interpreter would wait for it forever after SIGTERM.
            await db.close()


if __name__ == "__main__":
    uvloop.run(main())
