# cluster.sh - a real Redis Cluster on loopback for the cluster tests, on
# top of lib.sh.  Source it instead of lib.sh.
#
#   cluster_start MASTERS REPLICAS_PER_MASTER
#       starts MASTERS * (1 + REPLICAS) redis-server --cluster-enabled yes
#       on free ports ($NODE_PORTS), joins them with redis-cli --cluster
#       create and waits for cluster_state:ok on every node.  Every server
#       is stopped by its PID when the test exits.
#   owner_port SLOT      the port of the master serving SLOT now
#   ncli PORT ARGS...    redis-cli to one node
#   replica_of PORT      the port of a replica of the master at PORT
#   migrate_slot SLOT TO_PORT [KEYS_PER_MIGRATE [PAUSE]]
#       moves SLOT to the master at TO_PORT by hand, as redis-cli --cluster
#       reshard does: IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_PORTS=()
NODE_PIDS=()

ncli() { local p=$1; shift; redis-cli -p "$p" "$@"; }

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

cluster_start() {
	local masters=$1 replicas=$2 n i p addrs=()
	n=$((masters * (1 + replicas)))
	for i in $(seq "$n"); do
		p=$(cluster_port)
		mkdir -p "$T_DIR/node-$p"
		redis-server --port "$p" --bind 127.0.0.1 --save '' \
		    --appendonly no --dir "$T_DIR/node-$p" \
		    --cluster-enabled yes \
		    --cluster-config-file "$T_DIR/node-$p/nodes.conf" \
		    --cluster-node-timeout 3000 \
		    --logfile "$T_DIR/node-$p.log" &
		NODE_PIDS+=($!)
		T_DAEMONS+=($!)
		NODE_PORTS+=("$p")
		addrs+=("127.0.0.1:$p")
	done
	for p in "${NODE_PORTS[@]}"; do
		wait_until 20 ncli "$p" ping || {
			echo "redis-server on $p did not start"; exit 1; }
	done
	redis-cli --cluster create "${addrs[@]}" \
	    --cluster-replicas "$replicas" --cluster-yes \
	    >"$T_DIR/cluster-create.out" 2>&1 || {
		cat "$T_DIR/cluster-create.out"; exit 1; }
	for p in "${NODE_PORTS[@]}"; do
		wait_until 60 eval "ncli $p cluster info | grep -q '^cluster_state:ok'" || {
			echo "node $p: cluster not ok"; exit 1; }
	done
	# Every node must agree on who serves what before a test starts.
	wait_until 60 eval 'cluster_agrees' || {
		echo "nodes disagree on the slot map"; exit 1; }
}

# Whether every node names the same master for slot 0..16383 ranges.
cluster_agrees() {
	local p first='' map
	for p in "${NODE_PORTS[@]}"; do
		map=$(ncli "$p" cluster nodes | awk '$3 ~ /master/ && $3 !~ /fail/ {
		    for (i = 9; i <= NF; i++) print $i, $2 }' | sort | tr '\n' ' ')
		[ -n "$first" ] || first=$map
		[ "$map" = "$first" ] || return 1
	done
}

# The port of the master that serves SLOT, as the first live node says.
owner_port() {
	local slot=$1 p
	for p in "${NODE_PORTS[@]}"; do
		ncli "$p" ping >/dev/null 2>&1 || continue
		ncli "$p" cluster nodes | awk -v s="$slot" '
		    $3 ~ /master/ && $3 !~ /fail/ {
			for (i = 9; i <= NF; i++) {
				if ($i ~ /^\[/) continue
				n = split($i, r, "-")
				lo = r[1]; hi = (n == 2) ? r[2] : r[1]
				if (s + 0 >= lo + 0 && s + 0 <= hi + 0) {
					split($2, a, "[:@]"); print a[2]; exit
				}
			}
		    }'
		return
	done
}

node_id() { ncli "$1" cluster myid; }

# The masters' ports, the one serving SLOT first.
master_ports() {
	local p
	for p in "${NODE_PORTS[@]}"; do
		ncli "$p" role 2>/dev/null | head -1 | grep -q master && echo "$p"
	done
}

replica_of() {
	local p
	for p in "${NODE_PORTS[@]}"; do
		[ "$(ncli "$p" role | sed -n '1p;3p' | tr '\n' ' ')" = "slave $1 " ] &&
		    { echo "$p"; return; }
	done
}

# migrate_begin SLOT TO_PORT [KEY...]: the slot MIGRATING to TO_PORT, and
# only the keys named moved so far.
migrate_begin() {
	local slot=$1 to=$2 from; shift 2
	from=$(owner_port "$slot")
	ncli "$to" cluster setslot "$slot" importing "$(node_id "$from")" >/dev/null
	ncli "$from" cluster setslot "$slot" migrating "$(node_id "$to")" >/dev/null
	[ $# -eq 0 ] || ncli "$from" migrate 127.0.0.1 "$to" "" 0 10000 keys "$@" \
	    >/dev/null
}

migrate_slot() {
	local slot=$1 to=$2 batch=${3:-20} pause=${4:-0} from keys p
	from=$(owner_port "$slot")
	[ "$from" != "$to" ] || return 0
	migrate_begin "$slot" "$to"
	while :; do
		keys=$(ncli "$from" --raw cluster getkeysinslot "$slot" "$batch")
		[ -n "$keys" ] || break
		# shellcheck disable=SC2086
		ncli "$from" migrate 127.0.0.1 "$to" "" 0 10000 keys $keys \
		    >/dev/null
		[ "$pause" = 0 ] || sleep "$pause"
	done
	# The new owner first, then the old one, then the rest (as Redis
	# documents it), so no node ever sends the slot's clients in a circle.
	for p in "$to" "$from" $(master_ports); do
		ncli "$p" cluster setslot "$slot" node "$(node_id "$to")" >/dev/null
	done
}
