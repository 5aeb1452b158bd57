#!/usr/bin/env python3
"""A name server on 127.0.0.1 for the tests of MX lookups (dnslib, from PyPI): answers MX
queries from the records given, NXDOMAIN for any other name; UDP and TCP on one port. Each
query is logged on its own line (`query <name> <type>`), so a test can count them.

  dns_server.py --port 5353 --mx acme.test=10:aspmx.l.google.com --mx acme.test=20:alt1.aspmx.l.google.com
"""
import argparse
import collections
import sys
import threading
import time

from dnslib import MX, QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    def __init__(self, records):
        self.records = records
        # Queries are answered on several threads: one line each, never two run together.
        self.log_lock = threading.Lock()

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self.log_lock:
            sys.stdout.write(f"query {name} {QTYPE[request.q.qtype]}\n")
            sys.stdout.flush()
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.MX:
            for preference, host in self.records[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX(host, preference), ttl=60))
        return reply


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mx", action="append", default=[], help="domain=preference:host")
    args = parser.parse_args()
    records = collections.defaultdict(list)
    for entry in args.mx:
        domain, _, value = entry.partition("=")
        preference, _, host = value.partition(":")
        records[domain.lower()].append((int(preference), host))
    zone = Zone(dict(records))
    quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data")
    for tcp in (False, True):
        DNSServer(zone, address="127.0.0.1", port=args.port, tcp=tcp, logger=quiet).start_thread()
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
