"""The yardstick of bench/sidebyside.py: a hazard-report bot written the way most Telegram
bots are — a python-telegram-bot Application polling getUpdates, a CommandHandler for
/report, aiosqlite with one INSERT (and commit) per report, the group answer and the grid
worker's alert sent from the handler. No outbox, no dedup, no audit, no deadlines, no
retries: what Telegram refuses, or what is in flight when the process dies, is lost.

Its SQLite file gets the same settings as linli's (WAL, synchronous=NORMAL), so the two
differ in the code, not in the fsyncs.

    python -m bench.plain_bot --base-url http://127.0.0.1:PORT/bot --db plain.db \
        --route '{"1栋": 101, …}'
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import aiosqlite
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import probes

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    building TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not context.args or len(context.args) < 2:
        await message.reply_text("用法：/report 楼栋 隐患情况，例如：/report 3栋 楼道飞线充电")
        return
    building, text = context.args[0], " ".join(context.args[1:])
    db: aiosqlite.Connection = context.bot_data["db"]
    now = datetime.now().strftime("%Y-%m-%d %H:%M")
    cursor = await db.execute(
        "INSERT INTO reports (chat_id, user_id, name, building, text, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (message.chat_id, user.id, user.full_name, building, text, now),
    )
    await db.commit()
    number = cursor.lastrowid
    await message.reply_text(f"已收到隐患上报 #{number}（{building}：{text}），已转交网格员处理。")
    worker = context.bot_data["route"].get(building)
    if worker is not None:
        await context.bot.send_message(
            worker,
            f"【隐患上报 #{number}】\n地点：{building}\n内容：{text}\n"
            f"上报人：{user.full_name}\n时间：{now}\n请尽快接单处理。",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", default="123:PLAIN")
    parser.add_argument("--db", required=True)
    parser.add_argument("--route", required=True, help="JSON: building → the worker's chat id")
    args = parser.parse_args()

    async def open_db(app: Application) -> None:
        db = await aiosqlite.connect(args.db)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(SCHEMA)
        await db.commit()
        app.bot_data["db"] = db
        app.bot_data["route"] = json.loads(args.route)
        probes.start_from_environment()  # the benchmark's loop probe, as linli's (not a bot's)

    async def close_db(app: Application) -> None:
        await app.bot_data["db"].close()

    app = (
        Application.builder()
        .token(args.token)
        .base_url(args.base_url)
        .post_init(open_db)
        .post_shutdown(close_db)
        .build()
    )
    app.add_handler(CommandHandler("report", report))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
