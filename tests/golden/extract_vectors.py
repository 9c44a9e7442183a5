#!/usr/bin/env python3
"""Turns ../shared/spec/VECTORS.md into tests/golden/vectors.json.

Each ```rust block of the spec is one message; the bold line above it says
who sends it. The output keeps the spec's order and gives every message a
stable id (section number + direction + counter), so the Rust, Perl and PHP
suites all read the same bytes. Run it again when the spec changes:

    python3 tests/golden/extract_vectors.py ../shared/spec/VECTORS.md > tests/golden/vectors.json
"""
import ast
import json
import re
import sys


def main(path):
    text = open(path, encoding="utf-8").read()
    section, heading, out, counters = None, None, [], {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^## (\w+)\. ", line)
        if m:
            section = m.group(1)
        if line.startswith("**client") or line.startswith("**server") or line.startswith("**write") or line.startswith("**last write"):
            heading = line
        if line.startswith("```rust"):
            literal = lines[i + 1]
            assert lines[i + 2].startswith("```"), path + ": one-line literal expected"
            raw = ast.literal_eval(literal)
            direction = "client" if heading.startswith("**client") else "server"
            key = (section, direction)
            counters[key] = counters.get(key, 0) + 1
            note = re.sub(r"\*\*", "", heading).strip()
            out.append({
                "id": "%s-%s-%d" % (section, direction, counters[key]),
                "section": section,
                "direction": direction,
                "note": note,
                "bytes": raw.decode("utf-8"),
                "length": len(raw),
            })
            i += 3
            continue
        i += 1
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/VECTORS.md")
