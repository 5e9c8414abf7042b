#!/bin/sh
# Synthesises the committed test clips (run once; needs Debian's espeak-ng and sox).
# The Mandarin voice is espeak-ng's `cmn-latn-pinyin`: plain `cmn` reads the characters its
# dictionary spells in pinyin with English letter rules (报 comes out as "bei").
set -eu
cd "$(dirname "$0")"
say() {  # name, text
    espeak-ng -v cmn-latn-pinyin -s 150 -w "/tmp/$1.raw.wav" "$2"
    sox "/tmp/$1.raw.wav" -r 16000 -c 1 -b 16 "$1.wav"
    rm -f "/tmp/$1.raw.wav"
}
say report_3 "上报三号楼楼道飞线充电"
say report_5 "上报五号楼楼道堆放杂物"
say report_7 "上报七号楼电梯坏了"
say help "帮助"
# unintelligible: three seconds of white noise
sox -n -r 16000 -c 1 -b 16 noise.wav synth 3.0 whitenoise vol 0.5
# report_3 as Telegram sends voice (OGG/Opus) and as WeChat does (SILK v3, Tencent's
# header): with PyAV and silk-python from the voice extra
"${PYTHON:-../../.venv/bin/python}" - <<'PY'
import io
import wave

import av
import pysilk

inp = av.open("report_3.wav")
out = av.open("report_3.ogg", "w", format="ogg")
stream = out.add_stream("libopus", rate=48000, layout="mono")
stream.bit_rate = 24000
resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
for frame in [*inp.decode(audio=0), None]:
    for f in resampler.resample(frame):
        for packet in stream.encode(f):
            out.mux(packet)
for packet in stream.encode(None):
    out.mux(packet)
out.close()
with wave.open("report_3.wav") as w:
    pcm = w.readframes(w.getnframes())
silk = io.BytesIO()
pysilk.encode(io.BytesIO(pcm), silk, 16000, 24000, tencent=True)
open("report_3.silk", "wb").write(silk.getvalue())
PY
