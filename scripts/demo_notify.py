#!/usr/bin/env python3
"""The demo's EventBridge side, on moto's server: what the sending app would receive.

  setup                      create a bus, a queue and the consumer rule; print the queue URL
  snapshot TABLE ADDR...     print the suppression items of the addresses (DynamoDB JSON)
  stream BEFORE AFTER        print a DynamoDB stream event (the shape Lambda delivers) of the
                             changes between two snapshots
  receive QUEUE_URL          print every event the queue holds
Endpoints come from AWS_ENDPOINT_URL_DYNAMODB and MOTO_ENDPOINT.
"""
import json
import os
import sys

import boto3

BUS = "mailtrail-demo"


def moto(service):
    return boto3.client(service, endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")


def setup():
    events, sqs = moto("events"), moto("sqs")
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="mailtrail-demo-app")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="mailtrail-demo-app",
        EventBusName=BUS,
        EventPattern=json.dumps({"source": ["mailtrail"], "detail-type": ["Address Suppressed", "Address Unsuppressed"]}),
    )
    events.put_targets(Rule="mailtrail-demo-app", EventBusName=BUS, Targets=[{"Id": "app", "Arn": arn}])
    print(queue_url)


def snapshot(table, addresses):
    dynamodb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    items = {}
    for address in addresses:
        item = dynamodb.get_item(TableName=table, Key={"address": {"S": address}}, ConsistentRead=True).get("Item")
        items[address] = item
    print(json.dumps(items))


def stream(before_file, after_file):
    before, after = json.load(open(before_file)), json.load(open(after_file))
    records = []
    for n, address in enumerate(sorted(after), start=1):
        old, new = before.get(address), after.get(address)
        if old == new:
            continue  # DynamoDB streams record changes only
        payload = {"Keys": {"address": {"S": address}}, "SequenceNumber": f"{n:021d}",
                   "SizeBytes": 256, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        if old:
            payload["OldImage"] = old
        if new:
            payload["NewImage"] = new
        records.append({"eventID": f"demo-{n}", "eventName": "MODIFY" if old else "INSERT", "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": payload,
                        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/mailtrail-demo-suppressions/stream/demo"})
    print(json.dumps({"Records": records}))


def receive(queue_url):
    sqs = moto("sqs")
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return
        for message in messages:
            event = json.loads(message["Body"])
            print(json.dumps({k: event[k] for k in ("source", "detail-type", "detail")}, indent=2))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"setup": lambda: setup(), "snapshot": lambda: snapshot(args[0], args[1:]),
     "stream": lambda: stream(*args), "receive": lambda: receive(args[0])}[command]()
