#!/usr/bin/env bash
# Every command and file the docs name must exist in this repository: scans README.md and
# docs/*.md for repository paths (bin/…, tests/…, reliability/…, bench/…, deploy/…, db/…,
# docs/…, .github/…) and for "bin/X SUBCOMMAND" uses, and fails on any that is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python3 - README.md docs/*.md <<'PY'
import os, re, sys

path_pattern = re.compile(r"(?<![\w./-])((?:bin|tests|reliability|bench|deploy|db|docs|\.github|\.ci)/[\w./-]*[\w])")
missing, checked = [], set()
for doc in sys.argv[1:]:
    text = open(doc).read()
    for line_number, line in enumerate(text.splitlines(), 1):
        for path in path_pattern.findall(line):
            path = path.rstrip(".")
            if any(c in path for c in "<>*{}") or path.endswith(".."):
                continue
            checked.add(path)
            if not os.path.exists(path):
                missing.append(f"{doc}:{line_number}: {path} does not exist")
        # "bin/stack frobnicate" must be a subcommand the script's usage lists
        for script, sub in re.findall(r"\b(bin/[\w-]+) ([a-z][\w-]*)\b", line):
            if not os.path.exists(script) or sub in ("and", "or", "is", "as", "with", "then", "on", "to", "in", "at", "for", "runs", "also", "from", "does", "uses", "still", "without", "when", "which", "the", "a", "starts", "stops", "prints", "exits", "checks"):
                continue
            usage = open(script).read().split("\nset -", 1)[0]
            if not re.search(rf"\b{re.escape(script)}\b[^\n]*\b{re.escape(sub)}\b", usage) and f" {sub}" not in usage:
                missing.append(f"{doc}:{line_number}: '{script} {sub}' is not in {script}'s usage")
for problem in missing:
    print("docs check: " + problem, file=sys.stderr)
if missing:
    sys.exit(1)
print(f"docs check: {len(checked)} repository paths named in README.md and docs/ all exist")
PY
