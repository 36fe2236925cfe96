#!/usr/bin/env bash
# Alert delivery: how long from an alert fired to a receiver accepting it,
# and what a receiver down for a minute costs.
#
# 1. Latency: N alerts (default 500) appended to P+alerts at a steady pace
#    (RATE a second, default 50), as the fire script writes them, each with
#    fired_at = the moment it was written; a json webhook on loopback
#    records when each arrived.  Prints p50, p99 and max of arrival -
#    fired_at, and the daemon's own histogram count.
# 2. Outage: the webhook is stopped for DOWN seconds (default 60) while an
#    alert fires every 2 s; then it is started again.  Prints how long after
#    its return every alert had arrived, how many arrived twice, and how
#    many were lost or dead-lettered.
#
#   tools/bench_delivery.sh [N] [RATE] [DOWN]
set -eu
cd "$(dirname "$0")/.."
N=${1:-500}
RATE=${2:-50}
DOWN=${3:-60}
. tools/lib.sh
build_binaries triaged
private_redis delivery
HOOK_PORT=$(free_port)
HTTP=$(free_port)
HOOK_PID=
hook_start() {
	python3 tests/integration/webhook.py "$DIR/hook.port" "$DIR/hook.jsonl" \
	    --port "$HOOK_PORT" 2>>"$DIR/hook.log" &
	HOOK_PID=$!
	until [ -s "$DIR/hook.port" ]; do sleep 0.05; done
}
hook_stop() {
	kill "$HOOK_PID" 2>/dev/null; wait "$HOOK_PID" 2>/dev/null || true
	rm -f "$DIR/hook.port"
}
trap 'hook_stop; tools_cleanup' EXIT

cat > "$DIR/delivery.yaml" <<YAML
redis:
  port: $PORT
tiers:
  levels:
    - name: standard
urgency:
  levels: [critical, high, low]
teams: [general]
default_team: general
sla:
  - name: bench
    calendar: always
    first_response: {within: 1h, escalate: [{at: 100%, notify: page}]}
notify:
  - name: page
    people: [li_na]
    deliver: [hook]
oncall:
  people:
    li_na: {name: "Li Na"}
receivers:
  hook:
    webhook: {url: "http://127.0.0.1:$HOOK_PORT/hook", format: json, give_up_after: 1h, timeout: 5s}
http:
  listen: 127.0.0.1:$HTTP
YAML

hook_start
build/triaged -c "$DIR/delivery.yaml" --consumer bench 2>"$DIR/triaged.log" &
DAEMON_PID=$!
until curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null 2>&1; do
	sleep 0.1
done

# fire ID: one alert as the fire script writes it, fired now.
fire() {
	local now
	now=$(date +%s%3N)
	R xadd triage:alerts '*' ticket "$1" team general tier standard \
	    urgency low policy bench metric first_response step 0 kind breach \
	    notify page due "$now" fired_at "$now" oncall li_na \
	    oncall_name "Li Na" subject "bench" >/dev/null
}
# Firing posts of alerts whose ticket starts with $1.  (These alerts have no
# ticket in Redis, so each is also resolved at once: a second post, left out.)
arrived() { grep "\"$1" "$DIR/hook.jsonl" 2>/dev/null | grep -c '"status": "firing"' || true; }

echo "== latency: $N alerts at $RATE/s to a json webhook on loopback"
pause=$(awk -v r="$RATE" 'BEGIN { printf "%.4f", 1 / r }')
for i in $(seq 1 "$N"); do
	fire "LAT-$i"
	sleep "$pause"
done
for _ in $(seq 100); do
	[ "$(arrived LAT-)" -ge "$N" ] && break
	sleep 0.1
done
python3 - "$DIR/hook.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lat = sorted(r["at"] - r["body"]["fired_at"] for r in recs
             if r["body"]["ticket"].startswith("LAT-")
             and r["body"]["status"] == "firing")
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"delivered {len(lat)}; fired_at -> receiver: p50 {pct(50)} ms, "
      f"p99 {pct(99)} ms, max {lat[-1]} ms")
PY
curl -s "http://127.0.0.1:$HTTP/metrics" |
    grep -E '^triaged_delivery_latency_seconds_(count|sum)|^triaged_deliveries_total\{receiver="hook",outcome="delivered"\}'

echo "== outage: the receiver down for ${DOWN}s, an alert every 2 s"
hook_stop
down_at=$(date +%s)
k=0
while [ $(( $(date +%s) - down_at )) -lt "$DOWN" ]; do
	k=$((k + 1))
	fire "OUT-$k"
	sleep 2
done
hook_start
back=$(date +%s%3N)
echo "fired $k alerts while it was down; it is back"
for _ in $(seq 1200); do
	[ "$(arrived OUT-)" -ge "$k" ] && break
	sleep 0.1
done
python3 - "$DIR/hook.jsonl" "$back" "$k" <<'PY'
import json, sys, collections
back, k = int(sys.argv[2]), int(sys.argv[3])
recs = [r for r in map(json.loads, open(sys.argv[1]))
        if r["body"]["ticket"].startswith("OUT-")
        and r["body"]["status"] == "firing"]
keys = collections.Counter(r["key"] for r in recs)
last = max((r["at"] for r in recs), default=back)
print(f"arrived {len(keys)} of {k} alerts (lost {k - len(keys)}), "
      f"{sum(c - 1 for c in keys.values())} twice; the last "
      f"{(last - back) / 1000:.1f} s after the receiver was back")
PY
sleep 3	# the undelivered gauge is polled every 2 s
echo "dead-lettered: $(R xlen triage:dead), still undelivered:" \
    "$(curl -s "http://127.0.0.1:$HTTP/metrics" | awk '$1 == "triaged_alerts_undelivered" { print $2 }')"
curl -s "http://127.0.0.1:$HTTP/metrics" |
    grep -E '^triaged_deliveries_total\{receiver="hook"'
