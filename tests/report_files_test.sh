#!/usr/bin/env bash
# The golden reports (tests/golden/, written by reports_test from fixed
# results) through the validators a reader's tools would apply: JSON against
# schema/migsim.schema.json, JUnit XML against tests/tools/junit.xsd with
# xmllint, and the HTML opened in headless Chromium (screenshot not blank,
# the plots' SVG in the rendered DOM, the queue-depth plot when a simulation ran).
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
golden=$root/tests/golden
failed=0
check() {  # description, command...
  local what=$1
  shift
  if out=$("$@" 2>&1); then
    echo "ok: $what"
  else
    echo "FAIL: $what"; echo "$out"; failed=1
  fi
}
check "estimate.json against the schema" \
  /usr/bin/python3 "$root/tests/tools/validate_json.py" "$root/schema/migsim.schema.json" estimate "$golden/estimate.json"
check "set.json against the schema" \
  /usr/bin/python3 "$root/tests/tools/validate_json.py" "$root/schema/migsim.schema.json" estimate_set "$golden/set.json"
check "the example traffic profile against the schema" \
  /usr/bin/python3 "$root/tests/tools/validate_json.py" "$root/schema/migsim.schema.json" traffic \
  "$root/datasets/simulation/traffic_web_app.json"
check "the example timeline against the schema" \
  /usr/bin/python3 "$root/tests/tools/validate_json.py" "$root/schema/migsim.schema.json" timeline \
  "$root/datasets/simulation/timeline_add_column.json"
check "JUnit XML against junit.xsd" xmllint --noout --schema "$root/tests/tools/junit.xsd" \
  "$golden/estimate.junit.xml" "$golden/set.junit.xml"
check "estimate.html in Chromium" \
  /usr/bin/python3 "$root/tests/tools/check_html.py" --min-svg 3 --expect-class queue-depth "$golden/estimate.html"
check "set.html in Chromium" /usr/bin/python3 "$root/tests/tools/check_html.py" --min-svg 4 "$golden/set.html"
# The validators themselves must reject what is wrong.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/"verdict": "ok"/"verdict": "fine"/' "$golden/estimate.json" >"$tmp/bad.json"
if /usr/bin/python3 "$root/tests/tools/validate_json.py" "$root/schema/migsim.schema.json" estimate "$tmp/bad.json" >/dev/null; then
  echo "FAIL: the schema accepted verdict \"fine\""; failed=1
fi
sed 's/ time="[0-9.]*"//' "$golden/set.junit.xml" >"$tmp/bad.xml"
if xmllint --noout --schema "$root/tests/tools/junit.xsd" "$tmp/bad.xml" 2>/dev/null; then
  echo "FAIL: junit.xsd accepted test cases without a time"; failed=1
fi
echo '<!DOCTYPE html><html><body><p></p></body></html>' >"$tmp/blank.html"
if /usr/bin/python3 "$root/tests/tools/check_html.py" "$tmp/blank.html" >/dev/null 2>&1; then
  echo "FAIL: check_html.py passed a blank page"; failed=1
fi
exit $failed
