#!/usr/bin/env python3
"""The demo's stream consumers: dynalite serves no streams, so mailtrail-stats and
mailtrail-archive (under cargo lambda watch) are fed stream records made from the events
table's items, as DynamoDB would deliver
them: an INSERT per item (its NewImage), in one tumbling window of one shard, two batches then
the window's last invocation, as Lambda invokes it.

  feed TABLE FUNCTION_URL [--again]   count every item; --again delivers the same window again
  archive TABLE FUNCTION_URL          the same records to mailtrail-archive, as plain batches of
                                      5,000 (the archive's stream mapping has no window), the
                                      first one twice
Endpoints come from AWS_ENDPOINT_URL_DYNAMODB.
"""
import base64
import json
import os
import sys
import urllib.request

import boto3


def invoke(url, event):
    request = urllib.request.Request(url, data=json.dumps(event).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def as_json(value):
    """DynamoDB JSON as a stream carries it: binary values in base64."""
    if isinstance(value, dict):
        return {k: (base64.b64encode(v).decode() if k == "B" else
                    [base64.b64encode(b).decode() for b in v] if k == "BS" else as_json(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def records(table):
    dynamodb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    items = [as_json(i) for page in dynamodb.get_paginator("scan").paginate(TableName=table) for i in page["Items"]]
    items.sort(key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    return [{"eventID": f"demo-{n}", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
             "awsRegion": "us-east-1",
             "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item,
                          "SequenceNumber": f"{100000000000000000000 + n}", "SizeBytes": 512, "StreamViewType": "NEW_IMAGE"},
             "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/demo"}
            for n, item in enumerate(items, start=1)]


def window(recs, state, last):
    return {"Records": recs, "window": {"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T10:15:00Z"},
            "state": state, "shardId": "shardId-00000001-demo", "eventSourceARN": "demo",
            "isFinalInvokeForWindow": last, "isWindowTerminatedEarly": False}


def feed(table, url, again):
    recs = records(table)
    half = len(recs) // 2
    state = {}
    for batch in (recs[:half], recs[half:]):
        state = invoke(url, window(batch, state, False))["state"]
    print(f"{len(recs)} stream records in one window, two batches; the window's state carries "
          f"{len(state.get('tally', '').splitlines())} counter rows")
    answer = invoke(url, window([], state, True))
    print(f"the window's last invocation wrote them: {json.dumps(answer)}")
    if again:
        invoke(url, window([], state, True))
        print("the same last invocation again (a retry): every counter item already holds this window's mark")


def archive(table, url):
    recs = records(table)
    batches = [recs[k:k + 5000] for k in range(0, len(recs), 5000)]
    for n, batch in enumerate(batches):
        answer = invoke(url, {"Records": batch})
        print(f"batch {n + 1}: {len(batch)} stream records archived: {json.dumps(answer)}")
    if batches:
        invoke(url, {"Records": batches[0]})
        print("batch 1 again (a redelivery): its files are rewritten, no row is added")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "feed":
        feed(args[0], args[1], "--again" in args)
    elif command == "archive":
        archive(args[0], args[1])
    else:
        sys.exit(__doc__)
