#!/usr/bin/env bash
# A million open SLA clocks: what they cost the daemon, and how late alerts
# fire among them.
#
# Writes N tickets (default 1,000,000) straight into a private Redis in the
# layout route.c writes (ticket hash, queue entry, and in P+sla each clock's
# first step, due in 45 minutes or more), plus M tickets
# (default 2,000) whose breach falls 10-20 s after the daemon starts.  Then
# starts triaged and reports its resident memory (VmRSS, VmHWM), its CPU
# time while idling over the open clocks, and the lateness of the M breach
# alerts (fired_at - due).
#
#   tools/bench_clocks.sh [N] [M]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
M=${2:-2000}
. tools/lib.sh
build_binaries triaged
private_redis clocks

cat > "$DIR/clocks.yaml" <<YAML
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
    first_response:
      within: 1h
      escalate:
        - {at: 75%, notify: lead}
        - {at: 100%, notify: oncall}
    resolution: {within: 8h, escalate: [{at: 100%, notify: oncall}]}
notify: [lead, oncall]
http:
  listen: ""
YAML

# make(first, last, created_at): tickets BENCH-first..last, as routed.
MAKE='
local p, a, b, c = "triage:", tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local fr, res = c + 3600000, c + 8 * 3600000
for i = a, b do
  local id = "BENCH-" .. i
  redis.call("HSET", p .. "ticket:" .. id, "ticket_id", id, "customer_id", "C" .. i,
    "channel", "web", "tier", "standard", "urgency", "low", "score", "0",
    "team", "general", "route", "default", "policy", "bench", "status", "open",
    "created_at", c, "routed_at", c, "first_response_due", fr,
    "first_response_target", 3600000, "resolution_due", res,
    "resolution_target", 28800000)
  redis.call("ZADD", p .. "queue:general", fr, id)
  redis.call("ZADD", p .. "sla", c + 2700000, id .. "|first_response|0|0|bench",
    res, id .. "|resolution|0|0|bench")
end
return b - a + 1'
now=$(( $(date +%s%N) / 1000000 ))
t0=$(date +%s)
for ((i = 1; i <= N; i += 10000)); do
	j=$(( i + 9999 > N ? N : i + 9999 ))
	R eval "$MAKE" 0 "$i" "$j" "$now" >/dev/null
done
# The measured ones: breach 10-20 s from now, warning already past.
# Their warnings (75%) are overdue at start and fire at once, and schedule
# the breach.
now=$(( $(date +%s%N) / 1000000 ))
for ((i = N + 1; i <= N + M; i += 100)); do
	j=$(( i + 99 > N + M ? N + M : i + 99 ))
	off=$(( 10000 + (i - N) * 10000 / M ))
	R eval "$MAKE" 0 "$i" "$j" $(( now + off - 3600000 )) >/dev/null
done
echo "setup:    $((N + M)) tickets, $(R zcard triage:sla) scheduled steps in $(( $(date +%s) - t0 )) s;" \
    "redis used_memory $(R info memory | tr -d '\r' | awk -F: '/^used_memory_human/ { print $2 }')"

build/triaged -c "$DIR/clocks.yaml" --consumer bench --log-level warn 2>"$DIR/log" &
disown
DAEMON_PID=$!
sleep 2
rss() { awk -v k="$2" '$1 == k ":" { print $2 " " $3 }' /proc/$1/status; }
cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; }
echo "daemon:   VmRSS $(rss $DAEMON_PID VmRSS) after start with $((N * 2)) open steps"
# Breaches of the measured tickets: step 1 of first_response.
until [ "$(R xlen triage:alerts)" -ge $((2 * M)) ]; do sleep 0.5; done
c0=$(cpu $DAEMON_PID)
sleep 10
c1=$(cpu $DAEMON_PID)
echo "daemon:   VmRSS $(rss $DAEMON_PID VmRSS), VmHWM $(rss $DAEMON_PID VmHWM)" \
    "after $(R xlen triage:alerts) alerts; idle CPU $(( (c1 - c0) * 10 )) ms per 10 s" \
    "($(R zcard triage:sla) steps still open)"
R --raw xrange triage:alerts - + | awk '
	/^[0-9]+-[0-9]+$/ { if (kind == "breach") print fired - due; kind = "" ; next }
	prev == "kind" { kind = $0 } prev == "due" { due = $0 } prev == "fired_at" { fired = $0 }
	{ prev = $0 }
	END { if (kind == "breach") print fired - due }' | sort -n | awk '
	{ v[NR] = $1; s += $1 }
	END { printf "skew:     %d breach alerts fired_at - due: min %d ms, median %d ms, " \
	    "p99 %d ms, max %d ms, mean %.1f ms\n", NR, v[1], v[int(NR / 2) + 1],
	    v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))], v[NR], s / NR }'
