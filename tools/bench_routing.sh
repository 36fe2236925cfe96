#!/usr/bin/env bash
# Routing throughput: N requests (default 100,000) are written to the stream
# first, then triaged is started and timed until every one has its ticket.
# Prints requests/s, the daemon's peak memory, and Redis' memory, and what
# counting contacts (customers.contacts in the sample rules) costs Redis per
# request, from its own per-command figures.  CONTACTS=0 runs without
# counting, for comparison.
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
if [ "${CONTACTS:-1}" = 0 ]; then
	sed -i -e '/contacts/d' "$DIR/triage.yaml"
fi

python3 tools/gen_requests.py --count "$N" --id-prefix B- | R --pipe >/dev/null
echo "requests: $(R xlen triage:requests) in the stream, batch $BATCH"

cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' /proc/$1/stat; }
redis_before=$(cpu $REDIS_PID)
build/triaged -c "$DIR/triage.yaml" --consumer bench --log-level warn 2>"$DIR/log" &
DAEMON_PID=$!
# Polled slowly, so the polling does not take CPU from the two processes
# measured; the drain time itself comes from the tickets' routed_at.
while :; do
	read_n=$(R xinfo groups triage:requests | awk 'f { print; exit } /^entries-read$/ { f = 1 }')
	pend=$(R xpending triage:requests routers | head -1)
	[ "${read_n:-0}" -ge "$N" ] && [ "$pend" -eq 0 ] && break
	sleep 0.5
done
echo "cpu:      triaged $(cpu $DAEMON_PID) s, redis-server $(awk -v a="$(cpu $REDIS_PID)" -v b="$redis_before" 'BEGIN { printf "%.2f", a - b }') s while routing"
R info commandstats | grep -E "evalsha|xreadgroup|cmdstat_hset|cmdstat_zadd|cmdstat_exists|cmdstat_zcount|cmdstat_zremrangebyscore|cmdstat_pexpire" | tr -d '\r' | sed 's/^/          /'
# Contact counting: the ZCOUNTs read with the CRM lookup, and in the script
# ZREMRANGEBYSCORE and PEXPIRE per ticket, exactly; and one single-member
# ZADD per ticket among the queues' ZADDs: the zadd usec less that of a
# CONTACTS=0 run (printed as "zadd total") is its share.
R info commandstats | tr -d '\r' | awk -F'[:,=]' -v n="$N" '
	/^cmdstat_(zcount|zremrangebyscore|pexpire):/ { us += $5 }
	/^cmdstat_zadd:/ { zadd = $5 }
	END {
		printf "contacts: %.2f us of Redis time per request in ZCOUNT, ZREMRANGEBYSCORE, PEXPIRE; zadd total %d us\n", us / n, zadd
	}'
# From the first ticket written to the last.
span=$(R eval "local lo, hi = math.huge, 0
for _, k in ipairs(redis.call('KEYS', 'triage:ticket:*')) do
  local t = tonumber(redis.call('HGET', k, 'routed_at'))
  if t < lo then lo = t end
  if t > hi then hi = t end
end
return {tostring(lo), tostring(hi)}" 0 | paste -sd' ')
ms=$(( ${span#* } - ${span% *} ))
tickets=$(R dbsize)
rss=$(awk '/VmHWM/ { print $2 " " $3 }' /proc/$DAEMON_PID/status)
echo "routed:   $N requests in $ms ms = $(( N * 1000 / (ms > 0 ? ms : 1) )) requests/s"
echo "keys:     $tickets (tickets + queues + streams)"
echo "daemon:   peak RSS $rss"
echo "redis:    $(R info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r') used"
