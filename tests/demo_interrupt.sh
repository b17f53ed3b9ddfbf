#!/usr/bin/env bash
# Ctrl-C during `migsim demo`: exit 130, the throwaway server stopped and its
# directory deleted. Usage: demo_interrupt.sh PATH/TO/migsim
set -u
migsim=$1
err=$(mktemp)
trap 'rm -f "$err"' EXIT

"$migsim" demo --rows 300000 --repeats 5 >/dev/null 2>"$err" &
pid=$!
# Wait until sampling has started (the server is up and the table loaded).
for _ in $(seq 1 600); do
  grep -q "slice 1/3" "$err" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
dir=$(sed -n 's/.*starting a throwaway PostgreSQL server in \([^ ]*\).*/\1/p' "$err" | head -n 1)
if [ -z "$dir" ] || ! grep -q "slice 1/3" "$err"; then
  echo "FAIL: the demo did not reach sampling"; cat "$err"; kill "$pid" 2>/dev/null; exit 1
fi
kill -INT "$pid"
wait "$pid"
code=$?
cat "$err"
fail=0
[ "$code" -eq 130 ] || { echo "FAIL: exit code $code, expected 130"; fail=1; }
[ ! -e "$dir" ] || { echo "FAIL: $dir still exists"; fail=1; }
if pgrep -f -- "-D $dir/data" >/dev/null; then echo "FAIL: a server on $dir is still running"; fail=1; fi
grep -q "interrupted" "$err" || { echo "FAIL: no word of the interrupt on stderr"; fail=1; }
[ "$fail" -eq 0 ] && echo "PASS: interrupted cleanly, $dir removed"
exit "$fail"
