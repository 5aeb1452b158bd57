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

# AWS prices, us-east-1, as published on 2026-11-24: every price the cost model uses, in one place.
PRICES = {
    "date": "2026-11-24",
    "region": "us-east-1",
    "lambda_gb_second": 0.0000133334,        # arm64
    "lambda_request": 0.20 / 1_000_000,
    "ddb_wru": {"STANDARD": 0.625 / 1_000_000, "STANDARD_INFREQUENT_ACCESS": 0.78125 / 1_000_000},  # on-demand; IA +25 %
    "ddb_storage_gb_month": {"STANDARD": 0.25, "STANDARD_INFREQUENT_ACCESS": 0.10},               # IA -60 %
    "ddb_pitr_gb_month": 0.20,               # continuous backups, on the table's size (data + overhead)
    "ddb_item_overhead_bytes": 100,          # DynamoDB counts 100 bytes per item (table and index)
    "apigw_http_request": 1.00 / 1_000_000,  # HTTP API, first 300 M a month
    "sns_publish": 0.50 / 1_000_000,         # SES event publishing to SNS (delivery to Lambda is free)
    "eventbridge_aws_event": 0.0,            # AWS service events on the default bus (SES's) are free, rules' delivery too
    "eventbridge_custom_event": 1.00 / 1_000_000,  # PutEvents, per 64 KB entry (the notifier; and the sensitivity row)
    "logs_ingest_gb": 0.50,                  # CloudWatch Logs ingestion (EMF lines included)
    "logs_platform_bytes": 350,              # Lambda's own START / END / REPORT lines per invocation
    "custom_metric_month": 0.30,             # CloudWatch custom metrics: fixed per stack, not per event
    "s3_storage_gb_month": 0.023,            # S3 Standard, first 50 TB
    "s3_put": 0.005 / 1000,                  # PUT, COPY, POST, LIST
    "athena_tb_scanned": 5.00,               # Athena SQL queries, per TB scanned (10 MB minimum a query)
}
LAMBDA_GB_SECOND = PRICES["lambda_gb_second"]
LAMBDA_REQUEST = PRICES["lambda_request"]
DYNAMODB_WRU = PRICES["ddb_wru"]["STANDARD"]
MEMORY_GB = 128 / 1024
RETENTION_DAYS = 400
MONTH_DAYS = 30.4375


# The deployed zips before each binary linked only its own crates (the same toolchain and
# profile, `cargo lambda build --release --arm64`, at the commit before the feature split):
# the reference the zip rows compare against.
ZIP_BYTES_BEFORE_FEATURES = {"mailtrail-lambda": 4_877_758, "mailtrail-notify": 4_149_718}
# What a capability added since, on purpose (measured as the zip before and after it).
ZIP_BYTES_ADDED_SINCE = {"mailtrail-lambda": (530_699 + 82_324, "the MX resolver, hickory-resolver, 0.53 MB; "
                                                                "six more providers' decoders, verifiers and dictionaries, 0.08 MB")}

def per_iteration_ms(group, bench):
    sample = json.loads((CRITERION / group / bench / "new" / "sample.json").read_text())
    times = [t / i / 1e6 for t, i in zip(sample["times"], sample["iters"])]
    return statistics.median(times), min(times), max(times)


def fmt_range(median, low, high, unit="", digits=2):
    return f"{median:.{digits}f}{unit} ({low:.{digits}f}–{high:.{digits}f})"


def cost_per_million(provider, layout, table_class, system, e2e, retention_days=RETENTION_DAYS):
    """Dollars per million events of `provider` over their whole retention, line by line."""
    mix = system["mix"][provider]
    sizes = mix["now"] if layout == "now" else mix["before"]
    n = 1_000_000
    months = retention_days / MONTH_DAYS
    overhead = PRICES["ddb_item_overhead_bytes"]
    item_gb = n * (sizes["item_bytes"] + overhead) / 1e9
    index_gb = n * mix["indexed_share"] * (sizes["index_bytes"] + overhead) / 1e9
    batch = EVENTS_PER_REQUEST.get(provider, 1)
    invocations = n / batch
    one = e2e.get("one_request_handler_ms", {})
    handler_ms = {"ses": e2e["ses_record_handler_ms"]["median"], "ses_eventbridge": e2e["ses_record_handler_ms"]["median"],
                  "sendgrid": e2e["handler_ms"]["median"], "sendpulse": e2e["sendpulse_1000_handler_ms"]["median"],
                  **{name: stats["median"] for name, stats in one.items()}}[provider]
    billed_ms = max(1, round(handler_ms + 0.5))
    logs = system["logs"][provider]
    log_bytes = invocations * (logs["log_bytes"] + logs["emf_bytes"] + PRICES["logs_platform_bytes"])
    channel = {"ses": PRICES["sns_publish"], "ses_eventbridge": PRICES["eventbridge_aws_event"]}.get(provider, PRICES["apigw_http_request"])
    lines = {
        "writes (table + index)": n * sizes["wru"] * PRICES["ddb_wru"][table_class],
        "storage, table": item_gb * months * PRICES["ddb_storage_gb_month"][table_class],
        "storage, index": index_gb * months * PRICES["ddb_storage_gb_month"][table_class],
        "point-in-time recovery": item_gb * months * PRICES["ddb_pitr_gb_month"],
        "Lambda": invocations * (LAMBDA_REQUEST + billed_ms / 1000 * MEMORY_GB * LAMBDA_GB_SECOND),
        CHANNEL_LINE.get(provider, "API Gateway"): invocations * channel,
        "CloudWatch Logs": log_bytes / 1e9 * PRICES["logs_ingest_gb"],
    }
    if provider == "mailgun":
        # The token binding: one conditional PutItem (1 write unit, a few dozen bytes, TTL'd
        # after Mailgun's retry window, so its storage is negligible) per request.
        lines["token binding (1 PutItem a request)"] = invocations * PRICES["ddb_wru"][table_class]
    return lines


def archive_lines(provider, system, archive_days=RETENTION_DAYS):
    """The archive's dollars per million events kept `archive_days`: S3 storage of the Parquet
    bytes, its puts (a file per day and batch of up to 10,000 events), the writer's Lambda at
    512 MB, and one full scan by Athena."""
    a = system["mix"][provider]["archive"]
    n = 1_000_000
    gb = n * a["bytes_per_event"] / 1e9
    batches = n / 10_000
    return {
        "archive: S3 storage": gb * archive_days / MONTH_DAYS * PRICES["s3_storage_gb_month"],
        "archive: S3 puts": batches * 2 * PRICES["s3_put"],
        "archive: writer Lambda": batches * LAMBDA_REQUEST + n / 1000 * a["ms_per_1000"] / 1000 * 0.5 * LAMBDA_GB_SECOND,
        "archive: one full Athena scan": gb / 1000 * PRICES["athena_tb_scanned"],
    }


def archive_rows(system, e2e):
    """Per provider: 400 days in the table, against 90 days hot plus 400 days in the archive."""
    rows = []
    fmt = lambda lines: "; ".join(f"{k} ${v:,.2f}" for k, v in lines.items())
    for provider in ["ses", "sendgrid", "sendpulse"] + NEW_PROVIDERS:
        if "archive" not in system["mix"].get(provider, {}):
            continue
        a = system["mix"][provider]["archive"]
        today = {cls: sum(cost_per_million(provider, "now", cls, system, e2e).values()) for cls in ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]}
        hot = {cls: cost_per_million(provider, "now", cls, system, e2e, retention_days=90) for cls in ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]}
        best = min(hot, key=lambda c: sum(hot[c].values()))
        lines = dict(hot[best], **archive_lines(provider, system))
        total = sum(lines.values())
        rows.append(f"| 9 | {provider}: $ per million events with {RETENTION_DAYS} days of queryable history: 90 days hot ({best}) + the archive "
                    f"| ${total:,.2f} | {RETENTION_DAYS} days in the table: ${min(today.values()):,.2f}; "
                    f"archive {a['bytes_per_event']:.0f} B an event, written at {a['ms_per_1000']:.1f} ms per 1,000; {fmt(lines)} "
                    f"| | SES ≤ $4.00 |")
        rows.append(f"| 9 | {provider}: the same, the hot table without point-in-time recovery (the archive is the history) "
                    f"| ${total - lines['point-in-time recovery']:,.2f} | | | SES ≤ $4.00 |")
    return rows


# Events per request (invocation) of each channel, as the mix posts them.
EVENTS_PER_REQUEST = {"sendgrid": 1000, "sendpulse": 1000, "mailjet": 100}
CHANNEL_LINE = {"ses": "SNS", "ses_eventbridge": "EventBridge (SES's events on the default bus: free)"}
NEW_PROVIDERS = ["mailgun", "postmark", "resend", "mailjet", "brevo"]
# The providers benchmarked on each documented sample (scripts/bench_data.py's EACH_PROVIDERS).
EACH_PROVIDERS = NEW_PROVIDERS + ["sparkpost", "mailersend", "mandrill", "postal", "smtp2go", "ahasend"]


def new_provider_rows(system, e2e):
    """Today's layout only for the providers the earlier layout never stored."""
    rows = []
    fmt = lambda lines: "; ".join(f"{k} ${v:,.2f}" for k, v in lines.items())
    for provider in NEW_PROVIDERS + ["ses_eventbridge"]:
        mix_name = "ses" if provider == "ses_eventbridge" else provider
        mix = system["mix"][mix_name]
        system_view = dict(system, mix=dict(system["mix"], **{provider: mix}))
        results = {cls: cost_per_million(provider, "now", cls, system_view, e2e) for cls in ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]}
        best = min(results, key=lambda c: sum(results[c].values()))
        now, w, sup = results[best], mix["now"], mix["suppression"]
        total = sum(now.values())
        label = "ses via EventBridge" if provider == "ses_eventbridge" else provider
        if provider != "ses_eventbridge":
            rows.append(f"| 8 | {label}: write units per event, table + index (realistic mix, {EVENTS_PER_REQUEST.get(provider, 1)} a request) "
                        f"| {w['wru']:.2f} | item / index item {w['item_bytes']:.0f} / {w['index_bytes']:.0f} B (raw {mix['raw_bytes']:.0f} B stored as {mix['raw_stored_bytes']:.0f} B) | | ≤ 2.0 |")
            rows.append(f"| 8 | {label}: suppression list: extra write units per suppressing event ({sup['suppressing_share']:.0%} of the mix) "
                        f"| {sup['wru_per_suppressing_event']:.2f} | {sup['wru_per_event']:.2f} per event overall | | |")
        rows.append(f"| 8 | {label}: $ per million events over {RETENTION_DAYS} days ({best}) | ${total:,.2f} | {fmt(now)} | | |")
        if provider == "ses_eventbridge":
            custom = 1_000_000 * PRICES["eventbridge_custom_event"]
            rows.append(f"| 8 | ses via EventBridge, were SES's events billed as custom events (${custom:,.2f} a million) | ${total + custom:,.2f} "
                        f"| SNS channel: ${sum(cost_per_million('ses', 'now', best, system, e2e).values()):,.2f} | | |")
    # The notifier: one PutEvents entry per verdict change, at most one per suppressing event.
    shares = {p: system["mix"][p]["suppression"]["suppressing_share"] for p in system["mix"]}
    top = max(shares, key=shares.get)
    rows.append(f"| 8 | mailtrail-notify: EventBridge PutEvents per million events, at most one entry per suppressing event "
                f"(${PRICES['eventbridge_custom_event'] * 1e6:,.2f} a million entries; the stream's reads by Lambda are free) "
                f"| ≤ ${shares[top] * PRICES['eventbridge_custom_event'] * 1e6:,.2f} ({top}, {shares[top]:.0%} suppressing) "
                f"| SES mix ≤ ${shares['ses'] * PRICES['eventbridge_custom_event'] * 1e6:,.2f} | | |")
    return rows


def cost_rows(system, e2e):
    rows = []
    for provider in ["ses", "sendgrid", "sendpulse"]:
        mix = system["mix"][provider]
        before = cost_per_million(provider, "before", "STANDARD", system, e2e)
        results = {cls: cost_per_million(provider, "now", cls, system, e2e) for cls in ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]}
        best = min(results, key=lambda c: sum(results[c].values()))
        now = results[best]
        total_before, total_now = sum(before.values()), sum(now.values())
        fmt = lambda lines: "; ".join(f"{k} ${v:,.2f}" for k, v in lines.items())
        b, w = mix["before"], mix["now"]
        rows.append(f"| 8 | {provider}: write units per event, table + index (realistic mix) | {w['wru']:.2f} | before: {b['wru']:.2f} | | ≤ 2.0 |")
        rows.append(f"| 8 | {provider}: bytes per item / per index item (raw {mix['raw_bytes']:.0f} B stored as {mix['raw_stored_bytes']:.0f} B) "
                    f"| {w['item_bytes']:.0f} / {w['index_bytes']:.0f} | before: {b['item_bytes']:.0f} / {b['index_bytes']:.0f} | | index < 1 KB |")
        rows.append(f"| 8 | {provider}: $ per million events over {RETENTION_DAYS} days, today ({best}) vs before (STANDARD, ALL index, raw text) "
                    f"| ${total_now:,.2f} | ${total_before:,.2f} | {total_before / total_now:.1f}× cheaper | ≥ 4× |")
        rows.append(f"| 8 | {provider}: line items today | {fmt(now)} | before: {fmt(before)} | | |")
        sup = mix["suppression"]
        rows.append(f"| 8 | {provider}: suppression list: extra write units per suppressing event ({sup['suppressing_share']:.0%} of the mix) "
                    f"| {sup['wru_per_suppressing_event']:.2f} | {sup['updates_per_suppressing_event']:.2f} conditional UpdateItems each; "
                    f"{sup['wru_per_event']:.2f} per event overall, ${sup['wru_per_event'] * 1e6 * PRICES['ddb_wru']['STANDARD']:,.2f} per million | | |")
        other = "STANDARD" if best != "STANDARD" else "STANDARD_INFREQUENT_ACCESS"
        rows.append(f"| 8 | {provider}: same layout in {other} | ${sum(results[other].values()):,.2f} | | | |")
        without_pitr = total_now - now["point-in-time recovery"]
        rows.append(f"| 8 | {provider}: same layout without point-in-time recovery (PointInTimeRecovery=false) "
                    f"| ${without_pitr:,.2f} | ${total_before:,.2f} | {total_before / without_pitr:.1f}× cheaper | |")
    rows.extend(new_provider_rows(system, e2e))
    metrics, most = 40, 471
    rows.append(f"| 8 | CloudWatch custom metrics, per stack (not per event): about {metrics} for three providers, at most {most} for all fourteen | "
                f"${metrics * PRICES['custom_metric_month']:,.2f} a month | at most ${most * PRICES['custom_metric_month']:,.2f} | | |")
    return rows


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
        maps = per_iteration_ms(group, "item_maps_alone")
        rows.append(f"| 1 | {group}: pipeline ms | {fmt_range(*pipe)} = {ev_s:,.0f} events/s, {mb / (pipe[0] / 1000):.0f} MB/s "
                    f"| serde_json Value {fmt_range(*value)} ms; simd-json borrowed {fmt_range(*simd)} ms; the item maps alone {maps[0]:.3f} ms "
                    f"| {pipe[0] / value[0]:.2f}× Value, {pipe[0] / simd[0]:.2f}× simd, {pipe[0] / (value[0] + maps[0]):.2f}× (Value + maps) | ≤ 1.5× Value |")

    for group in ["sendgrid_1000", "ses_each_type"]:
        theirs = peer[group]["events_per_s"]
        rows.append(f"| 2 | {group}: events/s vs django-anymail {peer['anymail_version'][0]} | {rates[group]:,.0f} "
                    f"| {theirs['median']:,.0f} ({theirs['min']:,.0f}–{theirs['max']:,.0f}) | {rates[group] / theirs['median']:.1f}× | ≥ 5× |")

    for name in EACH_PROVIDERS:
        group = f"{name}_each"
        if not (CRITERION / group).exists():
            continue
        requests = len(list((BENCH / "each" / name).glob("*.json")))
        pipe = per_iteration_ms(group, "pipeline")
        value = per_iteration_ms(group, "serde_json_value")
        simd = per_iteration_ms(group, "simd_json_borrowed")
        ours = requests / (pipe[0] / 1000)
        theirs = peer.get(group)
        peer_cell = ""
        if theirs:
            per_request = theirs["events"] / requests
            peer_cell = f"; django-anymail {theirs['events_per_s']['median'] / per_request:,.0f} requests/s"
        ratio = f" {ours / (theirs['events_per_s']['median'] / per_request):.1f}× anymail" if theirs else ""
        if not theirs:
            peer_cell = "; django-anymail has no tracking webhook for it"
        maps = per_iteration_ms(group, "item_maps_alone")
        rows.append(f"| 1 | {group} ({requests} documented samples, one request each): pipeline ms | {fmt_range(*pipe, digits=3)} = {ours:,.0f} requests/s "
                    f"| serde_json Value {fmt_range(*value, digits=3)} ms; simd-json borrowed {simd[0]:.3f} ms; the item maps alone {maps[0]:.3f} ms{peer_cell} "
                    f"| {pipe[0] / value[0]:.2f}× Value, {pipe[0] / (value[0] + maps[0]):.2f}× (Value + maps),{ratio} | ≤ 1.5× Value |")

    mask = per_iteration_ms("masking_256k", "mask_emails")
    copy = per_iteration_ms("masking_256k", "copy_floor")
    rows.append(f"| 1 | masking addresses in a 256 KB worst-case text, ms | {fmt_range(*mask, digits=3)} "
                f"| copying the text {copy[0] * 1000:.1f} µs | {mask[0] / copy[0]:.0f}× copy | < 5 ms |")

    e2e = system["end_to_end"]
    h, b = e2e["handler_ms"], e2e["bare_sdk_ms"]
    rows.append(f"| 3 | end to end, 1,000 SendGrid events into DynamoDB-API on loopback, ms | {fmt_range(h['median'], h['min'], h['max'], digits=1)} "
                f"| bare SDK, same items, {e2e['concurrency']} concurrent BatchWriteItem: {fmt_range(b['median'], b['min'], b['max'], digits=1)} "
                f"| {h['median'] / b['median']:.2f}× | ≤ 1.2× |")
    w = e2e["store_only_ms"]
    rows.append(f"| 3 | mailtrail's batch writer alone on the same pre-built items, ms | {fmt_range(w['median'], w['min'], w['max'], digits=1)} "
                f"| bare SDK (above) | {w['median'] / b['median']:.2f}× | |")

    one = e2e.get("one_request_handler_ms")
    if one:
        cells = "; ".join(f"{name} {v['median']:.1f} ({v['min']:.1f}–{v['max']:.1f})" for name, v in one.items())
        ses = e2e["ses_record_handler_ms"]
        rows.append(f"| 3 | one webhook request of each one-event provider into DynamoDB-API on loopback (verify, decode, store, suppress), ms "
                    f"(Mailjet: 100 grouped events) | {cells} | one SES record through SNS {ses['median']:.1f} | | |")

    cold = system.get("cold_start")
    if cold:
        mn, hn = cold["mailtrail_to_next_ms"], cold["hello_to_next_ms"]
        mr, hr = cold["mailtrail_to_response_ms"], cold["hello_to_response_ms"]
        rows.append(f"| 4 | cold start: exec → first /next, ms | {fmt_range(mn['median'], mn['min'], mn['max'])} "
                    f"| hello-world lambda_runtime {fmt_range(hn['median'], hn['min'], hn['max'])} "
                    f"| +{mn['median'] - hn['median']:.2f} ms | ≤ +3 ms |")
        rows.append(f"| 4 | cold start: exec → response to an SNS record (stored), ms | {fmt_range(mr['median'], mr['min'], mr['max'])} "
                    f"| hello-world (echo) {fmt_range(hr['median'], hr['min'], hr['max'])} | +{mr['median'] - hr['median']:.2f} ms | |")
        notify = cold.get("notify")
        if notify:
            nn, nr = notify["to_next_ms"], notify["to_response_ms"]
            rows.append(f"| 4 | mailtrail-notify cold start: exec → first /next, ms | {fmt_range(nn['median'], nn['min'], nn['max'])} "
                        f"| hello-world {fmt_range(hn['median'], hn['min'], hn['max'])} | +{nn['median'] - hn['median']:.2f} ms | |")
            rows.append(f"| 4 | mailtrail-notify cold start: exec → answer to an empty stream batch, ms | {fmt_range(nr['median'], nr['min'], nr['max'])} "
                        f"| hello-world (echo) {fmt_range(hr['median'], hr['min'], hr['max'])} | +{nr['median'] - hr['median']:.2f} ms | |")
        rows.append(f"| 5 | peak RSS handling 1,000 SendGrid events (cold), MB | {cold['peak_rss_kib_sendgrid_1000'] / 1024:.1f} "
                    f"| hello-world {cold['hello_peak_rss_kib'] / 1024:.1f} | | ≤ 32 MB |")

    rows.append(f"| 6 | DynamoDB requests for 1,000 events | {e2e['requests_per_batch']} | ⌈1000/25⌉ = {e2e['requests_expected']} | | exactly ⌈items/25⌉ |")
    item_bytes = sorted(i["bytes"] for i in system["seed_items"])
    wcus = sorted(i["wcu"] for i in system["seed_items"])
    rows.append(f"| 6 | item size over {len(item_bytes)} seed events, bytes (min / median / max) | {item_bytes[0]} / {statistics.median(item_bytes):.0f} / {item_bytes[-1]} "
                f"| write units {wcus[0]} / {statistics.median(wcus):.0f} / {wcus[-1]} | | median ≤ 1 KB |")

    rows.extend(cost_rows(system, e2e))
    rows.extend(archive_rows(system, e2e))

    ui_path = BENCH / "ui.json"
    if ui_path.exists():
        ui = json.loads(ui_path.read_text())
        page, floor, message = ui["recipient_page"], ui["index_query_floor"]["ms"], ui["message_page"]["ms"]
        pm = page["ms"]
        rows.append(f"| 7 | mailtrail ui: recipient page, {page['events']:,} events across {page['messages']} messages, against the local server, ms "
                    f"({page['bytes'] / 1000:.0f} KB of HTML) | {fmt_range(pm['median'], pm['min'], pm['max'], digits=1)} "
                    f"| the bare index query for the same rows {fmt_range(floor['median'], floor['min'], floor['max'], digits=1)}; "
                    f"a message page {message['median']:.1f} | {pm['median'] / floor['median']:.2f}× | < 1,000 ms |")

    overview_path = BENCH / "overview.json"
    if overview_path.exists():
        ov = json.loads(overview_path.read_text())
        page, floor = ov["overview_page"], ov["counters_read_floor"]["ms"]
        pm = page["ms"]
        rows.append(f"| 8 | mailtrail ui: the overview of {page['days']} days × {page['providers']} sending providers × {page['mailboxes']} mailbox providers "
                    f"({page['counter_items']:,} counter items, {page['bytes'] / 1000:.0f} KB of HTML), against the local server, ms "
                    f"| {fmt_range(pm['median'], pm['min'], pm['max'], digits=1)} "
                    f"| the same counter items read with the bare SDK {fmt_range(floor['median'], floor['min'], floor['max'], digits=1)} "
                    f"| {pm['median'] / floor['median']:.2f}× | < 1,000 ms |")
    counting = system.get("counters")
    if counting:
        for w in counting["per_window"]:
            rows.append(f"| 8 | counters: write units per event counted, the realistic mix ({counting['events']:,} events over all eight providers) "
                        f"laid over one hour, {w['window_seconds']} s tumbling windows ({w['events_per_window']:,} events a window) "
                        f"| {w['wcu_per_event']:.3f} | {w['counter_writes']:,} counter writes for {w['events_counted']:,} events "
                        f"| | ≤ 0.2 at the template's 900 s |")

    for name in ("mailtrail-lambda", "mailtrail-notify"):
        zipped = ROOT / "target" / "lambda" / name / "bootstrap.zip"
        if zipped.exists():
            size, before = zipped.stat().st_size, ZIP_BYTES_BEFORE_FEATURES[name]
            added = ZIP_BYTES_ADDED_SINCE.get(name)
            allowance = f" + {added[1]} ({added[0] / 1e6:.2f} MB)" if added else ""
            rows.append(f"| – | {name}: deployed zip (cargo lambda build --release --arm64) | {size / 1e6:.2f} MB "
                        f"| before each binary linked only its own crates: {before / 1e6:.2f} MB{allowance} "
                        f"| {size / before:.2f}× | ≤ {(before + (added[0] if added else 0)) / before:.2f}× |")

    stats_zip = ROOT / "target" / "lambda" / "mailtrail-stats" / "bootstrap.zip"
    webhook_zip = ROOT / "target" / "lambda" / "mailtrail-lambda" / "bootstrap.zip"
    if stats_zip.exists() and webhook_zip.exists():
        size, reference = stats_zip.stat().st_size, webhook_zip.stat().st_size
        rows.append(f"| – | mailtrail-stats: deployed zip (cargo lambda build --release --arm64) | {size / 1e6:.2f} MB "
                    f"| the webhook function's: {reference / 1e6:.2f} MB | {size / reference:.2f}× | < 1× (no HTTP, no DNS) |")

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    header = (f"mailtrail benchmarks, {os.cpu_count()} cores ({cpu}), one run; medians with min–max. "
              f"Prices ({PRICES['region']}, {PRICES['date']}): {json.dumps(PRICES)}.\n")
    table = header + "\n" + "\n".join(rows) + "\n"
    (BENCH / "summary.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
