#!/usr/bin/env bash
# The HTTP port against hostile clients: idle and drip-fed connections are
# closed by the daemon while /healthz keeps answering; megabytes of headers
# are refused without the memory growing; a flood of connections past the
# cap, or past the file limit, neither spins the loop nor keeps /healthz
# down once it ends.  Also http.listen ":PORT" (every address), and a bad
# port refused by --check.
. "$(dirname "$0")/ops.sh"

# Request deadline and connection cap of src/http.c.
TIMEOUT=10
CAP=256

cat >"$T_DIR/hostile.py" <<'PY'
"""Hostile HTTP clients.  Each prints one line of result.

idle PORT            connect, send nothing: seconds until the server closes
drip PORT            a header byte a second: seconds until the server closes
huge PORT MB         MB megabytes of headers: the status line, or "closed"
body PORT KB         a body of KB kilobytes: the status line, or "closed"
flood PORT N FILE    hold N connections open until FILE exists: "opened N"
"""
import os, select, socket, sys, time

GIVE_UP = 60

def closed_within(s, started, drip):
    s.settimeout(0)
    while time.time() - started < GIVE_UP:
        if drip:
            try:
                s.send(b"a")
            except OSError:
                return time.time() - started
        r, _, _ = select.select([s], [], [], 1)
        if r:
            try:
                if s.recv(4096) == b"":
                    return time.time() - started
            except OSError:
                return time.time() - started
    return None

def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode in ("idle", "drip"):
        s = socket.create_connection(("127.0.0.1", port))
        started = time.time()
        if mode == "drip":
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
        t = closed_within(s, started, mode == "drip")
        print("open" if t is None else "%.1f" % t)
    elif mode == "huge":
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(20)
        line = b"X-Huge: " + b"h" * 1014 + b"\r\n"
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            for _ in range(int(sys.argv[3]) * 1024):
                s.sendall(line)
            s.sendall(b"\r\n")
        except OSError:
            pass
        try:
            status = s.recv(4096).split(b"\r\n")[0].decode()
        except OSError:
            status = ""
        print(status or "closed")
    elif mode == "body":
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(20)
        n = int(sys.argv[3]) * 1024
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: %d\r\n\r\n" % n + b"b" * n)
            status = s.recv(4096).split(b"\r\n")[0].decode()
        except OSError:
            status = ""
        print(status or "closed")
    elif mode == "flood":
        n, release = int(sys.argv[3]), sys.argv[4]
        socks = []
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        print("opened %d" % len(socks), flush=True)
        while not os.path.exists(release):
            time.sleep(0.1)
        for s in socks:
            s.close()

main()
PY
hostile() { python3 "$T_DIR/hostile.py" "$@"; }
# hostile_bg NAME ARGS...: in the background, result in $T_DIR/NAME.out.
hostile_bg() {
	local name=$1; shift
	hostile "$@" >"$T_DIR/$name.out" 2>&1 &
	T_DAEMONS+=("$!")
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# utime + stime, in clock ticks (the fields after the command's ')').
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TICKS=$(getconf CLK_TCK)
# The percentage of one CPU that PID uses over SECONDS.
cpu_pct_over() {
	local pid=$1 secs=$2 a b
	a=$(cpu_ticks "$pid"); sleep "$secs"; b=$(cpu_ticks "$pid")
	echo $(( (b - a) * 100 / TICKS / secs ))
}
sockets_of() { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
health_secs() {
	curl -s -o /dev/null -m 10 -w '%{time_total}' \
	    "http://127.0.0.1:$HTTP_PORT/healthz"
}
# le A B: A <= B; between LO X HI: LO <= X <= HI (decimals).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
between() { le "$1" "$2" && le "$2" "$3"; }
healthy_on() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
	    "http://127.0.0.1:$1/healthz")" = 200 ]
}

UNIT=$SOURCE_DIR/systemd/triaged.service
nofile=$(sed -n 's/^LimitNOFILE=//p' "$UNIT")
check_true "the unit allows the cap and some ($nofile open files)" \
    test "${nofile:-0}" -ge $((CAP + 64))
check_true "the unit caps memory" grep -q '^MemoryMax=[0-9]' "$UNIT"

redis_start
make_config "$T_DIR/triage.yaml"
# The usual file limit, above the cap, whatever the shell running the tests.
(ulimit -n 1024 2>/dev/null; exec "$TRIAGED" -c "$T_DIR/triage.yaml" \
    --consumer a >>"$T_DIR/triaged.log" 2>&1) &
DAEMON_PID=$!
T_DAEMONS+=("$DAEMON_PID")
wait_until 20 healthy
check "the daemon is up" 200 "$(health_code)"

# --- Idle and drip-fed connections.
hostile_bg idle idle "$HTTP_PORT"
hostile_bg drip drip "$HTTP_PORT"
sleep 1
slowest=0
for _ in 1 2 3 4 5; do
	t=$(health_secs)
	le "$t" "$slowest" || slowest=$t
	sleep 1
done
check_true "/healthz answers within a second meanwhile (slowest ${slowest}s)" \
    le "$slowest" 1
wait_until 60 test -s "$T_DIR/idle.out"
wait_until 60 test -s "$T_DIR/drip.out"
idle=$(cat "$T_DIR/idle.out")
drip=$(cat "$T_DIR/drip.out")
# Not before the timeout, and not long after (the sweep runs each second).
check_true "an idle connection is closed after ${TIMEOUT}s (took ${idle}s)" \
    between $((TIMEOUT - 1)) "$idle" $((TIMEOUT + 8))
check_true "a drip-fed one too (took ${drip}s)" \
    between $((TIMEOUT - 1)) "$drip" $((TIMEOUT + 8))

# --- Megabytes of headers, from four clients at once.
rss0=$(rss_kb "$DAEMON_PID")
for i in 1 2 3 4; do hostile_bg "huge$i" huge "$HTTP_PORT" 64; done
for i in 1 2 3 4; do wait_until 60 test -s "$T_DIR/huge$i.out"; done
refused=0
for i in 1 2 3 4; do
	case $(cat "$T_DIR/huge$i.out") in
	"HTTP/1.1 4"*|closed) refused=$((refused + 1));;
	esac
done
check "each 64 MB of headers is refused (4xx or closed)" 4 "$refused"
rss1=$(rss_kb "$DAEMON_PID")
check_true "the daemon's memory stays small (${rss0} kB -> ${rss1} kB)" \
    test $((rss1 - rss0)) -lt $((30 * 1024))
check "healthy after them" 200 "$(health_code)"
check "a 64 KiB body is taken" "HTTP/1.1 200 OK" "$(hostile body "$HTTP_PORT" 64)"
check "a larger one is refused" "HTTP/1.1 413 Request Entity Too Large" \
    "$(hostile body "$HTTP_PORT" 65)"

# --- A flood past the connection cap.
hostile_bg flood flood "$HTTP_PORT" $((CAP + 150)) "$T_DIR/release"
wait_until 20 grep -q opened "$T_DIR/flood.out"
wait_until 20 grep -q "connections open, the most allowed" "$T_DIR/triaged.log"
check_true "the daemon says it stopped accepting at $CAP connections" \
    grep -q "http: $CAP connections open, the most allowed" \
    "$T_DIR/triaged.log"
n=$(sockets_of "$DAEMON_PID")
# Its own sockets besides: the listener and two Redis connections.
check_true "it holds no more than $CAP clients' sockets (holds $n in all)" \
    test "$n" -le $((CAP + 8))
cpu=$(cpu_pct_over "$DAEMON_PID" 3)
check_true "it does not spin meanwhile (${cpu}% CPU)" test "$cpu" -lt 30
touch "$T_DIR/release"
started=$(now_ms)
wait_until 30 healthy
check "healthy once the flood is gone" 200 "$(health_code)"
took=$(( $(now_ms) - started ))
check_true "within a few seconds (${took} ms)" test "$took" -lt 10000
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "a clean stop after all that" 0 "$?"

# --- ":PORT": every address; the file limit far below the cap.
PORT2=$(free_port)
make_config "$T_DIR/any.yaml" -e "s/^  listen: .*/  listen: \":$PORT2\"/"
"$TRIAGED" -c "$T_DIR/any.yaml" --check >/dev/null
check "--check accepts \":PORT\"" 0 "$?"
check "and shows it" "http: :$PORT2" \
    "$("$TRIAGED" -c "$T_DIR/any.yaml" --check | grep '^http:')"
(ulimit -n 64 && exec "$TRIAGED" -c "$T_DIR/any.yaml" --consumer b \
    >>"$T_DIR/any.log" 2>&1) &
ANY_PID=$!
T_DAEMONS+=("$ANY_PID")
wait_until 20 healthy_on "$PORT2"
check "the daemon serves 127.0.0.1:$PORT2" 200 "$(curl -s -o /dev/null \
    -m 5 -w '%{http_code}' "http://127.0.0.1:$PORT2/healthz")"
if python3 -c 'import socket; socket.create_connection(("::1", '"$PORT2"'))' \
    2>/dev/null; then
	check "and [::1]:$PORT2" 200 "$(curl -s -o /dev/null -m 5 \
	    -w '%{http_code}' -g "http://[::1]:$PORT2/healthz")"
fi
check_true "it warns that 64 open files are too few" \
    grep -q "the limit of 64 open files is below" "$T_DIR/any.log"
rm -f "$T_DIR/release"
hostile_bg flood2 flood "$PORT2" 200 "$T_DIR/release"
wait_until 20 grep -q opened "$T_DIR/flood2.out"
wait_until 20 grep -q "cannot accept a connection" "$T_DIR/any.log"
check_true "out of file descriptors, it says so" \
    grep -q "http: cannot accept a connection.*: Too many open files" \
    "$T_DIR/any.log"
check "once" 1 "$(grep -c "cannot accept a connection" "$T_DIR/any.log")"
cpu=$(cpu_pct_over "$ANY_PID" 3)
check_true "and does not spin (${cpu}% CPU)" test "$cpu" -lt 30
touch "$T_DIR/release"
started=$(now_ms)
wait_until 30 healthy_on "$PORT2"
check "healthy once the flood is gone" 200 "$(curl -s -o /dev/null -m 5 \
    -w '%{http_code}' "http://127.0.0.1:$PORT2/healthz")"
took=$(( $(now_ms) - started ))
check_true "within a few seconds (${took} ms)" test "$took" -lt 10000

# --- A bad port: refused with FILE:LINE:COL, by --check and the daemon.
make_config "$T_DIR/bad.yaml" -e 's/^  listen: .*/  listen: "127.0.0.1:99999"/'
line=$(grep -n '^  listen:' "$T_DIR/bad.yaml" | cut -d: -f1)
"$TRIAGED" -c "$T_DIR/bad.yaml" --check >/dev/null 2>"$T_DIR/bad.err"
check "--check refuses 127.0.0.1:99999" 1 "$?"
want="$T_DIR/bad.yaml:$line:11: error: bad address '127.0.0.1:99999' for"
want="$want http.listen: the port is not a number from 1 to 65535"
check_true "at FILE:LINE:COL, with the reason" grep -qF "$want" "$T_DIR/bad.err"
"$TRIAGED" -c "$T_DIR/bad.yaml" >/dev/null 2>&1
check "the daemon refuses it too" 1 "$?"
