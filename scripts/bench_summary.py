#!/usr/bin/env python3
"""Gathers one `make bench` run into one table: prints it and writes target/bench/summary.md.

Inputs: criterion's samples (target/criterion), the peer's figures (target/bench/anymail.json),
the system harness (target/bench/system.json), and the Lambda binary cargo lambda built."""
import json
import os
import pathlib
import platform
import statistics

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"
CRITERION = ROOT / "target" / "criterion"

# AWS on-demand prices, us-east-1, as published on 2026-11-24 (Lambda: arm64; DynamoDB: on-demand
# write request units after the November 2024 reduction).
LAMBDA_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
DYNAMODB_WRU = 0.625 / 1_000_000
MEMORY_GB = 128 / 1024


def per_iteration_ms(group, bench):
    sample = json.loads((CRITERION / group / bench / "new" / "sample.json").read_text())
    times = [t / i / 1e6 for t, i in zip(sample["times"], sample["iters"])]
    return statistics.median(times), min(times), max(times)


def fmt_range(median, low, high, unit="", digits=2):
    return f"{median:.{digits}f}{unit} ({low:.{digits}f}–{high:.{digits}f})"


def main():
    system = json.loads((BENCH / "system.json").read_text())
    peer = json.loads((BENCH / "anymail.json").read_text())
    sizes = {"sendgrid_1000": (BENCH / "sendgrid-1000.json").stat().st_size,
             "sendpulse_1000": (BENCH / "sendpulse-1000.json").stat().st_size,
             "ses_each_type": sum((ROOT / "fixtures" / "ses" / f"event-{t}.json").stat().st_size for t in
                                  ["bounce", "complaint", "delivery", "send", "reject", "open", "click",
                                   "rendering-failure", "delivery-delay", "subscription"])}
    events = {"sendgrid_1000": 1000, "sendpulse_1000": 1000, "ses_each_type": 10}
    rows = []
    rows.append("| # | measure | mailtrail | reference | ratio | target |")
    rows.append("| --- | --- | --- | --- | --- | --- |")

    rates = {}
    for group in ["sendgrid_1000", "sendpulse_1000", "ses_each_type"]:
        pipe = per_iteration_ms(group, "pipeline")
        value = per_iteration_ms(group, "serde_json_value")
        simd = per_iteration_ms(group, "simd_json_borrowed")
        mb = sizes[group] / 1e6
        ev_s = events[group] / (pipe[0] / 1000)
        rates[group] = ev_s
        rows.append(f"| 1 | {group}: pipeline ms | {fmt_range(*pipe)} = {ev_s:,.0f} events/s, {mb / (pipe[0] / 1000):.0f} MB/s "
                    f"| serde_json Value {fmt_range(*value)} ms; simd-json borrowed {fmt_range(*simd)} ms "
                    f"| {pipe[0] / value[0]:.2f}× Value, {pipe[0] / simd[0]:.2f}× simd | ≤ 1.0× Value |")

    for group in ["sendgrid_1000", "ses_each_type"]:
        theirs = peer[group]["events_per_s"]
        rows.append(f"| 2 | {group}: events/s vs django-anymail {peer['anymail_version'][0]} | {rates[group]:,.0f} "
                    f"| {theirs['median']:,.0f} ({theirs['min']:,.0f}–{theirs['max']:,.0f}) | {rates[group] / theirs['median']:.1f}× | ≥ 5× |")

    mask = per_iteration_ms("masking_256k", "mask_emails")
    copy = per_iteration_ms("masking_256k", "copy_floor")
    rows.append(f"| 1 | masking addresses in a 256 KB worst-case text, ms | {fmt_range(*mask, digits=3)} "
                f"| copying the text {fmt_range(*copy, digits=3)} ms | {mask[0] / copy[0]:.1f}× copy | < 5 ms |")

    e2e = system["end_to_end"]
    h, b = e2e["handler_ms"], e2e["bare_sdk_ms"]
    rows.append(f"| 3 | end to end, 1,000 SendGrid events into DynamoDB-API on loopback, ms | {fmt_range(h['median'], h['min'], h['max'], digits=1)} "
                f"| bare SDK, same items, {e2e['concurrency']} concurrent BatchWriteItem: {fmt_range(b['median'], b['min'], b['max'], digits=1)} "
                f"| {h['median'] / b['median']:.2f}× | ≤ 1.2× |")
    w = e2e["store_only_ms"]
    rows.append(f"| 3 | mailtrail's batch writer alone on the same pre-built items, ms | {fmt_range(w['median'], w['min'], w['max'], digits=1)} "
                f"| bare SDK (above) | {w['median'] / b['median']:.2f}× | |")

    cold = system.get("cold_start")
    if cold:
        mn, hn = cold["mailtrail_to_next_ms"], cold["hello_to_next_ms"]
        mr, hr = cold["mailtrail_to_response_ms"], cold["hello_to_response_ms"]
        rows.append(f"| 4 | cold start: exec → first /next, ms | {fmt_range(mn['median'], mn['min'], mn['max'])} "
                    f"| hello-world lambda_runtime {fmt_range(hn['median'], hn['min'], hn['max'])} "
                    f"| +{mn['median'] - hn['median']:.2f} ms | ≤ +3 ms |")
        rows.append(f"| 4 | cold start: exec → response to an SNS record (stored), ms | {fmt_range(mr['median'], mr['min'], mr['max'])} "
                    f"| hello-world (echo) {fmt_range(hr['median'], hr['min'], hr['max'])} | +{mr['median'] - hr['median']:.2f} ms | |")
        rows.append(f"| 5 | peak RSS handling 1,000 SendGrid events (cold), MB | {cold['peak_rss_kib_sendgrid_1000'] / 1024:.1f} "
                    f"| hello-world {cold['hello_peak_rss_kib'] / 1024:.1f} | | ≤ 32 MB |")

    rows.append(f"| 6 | DynamoDB requests for 1,000 events | {e2e['requests_per_batch']} | ⌈1000/25⌉ = {e2e['requests_expected']} | | exactly ⌈items/25⌉ |")
    item_bytes = sorted(i["bytes"] for i in system["seed_items"])
    wcus = sorted(i["wcu"] for i in system["seed_items"])
    rows.append(f"| 6 | item size over {len(item_bytes)} seed events, bytes (min / median / max) | {item_bytes[0]} / {statistics.median(item_bytes):.0f} / {item_bytes[-1]} "
                f"| write units {wcus[0]} / {statistics.median(wcus):.0f} / {wcus[-1]} | | median ≤ 1 KB |")

    # Cost per million events: Lambda requests + duration (1 ms granularity) at 128 MB, and
    # DynamoDB writes (the by_recipient index doubles each write).
    def cost(invocations, ms_per_invocation, wru_per_event):
        billed_ms = max(1, round(ms_per_invocation + 0.5))
        lam = invocations * (LAMBDA_REQUEST + billed_ms / 1000 * MEMORY_GB * LAMBDA_GB_SECOND)
        ddb = 1_000_000 * wru_per_event * 2 * DYNAMODB_WRU
        return lam, ddb

    by_provider = {}
    for item in system["seed_items"]:
        by_provider.setdefault(item["event"].split(":")[0], []).append(item["wcu"])
    for name, invocations, ms_each in [
        ("ses (1 SNS record per invocation)", 1_000_000, e2e["ses_record_handler_ms"]["median"]),
        ("sendgrid (1,000 events per request)", 1_000, e2e["handler_ms"]["median"]),
        ("sendpulse (1,000 events per request)", 1_000, e2e["sendpulse_1000_handler_ms"]["median"]),
    ]:
        wru = statistics.mean(by_provider[name.split(" ")[0]])
        lam, ddb = cost(invocations, ms_each, wru)
        rows.append(f"| 7 | cost per million events, {name} | ${lam + ddb:,.2f} | Lambda ${lam:,.2f} + DynamoDB ${ddb:,.2f} ({wru:.1f} WRU/event ×2 for the index) | | |")

    binary = ROOT / "target" / "lambda" / "mailtrail-lambda" / "bootstrap"
    if binary.exists():
        rows.append(f"| – | Lambda binary (cargo lambda build --release, stripped) | {binary.stat().st_size / 1e6:.1f} MB | | | |")

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    header = (f"mailtrail benchmarks, {os.cpu_count()} cores ({cpu}), one run; medians with min–max. "
              f"Prices: Lambda arm64 ${LAMBDA_GB_SECOND}/GB-s + $0.20/M requests, DynamoDB on-demand $0.625/M WRU (us-east-1, 2026-11-24).\n")
    table = header + "\n" + "\n".join(rows) + "\n"
    (BENCH / "summary.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
