#!/usr/bin/env python3
"""The layer check (run by `make lint`): every `crate::…` path in the library's non-test code
points down the layers below, and no file of `store/` or `ingress/` reaches back to one that
reaches it; in the command (`src/bin/mailtrail/`, and its `ui/`) no module reaches back to one
that reaches it either. The rule and the picture are in docs/architecture.md; change both
together.

  check_layers.py              check src/
  check_layers.py --self-test  also prove that a planted upward import and a planted cycle fail

Test code is left out: files named tests.rs, *_tests.rs and test_support.rs, and everything in a
file after its first `#[cfg(test)]` (keep test modules last, as the tree does).
"""
import collections
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# Top to bottom: a module may use the modules after it, never one before it.
LAYERS = [
    "ingress",      # triggers, routes, the webhook and SNS pipelines
    "notify",       # the notifier binary's logic
    "archive",      # events as Parquet on S3 (the archive binary, the command's backfill)
    "read",         # the read side: timelines, verdicts, groups (the command and the UI)
    "stats",        # counts from the events table's stream (the counter binary), what an item counts
    "app",          # what an invocation runs with
    "mailbox",      # MX lookups of unknown recipient domains
    "config",       # settings from the environment
    "metrics",      # EMF lines
    "store",        # DynamoDB, the in-memory store, items, keys' storage, the suppression table
    "suppression",  # the list's rules
    "providers",    # one decoder per provider, the registry
    "verify",       # proving requests genuine
    "model",        # the normalized event, its time and key
    "base",         # deadline, digests, lenient JSON readers, logging, masking, text
]
# Modules that are only compiled for tests may use anything.
TEST_ONLY = {"test_support", "template_sections"}
# Inside these folders no file may reach one that reaches it back: the library's folders, whose
# files name each other `crate::<folder>::<file>` or `super::<file>`, and the command's, whose
# files name each other `crate::<file>` (the binary is its own crate) or, in `ui/`,
# `super::<file>`.
ACYCLIC_FOLDERS = {
    "store": r"(?:crate::store::|super::)([a-z_]+)",
    "ingress": r"(?:crate::ingress::|super::)([a-z_]+)",
    "bin/mailtrail": r"crate::([a-z_]+)",
    "bin/mailtrail/ui": r"(?:crate::ui::|super::)([a-z_]+)",
}


def non_test_code(path):
    text = open(path, encoding="utf-8").read()
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def is_test_file(name):
    return name in ("tests.rs", "test_support.rs") or name.endswith("_tests.rs")


def library_files(src):
    for folder, _, files in os.walk(src):
        rel = os.path.relpath(folder, src).split(os.sep)
        if rel[0] == "bin":
            continue
        for name in files:
            if name.endswith(".rs") and not is_test_file(name):
                yield os.path.join(folder, name)


def top_module(src, path):
    first = os.path.relpath(path, src).split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def top_level_edges(src):
    edges = collections.defaultdict(set)
    for path in library_files(src):
        module = top_module(src, path)
        if module in ("lib", "main"):
            continue
        for used in re.findall(r"crate::([a-z_]+)", non_test_code(path)):
            if used != module:
                edges[module].add((used, os.path.relpath(path, src)))
    return edges


def folder_edges(src, folder, pattern):
    base = os.path.join(src, *folder.split("/"))
    names = {n[:-3] for n in os.listdir(base) if n.endswith(".rs") and n not in ("mod.rs", "main.rs")}
    names |= {n for n in os.listdir(base) if os.path.isdir(os.path.join(base, n))}
    edges = collections.defaultdict(set)
    for dirpath, _, files in os.walk(base):
        for name in files:
            if not name.endswith(".rs") or is_test_file(name):
                continue
            path = os.path.join(dirpath, name)
            first = os.path.relpath(path, base).split(os.sep)[0]
            module = first[:-3] if first.endswith(".rs") else first
            if module in ("mod", "main"):
                continue
            for used in re.findall(pattern, non_test_code(path)):
                if used in names and used != module:
                    edges[module].add(used)
    return edges


def cycles(edges):
    def reaches(a, b, seen):
        if a == b:
            return True
        seen.add(a)
        return any(reaches(n, b, seen) for n in edges.get(a, ()) if n not in seen)

    return sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if reaches(b, a, set())})


def problems_of(top, folders):
    problems = []
    for module, uses in sorted(top.items()):
        if module in TEST_ONLY:
            continue
        if module not in LAYERS:
            problems.append(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")
            continue
        for used, where in sorted(uses):
            if used in TEST_ONLY:
                problems.append(f"{where}: non-test code uses crate::{used}")
            elif used not in LAYERS:
                problems.append(f"{where}: crate::{used} is in no layer")
            elif LAYERS.index(used) < LAYERS.index(module):
                problems.append(f"{where}: {module} uses crate::{used}, a layer above it")
    for folder, edges in folders.items():
        for a, b in cycles(edges):
            problems.append(f"src/{folder}/: {a} and {b} reach each other")
    return problems


def self_test(top, folders):
    planted = {k: set(v) for k, v in top.items()}
    planted.setdefault("model", set()).add(("ingress", "model/planted.rs"))
    assert any("model uses crate::ingress" in p for p in problems_of(planted, folders)), "an upward import must fail"
    cyclic = {k: {m: set(v) for m, v in e.items()} for k, e in folders.items()}
    cyclic["store"].setdefault("item", set()).add("dynamodb")
    cyclic["store"].setdefault("dynamodb", set()).add("item")
    assert any("reach each other" in p for p in problems_of(top, cyclic)), "a cycle in store/ must fail"
    cyclic = {k: {m: set(v) for m, v in e.items()} for k, e in folders.items()}
    cyclic["bin/mailtrail"].setdefault("args", set()).add("suppressed")
    assert any("src/bin/mailtrail/: args and suppressed" in p for p in problems_of(top, cyclic)), \
        "a cycle in the command must fail"
    print("check_layers: self-test passed (an upward import and cycles in the library and the command are caught)")


def main():
    src = os.path.join(ROOT, "src")
    top = top_level_edges(src)
    folders = {folder: folder_edges(src, folder, pattern) for folder, pattern in ACYCLIC_FOLDERS.items()}
    if "--self-test" in sys.argv:
        self_test(top, folders)
    problems = problems_of(top, folders)
    for problem in problems:
        print(f"check_layers: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_layers: {len(LAYERS)} layers, every import points down; no cycle in {', '.join(ACYCLIC_FOLDERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
