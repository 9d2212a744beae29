#!/usr/bin/python3
"""Where a viewer's memory goes in rtcbroadcastsink: the fan-out's stream (1 Mbit/s 720p30 H.264,
passthrough, one rung) to 1 and then N webrtcbin receivers in other processes; at each count the
sink's /proc/PID/smaps split into thread stacks, the rest of its anonymous memory (malloc's heaps)
and files, and its threads by name. Once as the process starts (GLib's slice allocator as it
comes), and once under G_SLICE=always-malloc, which is what GLib >= 2.76 does anyway: on
Debian 12's GLib 2.74 each thread keeps magazines of freed slices.

    /usr/bin/python3 bench/memory_per_viewer.py            # 1 and 25 viewers, both allocators
    /usr/bin/python3 bench/memory_per_viewer.py --viewers 1,10 --props "direct-send=false"
    /usr/bin/python3 bench/memory_per_viewer.py --heaptrack  # and who allocates it (Debian's heaptrack)

Prints a markdown table (KB per extra viewer) and the threads each extra viewer adds. With
--heaptrack, two more runs of the sink under heaptrack (always-malloc, so that every slice is a
malloc it sees), at the first and the last count, and the heap's peak split by who allocated it:
a library's calls in the stack, ours (any rtckit function) first. heaptrack counts what was
allocated, not what was touched: a buffer malloc'd whole and used in part counts whole.
"""
import argparse
import collections
import os
import re
import shutil
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run as R  # noqa: E402
from lib import free_port, log, wait_port  # noqa: E402

STACK_KB = 8192  # glibc's default thread stack (RLIMIT_STACK), one mapping per thread


def smaps(pid):
    """KB of RSS by kind: 'stacks' (thread stacks and their guard pages), 'heap' (every other
    anonymous mapping: malloc's arenas and large blocks), 'files' (libraries, mapped files)."""
    kb = collections.Counter()
    kind = None
    for line in open(f"/proc/{pid}/smaps"):
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            size = (int(m.group(2), 16) - int(m.group(1), 16)) // 1024
            name = m.group(3).strip()
            if name.startswith("/"):
                kind = "files"
            elif name in ("", "[heap]"):
                kind = "stacks" if size in (STACK_KB, 4) else "heap"
            else:
                kind = "other"  # [stack], [vdso], [vvar]: the main thread's, fixed
        elif line.startswith("Rss:"):
            kb[kind] += int(line.split()[1])
    return kb


def threads(pid):
    names = collections.Counter()
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{t}/comm").read().strip()
        except OSError:
            continue
        # "nicesrc12:src" and "nicesrc3:src" are one kind of thread.
        names[re.sub(r"\d+", "N", name)] += 1
    return names


# Who allocated a block, from the names in its stack (heaptrack resolves exported symbols only).
OWNERS = [
    ("rtckit: signalling", lambda s: ("rtc::" in s or ".cpp)" in s) and ("soup_" in s or "signaling" in s)),
    ("rtckit: elements and send stage", lambda s: "rtc::" in s or ".cpp)" in s),
    ("libsoup, json-glib (WebSocket)", lambda s: "soup_" in s or "json_" in s),
    ("libnice (ICE agent, its receive buffers)", lambda s: "nice_" in s),
    ("OpenSSL (DTLS)", lambda s: any(k in s for k in ("SSL_", "BUF_MEM", "EVP_", "X509"))),
    ("libsrtp2 with NSS (webrtcbin's srtpenc/srtpdec)", lambda s: "srtp_" in s or "PK11" in s),
    ("GStreamer objects (elements, pads, caps)",
     lambda s: any(k in s for k in ("gst_element_factory", "gst_pad_new", "gst_ghost_pad", "gst_bin_add",
                                    "g_object_new", "gst_caps", "gst_structure"))),
    ("buffers in flight", lambda s: "gst_buffer" in s or "gst_memory" in s or "gst_adapter" in s),
]


def heap_owners(flame_path):
    kb = collections.Counter()
    for line in open(flame_path):
        stack, _, cost = line.rstrip().rpartition(" ")
        owner = next((name for name, match in OWNERS if match(stack)), "other")
        kb[owner] += int(cost) / 1024
    return kb


def heaptrack_run(n, props, workdir):
    """The sink under heaptrack with @n viewers; its heap's peak by owner (KB)."""
    import shlex
    import subprocess
    out = os.path.join(workdir, f"sink-{n}")
    port, wsport = free_port(), free_port()
    os.environ["G_SLICE"] = "always-malloc"
    feeder = R.gst_launch(R.FEEDER.format(host="127.0.0.1", port=port), "mem-feeder")
    line = (f'udpsrc port={port} address=127.0.0.1 caps="{R.UDP_CAPS}" ! rtph264depay ! h264parse ! '
            f"rtcbroadcastsink address=127.0.0.1:{wsport} ice-local-addresses=127.0.0.1 "
            f"video-codecs=h264 {props}")
    sink = R.Proc(["heaptrack", "-o", out, "gst-launch-1.0", "-e"] + shlex.split(line), "mem-heaptrack",
                  ready="Setting pipeline to PLAYING", timeout=60)
    rx = None
    try:
        wait_port(wsport, 60)
        time.sleep(5)  # heaptrack slows the start: a receiver that comes too soon gives up
        rx = R.Receivers(f"ws://127.0.0.1:{wsport}/ws", "mem")
        for count in (1, n):  # one first: under heaptrack a cold sink keeps a crowd waiting
            rx.add(count - rx.n, 0.5)
            deadline = time.monotonic() + 60
            while len(rx.state()[0]) < count and time.monotonic() < deadline:
                time.sleep(0.5)
        time.sleep(4)
        joined = len(rx.state()[0])
    finally:
        if rx:
            rx.stop()
        sink.stop(timeout=120)  # heaptrack writes its file as the process ends
        feeder.stop()
        os.environ.pop("G_SLICE", None)
    flame = out + ".flame"
    subprocess.run(["heaptrack_print", "-f", out + ".zst", "--print-peaks", "0", "--print-allocators", "0",
                    "--print-temporary", "0", "--print-leaks", "0",
                    "--flamegraph-cost-type", "peak", "-F", flame], capture_output=True, check=True)
    log(f"heaptrack: {n} viewers ({joined} joined)")
    return joined, heap_owners(flame)


def measure(levels, props, env_label, extra_env):
    saved = {k: os.environ.get(k) for k in extra_env}
    os.environ.update(extra_env)  # the sink (and the receivers) inherit it
    port, wsport = free_port(), free_port()
    feeder = R.gst_launch(R.FEEDER.format(host="127.0.0.1", port=port), "mem-feeder")
    sink = R.gst_launch(f'udpsrc port={port} address=127.0.0.1 caps="{R.UDP_CAPS}" ! rtph264depay ! '
                        f"h264parse ! rtcbroadcastsink address=127.0.0.1:{wsport} "
                        f"ice-local-addresses=127.0.0.1 video-codecs=h264 {props}", "mem-sink")
    rx, rows = None, []
    try:
        wait_port(wsport)
        rx = R.Receivers(f"ws://127.0.0.1:{wsport}/ws", "mem")
        for n in levels:
            rx.add(n - rx.n, 0.25)
            deadline = time.monotonic() + 40
            while len(rx.state()[0]) < n and time.monotonic() < deadline:
                time.sleep(0.5)
            joined = len(rx.state()[0])
            time.sleep(4)  # past the joins' bursts
            rows.append({"viewers": n, "joined": joined, "kb": smaps(sink.pid), "threads": threads(sink.pid)})
            log(f"{env_label}: {n} viewers ({joined} joined): {dict(rows[-1]['kb'])}, "
                f"{sum(rows[-1]['threads'].values())} threads")
    finally:
        if rx:
            rx.stop()
        sink.stop()
        feeder.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", default="1,25", help="two or more viewer counts, first the base")
    ap.add_argument("--props", default="video-layers=none", help="extra rtcbroadcastsink properties")
    ap.add_argument("--heaptrack", action="store_true", help="also split the heap by who allocated it")
    a = ap.parse_args()
    if a.heaptrack and not (shutil.which("heaptrack") and shutil.which("heaptrack_print")):
        sys.exit("--heaptrack needs Debian's heaptrack (tools/dev.sh test installs it)")
    levels = [int(x) for x in a.viewers.split(",")]
    runs = [("GLib's slice allocator (as the process starts)", {}),
            ("G_SLICE=always-malloc (what GLib >= 2.76 does)", {"G_SLICE": "always-malloc"})]
    results = [(label, measure(levels, a.props, label, env)) for label, env in runs]

    print(f"\n### Memory per extra viewer, rtcbroadcastsink {a.props} ({levels[0]} -> {levels[-1]} viewers)\n")
    print("| allocator | all anonymous KB | thread stacks KB | malloc's heaps KB | threads |")
    print("|---|---:|---:|---:|---:|")
    for label, rows in results:
        first, last = rows[0], rows[-1]
        if last["joined"] < last["viewers"] or first["joined"] < first["viewers"]:
            print(f"| {label} | not all viewers joined ({last['joined']} of {last['viewers']}) | | | |")
            continue
        dn = last["viewers"] - first["viewers"]
        per = {k: (last["kb"][k] - first["kb"][k]) / dn for k in ("stacks", "heap")}
        nthreads = (sum(last["threads"].values()) - sum(first["threads"].values())) / dn
        print(f"| {label} | {per['stacks'] + per['heap']:.0f} | {per['stacks']:.0f} | {per['heap']:.0f} | "
              f"{nthreads:.1f} |")
    label, rows = results[0]
    first, last = rows[0], rows[-1]
    dn = last["viewers"] - first["viewers"]
    added = {k: (last["threads"][k] - first["threads"][k]) / dn for k in last["threads"]}
    print("\nThreads an extra viewer adds: "
          + ", ".join(f"{k} {v:g}" for k, v in sorted(added.items(), key=lambda kv: -kv[1]) if v > 0))

    if a.heaptrack:
        import tempfile
        workdir = tempfile.mkdtemp(prefix="rtckit-heaptrack-")
        try:
            (j0, base), (j1, top) = (heaptrack_run(n, a.props, workdir) for n in (levels[0], levels[-1]))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if j0 < levels[0] or j1 < levels[-1]:
            print(f"\nheaptrack: not all viewers joined ({j0} of {levels[0]}, {j1} of {levels[-1]})")
            return
        dn = levels[-1] - levels[0]
        print(f"\n#### The heap's peak per extra viewer by who allocated it (heaptrack, always-malloc, "
              f"{levels[0]} -> {levels[-1]} viewers)\n")
        print("| allocated by | KB per extra viewer |\n|---|---:|")
        per = {k: (top[k] - base[k]) / dn for k in set(top) | set(base)}
        for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
            print(f"| {k} | {v:.0f} |")
        print(f"| all | {sum(per.values()):.0f} |")


if __name__ == "__main__":
    main()
