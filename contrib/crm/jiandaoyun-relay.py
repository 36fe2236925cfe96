#!/usr/bin/env python3
"""Relay 简道云 (Jiandaoyun) data pushes to triaged's POST /api/customers/ID.

简道云's data push (表单设置 > 扩展功能 > 数据推送) posts an envelope,
{"op": "data_create" | "data_update" | ..., "data": {"_widget_1": ..., ...}},
with the form's fields keyed by widget.  triaged takes a flat object of
strings and numbers for one customer, so this relay picks the widgets you
name, renames them, and posts them on:

    TRIAGED_CRM_TOKEN=... contrib/crm/jiandaoyun-relay.py \\
        --listen 127.0.0.1:9470 --triaged http://127.0.0.1:9464 \\
        --id _widget_1001 --map _widget_1002=level --map _widget_1003=annual_value

Point the data push at http://RELAY/ (behind your TLS proxy).  Deletions
(data_remove) and pushes without the ID widget are acknowledged and
dropped; anything triaged refuses is answered with its status, so 简道云
shows the failure and retries.  Only the Python standard library.
"""
import argparse
import http.server
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def flat(v):
    """A widget's value as a string or number, or None to leave it out."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float, str)):
        return v
    if isinstance(v, dict):     # member, department, address: their name
        for k in ("name", "username", "value"):
            if isinstance(v.get(k), (str, int, float)):
                return v[k]
        return None
    if isinstance(v, list):     # multiple choice: joined
        parts = [str(x) for x in (flat(x) for x in v) if x is not None]
        return ",".join(parts) if parts else None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:9470")
    ap.add_argument("--triaged", default="http://127.0.0.1:9464")
    ap.add_argument("--id", required=True, help="the widget of the customer ID")
    ap.add_argument("--map", action="append", default=[],
                    help="WIDGET=field, repeatable")
    ap.add_argument("--token-env", default="TRIAGED_CRM_TOKEN")
    a = ap.parse_args()
    token = os.environ.get(a.token_env, "")
    if not token:
        sys.exit("jiandaoyun-relay: %s is not set" % a.token_env)
    fields = dict(m.split("=", 1) for m in a.map)

    class Relay(http.server.BaseHTTPRequestHandler):
        def answer(self, code, body):
            b = (json.dumps(body, ensure_ascii=False) + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 65536:
                return self.answer(413, {"error": "body over 64 KiB"})
            try:
                push = json.loads(self.rfile.read(n))
                data = push.get("data") or {}
            except (ValueError, AttributeError):
                return self.answer(400, {"error": "not a 简道云 data push"})
            cid = flat(data.get(a.id))
            if push.get("op") == "data_remove" or cid in (None, ""):
                return self.answer(200, {"relayed": False})
            body = {}
            for w, name in fields.items():
                v = flat(data.get(w))
                if v not in (None, ""):
                    body[name] = v
            if not body:
                return self.answer(200, {"relayed": False})
            req = urllib.request.Request(
                "%s/api/customers/%s" % (a.triaged.rstrip("/"),
                                         urllib.parse.quote(str(cid), safe="")),
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Authorization": "Bearer " + token,
                         "Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return self.answer(200, json.loads(r.read() or b"{}"))
            except urllib.error.HTTPError as e:
                return self.answer(e.code, {"error": e.read().decode(errors="replace")})
            except OSError as e:
                return self.answer(502, {"error": str(e)})

        def log_message(self, fmt, *args):  # no customer data in the log
            sys.stderr.write("jiandaoyun-relay: %s %s\n" % (self.command, args[1] if len(args) > 1 else ""))

    host, port = a.listen.rsplit(":", 1)
    http.server.ThreadingHTTPServer((host, int(port)), Relay).serve_forever()


if __name__ == "__main__":
    main()
