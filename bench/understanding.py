"""How long understanding one message takes, and what the candidate libraries cost.

    .venv/bin/python -m bench.understanding [--libraries]

Reads every line of the corpus (tests/corpus/) through the same path the bot takes
(normalise → registry → report/meal/RSVP slots) and prints the per-message median, p90 and p99
(target: median under 0.2 ms). With --libraries it also measures, each in a fresh process,
the start-up (import and first call), memory and time per message of OpenCC, zhconv, jieba,
cn2an and JioNLP's parse_time where they are installed (only OpenCC and cn2an are
dependencies; the others were measured to be chosen against)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 30)

_PROBE = r"""
import resource, sys, time
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
what = sys.argv[1]
texts = ["上報 6棟 有人從窗戶拉電線給電動車充電", "上报 三号楼2单元 电动车推进电梯了",
         "报餐 明天 午餐 2份 送餐 少盐", "隐患排查今天开始了，大家配合一下"]
base = rss(); t0 = time.perf_counter()
if what == "opencc":
    import opencc; f = opencc.OpenCC("t2s").convert
elif what == "zhconv":
    import zhconv; f = lambda s: zhconv.convert(s, "zh-cn")
elif what == "jieba":
    import jieba, logging; jieba.setLogLevel(logging.WARNING); jieba.initialize(); f = jieba.lcut
elif what == "cn2an":
    import cn2an; f = lambda s: cn2an.cn2an("二十三", "smart")
elif what == "jionlp":
    import jionlp; b = time.mktime((2026, 11, 30, 8, 0, 0, 0, 0, 0))
    f = lambda s: jionlp.parse_time("下下周一", time_base=b)
f(texts[0]); start = time.perf_counter() - t0
ts = []
for i in range(1000):
    a = time.perf_counter(); f(texts[i % 4]); ts.append(time.perf_counter() - a)
ts.sort()
print(f"{what:8} start {start * 1000:7.0f} ms  +{rss() - base:5.0f} MB  "
      f"median {ts[500] * 1e6:7.1f} us  p99 {ts[990] * 1e6:7.1f} us")
"""


def libraries() -> None:
    print("library  start-up (import + first call), memory, time per message:")
    for what in ("opencc", "zhconv", "jieba", "cn2an", "jionlp"):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, what], capture_output=True, text=True, check=False
        )
        line = done.stdout.strip().splitlines()[-1:] or [f"{what:8} not installed"]
        print(line[0])


def main() -> None:
    from bot.config import load_config
    from bot.explain import reader

    started = time.perf_counter()
    settings = load_config(ROOT / "config.example.toml").settings(platforms=("console",))
    read = reader(settings)
    print(f"registry and lexicon built in {(time.perf_counter() - started) * 1000:.1f} ms")
    texts = []
    for name in ("train.tsv", "heldout.tsv"):
        for line in (ROOT / "tests" / "corpus" / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(line.split("\t", 1)[1])
    for text in texts:  # warm up: the lazy cn2an import, first regex compilations
        read(text + " 0", TODAY)
    # normalisation is cached per text; vary each message as a new one would be
    rounds = 20
    times = []
    for r in range(rounds):
        for text in texts:
            fresh = f"{text} {r + 1}"
            t = time.perf_counter()
            read(fresh, TODAY)
            times.append(time.perf_counter() - t)
    times.sort()
    n = len(times)
    print(
        f"understanding one message ({n} = {len(texts)} corpus lines x {rounds}): "
        f"median {statistics.median(times) * 1e3:.3f} ms, p90 {times[int(n * 0.9)] * 1e3:.3f} ms, "
        f"p99 {times[int(n * 0.99)] * 1e3:.3f} ms (target: median < 0.2 ms)"
    )
    if "--libraries" in sys.argv:
        libraries()


if __name__ == "__main__":
    main()
