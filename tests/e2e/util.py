"""Small helpers shared by the e2e tests: ports, HTTP waits, gst-launch pipelines,
polling with diagnostics, and the exit-code conventions meson understands.

Run tests with Debian's /usr/bin/python3 (python3-selenium, python3-websockets, python3-gi)."""

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("RTCKIT_SOURCE_ROOT") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD_ROOT = os.environ.get("RTCKIT_BUILD_ROOT") or os.path.join(SOURCE_ROOT, "build")
ARTIFACTS = os.path.join(HERE, "artifacts")

SKIP = 77  # meson's "skipped" exit code: only for a genuinely absent browser binary


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def artifact_path(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, name)


def free_port():
    """A free TCP port on 127.0.0.1 (free when asked; bind soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def http_get(url, timeout=3.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def http_json(url, timeout=3.0):
    status, body = http_get(url, timeout)
    return json.loads(body)


def wait_http(url, timeout=15.0, check=None):
    """Poll url until it answers 200 (and check(body) is true, when given). Returns the body."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            status, body = http_get(url, timeout=2.0)
            if status == 200 and (check is None or check(body)):
                return body
            last = f"HTTP {status}"
        except Exception as e:  # connection refused while the server starts
            last = repr(e)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout} s (last: {last})")


def fmt(v, spec=""):
    """@v in format @spec, or "-" as wide when it is unknown."""
    text = format(v, spec) if v is not None and spec else str(v)
    if v is None:
        width = "".join(c for c in spec.split(".")[0] if c.isdigit())
        text = "-".rjust(int(width) if width else 1)
    return text


class TestFailure(AssertionError):
    pass


def wait_for(cond, timeout, what, interval=0.25, diag=None):
    """Call cond() until it returns a truthy value (returned). On timeout raise TestFailure with
    `what`, the last value/exception and diag() output (page state, stats, pipeline log...)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = cond()
            if v:
                return v
            last = v
        except Exception as e:
            last = f"exception: {e!r}"
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    msg = f"timed out after {timeout} s waiting for {what}; last value: {last!r}"
    if diag:
        try:
            msg += "\n" + diag()
        except Exception as e:
            msg += f"\n(diagnostics failed: {e!r})"
    raise TestFailure(msg)


def check(cond, what, diag=None):
    if not cond:
        msg = f"check failed: {what}"
        if diag:
            try:
                msg += "\n" + diag()
            except Exception as e:
                msg += f"\n(diagnostics failed: {e!r})"
        raise TestFailure(msg)


def test_env():
    """The environment for child processes: meson's test env when present, else a build dir
    next to the sources (manual runs: /usr/bin/python3 tests/e2e/test_x.py)."""
    env = dict(os.environ)
    if "GST_PLUGIN_PATH" not in env:
        env["GST_PLUGIN_PATH"] = os.path.join(BUILD_ROOT, "plugins")
    if "GST_REGISTRY" not in env:
        env["GST_REGISTRY"] = artifact_path("e2e-registry.dat")
    env.setdefault("GST_DEBUG", "rtc*:4,webrtc*:2,*:1")
    env.setdefault("GST_DEBUG_NO_COLOR", "1")
    return env


def has_element(name):
    # not --exists: that also demands a plugin version >= the core's (ours is 0.x)
    r = subprocess.run(["gst-inspect-1.0", name], env=test_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


class Process:
    """A test's helper process in its own process group, output in tests/e2e/artifacts/."""

    def __init__(self, argv, name, env=None):
        self.log_path = artifact_path(f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
        self._log = open(self.log_path, "wb")
        e = test_env()
        if env:
            e.update(env)
        self._log.write(("$ " + " ".join(shlex.quote(a) for a in argv) + "\n").encode())
        self._log.flush()
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=e, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGINT (gst-launch -e sends EOS), wait, then SIGKILL its process group."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGINT)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"process {self.proc.pid} ignored SIGINT for {timeout} s, killing")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode

    def tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError as e:
            return f"(no log: {e})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Pipeline(Process):
    """`gst-launch-1.0 -e <launch_line>` as a subprocess; @prefix runs it through another
    command first (e.g. ["ip", "netns", "exec", NS])."""

    def __init__(self, launch_line, name="pipeline", env=None, prefix=()):
        self.launch_line = launch_line
        super().__init__(list(prefix) + ["gst-launch-1.0", "-e"] + shlex.split(launch_line), name, env)
        log(f"pipeline pid {self.proc.pid}: {launch_line}  (log {self.log_path})")


def run_main(main):
    """Run main(); exit 0 on success, 1 (with traceback) on failure. main may return SKIP.
    SIGTERM (meson's timeout) becomes an exception so context managers kill their browsers."""
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    try:
        rc = main()
    except BaseException:
        traceback.print_exc()
        log("FAIL")
        sys.exit(1)
    # Only None or 0 pass: `False in (None, 0)` is true in Python, so compare the type too.
    if type(rc) is int and rc == SKIP:
        log("SKIP")
        sys.exit(SKIP)
    if rc is None or (type(rc) is int and rc == 0):
        log("PASS")
        sys.exit(0)
    log(f"FAIL: main() returned {rc!r}")
    sys.exit(rc if type(rc) is int and 0 < rc < 256 else 1)


# ---- rtckit viewer pages (web/rtckit.js exposes window.rtckit) ----------------------------------

VIEWER_STATE_JS = "({state: rtckit.state, error: rtckit.error, sessionId: rtckit.sessionId})"


def viewer_state(tab):
    return tab.eval(VIEWER_STATE_JS)


def viewer_stats(tab):
    return tab.eval("rtckit.stats()")


class Diag:
    """Collects what to print when a check fails: every open viewer's state and stats, the
    server's /stats, the pipeline's last log lines and the browsers' console."""

    def __init__(self, pipeline=None, base_url=None):
        self.pipeline = pipeline
        self.base_url = base_url
        self.tabs = []      # (name, tab)
        self.browsers = []

    def __call__(self):
        out = [f"load average {os.getloadavg()} on {os.cpu_count()} cpus"]
        for name, tab in self.tabs:
            try:
                out.append(f"[{name}] {viewer_state(tab)} stats={viewer_stats(tab)}")
            except Exception as e:
                out.append(f"[{name}] (unreadable: {e!r})")
        if self.base_url:
            try:
                out.append(f"/stats: {http_get(self.base_url + '/stats')[1].decode(errors='replace')}")
            except Exception as e:
                out.append(f"/stats: unreadable ({e!r})")
        for b in self.browsers:
            for line in b.console_log()[-15:]:
                out.append(f"console: {line}")
        if self.pipeline:
            out.append(f"pipeline alive={self.pipeline.alive()}, log {self.pipeline.log_path}, last lines:")
            out.append(self.pipeline.tail(30))
        return "\n".join(out)


def wait_playing(named_tabs, timeout, diag):
    """Wait until every (name, tab) is in state 'playing' and has decoded a video frame."""
    def ready():
        for name, tab in named_tabs:
            st = viewer_state(tab)
            if st["state"] != "playing":
                return None
            v = (viewer_stats(tab) or {}).get("video") or {}
            if not v.get("framesDecoded"):
                return None
        return True
    wait_for(ready, timeout, "all viewers playing: " + ", ".join(n for n, _ in named_tabs), diag=diag)


def measure(named_tabs, seconds):
    """framesDecoded / audio packets over `seconds` for each tab, from a delta (not the browser's
    instantaneous framesPerSecond). Returns {name: {fps, audio_packets, first, last}}."""
    first = {}
    for name, tab in named_tabs:
        first[name] = (time.monotonic(), viewer_stats(tab))
    time.sleep(seconds)
    out = {}
    for name, tab in named_tabs:
        t1, s1 = time.monotonic(), viewer_stats(tab)
        t0, s0 = first[name]
        v0, v1 = s0.get("video") or {}, s1.get("video") or {}
        a0, a1 = s0.get("audio") or {}, s1.get("audio") or {}
        out[name] = {
            "fps": ((v1.get("framesDecoded") or 0) - (v0.get("framesDecoded") or 0)) / (t1 - t0),
            "audio_packets": (a1.get("packetsReceived") or 0) - (a0.get("packetsReceived") or 0),
            "first": s0, "last": s1,
        }
    return out


def server_stats(base_url):
    return http_json(base_url + "/stats")


def require_element(name):
    """The e2e tests need the real element: a missing one is a failure, never a skip."""
    if not has_element(name):
        raise TestFailure(f"element {name} not found with GST_PLUGIN_PATH={test_env()['GST_PLUGIN_PATH']} "
                          "(build the plugin first)")


class StaticPages:
    """A test page and third-party client files on their own loopback origin (so requests to
    rtckit are cross-origin, as from a real site). @files maps a name to serve to a source path."""

    def __init__(self, page, files):
        import functools
        import http.server
        import shutil
        import tempfile
        import threading

        class Quiet(http.server.SimpleHTTPRequestHandler):
            extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                              ".js": "text/javascript"}

            def log_message(self, *args):
                pass

        self.page = os.path.basename(page)
        self.dir = tempfile.mkdtemp(prefix="rtckit-pages-")
        shutil.copy(page, self.dir)
        for name, src in files.items():
            shutil.copy(src, os.path.join(self.dir, name))
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=self.dir))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, **params):
        from urllib.parse import urlencode
        return f"{self.base}/{self.page}?" + urlencode(params)

    def close(self):
        import shutil
        self.httpd.shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)
