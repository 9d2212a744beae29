#!/usr/bin/python3
"""Where the instructions of rtcbroadcastsink's send path go, per viewer (callgrind).

The fan-out series' sender (bench/run.py: the feeder's 720p30 1 Mbit/s H.264 RTP over UDP into
`udpsrc ! rtph264depay ! h264parse ! rtcbroadcastsink`, passthrough; video-layers=none, so that no
viewer steps down to a transcoded rung) runs under `valgrind --tool=callgrind --instr-atstart=no`;
bench/receivers.py viewers join; once they all receive, instrumentation is switched on
(`callgrind_control -i on`) for --seconds, the counts are dumped and the run ends. Instruction
counts do not depend on the machine's load. With --janus, Janus's streaming plugin (the fan-out
series' Janus, in its network namespace) is profiled the same way.

rtcbroadcastsink has two send paths per viewer: its own (direct-send=true, the default: the
feed's thread rewrites the header, copies the packet, protects it with rtc::SrtpProtect, OpenSSL's
libcrypto, and sends it with nice_agent_send) and webrtcbin's (direct-send=false: an appsrc per
viewer, its thread, rtpbin, rtprtxsend, srtpenc with libsrtp2 through NSS, nicesink). The stage
table has the rows of both, so runs of both (and Janus) print side by side (--compare).

Each run is reduced to the packets that went through, P (calls of rtc::Feed::on_new_sample; for
Janus the SRTP-protected packets / viewers), and to instructions per stage (inclusive costs of
the functions that have symbols, and of calls between them from the call graph: the
distribution's GStreamer, libnice and libcrypto are stripped) and per category (self costs, by
shared object and function; libcrypto's functions that our SRTP calls count as ours). Two runs,
at 1 and at N viewers, give the instructions an extra viewer costs per packet:
(C_N / P_N - C_1 / P_1) / (N - 1).

Under valgrind libcrypto's SHA-1 cannot use the SHA extensions (valgrind's CPUID hides them), so
our SRTP runs the AVX2 code: 19,346 instructions for a 1200-byte packet against 6,235 on this
CPU (build/bench/srtp-bench --count). The tables give the per-viewer total as measured and with
our SRTP scaled to its native count; libsrtp2 through NSS uses no SHA extensions (its counts agree).

Valgrind runs every thread on one core, 20-50x slower: on webrtcbin's path this 2-core machine
keeps up with 5 viewers (every packet the feed pushed is sent in the window), not with 10 (a
quarter stays queued in the appsrcs, and the slope comes out low). The direct path keeps up
with 10 (1 and 10 viewers give the slope of 1 and 5 within 0.1 %); it queues nothing, so there
valgrind falling behind would show as fewer packets into the fan-out. The script warns either
way. Kernel time (sendmsg, futex, scheduling) is not counted by callgrind: --perf adds a
`perf record` of a native run (cpu-clock) for that share, by shared object, kernel path and thread.

    /usr/bin/python3 bench/profile_sendpath.py --label direct     # 1 and 5 viewers, 10 s each (~1 min)
    /usr/bin/python3 bench/profile_sendpath.py --label webrtcbin --props "video-layers=none direct-send=false"
    /usr/bin/python3 bench/profile_sendpath.py --build /path/build --label old   # another build
    /usr/bin/python3 bench/profile_sendpath.py --janus --label janus             # Janus (root)
    /usr/bin/python3 bench/profile_sendpath.py --compare bench/results/profile/{direct,webrtcbin,janus}.json
    /usr/bin/python3 bench/profile_sendpath.py --perf --viewers 10 --label perf-direct  # a native perf record only

Output: bench/results/profile/<label>-<N>.callgrind (callgrind_annotate, kcachegrind),
<label>.json, and the tables on stdout (markdown); --compare reads the callgrind files again when
they are there. The header rewrite alone: bench/rewrite-bench.cpp (build/bench/rewrite-bench);
our SRTP alone: bench/srtp-bench.cpp.
"""

import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import RESULTS, ROOT, Proc, free_port, log, proc_cpu_seconds, wait_port  # noqa: E402
from run import FEEDER, UDP_CAPS, Receivers, gst_launch  # noqa: E402
import janus_bench  # noqa: E402

OUT = os.path.join(RESULTS, "profile")

# Our own SRTP (elements/send/srtp-protect.cpp) and what libcrypto runs for it: the rtckit side by
# name, libcrypto's by the call graph (Debian's libcrypto is stripped: its AES-NI and SHA-1 block
# functions have no names), see ours_in_libcrypto().
SRTP_OURS = r"^rtc::SrtpProtect::|^rtc::srtp::|^rtc::\(anonymous namespace\)::(HmacSha1::|ctr_xor|aes_128_ctr)"
LIBCRYPTO = r"libcrypto|libssl"

# Under valgrind, libcrypto's SHA-1 cannot use the SHA extensions (valgrind's CPUID hides them,
# and forcing them on ends in SIGILL), so it runs its AVX2 code: one 1200-byte packet costs our
# SRTP 19,346 instructions under callgrind and 6,235 on this CPU (build/bench/srtp-bench --count,
# bench/README.md "SRTP: our own protect"). libsrtp2 through NSS uses no SHA extensions: its
# counts agree. The corrected totals scale our SRTP's callgrind count by the ratio.
SRTP_OURS_CALLGRIND, SRTP_OURS_NATIVE = 19346, 6235

# (category, object regex, function regex); the first match wins. Objects are matched on the
# file name of the shared object, functions on the demangled name. "SRTP: ours (libcrypto)" also
# takes the libcrypto functions that our SRTP calls (by the call graph, see summarise()).
CAT_OURS = "SRTP: ours (rtc::SrtpProtect; libcrypto AES-CTR, HMAC-SHA1)"
CATEGORIES = [
    (CAT_OURS, r"libgstrtckit", SRTP_OURS),
    ("rtckit: direct send stage (DirectSender, TWCC history; its own code)", r"libgstrtckit",
     r"^rtc::DirectSender::|^rtc::TwccHistory::|^rtc::\(anonymous namespace\)::find_extension"),
    ("rtckit: outlet, rewriter, feed, other", r"libgstrtckit", r""),
    ("SRTP: libsrtp2 through NSS, srtpenc", r"libsrtp2|libnss3|libnssutil3|libsoftokn3|libfreebl|libnspr4|libgstsrtp", r""),
    ("DTLS: dtlssrtpenc, dtlsenc, libssl, libcrypto (outside our SRTP)", r"libgstdtls|" + LIBCRYPTO, r""),
    ("Janus core and streaming plugin", r"^janus$|libjanus", r""),
    ("rtprtxsend", r"libgstrtpmanager", r"rtx_send"),
    ("funnel, rtpfunnel", r"", r"funnel"),
    ("rtpbin, rtpsession, rtpstorage", r"libgstrtpmanager", r""),
    ("RTP/RTCP buffer helpers (libgstrtp)", r"libgstrtp-1\.0", r""),
    ("webrtcbin (its bins and probes)", r"libgstwebrtc\.so|libgstwebrtc-1\.0", r""),
    ("libnice, GSocket send (nicesink or nice_agent_send)", r"libgstnice|libnice", r""),
    ("libnice, GSocket send (nicesink or nice_agent_send)", r"libgio",
     r"g_socket_send|g_socket_send_message|g_socket_send_to"),
    ("libnice, GSocket send (nicesink or nice_agent_send)", r"", r"^gst_base_sink_|sendmsg|sendto"),
    ("appsrc queue, basesrc loop", r"libgstapp", r"gst_app_src"),
    ("appsrc queue, basesrc loop", r"", r"^gst_base_src_|^gst_queue_array_|^gst_task_|^gst_pad_start_task"),
    ("input: udpsrc, depay, parse, pay, appsink", r"libgstudp|libgstrtp\.so|libgstvideoparsersbad|libgstcodecparsers|libgstapp", r""),
    ("locks and conditions (GMutex, GCond, pthread)", r"", r"^g_mutex_|^g_rec_mutex_|^g_cond_|^g_rw_lock|pthread_|^__lll_|futex|^g_bit_lock|^g_pointer_bit"),
    ("allocation: malloc/free, GstBuffer/GstMemory, refcounts",
     r"", r"malloc|^free$|^_int_free|^cfree|calloc|realloc|^g_free|^g_slice_|^tcache|^unlink_chunk|^malloc_consolidate|"
          r"^gst_buffer_|^gst_memory_|^_sysmem_|^gst_mini_object_|^_gst_buffer_|^gst_allocator_|^gst_sample_"),
    ("memcpy, memset", r"", r"^__mem|^mem(cpy|move|set)"),
    ("GStreamer core, GObject (pads, events, type checks)", r"libgstreamer|libgobject|libgstbase", r""),
    ("GLib (main loops, hash tables, other)", r"libglib", r""),
    ("libc, other", r"", r""),
]


def categorise(obj, fn, ours=frozenset()):
    base = os.path.basename(obj or "")
    if (obj, fn) in ours:
        return CAT_OURS
    for name, ore, fre in CATEGORIES:
        if ore and not re.search(ore, base):
            continue
        if fre and not re.search(fre, fn or ""):
            continue
        return name
    return "libc, other"


def parse_callgrind(path):
    """From a callgrind output file (name compression and subposition compression handled): self
    cost (Ir) per (object, function); per function name its inclusive cost and how often it was
    called; and the call arcs, ((object, function), (object, callee)) -> inclusive cost of those
    calls. A function's calls to itself under the same name are not counted twice."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    self_cost = collections.Counter()
    calls = collections.Counter()
    inclusive = collections.Counter()  # self + what its calls cost
    arcs = collections.Counter()
    ob = fn = None
    after_call = None  # the callee whose inclusive cost the next cost line is
    cob = cfn = None
    total = 0

    def name(kind, text):
        m = re.match(r"\((\d+)\)(?: (.*))?$", text.strip())
        if not m:
            return text.strip()
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), text)
    with open(path, errors="replace") as f:
        for line in f:
            if not line or line[0] == "\n":
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if after_call:
                    arcs[((ob, fn), after_call)] += cost  # inclusive cost of a call: not this function's own
                    if after_call[1] != fn:
                        inclusive[fn] += cost
                    after_call = None
                else:
                    inclusive[fn] += cost
                    self_cost[(ob, fn)] += cost
                    total += cost
                continue
            if line.startswith("ob="):
                ob = name("ob", line[3:])
                cob = None
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
                cob = None
            elif line.startswith(("fl=", "fi=", "fe=")):
                name("fl", line[3:])
            elif line.startswith("cob="):
                cob = name("ob", line[4:])
            elif line.startswith(("cfi=", "cfl=")):
                name("fl", line[4:])
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:])
            elif line.startswith("calls="):
                if cfn != fn:
                    calls[cfn] += int(line[6:].split()[0])
                after_call = (cob or ob, cfn)
                cob = None
    return self_cost, calls, inclusive, arcs, total


def ours_in_libcrypto(arcs):
    """The libcrypto functions that our SRTP calls, directly or through other libcrypto ones."""
    callees = collections.defaultdict(set)
    for (caller, callee) in arcs:
        callees[caller].add(callee)
    todo = [n for n in callees if re.search(r"libgstrtckit", os.path.basename(n[0] or ""))
            and re.search(SRTP_OURS, n[1] or "")]
    seen = set()
    while todo:
        for callee in callees[todo.pop()]:
            if callee not in seen and re.search(LIBCRYPTO, os.path.basename(callee[0] or "")):
                seen.add(callee)
                todo.append(callee)
    return frozenset(seen)


def match(fns, pattern):
    """The function names matching @pattern, less recursion levels (callgrind's foo'2)."""
    return [f for f in fns if f and re.search(pattern, f) and not re.search(r"'\d+$", f)]


def within(arcs, inclusive, roots, target):
    """What calls of @target (a regex) cost inside the calls of the functions @roots (a regex):
    the arcs from the roots to @target, and through the rtckit functions they call, each
    attributed in proportion to its share of that function's inclusive cost (calls inlined or
    not, the same answer)."""
    out = collections.defaultdict(list)
    for ((cob, c), (eob, e)), cost in arcs.items():
        out[c].append((eob, e, cost))

    def walk(fn, depth):
        got = 0.0
        for eob, e, cost in out.get(fn, []):
            if e == fn:
                continue
            if re.search(target, e or ""):
                got += cost
            elif depth < 4 and re.search(r"libgstrtckit", os.path.basename(eob or "")) and inclusive.get(e):
                got += cost / inclusive[e] * walk(e, depth + 1)
        return got
    return sum(walk(r, 0) for r in match(inclusive, roots))


F_SAMPLE = r"^rtc::Feed::on_new_sample\("
F_DIRECT = r"^rtc::DirectSender::send_(media|padding)\("
F_DIRECT_OTHER = r"^rtc::DirectSender::(tick|on_rtcp)\("
F_SRTP_OURS_RTP = r"^rtc::SrtpProtect::protect_rtp\("
F_SRTP_OURS = r"^rtc::SrtpProtect::protect_(rtp|rtcp)\("
F_NICE = r"^nice_agent_send$|^nice_agent_send_messages_nonblocking$"

# Stages of the path, by inclusive costs (the distribution's GStreamer and libnice are stripped:
# their static functions have no names). Rows: (name, depth, how): ("incl", regex) the inclusive
# cost of the functions matching; ("within", roots, target) what target costs inside the roots;
# ("less", a, [b, ...]) row a less rows b; ("nice", ) the socket sends not made by rtckit's own
# stage. The rows at depth 0 do not overlap: "rest" is the total less them.
S_FEED = "feed thread: fan-out to the viewers (rtckit)"
S_DIRECT = "rtckit's direct send stage (rtc::DirectSender: send_media, send_padding)"
S_DIRECT_SRTP = "SRTP, ours (rtc::SrtpProtect: libcrypto AES-CTR, HMAC-SHA1)"
S_DIRECT_SEND = "socket send (nice_agent_send: libnice, GSocket, sendmsg)"
# The sink's stats poll asks each viewer's webrtcbin for get-stats once a second; webrtcbin builds
# them in gst_webrtc_bin_create_stats (stripped: found as the libgstwebrtc function that calls
# gst_element_foreach_pad, as gstwebrtcstats.c does).
S_STATS = "webrtcbin's get-stats (the sink's stats poll, once a second per viewer)"
STAGES = [
    (S_FEED, 0, ("incl", F_SAMPLE)),
    ("the header rewrite (RtpRewriter)", 1, ("incl", r"^rtc::RtpRewriter::rewrite(_header)?\(")),
    ("the appsrc push, webrtcbin's path (queue, wake its thread)", 1, ("incl", r"^gst_app_src_push_buffer$")),
    (S_DIRECT, 1, ("incl", F_DIRECT)),
    (S_DIRECT_SRTP, 2, ("within", F_DIRECT, F_SRTP_OURS_RTP)),
    (S_DIRECT_SEND, 2, ("within", F_DIRECT, r"^nice_agent_send$")),
    ("the rest of it: the packet copied into a stack buffer (gst_buffer_extract), TWCC number, NACK history, lock", 2,
     ("less", S_DIRECT, [S_DIRECT_SRTP, S_DIRECT_SEND])),
    ("SRTP, libsrtp2 through NSS (srtpenc; Janus): AES-CM, HMAC-SHA1", 0, ("incl", r"^srtp_protect_mki$")),
    ("socket send by nicesink or Janus (libnice, GSocket, the sendmsg call)", 0, ("nice",)),
    ("rtckit's direct send stage on other threads: RTCP in (NACK, TWCC), sender reports", 0,
     ("incl", F_DIRECT_OTHER)),
    (S_STATS, 0, ("stats",)),
]
REST = ("rest: webrtcbin's path: the appsrc's thread and webrtcbin's chain (rtpbin, rtpsession, rtprtxsend, "
        "funnels, srtpenc and dtlssrtpenc, nicesink); both rtckit paths: webrtcbin's RTCP in, timers, the "
        "input's share; Janus: its relay")


def stages(inclusive, arcs, total):
    out = {}
    present = []
    top = 0
    for name, depth, how in STAGES:
        if how[0] == "incl":  # less the calls between them (rewrite calls rewrite_header)
            fns = match(inclusive, how[1])
            out[name] = sum(inclusive[f] for f in fns) - sum(
                c for ((_, a), (_, b)), c in arcs.items() if a != b and a in fns and b in fns)
        elif how[0] == "within":
            fns = match(inclusive, how[1])
            out[name] = within(arcs, inclusive, how[1], how[2])
        elif how[0] == "less":
            fns = [name] if how[1] in present else []
            out[name] = out[how[1]] - sum(out[b] for b in how[2])
        elif how[0] == "stats":
            nodes = {caller for (caller, (_, e)) in arcs if e == "gst_element_foreach_pad"
                     and re.search(r"libgstwebrtc\.so", os.path.basename(caller[0] or ""))}
            out[name] = sum(c for (caller, callee), c in arcs.items() if callee in nodes and caller not in nodes)
            fns = list(nodes)
        else:  # nicesink's or Janus's sends: libnice's send calls less those from rtckit's own stage
            fns = match(inclusive, F_NICE)
            ours = sum(c for ((cob, _), (_, e)), c in arcs.items()
                       if re.search(F_NICE, e or "") and re.search(r"libgstrtckit", os.path.basename(cob or "")))
            out[name] = sum(inclusive[f] for f in fns) - ours
            if not out[name]:
                fns = []
        if fns:
            present.append(name)
        if depth == 0:
            top += out[name]
    out[REST] = total - top
    return out, present


def summarise(path):
    self_cost, calls, inclusive, arcs, total = parse_callgrind(path)
    ours = ours_in_libcrypto(arcs)
    cats = collections.Counter()
    top = collections.Counter()
    for (ob, fn), c in self_cost.items():
        cats[categorise(ob, fn, ours)] += c
        top[(os.path.basename(ob or "?"), fn)] += c
    packets = sum(calls[f] for f in match(calls, F_SAMPLE))
    # What went out SRTP-protected: by our SrtpProtect, or by libsrtp2 (srtpenc, Janus).
    # srtp_protect calls srtp_protect_mki in libsrtp2 2.x: count only the outer one when both appear.
    theirs = calls.get("srtp_protect") or calls.get("srtp_protect_mki", 0)
    sent = sum(calls[f] for f in match(calls, F_SRTP_OURS_RTP)) + theirs
    st, present = stages(inclusive, arcs, total)
    return {"total": total, "packets": packets, "sent": sent, "categories": dict(cats),
            "stages": st, "stages_present": present,
            "srtp_ours": sum(inclusive[f] for f in match(inclusive, F_SRTP_OURS)),
            "top": [[o, f, c] for (o, f), c in top.most_common(40)],
            "calls": {f: calls[f] for f in calls
                      if f in ("gst_app_src_push_buffer", "srtp_protect", "srtp_protect_mki", "g_socket_send_message",
                               "nice_agent_send_messages_nonblocking", "nice_agent_send")
                      or match([f], r"^rtc::(Outlet::deliver|DirectSender::send_|SrtpProtect::protect_)")}}


def sender_line(port, wsport, props):
    """The fan-out series' rtcbroadcastsink sender (bench/run.py series_fanout)."""
    return (f'udpsrc port={port} address=127.0.0.1 caps="{UDP_CAPS}" ! rtph264depay ! h264parse ! '
            f"rtcbroadcastsink address=127.0.0.1:{wsport} ice-local-addresses=127.0.0.1 video-codecs=h264 {props}")


def sink_props(args, env):
    """--props, less the properties this build's element does not have (an older build)."""
    e = dict(os.environ, **env)
    text = subprocess.run(["gst-inspect-1.0", "rtcbroadcastsink"], env=e, capture_output=True, text=True).stdout
    keep = [p for p in args.props.split() if re.search(rf"^\s+{re.escape(p.split('=')[0])}\s*:", text, re.M)]
    return " ".join(keep)


def start_sender(args, n, label, wrapper):
    """The sender (rtcbroadcastsink, or with --janus Janus's streaming plugin in its namespace)
    under @wrapper, and its feeder. Returns (sender, feeder, receivers' URL, receivers' options,
    cleanup)."""
    if args.janus:
        janus_bench.setup_netns()
        try:
            s, _ = janus_bench.start_janus(wrapper, f"profile-{label}-{n}-janus", timeout=120)
            feeder = gst_launch(FEEDER.format(host=janus_bench.NS_IP, port=janus_bench.RTP_PORT),
                                f"profile-{label}-{n}-feeder")
        except BaseException:
            janus_bench.teardown_netns()
            raise
        return (s, feeder, f"http://{janus_bench.NS_IP}:8088/janus", {"local_ip": janus_bench.HOST_IP},
                janus_bench.teardown_netns)
    env = {"GST_PLUGIN_PATH": os.path.join(args.build, "plugins"),
           "GST_REGISTRY": os.path.join(OUT, f"registry-{label}.dat")}
    port, wsport = free_port(), free_port()
    feeder = gst_launch(FEEDER.format(host="127.0.0.1", port=port), f"profile-{label}-{n}-feeder")
    argv = list(wrapper) + ["gst-launch-1.0", "-e"] + shlex.split(sender_line(port, wsport, sink_props(args, env)))
    try:
        s = Proc(argv, f"profile-{label}-{n}-sender", env=env, ready="Setting pipeline to PLAYING", timeout=120)
        wait_port(wsport, timeout=60)
    except BaseException:
        feeder.stop()
        raise
    return s, feeder, f"ws://127.0.0.1:{wsport}/ws", {}, lambda: None


def run_one(args, n, label):
    out = os.path.join(OUT, f"{label}-{n}.callgrind")
    for f in os.listdir(OUT):
        if f.startswith(f"{label}-{n}.callgrind"):
            os.remove(os.path.join(OUT, f))
    wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    plugin = plugin_stamp(args)
    s, feeder, url, rx_kw, cleanup = start_sender(args, n, label, wrapper)
    rx = None
    try:
        rx = Receivers(url, f"profile-{label}-{n}", **rx_kw)
        rx.add(n, 0.5)
        deadline = time.monotonic() + 60 + 5 * n
        while time.monotonic() < deadline and len(rx.state()[0]) < n:
            time.sleep(0.5)
        joined = len(rx.state()[0])
        if joined < n:
            raise RuntimeError(f"{label}: {joined} of {n} viewers joined under valgrind")
        time.sleep(args.warmup)
        subprocess.run(["callgrind_control", "-i", "on", str(s.pid)], check=True, capture_output=True)
        _, p0, _ = rx.state()
        time.sleep(args.seconds)
        subprocess.run(["callgrind_control", "-d", f"{label}-{n}", str(s.pid)], check=True, capture_output=True)
        _, p1, _ = rx.state()
        subprocess.run(["callgrind_control", "-i", "off", str(s.pid)], check=True, capture_output=True)
        received = sum(p1.get(i, 0) - p0.get(i, 0) for i in range(n))
    finally:
        if rx:
            rx.stop()
        s.stop(timeout=60)
        feeder.stop()
        cleanup()
    dumps = sorted(f for f in os.listdir(OUT) if f.startswith(f"{label}-{n}.callgrind."))
    if not dumps:
        raise RuntimeError(f"no callgrind dump for {label}-{n} in {OUT}")
    # The first dump is ours (the -d above); the last one is written at exit.
    path = os.path.join(OUT, dumps[0])
    os.replace(path, out)
    for f in dumps[1:]:
        os.remove(os.path.join(OUT, f))
    res = {"viewers": n, "seconds": args.seconds, "received_by_viewers": received, "callgrind": os.path.basename(out),
           "sender": "janus" if args.janus else f"rtcbroadcastsink {args.build}", "plugin": plugin_stamp(args)}
    reduce_run(res, out)
    log(f"{label} {n} viewers: {res['total'] / 1e6:.0f} M instructions, {res['packets']} packets in, "
        f"{res['sent']} sent, viewers counted {received} (log {s.log_path})")
    # Valgrind runs every thread on one core: past a few viewers it falls behind. On webrtcbin's
    # path what the feed pushed stays queued in the appsrcs (not all sent in the window); the
    # per-packet slope is then wrong.
    if not res["janus"] and res["sent"] < 0.97 * res["packets"] * n:
        log(f"WARNING: {label} {n} viewers: {res['sent']} of {res['packets'] * n} packets sent in the window: "
            "valgrind did not keep up; use fewer viewers")
        res["behind"] = True
    if res["plugin"] != plugin:
        log(f"WARNING: {label} {n} viewers: the plugin changed during the run ({plugin} -> {res['plugin']}): run again")
        res["rebuilt"] = True
    return res


def plugin_stamp(args):
    """The plugin's modification time and size: a rebuild between two runs shows (None for Janus)."""
    if args.janus:
        return None
    st = os.stat(os.path.join(args.build, "plugins", "libgstrtckit.so"))
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(st.st_mtime))}, {st.st_size} bytes"


def reduce_run(run, path):
    """A run's numbers from its callgrind file (again with --compare: the tables follow this
    script's stages and categories)."""
    run.update(summarise(path))
    run["janus"] = run.get("sender") == "janus"
    if run["janus"]:
        run["packets"] = round(run["sent"] / run["viewers"])  # no symbol of Janus's own counts its packets


def check_input(res):
    """The runs must have used one build of the plugin. And the direct path sends on the feed's
    own thread: when valgrind falls behind, nothing queues in the sink, udpsrc's socket overflows
    and fewer packets enter the fan-out; so the runs' packet rates into the fan-out must agree."""
    if len({r.get("plugin") for r in res["runs"]}) > 1:
        log(f"WARNING: {res['label']}: the runs used different builds of the plugin "
            f"({', '.join(str(r.get('plugin')) for r in res['runs'])}): run again")
    rates = {r["viewers"]: r["packets"] / r["seconds"] for r in res["runs"]}
    top = max(rates.values(), default=0)
    for n, rate in sorted(rates.items()):
        if not res["runs"][0].get("janus") and rate < 0.97 * top:
            log(f"WARNING: {res['label']} {n} viewers: {rate:.1f} packets/s into the fan-out against {top:.1f} in "
                "another run: valgrind lost input; use fewer viewers")
            for r in res["runs"]:
                if r["viewers"] == n:
                    r["behind"] = True


def slope(runs, get):
    """What one extra viewer adds per packet that entered the fan-out, from the runs at the fewest
    and the most viewers: (C_N / P_N - C_1 / P_1) / (N - 1)."""
    lo, hi = min(runs, key=lambda r: r["viewers"]), max(runs, key=lambda r: r["viewers"])
    return (get(hi) / max(hi["packets"], 1) - get(lo) / max(lo["packets"], 1)) / (hi["viewers"] - lo["viewers"])


def per_viewer(runs, key="categories"):
    """Per category (or stage): instructions per packet for one extra viewer; the total; what a
    packet costs whatever the viewers (the 1-viewer run less one viewer); and the total with our
    SRTP at its native count (see SRTP_OURS_NATIVE)."""
    lo = min(runs, key=lambda r: r["viewers"])
    names = dict.fromkeys(k for r in runs for k in r[key])
    out = {c: slope(runs, lambda r: r[key].get(c, 0)) for c in names}
    total = slope(runs, lambda r: r["total"])
    shared = lo["total"] / max(lo["packets"], 1) - total * lo["viewers"]
    ours = slope(runs, lambda r: r.get("srtp_ours", 0))
    native = total - ours * (1 - SRTP_OURS_NATIVE / SRTP_OURS_CALLGRIND)
    return out, total, shared, ours, native


def total_rows(labels, pv):
    """The per-viewer totals: as callgrind counted them, and with our SRTP at its native count."""
    return [
        "| **per extra viewer, per packet, as measured (callgrind)** | " + " | ".join(
            f"**{pv[lab][1]:,.0f}** | 100 %" for lab in labels) + " |",
        "| &nbsp;&nbsp;of which our SRTP (rtc::SrtpProtect, every call; under valgrind its SHA-1 runs libcrypto's "
        "AVX2 code: no SHA extensions) | " + " | ".join(
            (f"{pv[lab][3]:,.0f} | {100 * pv[lab][3] / pv[lab][1]:.0f} %" if pv[lab][3] else "– | –")
            for lab in labels)
        + " |",
        f"| **per extra viewer, per packet, our SRTP at its native count** (x {SRTP_OURS_NATIVE:,} / "
        f"{SRTP_OURS_CALLGRIND:,}: a 1200-byte packet on this CPU with the SHA extensions, `srtp-bench --count`, "
        "against callgrind; libsrtp2/NSS needs no correction) | " + " | ".join(
            f"**{pv[lab][4]:,.0f}** | " for lab in labels) + " |",
    ]


def stage_table(results):
    """Markdown: the stages (inclusive), one column per label, per extra viewer per packet."""
    labels = list(results)
    pv = {lab: per_viewer(results[lab]["runs"], "stages") for lab in labels}
    present = {lab: {n for r in results[lab]["runs"] for n in r.get("stages_present", r["stages"])} for lab in labels}
    md = ["| stage (inclusive cost) | " + " | ".join(f"{lab}: instr. per packet per viewer | share" for lab in labels)
          + " |", "|---|" + "---:|---:|" * len(labels)]
    for name, depth in [(n, d) for n, d, _ in STAGES] + [(REST, 0)]:
        cells = []
        for lab in labels:
            v, tot = pv[lab][0].get(name, 0), pv[lab][1]
            if name != REST and name not in present[lab]:
                cells.append("– | –")
            else:
                cells.append(f"{v:,.0f} | {100 * v / tot:.0f} %" if tot else "– | –")
        indent = "&nbsp;&nbsp;" * 2 * depth + ("of which " if depth else "")
        md.append(f"| {indent}{name} | " + " | ".join(cells) + " |")
    return "\n".join(md + total_rows(labels, pv))


def table(results):
    """Markdown: one column per label (per viewer per packet), categories sorted by the first."""
    labels = list(results)
    pv = {lab: per_viewer(results[lab]["runs"]) for lab in labels}
    first = pv[labels[0]][0]
    cats = sorted(dict.fromkeys(c for lab in labels for c in pv[lab][0]), key=lambda c: -first.get(c, 0))
    md = [stage_table(results), "", "| where (self cost, by shared object / function) | " + " | ".join(
        f"{lab}: instr. per packet per viewer | share" for lab in labels) + " |",
          "|---|" + "---:|---:|" * len(labels)]
    for c in cats:
        cells = []
        for lab in labels:
            v, tot = pv[lab][0].get(c, 0), pv[lab][1]
            seen = any(c in r["categories"] for r in results[lab]["runs"])
            cells.append(f"{v:,.0f} | {100 * v / tot:.0f} %" if tot and seen else "– | –")
        md.append(f"| {c} | " + " | ".join(cells) + " |")
    md += total_rows(labels, pv)
    md.append("| shared per packet (input, feed; whatever the viewers) | " + " | ".join(
        f"{pv[lab][2]:,.0f} | " for lab in labels) + " |")
    md.append("")
    for lab in labels:
        runs = results[lab]["runs"]
        load = results[lab].get("load_before")
        md.append(f"{lab}: " + "; ".join(
            f"{r['viewers']} viewer(s): {r['total'] / 1e6:,.0f} M instructions in {r['seconds']:g} s, "
            f"{r['packets']} packets into the fan-out, {r['sent']} SRTP-protected"
            + (" (valgrind fell behind)" if r.get("behind") else "")
            for r in sorted(runs, key=lambda r: r["viewers"]))
            + f" ({results[lab].get('build', '')}; started {results[lab].get('started', '?')}"
            + (f", load {load[0]:.2f}" if load else "") + ")")
    return "\n".join(md)


def perf_run(args, n, label):
    """A native run with perf record (cpu-clock; this VM has no hardware counters): the share of
    the sender's time in the kernel and per shared object."""
    s, feeder, url, rx_kw, cleanup = start_sender(args, n, f"perf-{label}", [])
    data = os.path.join(OUT, f"perf-{label}-{n}.data")
    rx = None
    try:
        rx = Receivers(url, f"perf-{label}-{n}", **rx_kw)
        rx.add(n, 0.25)
        deadline = time.monotonic() + 30 + n
        while time.monotonic() < deadline and len(rx.state()[0]) < n:
            time.sleep(0.25)
        time.sleep(args.warmup)
        load = os.getloadavg()
        c0, t0 = proc_cpu_seconds(s.pid), time.monotonic()
        subprocess.run(["perf", "record", "-F", "999", "-g", "-o", data, "-p", str(s.pid), "--", "sleep",
                        str(args.seconds)], check=True, capture_output=True)
        cpu = 100.0 * (proc_cpu_seconds(s.pid) - c0) / (time.monotonic() - t0)
    finally:
        if rx:
            rx.stop()
        s.stop()
        feeder.stop()
        cleanup()
    rows = []
    samples = 0
    for sort, prefix in (("dso", ""), ("comm", "thread: ")):
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio", "-g", "none",
                              "-n"], capture_output=True, text=True).stdout
        for line in rep.splitlines():
            m = re.match(r"\s+([\d.]+)%\s+(\d+)\s+(.+?)\s*$", line)
            if m:
                rows.append((prefix + m.group(3), float(m.group(1))))
                samples += int(m.group(2)) if sort == "dso" else 0
    # Kernel paths, with what they call (children): sending, thread hand-offs, scheduling.
    rep = subprocess.run(["perf", "report", "-i", data, "--children", "--sort", "sym", "--stdio", "-g", "none"],
                         capture_output=True, text=True).stdout
    kernel = dict.fromkeys(KERNEL_PATHS, 0.0)
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[k\] (\S+)", line)
        if m and m.group(2) in KERNEL_PATHS:
            kernel[m.group(2)] = float(m.group(1))
    rows += [(f"kernel: {KERNEL_PATHS[k]} ({k}, with callees)", v) for k, v in kernel.items()]
    log(f"perf {label} {n} viewers: {samples} samples, the sender at {cpu:.1f} % of a core; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} when it started")
    return {"rows": rows, "samples": samples, "cpu_percent": cpu, "load": load}


# (cpu-clock in a VM samples no code that runs with interrupts off: its time lands where they come
# back on, e.g. finish_task_switch and _raw_spin_unlock_irqrestore.)
KERNEL_PATHS = {"__sys_sendmsg": "UDP send, loopback delivery included",
                "net_rx_action": "of it, loopback delivery to the receivers (softirq)",
                "__x64_sys_futex": "futex: thread hand-offs", "schedule": "context switches", "do_sys_poll": "poll"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", default="1,5",
                    help="viewer counts, comma-separated (the lowest and highest make the slope); under valgrind "
                         "this machine keeps up with 5 on webrtcbin's path (direct-send=false), with 10 on the "
                         "direct one")
    ap.add_argument("--seconds", type=float, default=10.0, help="instrumented seconds per run")
    ap.add_argument("--warmup", type=float, default=4.0, help="seconds after the last viewer joined")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build dir whose plugins/ to profile")
    ap.add_argument("--label", default="new")
    # One rung: a viewer stepping down would start a decoder and an encoder (not the send path),
    # and the fan-out's webrtcbin receivers send no TWCC (see bench/README.md).
    ap.add_argument("--props", default="video-layers=none",
                    help="extra rtcbroadcastsink properties (dropped when the build's element lacks them)")
    ap.add_argument("--perf", action="store_true", help="also a native perf record (kernel share)")
    ap.add_argument("--janus", action="store_true",
                    help="profile Janus's streaming plugin instead (the fan-out series' Janus, same RTP; root)")
    ap.add_argument("--compare", nargs="+", metavar="JSON", help="only print the table of these results")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if a.compare:
        results = {}
        for path in a.compare:
            with open(path) as f:
                r = json.load(f)
            for run in r["runs"]:
                cg = os.path.join(os.path.dirname(os.path.abspath(path)), run.get("callgrind") or "")
                if run.get("callgrind") and os.path.exists(cg):
                    reduce_run(run, cg)
            results[r["label"]] = r
        print(table(results))
        return 0
    levels = [int(x) for x in a.viewers.split(",")]
    res = {"label": a.label, "build": "janus" if a.janus else os.path.abspath(a.build), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
           "load_before": os.getloadavg(), "runs": []}
    if len(levels) > 1:
        for n in levels:
            res["runs"].append(run_one(a, n, a.label))
        check_input(res)
    if a.perf:
        res["perf"] = {str(n): perf_run(a, n, a.label) for n in levels[-1:]}
    with open(os.path.join(OUT, f"{a.label}.json"), "w") as f:
        json.dump(res, f, indent=1)
    if res["runs"]:
        print(table({a.label: res}))
    for n, p in (res.get("perf") or {}).items():
        rows = p["rows"]
        print(f"\nperf, {n} viewers, native, share of the sender's {p['samples']} samples by shared object "
              f"(props {a.props!r}; the sender at {p['cpu_percent']:.1f} % of a core; load average "
              f"{p['load'][0]:.2f} when it started, {res['started']}):\n")
        print("| object | % |\n|---|---:|")
        for dso, pct in [r for r in rows if not r[0].startswith(("kernel: ", "thread: "))][:15] + \
                [r for r in rows if r[0].startswith("kernel: ")] + \
                [r for r in rows if r[0].startswith("thread: ") and r[1] >= 0.5]:
            print(f"| {dso} | {pct:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
