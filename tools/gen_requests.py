#!/usr/bin/env python3
"""Generate gateway requests as Redis protocol for `redis-cli --pipe`.

Each request is an XADD to PREFIX + "requests" with the fields a phone,
email, chat or web gateway writes: realistic subjects in English and
Chinese, categories, order values, and customers of every tier.

    tools/gen_requests.py --count 100000 | redis-cli -p 6379 --pipe

With --format lines it writes one request per line as field=value pairs
instead (values with blanks or quotes in double quotes), the input
`triagectl replay --from FILE` reads.
"""
import argparse
import random
import sys

SUBJECTS = [
    "Cannot log in to my account",
    "Invoice shows the wrong amount",
    "Service is down for the whole office - urgent",
    "Question about my order",
    "无法登录账户",
    "紧急：系统宕机",
    "发票金额有误",
    "退货流程咨询",
    "Refund for a damaged item",
    "Password reset link does not arrive",
]
CATEGORIES = ["technical", "billing", "after_sales", "outage", "general"]
CHANNELS = ["phone", "email", "chat", "web"]


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def pair_line(fields):
    out = []
    for k, v in fields.items():
        if v == "" or any(c in v for c in ' \t"\\\n\r'):
            v = '"%s"' % (v.replace("\\", "\\\\").replace('"', '\\"')
                          .replace("\n", "\\n").replace("\r", "\\r")
                          .replace("\t", "\\t"))
        out.append("%s=%s" % (k, v))
    return (" ".join(out) + "\n").encode()


def request(i, rng, id_prefix):
    fields = {
        "customer_id": "C%05d" % rng.randrange(2000),
        "channel": rng.choice(CHANNELS),
        "subject": rng.choice(SUBJECTS),
        "body": "Request number %d from the generator." % i,
        "category": rng.choice(CATEGORIES),
    }
    if id_prefix:
        fields["id"] = "%s%d" % (id_prefix, i)
    if rng.random() < 0.1:
        fields["order_value"] = str(rng.choice([500, 25000, 150000]))
    if rng.random() < 0.05:
        fields["severity"] = rng.choice(["outage", "security", "minor"])
    return fields


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--prefix", default="triage:")
    ap.add_argument("--stream", default="requests")
    ap.add_argument("--id-prefix", default="REQ-",
                    help="gateway ids are ID_PREFIX + n; empty: none")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["resp", "lines"], default="resp",
                    help="resp: XADD commands for redis-cli --pipe; "
                    "lines: field=value lines for triagectl replay --from")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    key = a.prefix + a.stream
    w = sys.stdout.buffer
    for i in range(a.start, a.start + a.count):
        if a.format == "lines":
            w.write(pair_line(request(i, rng, a.id_prefix)))
            continue
        args = ["XADD", key, "*"]
        for k, v in request(i, rng, a.id_prefix).items():
            args += [k, v]
        w.write(resp(args))
    w.flush()


if __name__ == "__main__":
    main()
