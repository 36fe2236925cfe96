#!/usr/bin/env bash
# Who is paged, delivered, at fixed instants: the daemon runs under
# faketime (Debian's libfaketime) set to the morning summer time starts in
# Berlin, around a daily 09:00 Europe/Berlin handoff: 09:00 CEST that day
# is 07:00 UTC, not 08:00.  A ticket's warning fires before the handoff and
# pages the old turn, its breach after it and pages the new one; a second
# run, a minute later, pages the person of an override.  Every alert is
# posted to a webhook the test runs, and the test reads who it named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deliver.sh"

LIBFAKETIME=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
[ -n "$LIBFAKETIME" ] || { not_ok "libfaketime is installed (tools/deps.sh)"; exit 1; }
redis_start
webhook_start hook

CFG=$T_DIR/clock.yaml
cat > "$CFG" <<YAML
redis:
  port: $REDIS_PORT
tiers:
  levels:
    - name: standard
urgency:
  levels: [high, low]
teams: [general]
default_team: general
sla:
  - name: fast
    calendar: always
    first_response:
      within: 20s
      escalate:
        - {at: 50%, notify: desk}
        - {at: 100%, notify: desk}
notify:
  - {name: desk, oncall: berlin, deliver: [hook]}
oncall:
  people: {ann: {name: Ann}, bo: {name: Bo}, cy: {name: Cy}}
  schedules:
    berlin:
      timezone: Europe/Berlin
      rotation: daily
      handoff: "09:00"
      start: 2026-03-27
      people: [ann, bo]
      overrides: [{person: cy, from: "2026-03-29 09:01", to: "2026-03-29 09:02"}]
receivers:
  hook: {webhook: {url: "http://127.0.0.1:$hook_PORT/hook", format: json}}
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML

# at UTC-TIME NAME: triaged under a clock that starts at UTC-TIME and runs
# on from there (libfaketime preloaded, so that the PID is the daemon's).
# Its timers keep the real monotonic clock.  AddressSanitizer is told that
# libfaketime comes first among the libraries.
at() {
	TZ=UTC FAKETIME="@$1" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    LD_PRELOAD="$LIBFAKETIME" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$TRIAGED" -c "$CFG" --consumer "$2" >>"$T_DIR/$2.log" 2>&1 &
	DAEMON_PID=$!
	T_DAEMONS+=("$DAEMON_PID")
	wait_until 20 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
	    not_ok "$2 became healthy"
}
ms() { date -u -d "$1" +%s%3N; }
# late TICKET STEP: fired_at - due of that alert, as the webhook got it.
late() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(line)["body"]
    if isinstance(b, dict) and b.get("ticket") == sys.argv[2] and str(b.get("step")) == sys.argv[3] and b.get("status") == "firing":
        print(int(b["fired_at"]) - int(b["due"]))' "$T_DIR/hook.jsonl" "$1" "$2"
}
# paged TICKET: "STEP:ONCALL" of each alert of TICKET the webhook got.
paged() {
	python3 -c '
import json, sys
out = []
for line in open(sys.argv[1]):
    b = json.loads(line)["body"]
    if isinstance(b, dict) and b.get("ticket") == sys.argv[2] and b.get("status") == "firing":
        out.append("%s:%s" % (b.get("step"), b.get("oncall", "")))
print(" ".join(sorted(out)))' "$T_DIR/hook.jsonl" "$1"
}

# Ten seconds to the handoff; the warning at 06:59:55, the breach at 07:00:05.
at "2026-03-29 06:59:45" before
rcli xadd ${P}requests '*' id DST-1 customer_id C channel web \
    received_at "$(ms '2026-03-29 06:59:45')" >/dev/null
wait_until 60 eval '[ "$(paged DST-1 | wc -w)" -ge 2 ]'
check "the warning paged bo, the breach after the 09:00 CEST handoff ann" \
    "0:bo 1:ann" "$(paged DST-1)"
check "the ticket's deadline is the faked clock's" \
    "$(ms '2026-03-29 07:00:05')" "$(rcli hget ${P}ticket:DST-1 first_response_due)"
l=$(late DST-1 1)
check_true "the breach fired at its due time by that clock (${l} ms late)" \
    test "${l:--1}" -ge 0 -a "${l:--1}" -lt 3000
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"

# The override, 09:01-09:02 local: both steps page cy, not ann's turn.
at "2026-03-29 07:00:55" override
rcli xadd ${P}requests '*' id OVR-1 customer_id C channel web \
    received_at "$(ms '2026-03-29 07:00:55')" >/dev/null
wait_until 60 eval '[ "$(paged OVR-1 | wc -w)" -ge 2 ]'
check "inside the override both steps paged cy" "0:cy 1:cy" "$(paged OVR-1)"
check "nothing paged twice" 4 "$(wc -l <"$T_DIR/hook.jsonl")"
