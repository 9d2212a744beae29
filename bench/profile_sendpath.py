#!/usr/bin/python3
"""Where the instructions of rtcbroadcastsink's send path go, per viewer (callgrind).

The fan-out series' sender (bench/run.py: the feeder's 720p30 1 Mbit/s H.264 RTP over UDP into
`udpsrc ! rtph264depay ! h264parse ! rtcbroadcastsink`, passthrough; video-layers=none, so that no
viewer steps down to a transcoded rung) runs under `valgrind --tool=callgrind --instr-atstart=no`;
bench/receivers.py viewers join; once they all receive, instrumentation is switched on
(`callgrind_control -i on`) for --seconds, the counts are dumped and the run ends. Instruction
counts do not depend on the machine's load. With --janus, Janus's streaming plugin (the fan-out
series' Janus, in its network namespace) is profiled the same way.

Each run is reduced to the packets that went through, P (calls of rtc::Feed::on_new_sample; for
Janus the SRTP-protected packets / viewers), and to instructions per stage (inclusive costs of
the functions that have symbols: the distribution's GStreamer and libnice are stripped) and per
category (self costs, by shared object and a few function names). Two runs, at 1 and at N
viewers, give the instructions an extra viewer costs per packet: (C_N / P_N - C_1 / P_1) / (N - 1).
Valgrind runs every thread on one core, 20-50x slower: this 2-core machine keeps up with 5
viewers (every packet the feed pushed is sent in the window), not with 10 (a quarter stays
queued, and the slope comes out low); the script warns when it falls behind. Kernel time
(sendmsg, futex, scheduling) is not counted by callgrind: --perf adds a `perf record` of a native
run (cpu-clock) for that share.

    /usr/bin/python3 bench/profile_sendpath.py                     # 1 and 5 viewers, 10 s each (~1 min)
    /usr/bin/python3 bench/profile_sendpath.py --build /path/build --label old   # another build
    /usr/bin/python3 bench/profile_sendpath.py --janus --label janus             # Janus (root)
    /usr/bin/python3 bench/profile_sendpath.py --compare bench/results/profile/{new,old,janus}.json
    /usr/bin/python3 bench/profile_sendpath.py --perf --viewers 10 # a native perf record only

Output: bench/results/profile/<label>-<N>.callgrind (callgrind_annotate, kcachegrind),
<label>.json, and the tables on stdout (markdown). The header rewrite alone:
bench/rewrite-bench.cpp (build/bench/rewrite-bench).
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
from lib import RESULTS, ROOT, Proc, free_port, log, wait_port  # noqa: E402
from run import FEEDER, UDP_CAPS, Receivers, gst_launch  # noqa: E402
import janus_bench  # noqa: E402

OUT = os.path.join(RESULTS, "profile")

# (category, object regex, function regex); the first match wins. Objects are matched on the
# file name of the shared object, functions on the demangled name.
CATEGORIES = [
    ("rtckit: outlet, rewriter, feed", r"libgstrtckit", r""),
    ("SRTP: libsrtp2, NSS crypto, srtpenc", r"libsrtp2|libnss3|libnssutil3|libsoftokn3|libfreebl|libnspr4|libgstsrtp", r""),
    ("DTLS elements (dtlssrtpenc, dtlsenc)", r"libgstdtls|libssl|libcrypto", r""),
    ("Janus core and streaming plugin", r"^janus$|libjanus", r""),
    ("rtprtxsend", r"libgstrtpmanager", r"rtx_send"),
    ("funnel, rtpfunnel", r"", r"funnel"),
    ("rtpbin, rtpsession, rtpstorage", r"libgstrtpmanager", r""),
    ("RTP/RTCP buffer helpers (libgstrtp)", r"libgstrtp-1\.0", r""),
    ("webrtcbin (its bins and probes)", r"libgstwebrtc\.so|libgstwebrtc-1\.0", r""),
    ("nicesink, libnice, GSocket send", r"libgstnice|libnice", r""),
    ("nicesink, libnice, GSocket send", r"libgio", r"g_socket_send|g_socket_send_message|g_socket_send_to"),
    ("nicesink, libnice, GSocket send", r"", r"^gst_base_sink_|sendmsg|sendto"),
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


def categorise(obj, fn):
    base = os.path.basename(obj or "")
    for name, ore, fre in CATEGORIES:
        if ore and not re.search(ore, base):
            continue
        if fre and not re.search(fre, fn or ""):
            continue
        return name
    return "libc, other"


def parse_callgrind(path):
    """Self cost (Ir) per (object, function), inclusive cost and call counts per function, from
    a callgrind output file (name compression and subposition compression handled)."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    self_cost = collections.Counter()
    calls = collections.Counter()
    inclusive = collections.Counter()  # self + what its calls cost
    ob = fn = None
    after_calls = False
    pending_cfn = None
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
                inclusive[fn] += cost
                if after_calls:
                    after_calls = False  # inclusive cost of a call: not this function's own
                else:
                    self_cost[(ob, fn)] += cost
                    total += cost
                continue
            if line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith(("fl=", "fi=", "fe=")):
                name("fl", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith(("cfi=", "cfl=")):
                name("fl", line[4:])
            elif line.startswith("cfn="):
                pending_cfn = name("fn", line[4:])
            elif line.startswith("calls="):
                calls[pending_cfn] += int(line[6:].split()[0])
                after_calls = True
    return self_cost, calls, inclusive, total


# Stages of the path, by the inclusive cost of functions with symbols (the distribution's
# GStreamer and libnice are stripped: their static functions have none). "rest" is the total
# less the stages without a parent here.
STAGES = [
    ("feed thread: fan-out to the viewers (rtckit)", None, ["rtc::Feed::on_new_sample(_GstAppSink*, void*)"]),
    ("of which the header rewrite (RtpRewriter)", 0,
     ["rtc::RtpRewriter::rewrite(_GstBuffer*, rtc::PacketInfo const&, bool, int)"]),
    ("of which the appsrc push (queue, wake its thread)", 0, ["gst_app_src_push_buffer"]),
    ("SRTP protect (libsrtp2 through NSS: HMAC-SHA1, AES-CM)", None, ["srtp_protect_mki"]),
    # nicesink calls the first, Janus the second (which does not call the first)
    ("socket send (libnice, GSocket, the sendmsg call)", None, ["nice_agent_send_messages_nonblocking",
                                                                "nice_agent_send"]),
]
REST = ("rest: rtckit: the appsrc's thread and webrtcbin's chain (rtpbin, rtpsession, rtprtxsend, "
        "funnels, srtpenc and dtlssrtpenc elements, nicesink); Janus: its relay; RTCP and timers")


def stages(inclusive, total):
    out = {}
    top = 0
    for name, parent, fns in STAGES:
        out[name] = sum(inclusive.get(f, 0) for f in fns)
        if parent is None:
            top += out[name]
    out[REST] = total - top
    return out


def summarise(path):
    self_cost, calls, inclusive, total = parse_callgrind(path)
    cats = collections.Counter()
    top = collections.Counter()
    for (ob, fn), c in self_cost.items():
        cats[categorise(ob, fn)] += c
        top[(os.path.basename(ob or "?"), fn)] += c
    packets = calls.get("rtc::Feed::on_new_sample(_GstAppSink*, void*)", 0)
    sent = sum(v for k, v in calls.items() if k in ("srtp_protect", "srtp_protect_mki"))
    # srtp_protect calls srtp_protect_mki in libsrtp2 2.x: count only the outer one when both appear
    if calls.get("srtp_protect") and calls.get("srtp_protect_mki"):
        sent = calls["srtp_protect"]
    return {"total": total, "packets": packets, "sent": sent, "categories": dict(cats),
            "stages": stages(inclusive, total),
            "top": [[o, f, c] for (o, f), c in top.most_common(40)],
            "calls": {k: calls[k] for k in ("rtc::Outlet::deliver(rtc::Feed*, _GstBuffer*, rtc::PacketInfo const&)",
                                            "gst_app_src_push_buffer", "srtp_protect", "srtp_protect_mki",
                                            "g_socket_send_message", "nice_agent_send_messages_nonblocking")
                      if k in calls}}


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
    res = summarise(out)
    if args.janus:
        res["packets"] = round(res["sent"] / n)  # no symbol of Janus's own counts its packets
    res.update(viewers=n, seconds=args.seconds, received_by_viewers=received,
               sender="janus" if args.janus else f"rtcbroadcastsink {args.build}")
    log(f"{label} {n} viewers: {res['total'] / 1e6:.0f} M instructions, {res['packets']} packets in, "
        f"{res['sent']} sent, viewers counted {received} (log {s.log_path})")
    # Valgrind runs every thread on one core: past a few viewers it falls behind, and what the
    # feed pushed did not all go out in the window; the per-packet slope is then wrong.
    if not args.janus and res["sent"] < 0.97 * res["packets"] * n:
        log(f"WARNING: {label} {n} viewers: {res['sent']} of {res['packets'] * n} packets sent in the window: "
            "valgrind did not keep up; use fewer viewers")
        res["behind"] = True
    return res


def per_viewer(runs, key="categories"):
    """Per category (or stage): instructions per packet for one extra viewer, from the runs at
    the fewest and the most viewers."""
    lo, hi = min(runs, key=lambda r: r["viewers"]), max(runs, key=lambda r: r["viewers"])
    dn = hi["viewers"] - lo["viewers"]
    cats = dict.fromkeys(list(hi[key]) + list(lo[key]))
    out = {}
    for c in cats:
        out[c] = (hi[key].get(c, 0) / max(hi["packets"], 1)
                  - lo[key].get(c, 0) / max(lo["packets"], 1)) / dn
    total = (hi["total"] / max(hi["packets"], 1) - lo["total"] / max(lo["packets"], 1)) / dn
    shared = lo["total"] / max(lo["packets"], 1) - total * lo["viewers"]
    return out, total, shared


def stage_table(results):
    """Markdown: the stages (inclusive), one column per label, per extra viewer per packet."""
    labels = list(results)
    pv = {lab: per_viewer(results[lab]["runs"], "stages") for lab in labels}
    md = ["| stage (inclusive cost) | " + " | ".join(f"{lab}: instr. per packet per viewer | share" for lab in labels)
          + " |", "|---|" + "---:|---:|" * len(labels)]
    for name in [n for n, _, _ in STAGES] + [REST]:
        sub = any(n == name and parent is not None for n, parent, _ in STAGES)
        cells = []
        for lab in labels:
            v, tot = pv[lab][0].get(name, 0), pv[lab][1]
            cells.append(f"{v:,.0f} | {100 * v / tot:.0f} %" if tot else "– | –")
        md.append(f"| {'&nbsp;&nbsp;' if sub else ''}{name} | " + " | ".join(cells) + " |")
    md.append("| **per extra viewer, per packet** | " + " | ".join(f"**{pv[lab][1]:,.0f}** | 100 %" for lab in labels)
              + " |")
    return "\n".join(md)


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
            cells.append(f"{v:,.0f} | {100 * v / tot:.0f} %" if tot else "– | –")
        md.append(f"| {c} | " + " | ".join(cells) + " |")
    md.append("| **per extra viewer, per packet** | " + " | ".join(
        f"**{pv[lab][1]:,.0f}** | 100 %" for lab in labels) + " |")
    md.append("| shared per packet (input, feed; whatever the viewers) | " + " | ".join(
        f"{pv[lab][2]:,.0f} | " for lab in labels) + " |")
    md.append("")
    for lab in labels:
        runs = results[lab]["runs"]
        md.append(f"{lab}: " + "; ".join(
            f"{r['viewers']} viewer(s): {r['total'] / 1e6:,.0f} M instructions in {r['seconds']} s, "
            f"{r['packets']} packets into the fan-out, {r['sent']} SRTP-protected"
            for r in sorted(runs, key=lambda r: r["viewers"])) + f" ({results[lab].get('build', '')})")
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
        subprocess.run(["perf", "record", "-F", "999", "-g", "-o", data, "-p", str(s.pid), "--", "sleep",
                        str(args.seconds)], check=True, capture_output=True)
    finally:
        if rx:
            rx.stop()
        s.stop()
        feeder.stop()
        cleanup()
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-g", "none"],
                         capture_output=True, text=True).stdout
    rows = []
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)", line)
        if m:
            rows.append((m.group(2), float(m.group(1))))
    # Kernel paths, with what they call (children): sending, thread hand-offs, scheduling.
    rep = subprocess.run(["perf", "report", "-i", data, "--children", "--sort", "sym", "--stdio", "-g", "none"],
                         capture_output=True, text=True).stdout
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[k\] (\S+)", line)
        if m and m.group(2) in KERNEL_PATHS:
            rows.append((f"kernel: {KERNEL_PATHS[m.group(2)]} ({m.group(2)}, with callees)", float(m.group(1))))
    return rows


KERNEL_PATHS = {"__sys_sendmsg": "UDP send, loopback delivery included", "__x64_sys_futex": "futex: thread hand-offs",
                "schedule": "context switches", "do_sys_poll": "poll"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", default="1,5",
                    help="viewer counts, comma-separated (the lowest and highest make the slope); under valgrind "
                         "this machine keeps up with 5, not with 10")
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
            results[r["label"]] = r
        print(table(results))
        return 0
    levels = [int(x) for x in a.viewers.split(",")]
    res = {"label": a.label, "build": "janus" if a.janus else os.path.abspath(a.build), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
           "load_before": os.getloadavg(), "runs": []}
    if len(levels) > 1:
        for n in levels:
            res["runs"].append(run_one(a, n, a.label))
    if a.perf:
        res["perf"] = {str(n): perf_run(a, n, a.label) for n in levels[-1:]}
    with open(os.path.join(OUT, f"{a.label}.json"), "w") as f:
        json.dump(res, f, indent=1)
    if res["runs"]:
        print(table({a.label: res}))
    for n, rows in (res.get("perf") or {}).items():
        print(f"\nperf, {n} viewers, native, share of the sender's samples by shared object:\n")
        print("| object | % |\n|---|---:|")
        for dso, pct in [r for r in rows if not r[0].startswith("kernel: ")][:15] + \
                [r for r in rows if r[0].startswith("kernel: ")]:
            print(f"| {dso} | {pct:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
