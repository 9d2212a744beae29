"""Pixel clock: a live 1280x720 I420 source whose frames carry the wall-clock time (CLOCK_REALTIME,
milliseconds mod 2^32) as big black/white blocks, so it survives compression and can be read back
from a canvas in the browser (web/bench.html, decodeClock()).

Layout (in a 1280x720 frame): 16 blocks of 80x80 px per row; row 0 and 1 hold the 32 bits of the
time (MSB first), row 2 holds an 8-bit check (XOR of the four bytes) and its complement. The rest of
the frame is mid grey with a moving white bar so the encoder has some motion to code.
"""

import threading
import time

import numpy as np
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

W, H, FPS = 1280, 720, 30
BLOCK = 80
PER_ROW = W // BLOCK  # 16
CAPS = f"video/x-raw,format=I420,width={W},height={H},framerate={FPS}/1"
APPSRC = f'appsrc name=clocksrc is-live=true do-timestamp=true format=time block=false max-bytes=0 caps="{CAPS}"'


def bits_for(ms):
    v = ms & 0xFFFFFFFF
    check = (v ^ (v >> 8) ^ (v >> 16) ^ (v >> 24)) & 0xFF
    data = [(v >> (31 - i)) & 1 for i in range(32)]
    chk = [(check >> (7 - i)) & 1 for i in range(8)]
    return data + chk + [1 - b for b in chk]


class PixelClock:
    """Pushes frames into an appsrc from its own thread, paced on the monotonic clock; the time is
    read right before each push (the 'glass' at the sender's side)."""

    def __init__(self, appsrc=None):
        self.appsrc = appsrc
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        y = np.full((H, W), 128, np.uint8)
        self._y = y
        self._uv = np.full(W * H // 2, 128, np.uint8).tobytes()
        self.frames = 0

    def set_appsrc(self, appsrc):
        with self._lock:
            self.appsrc = appsrc

    def frame(self, ms, n):
        y = self._y.copy()
        for i, b in enumerate(bits_for(ms)):
            r, c = divmod(i, PER_ROW)
            y[r * BLOCK:(r + 1) * BLOCK, c * BLOCK:(c + 1) * BLOCK] = 235 if b else 16
        x = (n * 8) % (W - 64)
        y[3 * BLOCK + 40:, x:x + 64] = 235  # moving bar below the code
        return y.tobytes() + self._uv

    def _run(self):
        period = 1.0 / FPS
        t = time.monotonic()
        n = 0
        while not self._stop.is_set():
            t += period
            d = t - time.monotonic()
            if d > 0:
                time.sleep(d)
            elif d < -0.5:  # fell far behind (machine stalled): resynchronise
                t = time.monotonic()
            with self._lock:
                src = self.appsrc
            if src is None:
                continue
            ms = int(time.time() * 1000)
            buf = Gst.Buffer.new_wrapped(self.frame(ms, n))
            n += 1
            src.emit("push-buffer", buf)
            self.frames += 1

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(2)
