#!/usr/bin/env bash
# A manual failover on a real Redis Cluster of three masters, each with a
# replica: while a shard's daemon drains 20,000 requests, the replica of
# the master that serves the shard takes over (CLUSTER FAILOVER on the
# replica).  The daemon follows the slot to its new master, and nothing it
# acknowledged is lost: every request has exactly one ticket and queue
# entry, nothing is left pending or dead-lettered.
. "$(dirname "$0")/cluster.sh"

N=2000		# before the failover
M=20000		# drained across it

cluster_start 3 1
P='triage:{s1}:'
S=$(ncli "${NODE_PORTS[0]}" cluster keyslot "$P")
OLD=$(owner_port "$S")
NEW=$(replica_of "$OLD")
check_true "the shard's master ($OLD) has a replica ($NEW)" test -n "$NEW"

cat > "$T_DIR/s1.yaml" <<YAML
redis:
  prefix: "$P"
  nodes: [$(printf '127.0.0.1:%s, ' "${NODE_PORTS[@]}" | sed 's/, $//')]
intake:
  claim_idle: 2s
  batch: 4
tiers:
  levels:
    - name: standard
urgency:
  levels: [critical, high, low]
teams: [general]
default_team: general
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML

c1() { ncli "$(owner_port "$S")" "$@"; }
tickets() { c1 eval "return #redis.call('KEYS', ARGV[1])" 0 "${P}ticket:*"; }
pending() { c1 xpending "${P}requests" routers | head -1; }
routed() {
	curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
	    awk -v m="$1" 'index($1, m "{") == 1 || $1 == m { s += $2 } END { print s + 0 }'
}

python3 "$SOURCE_DIR/tools/gen_requests.py" --count $N --prefix "$P" \
    --id-prefix A- | c1 --pipe >/dev/null
daemon_start "$T_DIR/s1.yaml" s1-a
PID1=$DAEMON_PID
wait_until 120 eval '[ "$(c1 zcard "${P}queue:general")" -ge $N ]'
check "routed before the failover" $N "$(tickets)"

# Held while the backlog is written, so that the failover lands mid-drain.
kill -STOP "$PID1"
python3 "$SOURCE_DIR/tools/gen_requests.py" --count $M --prefix "$P" \
    --id-prefix B- | c1 --pipe >/dev/null
TOTAL=$((N + M))
# The replica must have every entry before it can take over cleanly.
wait_until 60 eval '[ "$(ncli "$NEW" info replication | tr -d "\r" | awk -F: "/^slave_repl_offset/ { print \$2 }")" = "$(ncli "$OLD" info replication | tr -d "\r" | awk -F: "/^master_repl_offset/ { print \$2 }")" ]'
kill -CONT "$PID1"
wait_until 60 eval '[ "$(tickets)" -ge $((N + 200)) ]'
at_start=$(tickets)
check "CLUSTER FAILOVER accepted by the replica" OK "$(ncli "$NEW" cluster failover)"
wait_until 60 eval '[ "$(ncli "$NEW" role | head -1)" = master ]'
check "the replica is the master now" master "$(ncli "$NEW" role | head -1)"
wait_until 60 eval '[ "$(owner_port "$S")" = "$NEW" ]'
check "the slot is served by the new master" "$NEW" "$(owner_port "$S")"
check_true "the failover came mid-drain ($at_start of $TOTAL routed)" \
    test "$at_start" -lt "$TOTAL"

wait_until 240 eval '[ "$(c1 zcard "${P}queue:general")" -ge $TOTAL ] && [ "$(pending)" = 0 ]'
check "every request has exactly one ticket" $TOTAL "$(tickets)"
check "every ticket queued once" $TOTAL "$(c1 zcard "${P}queue:general")"
check "routed once each (none twice)" $TOTAL "$(routed triaged_requests_routed_total)"
check "every request still in the stream" $TOTAL "$(c1 xlen "${P}requests")"
check "nothing left pending" 0 "$(pending)"
check "nothing dead-lettered" 0 "$(c1 xlen "${P}dead")"
check_true "the daemon followed the slot to the new master" \
    grep -qE "slot $S (moved to|is served by) 127.0.0.1:$NEW" "$T_DIR/s1-a.log"
check "the old master holds a replica's copy" slave "$(ncli "$OLD" role | head -1)"
kill -0 "$PID1"
check "the daemon still running" 0 $?
