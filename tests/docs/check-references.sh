#!/usr/bin/env bash
# Every command and file the docs name must exist in this repository: scans README.md and
# docs/*.md for repository paths (bin/…, tests/…, reliability/…, bench/…, deploy/…, db/…,
# docs/…, .github/…) and for "bin/stack VERB" uses, and fails on any that is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python3 - README.md docs/*.md <<'PY'
import os, re, sys

path_pattern = re.compile(r"(?<![\w./-])((?:bin|tests|reliability|bench|deploy|db|docs|\.github|\.ci)/[\w./-]*[\w])")
missing, checked = [], set()
usage = open("bin/stack").read().split("\nset -", 1)[0]
stack_verbs = set(re.findall(r"^#\s+bin/stack ([a-z]+)", usage, re.M))
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
        # every "bin/stack VERB" must be one of the verbs its usage lists
        for verb in re.findall(r"\bbin/stack ([a-z][\w-]*)\b", line):
            if verb not in stack_verbs:
                missing.append(f"{doc}:{line_number}: 'bin/stack {verb}' is not in bin/stack's usage")
for problem in missing:
    print("docs check: " + problem, file=sys.stderr)
if missing:
    sys.exit(1)
print(f"docs check: {len(checked)} repository paths named in README.md and docs/ all exist")
PY
