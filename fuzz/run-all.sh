#!/usr/bin/env bash
# Runs every fuzz target (or the ones named after SECONDS) for SECONDS each (default 1800), two at a time at low priority, with
# the limits docs/security.md names; logs go to fuzz/logs/<target>.log, crashes to
# fuzz/artifacts/<target>/. Seed the corpora first with fuzz/seed.sh.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-1800}"
shift || true
mkdir -p logs
run() {
  nice -n 19 cargo +nightly fuzz run "$1" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
    -timeout=10 -max_len=1048576 -print_final_stats=1 > "logs/$1.log" 2>&1
  echo "$1 exit $?" >> logs/summary.txt
}
TARGETS=(pdf_read verify_document pdf_sign multipart cms_signed_data timestamp_token tsa_request crl zip_read step_record)
[ $# -gt 0 ] && TARGETS=("$@")
for ((i = 0; i < ${#TARGETS[@]}; i += 2)); do
  run "${TARGETS[i]}" &
  [ -n "${TARGETS[i+1]:-}" ] && run "${TARGETS[i+1]}" &
  wait
done
