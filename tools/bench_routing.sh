#!/usr/bin/env bash
# Routing throughput: N requests (default 100,000) are written to the stream
# first, then triaged is started and timed until every one has its ticket.
# Prints requests/s, the daemon's peak memory, and Redis' memory.
#
#   tools/bench_routing.sh [N] [BATCH]
set -eu
cd "$(dirname "$0")/.."
N=${1:-100000}
BATCH=${2:-256}
. tools/lib.sh
build_binaries triaged
private_redis bench
sed -e "s/^  port: 6379/  port: $PORT/" -e "s/^  listen: .*/  listen: \"\"/" \
    -e "s/^  batch: .*/  batch: $BATCH/" conf/triage.yaml > "$DIR/triage.yaml"

python3 tools/gen_requests.py --count "$N" --id-prefix B- | R --pipe >/dev/null
echo "requests: $(R xlen triage:requests) in the stream, batch $BATCH"

start=$(date +%s%N)
build/triaged -c "$DIR/triage.yaml" --consumer bench --log-level warn 2>"$DIR/log" &
DAEMON_PID=$!
# entries-read of the group counts deliveries; the PEL empties as batches land.
while :; do
	read_n=$(R xinfo groups triage:requests | awk 'f { print; exit } /^entries-read$/ { f = 1 }')
	pend=$(R xpending triage:requests routers | head -1)
	[ "${read_n:-0}" -ge "$N" ] && [ "$pend" -eq 0 ] && break
	sleep 0.02
done
end=$(date +%s%N)
cpu() { awk '{ printf "%.2f s", ($14 + $15) / 100 }' /proc/$1/stat; }
echo "cpu:      triaged $(cpu $DAEMON_PID), redis-server $(cpu $REDIS_PID) (includes loading)"
R info commandstats | grep -E "evalsha|xreadgroup|cmdstat_hset|cmdstat_zadd|cmdstat_exists" | tr -d '\r' | sed 's/^/          /' 
ms=$(( (end - start) / 1000000 ))
tickets=$(R dbsize)
rss=$(awk '/VmHWM/ { print $2 " " $3 }' /proc/$DAEMON_PID/status)
echo "routed:   $N requests in $ms ms = $(( N * 1000 / (ms > 0 ? ms : 1) )) requests/s"
echo "keys:     $tickets (tickets + queues + streams)"
echo "daemon:   peak RSS $rss"
echo "redis:    $(R info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r') used"
