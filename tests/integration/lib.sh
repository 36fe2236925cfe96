# lib.sh - shared by the integration tests: a private redis-server, the real
# triaged binary, and assertions.  Source it; it cleans up on exit.
#
# Environment (set by ctest): TRIAGED, TRIAGECTL, SOURCE_DIR.  KEEP_T_DIR=1
# keeps the test's directory (logs, configs) after it ends, for a look.

set -u

: "${SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TRIAGED:=$SOURCE_DIR/build/triaged}"
: "${TRIAGECTL:=$SOURCE_DIR/build/triagectl}"

T_DIR=$(mktemp -d /tmp/triaged-test.XXXXXX)
T_FAILS=0
T_PASSES=0
T_DAEMONS=()
REDIS_PID=

# A free TCP port on loopback, picked by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

REDIS_PORT=$(free_port)
HTTP_PORT=$(free_port)

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

redis_start() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	    --appendonly no --dir "$T_DIR" --logfile "$T_DIR/redis.log" \
	    "$@" &
	REDIS_PID=$!
	for _ in $(seq 100); do
		rcli ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "redis-server did not start"; cat "$T_DIR/redis.log"; exit 1
}

redis_stop() {
	[ -n "$REDIS_PID" ] || return 0
	kill -9 "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

# The sample rules, pointed at the private Redis and HTTP port.
# make_config OUT [sed expressions...]
make_config() {
	local out=$1; shift
	sed -e "s/^  port: 6379/  port: $REDIS_PORT/" \
	    -e "s/^  listen: .*/  listen: 127.0.0.1:$HTTP_PORT/" \
	    -e "s/^  claim_idle: .*/  claim_idle: 2s/" \
	    "$@" "$SOURCE_DIR/conf/triage.yaml" > "$out"
}

# daemon_start CONFIG [NAME [extra args]]: starts triaged in the
# background; its pid is in $DAEMON_PID, its log in $T_DIR/NAME.log.
daemon_start() {
	local cfg=$1 name=${2:-triaged}; shift; shift || true
	"$TRIAGED" -c "$cfg" --consumer "$name" "$@" \
	    >>"$T_DIR/$name.log" 2>&1 &
	DAEMON_PID=$!
	T_DAEMONS+=("$DAEMON_PID")
}

daemon_log() { cat "$T_DIR/${1:-triaged}.log"; }

# wait_until SECONDS COMMAND...: polls until the command succeeds.  The
# command is run anew each time: to poll a value, quote it for eval, e.g.
#   wait_until 10 eval '[ "$(xlen triage:dead)" -ge 3 ]'
wait_until() {
	local limit=$1; shift
	local end=$(( $(date +%s) + limit ))
	while [ "$(date +%s)" -le "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

ok() { T_PASSES=$((T_PASSES + 1)); echo "ok - $*"; }
not_ok() { T_FAILS=$((T_FAILS + 1)); echo "not ok - $*"; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		not_ok "$1: expected '$2', got '$3'"; fi
}

# check_true DESCRIPTION COMMAND...
check_true() {
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

finish() {
	local rc=$?
	for p in "${T_DAEMONS[@]}"; do kill -9 "$p" 2>/dev/null; done
	redis_stop
	wait 2>/dev/null
	if [ "$T_FAILS" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for f in "$T_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f (last 30 lines)"; tail -n 30 "$f"
		done
	fi
	[ -n "${KEEP_T_DIR:-}" ] || rm -rf "$T_DIR"
	echo "$T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ] && [ "$rc" -eq 0 ]
}
trap 'finish; exit $?' EXIT

# Succeeds when the key exists (redis-cli itself exits 0 either way).
key_exists() { [ "$(rcli exists "$1")" = 1 ]; }

# Count of a stream, set, ...
xlen() { rcli xlen "$1"; }
# One round trip (KEYS is fine on a test server; --scan takes thousands).
count_keys() { rcli eval "return #redis.call('KEYS', ARGV[1])" 0 "$1"; }
