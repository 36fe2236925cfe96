#!/usr/bin/env bash
# The cost of wallboard screens: SCREENS clients (default 50) each poll
# /api/state once a second for SECONDS (default 30), as the page does,
# against a daemon holding TICKETS open tickets (default 10,000) in the
# sample rules' five queues.  Prints the daemon's CPU with and without the
# screens, Redis calls per second, refreshes per second and the answer
# time a screen sees.
#
#   tools/bench_board.sh [SCREENS] [SECONDS] [TICKETS]
set -eu
cd "$(dirname "$0")/.."
SCREENS=${1:-50}
SECONDS_=${2:-30}
TICKETS=${3:-10000}
. tools/lib.sh
build_binaries triaged
private_redis bench-board
HTTP=$(free_port)
sed -e "s/^  port: 6379/  port: $PORT/" \
    -e "s/^  listen: .*/  listen: 127.0.0.1:$HTTP/" conf/triage.yaml > "$DIR/triage.yaml"

build/triaged -c "$DIR/triage.yaml" --consumer bench --log-level warn 2>"$DIR/log" &
DAEMON_PID=$!
until curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null; do sleep 0.1; done
python3 tools/gen_requests.py --count "$TICKETS" --id-prefix W- | R --pipe >/dev/null
until [ "$(R xpending triage:requests routers | head -1)" = 0 ] &&
    [ "$(R xinfo groups triage:requests | awk 'f { print; exit } /^entries-read$/ { f = 1 }')" -ge "$TICKETS" ]; do
	sleep 0.5
done
echo "tickets:  $TICKETS routed; queues: $(for t in key_accounts tech_support billing after_sales general; do printf '%s=%s ' $t "$(R zcard triage:queue:$t)"; done)"

ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
hz=$(getconf CLK_TCK)
cmds() { R info stats | awk -F: '/^total_commands_processed/ { print $2 + 0 }'; }
evalsha() { R info commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_evalsha/ { print $3 }'; }
refreshes() { curl -s "http://127.0.0.1:$HTTP/metrics" | awk '$1 == "triaged_board_refreshes_total" { print $2 }'; }
refresh_ms() { curl -s "http://127.0.0.1:$HTTP/metrics" | awk '$1 == "triaged_board_refresh_milliseconds_total" { print $2 }'; }

# measure LABEL COMMAND...: the daemon's and Redis' CPU and Redis' command
# rate while COMMAND runs.
measure() {
	local label=$1; shift
	local d0 r0 c0 e0 f0 m0 t0 d1 r1 c1 e1 f1 m1 t1 secs
	d0=$(ticks $DAEMON_PID); r0=$(ticks $REDIS_PID); c0=$(cmds)
	e0=$(evalsha); f0=$(refreshes); m0=$(refresh_ms); t0=$(date +%s%3N)
	"$@"
	d1=$(ticks $DAEMON_PID); r1=$(ticks $REDIS_PID); c1=$(cmds)
	e1=$(evalsha); f1=$(refreshes); m1=$(refresh_ms); t1=$(date +%s%3N)
	awk -v l="$label" -v ms=$((t1 - t0)) -v hz="$hz" \
	    -v d=$((d1 - d0)) -v r=$((r1 - r0)) -v c=$((c1 - c0)) \
	    -v e=$(( ${e1:-0} - ${e0:-0} )) -v f=$((f1 - f0)) -v m=$((m1 - m0)) 'BEGIN {
		s = ms / 1000
		printf "%-9s triaged CPU %.1f%%, redis-server CPU %.1f%%, " \
		    "redis commands %.1f/s (board EVALSHA %.2f/s), " \
		    "refreshes %.2f/s, %.1f ms each\n", l ":", 100 * d / hz / s,
		    100 * r / hz / s, c / s, e / s, f / s, f ? m / f : 0
	}'
}

idle() { sleep "$SECONDS_"; }
screens() {
	python3 - "$HTTP" "$SCREENS" "$SECONDS_" <<'PY'
import sys, threading, time, urllib.request
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
url = "http://127.0.0.1:%d/api/state" % port
lat, errors, lock = [], [0], threading.Lock()
def screen(k):
    end = time.time() + secs
    time.sleep(k / n)            # spread over the second, as real screens are
    while time.time() < end:
        t = time.time()
        try:
            urllib.request.urlopen(url, timeout=5).read()
            with lock: lat.append(time.time() - t)
        except Exception:
            with lock: errors[0] += 1
        time.sleep(max(0, 1 - (time.time() - t)))
ts = [threading.Thread(target=screen, args=(k,)) for k in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
lat.sort()
print("screens:  %d polled %d times in %.0f s, %d errors; answer p50 %.1f ms, p99 %.1f ms"
      % (n, len(lat), secs, errors[0], 1000 * lat[len(lat) // 2],
         1000 * lat[int(len(lat) * 0.99)]), file=sys.stderr)
PY
}

# Idle first: with no screen watching the board reads nothing from Redis.
measure "no screen" idle
measure "$SCREENS screens" screens
echo "state:    $(curl -s "http://127.0.0.1:$HTTP/api/state" | wc -c) bytes of JSON, page $(curl -s "http://127.0.0.1:$HTTP/" | wc -c) bytes"
