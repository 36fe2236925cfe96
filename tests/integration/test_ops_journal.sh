#!/usr/bin/env bash
# Log priorities for journald: when stderr is the stream JOURNAL_STREAM
# names (as under systemd), each line starts with its syslog priority, so
# `journalctl -p warning` finds the warnings; anywhere else lines are plain.
. "$(dirname "$0")/ops.sh"

redis_start
make_config "$T_DIR/triage.yaml"
touch "$T_DIR/journal.log" "$T_DIR/plain.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T_DIR/journal.log") \
    daemon_start "$T_DIR/triage.yaml" journal
journal_pid=$DAEMON_PID
# Another file's device and inode: stderr is not the journal.
HTTP2=$(free_port)
make_config "$T_DIR/plain.yaml" -e "s/^  listen: .*/  listen: 127.0.0.1:$HTTP2/"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T_DIR/journal.log") \
    "$TRIAGED" -c "$T_DIR/plain.yaml" --consumer plain 2>"$T_DIR/plain.log" &
T_DAEMONS+=("$!")
wait_until 15 grep -q "ready: consumer journal" "$T_DIR/journal.log"
wait_until 15 grep -q "ready: consumer plain" "$T_DIR/plain.log"

redis_stop	# both warn that the connection was lost
wait_until 15 grep -q "connection lost" "$T_DIR/journal.log"
wait_until 15 grep -q "connection lost" "$T_DIR/plain.log"

check_true "information lines carry <6>" \
    grep -q '^<6>triaged: ready: consumer journal' "$T_DIR/journal.log"
check_true "warnings carry <4>" \
    grep -qE '^<4>triaged: warning: redis (reader|writer): .*connection lost' "$T_DIR/journal.log"
check "every line carries a priority" 0 \
    "$(grep -cv '^<[0-9]>triaged: ' "$T_DIR/journal.log")"
check "lines elsewhere are plain" 0 "$(grep -c '^<' "$T_DIR/plain.log")"
check_true "and are still there" grep -q '^triaged: warning: ' "$T_DIR/plain.log"
kill -TERM "$journal_pid"
wait "$journal_pid"
check "clean stop" 0 "$?"
