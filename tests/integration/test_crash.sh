#!/usr/bin/env bash
# kill -9 in the middle of a 20,000-request batch, then a restart: every
# request is routed exactly once, none is lost, none is dead-lettered.
. "$(dirname "$0")/lib.sh"

N=20000
redis_start
make_config "$T_DIR/triage.yaml"
P=triage:

python3 "$SOURCE_DIR/tools/gen_requests.py" --count $N --prefix $P \
    --id-prefix CRASH- | rcli --pipe >/dev/null
check "all requests written" $N "$(xlen ${P}requests)"

# Smaller batches than the default, so that the kill lands between writes
# of a run that would otherwise finish within a second.
make_config "$T_DIR/triage.yaml" -e "s/^  batch: .*/  batch: 64/"
daemon_start "$T_DIR/triage.yaml" node-a
# DBSIZE is O(1): poll it closely and kill once ~2,000 tickets exist.
for _ in $(seq 3000); do
	[ "$(rcli dbsize)" -ge 2000 ] && break
	sleep 0.01
done
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
before=$(count_keys "${P}ticket:CRASH-*")
check_true "killed part way ($before of $N routed)" test "$before" -lt $N
restart_ms=$(( $(date +%s%N) / 1000000 ))

daemon_start "$T_DIR/triage.yaml" node-a
wait_until 60 eval '[ "$(count_keys "${P}ticket:CRASH-*")" -eq $N ]'
check "every request has its ticket" $N "$(count_keys "${P}ticket:CRASH-*")"
queued=0
for t in key_accounts tech_support billing after_sales general; do
	queued=$((queued + $(rcli zcard ${P}queue:$t)))
done
check "every ticket queued" $N "$queued"
wait_until 10 eval '[ "$(rcli xpending ${P}requests routers | head -1)" -eq 0 ]'
check "nothing left pending" 0 "$(rcli xpending ${P}requests routers | head -1)"
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"

# Exactly once: tickets written before the restart plus those the second
# run routed add up to N; a ticket routed twice would count twice.
old=$(rcli --raw eval "local n=0 for _,k in ipairs(redis.call('KEYS', ARGV[1])) do if tonumber(redis.call('HGET', k, 'routed_at')) < tonumber(ARGV[2]) then n=n+1 end end return n" 0 "${P}ticket:CRASH-*" "$restart_ms")
routed=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk '/^triaged_requests_routed_total\{/ { s += $2 } END { print s + 0 }')
check "routed before + routed after = $N (no ticket routed twice)" $N \
    $((old + routed))
