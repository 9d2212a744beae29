"""Helpers for bench/run.py: process sampling (/proc), a static page server, percentiles, and the
e2e harness (tests/e2e/browsers.py, util.py) reused as is."""

import functools
import http.server
import os
import subprocess
import sys
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import util  # noqa: E402,F401  (the e2e helpers)
from util import free_port, log, test_env, wait_port  # noqa: E402,F401

PY = "/usr/bin/python3"
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESULTS = os.path.join(BENCH, "results")


def proc_cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def cpu_percent(pid, seconds):
    """Average % of one core used by pid over `seconds`."""
    c0, t0 = proc_cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = proc_cpu_seconds(pid), time.monotonic()
    return 100.0 * (c1 - c0) / (t1 - t0)


def loadavg():
    return os.getloadavg()


def percentile(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


class StaticServer:
    """Serves bench/web/ on 127.0.0.1:<free port> from a thread."""

    def __init__(self):
        handler = functools.partial(_QuietHandler, directory=os.path.join(BENCH, "web"))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, page="bench.html"):
        return f"http://127.0.0.1:{self.port}/{page}"

    def close(self):
        self.httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class Proc:
    """A child process (own process group) with its output in a log file under results/logs."""

    def __init__(self, argv, name, env=None, ready=None, timeout=20):
        os.makedirs(os.path.join(RESULTS, "logs"), exist_ok=True)
        self.log_path = os.path.join(RESULTS, "logs", f"{name}.log")
        self._log = open(self.log_path, "wb")
        e = test_env()
        e["GST_DEBUG"] = os.environ.get("BENCH_GST_DEBUG", "*:1")
        if env:
            e.update(env)
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=e, start_new_session=True)
        self.pid = self.proc.pid
        if ready:
            self.wait_text(ready, timeout)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_text(self, s, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if s in self.text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.log_path}: no '{s}' after {timeout} s:\n{self.text()[-3000:]}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=5):
        import signal
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGINT)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        self._log.close()
