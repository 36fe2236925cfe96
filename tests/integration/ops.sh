# ops.sh - helpers shared by the operations tests (test_ops_*.sh), on top
# of lib.sh.  Source it instead of lib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=triage:
TEAMS="key_accounts tech_support billing after_sales general"

# is_eq N COMMAND... / is_ge N COMMAND...: COMMAND's output compared with N,
# run anew on each call (for wait_until).
is_eq() { local n=$1; shift; [ "$("$@")" = "$n" ]; }
is_ge() { local n=$1; shift; local v; v=$("$@"); [ -n "$v" ] && [ "$v" -ge "$n" ]; }

pending() { rcli xpending ${P}requests routers | head -1; }
# Tickets in all team queues together.
queued() {
	local n=0 t
	for t in $TEAMS; do n=$((n + $(rcli zcard ${P}queue:$t))); done
	echo $n
}
metrics() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics"; }
# metric SERIES: the value of one series, as written (labels included).
metric() { metrics | awk -v m="$1" '$1 == m { print $2 }'; }
# metric_sum NAME: the sum over every series of NAME.
metric_sum() {
	metrics | awk -v m="$1" 'index($1, m "{") == 1 || $1 == m { s += $2 }
	    END { print s + 0 }'
}
health_code() {
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz"
}
health_body() { curl -s "http://127.0.0.1:$HTTP_PORT/healthz"; }
healthy() { [ "$(health_code)" = 200 ]; }
unhealthy() { [ "$(health_code)" = 503 ]; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
gen() { python3 "$SOURCE_DIR/tools/gen_requests.py" --prefix $P "$@"; }
