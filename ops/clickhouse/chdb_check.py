#!/usr/bin/env python3
"""Runs SQL statements in chDB (current ClickHouse, embedded) to prove sluice's DDL and queries on it.

Usage: python3 chdb_check.py <session-dir> < statements.json
stdin: a JSON array of {"sql": "...", "rows": true|false}; stdout: {"version": "...", "results": [...]},
each result {"rows": [...]} (JSONEachRow-parsed, when "rows" is true) or {"ok": true}, or {"error": "..."}.
Exit 0 even when a statement fails: the caller asserts on each result.
"""
import json
import sys

from chdb import session as chs


def main() -> int:
    statements = json.load(sys.stdin)
    sess = chs.Session(sys.argv[1])
    out = {"version": str(sess.query("SELECT version()", "CSV")).strip().strip('"'), "results": []}
    for item in statements:
        try:
            if item.get("rows"):
                text = str(sess.query(item["sql"], "JSONEachRow"))
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]
                out["results"].append({"rows": rows})
            else:
                sess.query(item["sql"])
                out["results"].append({"ok": True})
        except Exception as error:  # noqa: BLE001 - reported to the caller statement by statement
            out["results"].append({"error": str(error)})
    sess.close()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
