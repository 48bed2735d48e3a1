#!/bin/sh
# Review aid, never run by CI: rewrites the expected output of every document in
# tests/data/parse/suite/ with `feedd parse`, exactly as the "[parse-suite]" test parses
# it (--url https://feed.example/feed.xml, plus NAME.content-type when present).
# Afterwards: `git diff tests/data/parse/suite` to review what changed, and
# `python3 tests/data/parse/generate_suite.py --check` to check each document's key facts.
#
#   scripts/update-parse-fixtures.sh [FEEDD_BINARY]   (default: build/feedd)
set -eu
cd "$(dirname "$0")/.."
feedd=${1:-build/feedd}
suite=tests/data/parse/suite
for doc in "$suite"/*; do
  case "$doc" in *.expected.json|*.expected.error|*.content-type) continue ;; esac
  stem=${doc%.*}
  rm -f "$stem.expected.json" "$stem.expected.error"
  set -- "$doc" --url https://feed.example/feed.xml
  [ -f "$stem.content-type" ] && set -- "$@" --content-type "$(cat "$stem.content-type")"
  if "$feedd" parse "$@" > "$stem.expected.json" 2> "$stem.stderr"; then
    rm -f "$stem.stderr"
  else
    rm -f "$stem.expected.json"
    # The reason without the "feedd: FILE: " prefix, as Status::to_string gives it.
    sed "s|^feedd: $doc: ||" "$stem.stderr" > "$stem.expected.error"
    rm -f "$stem.stderr"
  fi
done
echo "rewrote expected output for $(ls "$suite" | grep -c -v -e '\.expected\.' -e '\.content-type$') documents"
