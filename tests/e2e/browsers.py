"""Headless browsers for e2e tests, with one small API for both:

    with Chromium() as browser:            # or Firefox()
        tab = browser.open("http://127.0.0.1:8080/")
        state = tab.eval("window.rtckit.state")          # expression, may be a Promise
        n = tab.exec("const s = await rtckit.stats(); return s.video.framesDecoded;")
        tab.close()

Values cross as JSON (JSON.stringify in the page, json.loads here), so both browsers return the
same Python types. Chromium is driven by selenium + Debian's chromedriver; Firefox ESR by WebDriver
BiDi directly (no geckodriver). Both kill their whole process tree on exit, also on failure.
"""

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from util import free_port, wait_port, log, artifact_path

CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
CHROMEDRIVER = "/usr/bin/chromedriver"
FIREFOX_CANDIDATES = ["/usr/bin/firefox-esr", "/usr/lib/firefox-esr/firefox-esr"]


def find_chromium():
    for p in CHROMIUM_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


def find_firefox():
    for p in FIREFOX_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


def _wrap_expr(js):
    return f"(async () => ({js.strip().rstrip(';')}))()"


def _wrap_body(js):
    return f"(async () => {{ {js} }})()"


def _pids_with(marker):
    """pids whose command line contains marker (our unique profile dir)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(d))
        except OSError:
            pass
    return pids


def _kill_tree(pgid, marker):
    """SIGKILL a process group we started and any stragglers that carry our profile dir."""
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for _ in range(20):
        pids = [p for p in _pids_with(marker) if p != os.getpid()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


class Tab:
    def __init__(self, browser, handle, url):
        self.browser = browser
        self.handle = handle
        self.url = url

    def eval(self, js, timeout=30):
        """Evaluate a JS expression (a Promise is awaited) and return its JSON value."""
        return self.browser._eval(self, _wrap_expr(js), timeout)

    def exec(self, body, timeout=30):
        """Run an async function body (use `return`) and return its JSON value."""
        return self.browser._eval(self, _wrap_body(body), timeout)

    def navigate(self, url):
        self.browser._navigate(self, url)
        self.url = url

    def close(self):
        self.browser._close(self)

    def __repr__(self):
        return f"<Tab {self.handle} {self.url}>"


class Chromium:
    FLAGS = [
        "--headless=new", "--no-sandbox", "--disable-gpu",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
        "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-dev-shm-usage", "--window-size=640,480",  # small: less software compositing
    ]

    def __init__(self, extra_flags=(), binary=None):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise FileNotFoundError("no chromium binary")
        self.extra_flags = list(extra_flags)
        self.driver = None
        self.proc = None
        self.profile = None
        self._first_handle_free = True

    def start(self):
        from selenium import webdriver
        self.profile = tempfile.mkdtemp(prefix="rtckit-chromium-")
        port = free_port()
        self._log = open(artifact_path(f"chromedriver-{os.getpid()}-{port}.log"), "wb")
        # Our own chromedriver in its own process group, so the whole tree can be killed.
        self.proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_port(port, 10)
            opts = webdriver.ChromeOptions()
            opts.binary_location = self.binary
            for f in self.FLAGS + self.extra_flags + [f"--user-data-dir={self.profile}"]:
                opts.add_argument(f)
            opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=opts)
            self.driver.set_script_timeout(60)
            self.driver.set_page_load_timeout(30)
        except BaseException:
            self.quit()
            raise
        return self

    def open(self, url):
        d = self.driver
        if self._first_handle_free:  # reuse the initial about:blank tab for the first open()
            self._first_handle_free = False
        else:
            d.switch_to.new_window("tab")
        handle = d.current_window_handle
        d.get(url)
        return Tab(self, handle, url)

    def _switch(self, tab):
        if self.driver.current_window_handle != tab.handle:
            self.driver.switch_to.window(tab.handle)

    def _eval(self, tab, promise_js, timeout):
        self._switch(tab)
        self.driver.set_script_timeout(timeout)
        script = ("const done = arguments[arguments.length - 1];"
                  f"Promise.resolve().then(() => {promise_js})"
                  ".then(v => done({ok: true, json: JSON.stringify(v === undefined ? null : v)}),"
                  "      e => done({ok: false, error: String(e) + (e && e.stack ? ' | ' + e.stack : '')}));")
        r = self.driver.execute_async_script(script)
        if not r.get("ok"):
            raise RuntimeError(f"JS error in {tab.url}: {r.get('error')}")
        return json.loads(r["json"])

    def _navigate(self, tab, url):
        self._switch(tab)
        self.driver.get(url)

    def _close(self, tab):
        d = self.driver
        handles = d.window_handles
        if tab.handle not in handles:
            return
        if len(handles) == 1:  # keep the browser alive: blank the last tab instead
            self._switch(tab)
            d.get("about:blank")
            self._first_handle_free = True
            return
        self._switch(tab)
        d.close()
        d.switch_to.window([h for h in handles if h != tab.handle][0])

    def console_log(self):
        try:
            return [f"{e.get('level')} {e.get('message')}" for e in self.driver.get_log("browser")]
        except Exception as e:
            return [f"(no console log: {e!r})"]

    def quit(self):
        if self.driver:
            try:
                self.driver.quit()
            except Exception:
                pass
            self.driver = None
        if self.proc:
            _kill_tree(self.proc.pid, self.profile or "rtckit-chromium-never")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
            self._log.close()
        elif self.profile:
            _kill_tree(None, self.profile)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.quit()


FIREFOX_PREFS = {
    # media for tests
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.block-autoplay-until-in-foreground": False,
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.peerconnection.ice.default_address_only": False,
    # background tabs keep running timers
    "dom.min_background_timeout_value": 4,
    "dom.timeout.enable_budget_timer_throttling": False,
    "dom.suspend_inactive.enabled": False,
    # quiet: no updates, telemetry, first-run pages, remote settings
    "app.update.enabled": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.tabs.warnOnClose": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.policy.firstRunURL": "",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.archive.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.snippets": False,
    "browser.ping-centre.telemetry": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-gmpopenh264.autoupdate": False,
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "browser.discovery.enabled": False,
    "toolkit.coverage.endpoint.base": "",
    "remote.prefs.recommended": True,
}


class _BiDi:
    """A WebDriver BiDi connection on an asyncio loop in a background thread (python3-websockets
    10.4 in Debian 12 has no sync client)."""

    def __init__(self, url):
        import websockets
        self._ws_mod = websockets
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ids = itertools.count(1)
        self.pending = {}
        self.events = []
        self.ws = self._run(self._connect(url), 15)

    def _run(self, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self, url):
        # No Origin header: Firefox refuses BiDi connections that carry one.
        ws = await self._ws_mod.connect(url, max_size=None, ping_interval=None, open_timeout=10)
        self.reader = asyncio.ensure_future(self._read(ws))
        return ws

    async def _read(self, ws):
        try:
            async for raw in ws:
                msg = json.loads(raw)
                fut = self.pending.pop(msg.get("id"), None)
                if fut is not None:
                    if not fut.done():
                        fut.set_result(msg)
                elif msg.get("type") == "event":
                    self.events.append(msg)
        except Exception as e:
            err = e
        else:
            err = ConnectionError("BiDi socket closed")
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(err)
        self.pending.clear()

    async def _send(self, method, params):
        i = next(self.ids)
        fut = self.loop.create_future()
        self.pending[i] = fut
        await self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        return await fut

    def send(self, method, params=None, timeout=30):
        msg = self._run(self._send(method, params or {}), timeout)
        if msg.get("type") == "error" or "error" in msg and msg.get("type") != "success":
            raise RuntimeError(f"BiDi {method} failed: {msg.get('error')}: {msg.get('message')}")
        return msg.get("result", {})

    def close(self):
        try:
            self._run(self.ws.close(), 5)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Firefox:
    def __init__(self, binary=None, extra_prefs=None):
        self.binary = binary or find_firefox()
        if not self.binary:
            raise FileNotFoundError("no firefox-esr binary")
        self.prefs = dict(FIREFOX_PREFS)
        self.prefs.update(extra_prefs or {})
        self.proc = None
        self.profile = None
        self.bidi = None
        self._spare_context = None

    def start(self):
        self.profile = tempfile.mkdtemp(prefix="rtckit-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for k, v in self.prefs.items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        port = free_port()
        self._log = open(artifact_path(f"firefox-{os.getpid()}-{port}.log"), "wb")
        env = dict(os.environ, MOZ_CRASHREPORTER_DISABLE="1", MOZ_HEADLESS="1")
        self.proc = subprocess.Popen(
            [self.binary, "--headless", "--no-remote", "--profile", self.profile,
             f"--remote-debugging-port={port}", "about:blank"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    wait_port(port, 1)
                    self.bidi = _BiDi(f"ws://127.0.0.1:{port}/session")
                    break
                except Exception:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            self.bidi.send("session.new", {"capabilities": {}})
            tree = self.bidi.send("browsingContext.getTree", {"maxDepth": 0})
            ctxs = tree.get("contexts", [])
            self._spare_context = ctxs[0]["context"] if ctxs else None
        except BaseException:
            self.quit()
            raise
        return self

    def open(self, url):
        if self._spare_context:
            ctx, self._spare_context = self._spare_context, None
        else:
            ctx = self.bidi.send("browsingContext.create", {"type": "tab"})["context"]
        tab = Tab(self, ctx, url)
        self._navigate(tab, url)
        return tab

    def _navigate(self, tab, url):
        self.bidi.send("browsingContext.navigate",
                       {"context": tab.handle, "url": url, "wait": "complete"}, timeout=30)

    def _eval(self, tab, promise_js, timeout):
        expr = (f"{promise_js}.then(v => ({{ok: true, json: JSON.stringify(v === undefined ? null : v)}}),"
                " e => ({ok: false, error: String(e) + (e && e.stack ? ' | ' + e.stack : '')}))")
        r = self.bidi.send("script.evaluate",
                           {"expression": expr, "target": {"context": tab.handle},
                            "awaitPromise": True, "resultOwnership": "none"}, timeout=timeout + 5)
        if r.get("type") == "exception":
            raise RuntimeError(f"JS exception in {tab.url}: {r.get('exceptionDetails', {}).get('text')}")
        fields = {k: v for k, v in r["result"]["value"]}  # BiDi object: [[key, RemoteValue], ...]
        if not fields["ok"]["value"]:
            raise RuntimeError(f"JS error in {tab.url}: {fields['error']['value']}")
        return json.loads(fields["json"]["value"])

    def _close(self, tab):
        tree = self.bidi.send("browsingContext.getTree", {"maxDepth": 0})
        ctxs = [c["context"] for c in tree.get("contexts", [])]
        if tab.handle not in ctxs:
            return
        if len(ctxs) == 1:  # closing the last tab would end the browser: blank it instead
            self._navigate(tab, "about:blank")
            self._spare_context = tab.handle
            return
        self.bidi.send("browsingContext.close", {"context": tab.handle})

    def console_log(self):
        return []

    def quit(self):
        if self.bidi:
            try:
                self.bidi.send("session.end", {}, timeout=3)
            except Exception:
                pass
            self.bidi.close()
            self.bidi = None
        if self.proc:
            _kill_tree(self.proc.pid, self.profile or "rtckit-firefox-never")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
            self._log.close()
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.quit()
