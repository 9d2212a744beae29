#!/usr/bin/python3
"""Smoke run of the benchmark (bench/run.py --smoke): one short run of each series, so the
benchmark code cannot rot. Fails when a series produces no data; numbers are not asserted."""

import os
import subprocess
import sys

from util import SOURCE_ROOT, log, run_main, test_env


def main():
    env = test_env()
    cmd = ["/usr/bin/python3", os.path.join(SOURCE_ROOT, "bench", "run.py"), "--smoke"]
    log("running", " ".join(cmd))
    rc = subprocess.run(cmd, env=env, timeout=280).returncode
    if rc != 0:
        raise AssertionError(f"bench/run.py --smoke exited with {rc}")


if __name__ == "__main__":
    run_main(main)
