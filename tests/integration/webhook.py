#!/usr/bin/env python3
"""A webhook receiver for the delivery tests: records every POST as one
JSON line (path, Idempotency-Key, body) and answers as told.

usage: webhook.py PORTFILE LOG [--fail N --status S] [--tls CERT KEY]
       [--slow SECONDS] [--port PORT] [--tries FILE]
The port it listens on (picked by the kernel) is written to PORTFILE.
The first N posts are answered with status S (default 503); the rest 200.
LOG gets the posts answered 200, once answered.  --slow waits that long
before answering each post (posts are served in parallel).  --tries FILE
gets every post as it arrives, whatever it will be answered: one JSON line
(path, at, Idempotency-Key, the status it is going to get).
"""
import argparse
import json
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("portfile")
ap.add_argument("log")
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--status", type=int, default=503)
ap.add_argument("--tls", nargs=2)
ap.add_argument("--slow", type=float, default=0)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--tries")
args = ap.parse_args()
lock = threading.Lock()
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle holds
        # the body until the client's delayed ACK, 40 ms later.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            seen["n"] += 1
            n = seen["n"]
        status = args.status if n <= args.fail else 200
        if args.tries:
            rec = {"path": self.path, "at": int(time.time() * 1000),
                   "key": self.headers.get("Idempotency-Key"),
                   "status": status}
            with lock, open(args.tries, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if args.slow:
            time.sleep(args.slow)
        if status == 200:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
            rec = {"path": self.path, "at": int(time.time() * 1000),
                   "key": self.headers.get("Idempotency-Key"),
                   "body": parsed}
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        reply = b'{"error":"bad request"}' if status == 400 else b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", args.port), Handler)
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.portfile + ".tmp", args.portfile)
srv.serve_forever()
