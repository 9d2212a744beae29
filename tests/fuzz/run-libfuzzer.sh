#!/usr/bin/env bash
# One short libFuzzer run of a sanitizer fuzz target over its seed corpus (the 'fuzz' suite).
#   run-libfuzzer.sh FUZZ_BUILD_DIR NAME CORPUS_DIR SECONDS ARTIFACT_DIR [libFuzzer flags...]
# FUZZ_BUILD_DIR is a build configured with -Dfuzzing=true (docs/fuzzing.md). The target is
# brought up to date there first, so a run never tests stale code. The seed corpus is only read:
# inputs libFuzzer finds go to a temporary directory (or $RTCKIT_FUZZ_KEEP when set). A crash,
# a sanitizer report or a leak fails the test and leaves the input in ARTIFACT_DIR.
# Exit 77 (skipped) when there is no fuzz build, except under CI=true, where that is a failure.
set -uo pipefail
fuzz_build=${1:?fuzz build dir} name=${2:?target name} corpus=${3:?corpus dir}
seconds=${4:?seconds} artifacts=${5:?artifact dir}
shift 5
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$fuzz_build/build.ninja" ]; then
  echo "no sanitizer fuzz build in $fuzz_build: tools/dev.sh test sets one up, or"
  echo "  CC=clang CXX=clang++ meson setup $fuzz_build -Dfuzzing=true"
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi
# Runs one at a time (is_parallel: false), so no two ninjas share the build dir.
ninja -C "$fuzz_build" "tests/fuzz/fuzz-$name" >/dev/null || {
  echo "building tests/fuzz/fuzz-$name in $fuzz_build failed:"
  ninja -C "$fuzz_build" "tests/fuzz/fuzz-$name"
  exit 1
}
bin=$fuzz_build/tests/fuzz/fuzz-$name

work=${RTCKIT_FUZZ_KEEP:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work" "$artifacts"

# GSlice off so that ASan sees every allocation. A GLib warning or critical (a NULL passed on, a
# g_return_if_fail, GStreamer's "not valid UTF-8") is a bug here: fatal, as a SIGTRAP that ASan
# reports like a crash.
# Leaks: libFuzzer checks after every input that allocated more than it freed, and fails on what
# that input left unreachable; that stays on. The check at exit is off: it only finds what
# libraries keep for the life of the process, such as GLib's GQuark array, whose old block GLib
# leaks by design each time the table grows (caps field names from an SDP are quarks). A narrow
# suppression cannot name it: Debian's GLib has no frame pointers, so stacks end at g_malloc,
# where the json-glib leaks these targets found end too.
export G_SLICE=always-malloc G_DEBUG=fatal-warnings
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:leak_check_at_exit=0:handle_sigtrap=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# libFuzzer's own exit code for a crash or a leak is 77, which meson reads as "skipped".
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$artifacts/$name-" "$@" \
  "$work" "$corpus"
rc=$?
if [ $rc -ne 0 ]; then
  echo "fuzz-$name failed (exit $rc); the input is in $artifacts, reproduce with"
  echo "  G_SLICE=always-malloc G_DEBUG=fatal-warnings ASAN_OPTIONS=handle_sigtrap=1 \\"
  echo "    $bin $artifacts/$name-<crash file>"
  exit 1
fi
