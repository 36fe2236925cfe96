# tools/lib.sh - what the tools share: building the binaries, a private
# redis-server in a temporary directory, and stopping everything on exit.
# Source it from the repository root.
#
#   build_binaries TARGET...   install missing packages, build the targets
#   private_redis NAME         start redis-server; sets DIR, PORT, REDIS_PID
#   R ARGS...                  redis-cli against it
#   DAEMON_PID                 set it to a started triaged: stopped at exit

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

build_binaries() {
	tools/deps.sh
	cmake -S . -B build >/dev/null
	cmake --build build -j"$(nproc)" --target "$@" >/dev/null
}

REDIS_PID= DAEMON_PID= DIR=
tools_cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	[ -n "$DAEMON_PID" ] && wait "$DAEMON_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill -9 "$REDIS_PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "$DIR" ] && rm -rf "$DIR"
	return 0
}
trap tools_cleanup EXIT

private_redis() {
	DIR=$(mktemp -d "/tmp/triaged-$1.XXXXXX")
	PORT=$(free_port)
	redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
	    --appendonly no --dir "$DIR" --logfile "$DIR/redis.log" &
	REDIS_PID=$!
	until R ping >/dev/null 2>&1; do sleep 0.05; done
}

R() { redis-cli -p "$PORT" "$@"; }
