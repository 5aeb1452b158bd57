#!/usr/bin/env python3
"""Runs docs/queries.md with DuckDB over an archive copied to a local folder: the table
`archive` over DIR/events/dt=*/*.parquet (the partition `dt` kept as text, as Athena's
projection gives it), then every `sql view` block, then every `sql` and `sql duckdb` block.
Prints one JSON document: {"<heading>": [[row], ...], ...}, each answer's rows sorted (rows
that tie in an ORDER BY have no order of their own); `sql athena` blocks are skipped: they hold
Trino's forms of the same questions.

  archive_queries.py DIR [--docs docs/queries.md]
  archive_queries.py DIR --show "HEADING"     one answer, as a table
"""
import json
import pathlib
import re
import sys

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent


def blocks(text):
    """(heading, kind, sql) for each fenced block, kind being the words after ```sql."""
    heading = ""
    out = []
    for match in re.finditer(r"^(#+ [^\n]*)$|^```sql([^\n]*)\n(.*?)^```", text, re.M | re.S):
        if match.group(1):
            heading = match.group(1).lstrip("# ").strip()
        else:
            out.append((heading, match.group(2).strip(), match.group(3).strip()))
    return out


def connect(folder):
    """DuckDB with the table `archive` over the folder's files."""
    con = duckdb.connect()
    files = str(pathlib.Path(folder) / "events" / "*" / "*.parquet")
    con.execute(f"CREATE VIEW archive AS SELECT * FROM read_parquet('{files}', hive_partitioning = true, hive_types_autocast = false)")
    return con


def run(folder, docs):
    con = connect(folder)
    answers = {}
    for heading, kind, sql in blocks(pathlib.Path(docs).read_text()):
        if kind == "view":
            con.execute(sql)
        elif kind in ("", "duckdb"):
            rows = [list(row) for row in con.execute(sql).fetchall()]
            # Rows that tie in ORDER BY have no order: answers compare as sorted lists.
            answers[heading] = sorted(rows, key=lambda row: json.dumps(row, default=str))
    return answers


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    docs = args[args.index("--docs") + 1] if "--docs" in args else str(ROOT / "docs" / "queries.md")
    if "--show" in args:
        heading = args[args.index("--show") + 1]
        con = connect(args[0])
        for found, kind, sql in blocks(pathlib.Path(docs).read_text()):
            if kind == "view":
                con.execute(sql)
            elif found == heading and kind in ("", "duckdb"):
                print(f"{heading}:\n{sql}\n")
                con.sql(sql).show(max_rows=20)
                return
        sys.exit(f"no query {heading!r}")
    print(json.dumps(run(args[0], docs), default=str, sort_keys=True))


if __name__ == "__main__":
    main()
