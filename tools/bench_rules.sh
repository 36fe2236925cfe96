#!/usr/bin/env bash
# The rules' own cost, apart from Redis:
#   classify   ns per request with 1,000 routes and 200 score rules
#              (the pure classifier on 4,096 varied requests; target 5 us)
#   load       a 10,000-rule file (5,000 routes, 5,000 score rules) parsed,
#              validated and indexed, as a reload does (target 100 ms)
#   reload     the same file swapped into a running daemon under load:
#              SIGHUP to the "reload:" log line, and every request routed
#
#   tools/bench_rules.sh
set -eu
cd "$(dirname "$0")/.."
. tools/lib.sh
build_binaries triaged bench_rules
private_redis rules
python3 tools/gen_rules.py --routes 1000 --scores 200 > "$DIR/big.yaml"
python3 tools/gen_rules.py --routes 5000 --scores 5000 > "$DIR/huge.yaml"
sed -i "s/^  port: 6379/  port: $PORT/" "$DIR/big.yaml" "$DIR/huge.yaml"

verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "pass" : "FAIL" }'; }

ns=$(build/bench_rules "$DIR/big.yaml" 50 | awk '/^classify_ns/ { print $2 }')
echo "classify, 1,000 routes + 200 score rules: $ns ns/request (target 5000) $(verdict "$ns" 5000)"
ms=$(build/bench_rules "$DIR/huge.yaml" 1 | awk '/^load_ms/ { print $2 }')
echo "load, 10,000 rules:                       $ms ms (target 100) $(verdict "$ms" 100)"

# The reload, timed from outside while requests drain.
N=50000
python3 tools/gen_requests.py --count "$N" --id-prefix R- | R --pipe >/dev/null
build/triaged -c "$DIR/big.yaml" --consumer bench 2>"$DIR/log" &
DAEMON_PID=$!
until grep -qs "ready" "$DIR/log"; do sleep 0.05; done
cp "$DIR/huge.yaml" "$DIR/big.yaml"
t0=$(date +%s%N)
kill -HUP "$DAEMON_PID"
until grep -q "reload: rules" "$DIR/log"; do sleep 0.002; done
t1=$(date +%s%N)
while [ "$(R xpending triage:requests routers | head -1)" != 0 ] ||
    [ "$(R xinfo groups triage:requests | awk 'f { print; exit } /^entries-read$/ { f = 1 }')" -lt "$N" ]; do
	sleep 0.2
done
tickets=$(R eval "return #redis.call('KEYS', 'triage:ticket:R-*')" 0)
dead=$(R xlen triage:dead)
rms=$(( (t1 - t0) / 1000000 ))
echo "reload under load, 10,000 rules:          $rms ms (target 100) $(verdict "$rms" 100)"
echo "  requests $N, tickets $tickets, dead-lettered $dead: $([ "$tickets" -eq "$N" ] && echo "nothing dropped" || echo "DROPPED $((N - tickets))")"
