"""rtcdisplaymediasrc's PipeWire path against a stand-in ScreenCast portal (no desktop, no browser).

The test runs everything of its own: a private D-Bus session bus (dbus-daemon), a PipeWire daemon in
a private runtime directory, a "screen" (a GStreamer pipeline into pipewiresink, a Video/Source
node sending 2 frames per second: a screen that rarely changes), and a stand-in for
org.freedesktop.portal.Desktop's ScreenCast interface here in Python (GDBus), which answers as
xdg-desktop-portal does after the user picked that screen: CreateSession, SelectSources, Start
(streams: the node, source_type, size), OpenPipeWireRemote (an fd connected to the PipeWire
socket), Session.Close. With no session manager, the test links the screen's port to the
element's itself (pw-link), as WirePlumber would.

Scenarios (each a gst-launch-1.0 -m -v subprocess without DISPLAY, with WAYLAND_DISPLAY set):
  auto      source=auto on "Wayland" picks the portal: backend=pipewire, display-surface=monitor;
            SelectSources got cursor_mode 1 for cursor=false; frame-rate=15 from a 2 fps screen
            still gives >= 15 fps (within 5 %) at 160x120 (video-constraints=width=160);
            the session is closed when the pipeline stops
  region    region=20,10,100,50: display-surface=region, 100x50
  cancel    the user cancels the portal's dialog: an element error that says so
What this cannot show: a real portal's dialog and a real compositor's frames (see
docs/elements/rtcdisplaymediasrc.md for checking that by hand).

Run: /usr/bin/python3 tests/e2e/test_displaymedia_portal.py [scenario ...]
Skips (77) only when dbus-daemon or pipewire is not installed.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from util import (SKIP, Process, TestFailure, check, log, require_element, run_main,  # noqa: E402
                  test_env, wait_for)

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

SCREEN_SIZE = (320, 240)

PORTAL_XML = """
<node>
  <interface name="org.freedesktop.portal.ScreenCast">
    <method name="CreateSession">
      <arg type="a{sv}" name="options" direction="in"/><arg type="o" name="handle" direction="out"/>
    </method>
    <method name="SelectSources">
      <arg type="o" name="session_handle" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/><arg type="o" name="handle" direction="out"/>
    </method>
    <method name="Start">
      <arg type="o" name="session_handle" direction="in"/><arg type="s" name="parent_window" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/><arg type="o" name="handle" direction="out"/>
    </method>
    <method name="OpenPipeWireRemote">
      <arg type="o" name="session_handle" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/><arg type="h" name="fd" direction="out"/>
    </method>
    <property name="AvailableSourceTypes" type="u" access="read"/>
    <property name="AvailableCursorModes" type="u" access="read"/>
    <property name="version" type="u" access="read"/>
  </interface>
</node>
"""
SESSION_XML = """
<node>
  <interface name="org.freedesktop.portal.Session">
    <method name="Close"/>
  </interface>
</node>
"""
PORTAL_PATH = "/org/freedesktop/portal/desktop"


class FakePortal:
    """org.freedesktop.portal.Desktop on the private bus, in a thread with its own main loop."""

    def __init__(self, address, pipewire_socket, node_id):
        self.pipewire_socket = pipewire_socket
        self.node_id = node_id
        self.calls = []  # (method, options as a dict)
        self.cancel_start = False
        self.lock = threading.Lock()
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(address, ready), daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise TestFailure("the stand-in portal did not start")

    def _run(self, address, ready):
        self.ctx.push_thread_default()
        self.conn = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        iface = Gio.DBusNodeInfo.new_for_xml(PORTAL_XML).interfaces[0]
        self.session_iface = Gio.DBusNodeInfo.new_for_xml(SESSION_XML).interfaces[0]
        self.conn.register_object(PORTAL_PATH, iface, self._on_call, self._on_get, None)
        self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                            "RequestName", GLib.Variant("(su)", ("org.freedesktop.portal.Desktop", 4)),
                            None, Gio.DBusCallFlags.NONE, 5000, None)
        ready.set()
        self.loop.run()
        self.ctx.pop_thread_default()

    def stop(self):
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, lambda: self.loop.quit())
        self.thread.join(5)

    def calls_of(self, method):
        with self.lock:
            return [opts for m, opts in self.calls if m == method]

    def _on_get(self, conn, sender, path, iface, prop):
        return GLib.Variant("u", {"AvailableSourceTypes": 3, "AvailableCursorModes": 3, "version": 4}[prop])

    def _request_path(self, sender, token):
        return f"{PORTAL_PATH}/request/{sender[1:].replace('.', '_')}/{token}"

    def _respond(self, sender, path, code, results):
        def emit():
            self.conn.emit_signal(sender, path, "org.freedesktop.portal.Request", "Response",
                                  GLib.Variant("(ua{sv})", (code, results)))
            return False
        source = GLib.timeout_source_new(20)  # after the method's reply, as the portal does
        source.set_callback(lambda *_: emit())
        source.attach(self.ctx)

    def _on_call(self, conn, sender, path, iface, method, params, invocation):
        args = params.unpack()
        opts = next((a for a in args if isinstance(a, dict)), {})
        with self.lock:
            self.calls.append((method, opts))
        if iface == "org.freedesktop.portal.Session" and method == "Close":
            invocation.return_value(None)
            return
        if method == "OpenPipeWireRemote":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.pipewire_socket)
            fds = Gio.UnixFDList.new_from_array([s.detach()])
            invocation.return_value_with_unix_fd_list(GLib.Variant("(h)", (0,)), fds)
            return
        token = opts.get("handle_token", "t")
        request = self._request_path(sender, token)
        invocation.return_value(GLib.Variant("(o)", (request,)))
        if method == "CreateSession":
            session = f"{PORTAL_PATH}/session/{sender[1:].replace('.', '_')}/{opts['session_handle_token']}"
            self.conn.register_object(session, self.session_iface, self._on_call, None, None)
            self._respond(sender, request, 0, {"session_handle": GLib.Variant("s", session)})
        elif method == "SelectSources":
            self._respond(sender, request, 0, {})
        elif method == "Start":
            if self.cancel_start:
                self._respond(sender, request, 1, {})
                return
            stream = (self.node_id, {"source_type": GLib.Variant("u", 1),
                                     "size": GLib.Variant("(ii)", SCREEN_SIZE)})
            self._respond(sender, request, 0, {"streams": GLib.Variant("a(ua{sv})", [stream])})


class World:
    """The private bus, the PipeWire daemon and the screen node."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rtckit-portal-")
        os.chmod(self.dir, 0o700)
        self.procs = []
        self.pw_env = {"XDG_RUNTIME_DIR": self.dir, "PIPEWIRE_RUNTIME_DIR": self.dir,
                       "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + os.path.join(self.dir, "none")}
        self.bus = "unix:path=" + os.path.join(self.dir, "bus")
        self.procs.append(Process(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                   f"--address={self.bus}"], "portal-dbus"))
        self.procs.append(Process(["pipewire"], "portal-pipewire", env=self.pw_env))
        self.socket = os.path.join(self.dir, "pipewire-0")
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "bus")) and os.path.exists(self.socket),
                 10, "dbus-daemon and pipewire sockets", diag=lambda: self.procs[1].tail())
        screen = ("videotestsrc is-live=true pattern=solid-color foreground-color=0xff00ff00 ! "
                  f"video/x-raw,format=BGRx,width={SCREEN_SIZE[0]},height={SCREEN_SIZE[1]},framerate=2/1 ! "
                  "pipewiresink mode=provide "
                  "stream-properties=props,media.class=Video/Source,node.name=rtckit-test-screen")
        self.screen = Process(["gst-launch-1.0", *screen.split()], "portal-screen", env=self.pw_env)
        self.procs.append(self.screen)
        self.node = wait_for(self._screen_node, 10, "the screen's PipeWire node", diag=self.screen.tail)
        log(f"private bus {self.bus}, PipeWire in {self.dir}, screen node {self.node}")

    def pw(self, *args):
        r = subprocess.run(args, env=dict(os.environ, **self.pw_env), capture_output=True, text=True,
                           timeout=10)
        return r.stdout

    def _screen_node(self):
        out = self.pw("pw-cli", "ls", "Node")
        m = re.search(r"id (\d+), type PipeWire:Interface:Node[^\n]*\n(?:\s+[^\n]*\n)*?\s+node.name = "
                      r"\"rtckit-test-screen\"", out)
        return int(m.group(1)) if m else None

    def link_screen_to_consumer(self):
        """What a session manager would do: the screen's port to the element's input port."""
        def consumer_port():
            ports = [p for p in self.pw("pw-link", "-i").split() if p.endswith(":in_0")]
            return ports[0] if ports else None
        port = wait_for(consumer_port, 10, "the element's PipeWire input port")
        self.pw("pw-link", "rtckit-test-screen:out_0", port)
        log(f"linked rtckit-test-screen:out_0 -> {port}")

    def close(self):
        for p in reversed(self.procs):
            p.stop(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def element_env(world):
    # No DISPLAY, "Wayland", the private bus; no PipeWire runtime dir: the portal's fd is the way in.
    return {"DBUS_SESSION_BUS_ADDRESS": world.bus, "WAYLAND_DISPLAY": "wayland-rtckit-test"}


def start_element(world, props, name):
    argv = ["gst-launch-1.0", "-m", "-v", "rtcdisplaymediasrc", *props, "!", "fpsdisplaysink",
            "video-sink=fakesink", "text-overlay=false", "sync=false"]
    proc = Process(argv, f"portal-{name}", env=element_env(world))
    log(f"element pid {proc.proc.pid}: {' '.join(argv[3:])} (log {proc.log_path})")
    return proc


def read_log(proc):
    with open(proc.log_path, errors="replace") as f:
        return f.read()


def capture_message(proc):
    m = re.search(r"rtckit-display-media, (.*)", read_log(proc))
    return dict(re.findall(r"([a-z-]+)=\(\w+\)\"?([^,\"]*)\"?", m.group(1))) if m else None


def steady_fps(proc, reports=8):
    """The mean of fpsdisplaysink's last @reports half-second rates (its overall average also
    counts videorate's catch-up right after the start)."""
    found = re.findall(r"rendered: \d+, dropped: \d+, current: ([\d.]+)", read_log(proc))
    if len(found) < reports:
        return None
    return sum(float(f) for f in found[-reports:]) / reports


def scenario_auto(world, portal):
    log("=== auto: the portal on Wayland, 2 fps screen at frame-rate=15, scaled to width=160")
    proc = start_element(world, ["cursor=false", "video-constraints=width=160,frame-rate=15"], "auto")
    try:
        # gst-launch prints bus messages once PAUSED is reached, and pipewiresrc gets there
        # once it is linked
        world.link_screen_to_consumer()
        msg = wait_for(lambda: capture_message(proc), 15, "the rtckit-display-media message",
                       diag=lambda: f"portal calls {portal.calls}\n{proc.tail()}")
        log(f"  rtckit-display-media: {msg}")
        check(msg.get("backend") == "pipewire" and msg.get("display-surface") == "monitor",
              f"backend pipewire, display-surface monitor ({msg})", proc.tail)
        check((msg.get("width"), msg.get("height")) == ("320", "240"), f"captured 320x240 ({msg})")
        select = portal.calls_of("SelectSources")
        check(select and select[-1].get("cursor_mode") == 1 and select[-1].get("types") == 3,
              f"SelectSources asked for a monitor or window, cursor hidden ({select})")
        time.sleep(6)
        fps = steady_fps(proc)
        log(f"  fpsdisplaysink: {fps:.2f} fps over the last 4 s" if fps else "  fpsdisplaysink: no rate yet")
        check(fps and fps >= 15 * 0.95, f">= 15 fps from a 2 fps screen (got {fps})", proc.tail)
        text = read_log(proc)
        check(re.search(r"GhostPad:src: caps = video/x-raw.*width=\(int\)160, height=\(int\)120", text),
              "the src pad's caps are 160x120", proc.tail)
    finally:
        proc.stop()
    closes = wait_for(lambda: portal.calls_of("Close"), 5, "Session.Close after the pipeline stopped")
    log(f"  Session.Close called {len(closes)} time(s)")


def scenario_region(world, portal):
    log("=== region: region=20,10,100,50 of the shared screen")
    proc = start_element(world, ["source=pipewire", "region=20,10,100,50"], "region")
    try:
        world.link_screen_to_consumer()
        msg = wait_for(lambda: capture_message(proc), 15, "the rtckit-display-media message", diag=proc.tail)
        log(f"  rtckit-display-media: {msg}")
        check(msg.get("display-surface") == "region" and (msg.get("width"), msg.get("height")) == ("100", "50"),
              f"display-surface region, 100x50 ({msg})", proc.tail)
        wait_for(lambda: re.search(r"GhostPad:src: caps = video/x-raw.*width=\(int\)100, height=\(int\)50",
                                   read_log(proc)), 10, "the src pad's caps are 100x50", diag=proc.tail)
    finally:
        proc.stop()


def scenario_cancel(world, portal):
    log("=== cancel: the user cancels the portal's dialog")
    portal.cancel_start = True
    try:
        argv = ["gst-launch-1.0", "rtcdisplaymediasrc", "source=pipewire", "!", "fakesink"]
        env = dict(test_env(), **element_env(world))
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        line = next((ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("ERROR: from element")), "")
        log(f"  exit {r.returncode}: {line}")
        check(r.returncode != 0 and "cancelled" in line, f"an error saying the share was cancelled ({line})")
    finally:
        portal.cancel_start = False


SCENARIOS = {"auto": scenario_auto, "region": scenario_region, "cancel": scenario_cancel}


def main():
    for tool in ("dbus-daemon", "pipewire"):
        if not shutil.which(tool):
            log(f"{tool} is absent: skipping")
            return SKIP
    for tool in ("pw-cli", "pw-link"):
        check(shutil.which(tool), f"{tool} is installed (pipewire-bin)")
    for element in ("rtcdisplaymediasrc", "pipewiresrc", "pipewiresink", "fpsdisplaysink"):
        require_element(element)
    for k in ("DISPLAY", "XDG_RUNTIME_DIR", "PIPEWIRE_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        os.environ.pop(k, None)
    names = sys.argv[1:] or list(SCENARIOS)
    world = World()
    portal = None
    try:
        portal = FakePortal(world.bus, world.socket, world.node)
        for n in names:
            t0 = time.monotonic()
            SCENARIOS[n](world, portal)
            log(f"  ({n}: {time.monotonic() - t0:.1f} s)")
    finally:
        if portal:
            portal.stop()
        world.close()


if __name__ == "__main__":
    run_main(main)
