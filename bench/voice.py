"""Voice: the recogniser's CPU per second of audio, and what transcribing voice messages
costs the text messages handled meanwhile (their latency, with and without clips in hand).

`python -m bench.voice` runs it alone; `make bench` includes it when the voice extra is
installed."""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.app import App
from handlers.clock import ManualClock
from storage import Database
from tests.fakes import RecordingAdapter, example_config, incoming

CLIPS = Path(__file__).resolve().parent.parent / "tests" / "voice_clips"
SPEECH = ("report_3.wav", "report_5.wav", "report_7.wav")


def joined(names: tuple[str, ...], times: int) -> bytes:
    """The clips one after another, `times` over, as one WAV (a long voice message)."""
    frames = b""
    for _ in range(times):
        for name in names:
            with wave.open(str(CLIPS / name)) as w:
                frames += w.readframes(w.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(frames)
    return out.getvalue()


class ClipAdapter(RecordingAdapter):
    async def fetch_voice(self, ref: str) -> bytes:
        return joined((ref,), 1) if ref.endswith(".wav") else b""


async def cpu_per_audio_second(app: App) -> dict[str, Any]:
    """CPU seconds (the whole process's) per second of audio, for short clips and a long one."""
    await asyncio.to_thread(app.voice._run, (CLIPS / SPEECH[0]).read_bytes())  # load the model
    short_cpu = short_audio = 0.0
    for name in SPEECH:
        heard = await asyncio.to_thread(app.voice._run, (CLIPS / name).read_bytes())
        short_cpu += heard.cpu
        short_audio += heard.seconds
    long = await asyncio.to_thread(app.voice._run, joined(SPEECH, 2))
    return {
        "short_clips_cpu_per_audio_s": round(short_cpu / short_audio, 3),
        "short_clip_cpu_s": round(short_cpu / len(SPEECH), 2),
        "long_clip_s": round(long.seconds, 1),
        "long_clip_cpu_per_audio_s": round(long.cpu / long.seconds, 3),
    }


async def text_latency(app: App, clock: ManualClock, *, clips: int, texts: int) -> dict[str, Any]:
    """Handle `texts` text messages, one every 20 ms, while `clips` voice messages are being
    transcribed (clips=0: the baseline); the latency of each text message's handling."""
    for i in range(clips):
        msg = incoming(f"语音{i}", "", at=clock.now(), private=True)
        await app.handle(replace(msg, voice=SPEECH[i % len(SPEECH)]))
    latencies = []
    lag = 0.0
    for i in range(texts):
        started = time.perf_counter()
        text = f"上报 {1 + i % 8}栋 问题{clips}-{i}"
        await app.handle(incoming(f"居民{i}", text, at=clock.now()))
        latencies.append(time.perf_counter() - started)
        before = time.perf_counter()
        await asyncio.sleep(0.02)
        lag = max(lag, time.perf_counter() - before - 0.02)  # the event loop's own delay
    busy = bool(app.voice._tasks)
    await app.voice.settle()
    ms = sorted(x * 1000 for x in latencies)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1),
        "max_ms": round(ms[-1], 1),
        "loop_lag_max_ms": round(lag * 1000, 1),
        "still_transcribing_at_end": busy,
    }


async def run(texts: int = 150) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = example_config(Path(tmp) / "voice.db")
        cfg = cfg.model_copy(update={"voice": cfg.voice.model_copy(update={"queue": 100})})
        clock = ManualClock()
        async with Database(cfg.storage.url) as db:
            app = App(cfg, db, clock, {"console": ClipAdapter()}, platforms=("console",))
            await app.start()
            results: dict[str, Any] = {"cpu": await cpu_per_audio_second(app)}
            results["text_alone"] = await text_latency(app, clock, clips=0, texts=texts)
            results["text_during_6_clips"] = await text_latency(app, clock, clips=6, texts=texts)
            await app.voice.close()
    added = results["text_during_6_clips"]["max_ms"] - results["text_alone"]["max_ms"]
    results["worst_added_latency_ms"] = round(added, 1)
    return results


def available() -> bool:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2))
