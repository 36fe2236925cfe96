#!/usr/bin/env bash
# Drain rate on Redis Cluster, one shard against two, in the same run: a
# three-master cluster on loopback (the least redis-cli --cluster create
# makes; the third stays idle); first one shard (triage:{s1}:) on one node
# with one triaged, then two shards (triage:{s1}: and triage:{s2}:, whose
# slots are on the two nodes) with a triaged each, started together.  N
# requests per shard are written before the daemons start; each rate is
# from the first ticket written to the last (the tickets' routed_at).
#
#   tools/bench_cluster.sh [N] [BATCH]
set -eu
cd "$(dirname "$0")/.."
N=${1:-100000}
BATCH=${2:-256}
. tools/lib.sh
build_binaries triaged

# A free port whose cluster bus port (10000 higher) is free too.
cluster_port() {
	python3 -c '
import random, socket
while True:
    p = random.randrange(20000, 45000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
    except OSError:
        continue
    print(p); break'
}

DIR=$(mktemp -d /tmp/triaged-bench-cluster.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$DIR"
	return 0
}
trap cleanup EXIT
PORTS=()
for i in 1 2 3; do
	p=$(cluster_port)
	mkdir -p "$DIR/$p"
	redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
	    --dir "$DIR/$p" --cluster-enabled yes \
	    --cluster-config-file "$DIR/$p/nodes.conf" \
	    --logfile "$DIR/$p.log" &
	PIDS+=($!)
	PORTS+=("$p")
done
for p in "${PORTS[@]}"; do
	until redis-cli -p "$p" ping >/dev/null 2>&1; do sleep 0.05; done
done
redis-cli --cluster create "127.0.0.1:${PORTS[0]}" "127.0.0.1:${PORTS[1]}" \
    "127.0.0.1:${PORTS[2]}" --cluster-yes >/dev/null
for p in "${PORTS[@]}"; do
	until redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok'; do
		sleep 0.1
	done
done

# The port of the master serving PREFIX's slot.
owner() {
	local s
	s=$(redis-cli -p "${PORTS[0]}" cluster keyslot "$1")
	redis-cli -p "${PORTS[0]}" cluster nodes | awk -v s="$s" '
	    $3 ~ /master/ { for (i = 9; i <= NF; i++) { n = split($i, r, "-")
		if (s + 0 >= r[1] + 0 && s + 0 <= r[n] + 0) {
			split($2, a, "[:@]"); print a[2]; exit } } }'
}
config() {
	sed -e "s/^  port: 6379/  port: ${PORTS[0]}/" \
	    -e "s/^  prefix: .*/  prefix: \"$1\"\n  cluster: true/" \
	    -e "s/^  listen: .*/  listen: \"\"/" \
	    -e "s/^  batch: .*/  batch: $BATCH/" \
	    -e '/^  key: "crm:/d' \
	    conf/triage.yaml > "$DIR/$2.yaml"
}
write() {
	python3 tools/gen_requests.py --count "$N" --prefix "$1" --id-prefix B- |
	    redis-cli -p "$(owner "$1")" --pipe >/dev/null
}
drained() {
	local p o
	p=$1 o=$(owner "$1")
	[ "$(redis-cli -p "$o" xinfo groups "${p}requests" 2>/dev/null |
	    awk 'f { print; exit } /^entries-read$/ { f = 1 }')" -ge "$N" ] \
	    2>/dev/null &&
	    [ "$(redis-cli -p "$o" xpending "${p}requests" routers | head -1)" = 0 ]
}
# First and last routed_at of PREFIX's tickets, in ms.
span() {
	redis-cli -p "$(owner "$1")" eval "local lo, hi = math.huge, 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  local t = tonumber(redis.call('HGET', k, 'routed_at'))
  if t < lo then lo = t end
  if t > hi then hi = t end
end
return {tostring(lo), tostring(hi)}" 0 "$1ticket:*" | paste -sd' '
}
run() {	# run PREFIX...: one daemon per prefix, started together
	local p pids=()
	for p in "$@"; do
		config "$p" "${p//[^a-z0-9]/}"
		build/triaged -c "$DIR/${p//[^a-z0-9]/}.yaml" --consumer bench \
		    --log-level warn 2>>"$DIR/daemons.log" &
		pids+=($!)
		PIDS+=($!)
	done
	for p in "$@"; do
		until drained "$p"; do
			for d in "${pids[@]}"; do
				kill -0 "$d" 2>/dev/null && continue
				echo "triaged exited:"; cat "$DIR/daemons.log"
				exit 1
			done
			sleep 0.5
		done
	done
	for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
}
rate() { echo $(( $1 * 1000 / ($2 > 0 ? $2 : 1) )); }

S1='triage:{s1}:' S2='triage:{s2}:'
echo "cluster:  3 masters on 127.0.0.1:${PORTS[0]}, :${PORTS[1]}, :${PORTS[2]}; $S1 on :$(owner "$S1"), $S2 on :$(owner "$S2")"
echo "requests: $N per shard, batch $BATCH"

used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '/^used_memory:/ { print $2 }'; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# in ticks
pid_of() { for i in 0 1 2; do [ "${PORTS[$i]}" = "$1" ] && echo "${PIDS[$i]}"; done; }
O1=$(owner "$S1")
mem0=$(used "$O1")
write "$S1"
cpu0=$(cpu "$(pid_of "$O1")")
run "$S1"
cpu1=$(cpu "$(pid_of "$O1")")
set -- $(span "$S1")
one=$(( $2 - $1 ))
echo "one shard, one node:    $N requests in $one ms = $(rate "$N" "$one") requests/s"
echo "          redis-server: $(awk -v t=$((cpu1 - cpu0)) -v h="$(getconf CLK_TCK)" -v n="$N" 'BEGIN { printf "%.1f", t / h * 1e6 / n }') us of CPU and $(( ($(used "$O1") - mem0) / N )) bytes per request (ticket, queue entry, stream entry)"

for p in "${PORTS[@]}"; do redis-cli -p "$p" flushall >/dev/null; done
write "$S1"
write "$S2"
run "$S1" "$S2"
set -- $(span "$S1") $(span "$S2")
lo=$(( $1 < $3 ? $1 : $3 )) hi=$(( $2 > $4 ? $2 : $4 ))
two=$(( hi - lo ))
echo "two shards, two nodes:  $((2 * N)) requests in $two ms = $(rate $((2 * N)) "$two") requests/s" \
    "($S1 $(rate "$N" $(( $2 - $1 ))), $S2 $(rate "$N" $(( $4 - $3 ))) requests/s each)"
echo "cores:    $(nproc) (two redis-server and two triaged share them in the second run)"
