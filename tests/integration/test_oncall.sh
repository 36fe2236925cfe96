#!/usr/bin/env bash
# On-call schedules end to end: --check's errors and warnings with their
# positions; `triagectl oncall --at` at fixed times across a handoff, an
# override and a daylight-saving change; and alerts fired by the daemon
# carrying oncall, oncall_name and subject (a 300-byte Chinese subject cut
# to 200 bytes at a character boundary).
. "$(dirname "$0")/lib.sh"

BASE="tiers: {levels: [{name: standard}]}
urgency: {levels: [high, low]}
teams: [general]
default_team: general"

# --- --check: errors with positions --------------------------------------
BAD=$T_DIR/bad.yaml
cat > "$BAD" <<YAML
$BASE
notify:
  - {name: primary, oncall: nightly, deliver: [pager, fax]}
  - {name: boss, people: [ghost]}
oncall:
  people: {ann: {name: Ann}}
  schedules:
    day:
      timezone: Europe/Berlin
      rotation: daily
      handoff: "25:00"
      start: 2026-01-05
      people: [ann, bob]
      overrides:
        - {person: ann, from: "2026-02-02 09:00", to: "2026-02-01 09:00"}
receivers:
  pager: {alertmanager: {url: "127.0.0.1:9093"}}
YAML
out=$("$TRIAGED" -c "$BAD" --check 2>&1); rc=$?
check "--check refuses the bad file" 1 "$rc"
has() { grep -qF -- "$1" <<<"$out"; }
check_true "undefined schedule, at its position" \
    has "$BAD:6:29: error: undefined schedule 'nightly' in notify target 'primary' (expected one of oncall.schedules: day)"
check_true "undefined receiver, at its position" \
    has "$BAD:6:55: error: undefined receiver 'fax' in notify target 'primary' (expected one of receivers: pager)"
check_true "undefined person in a notify target" \
    has "$BAD:7:27: error: undefined person 'ghost' in notify target 'boss'"
check_true "bad handoff" \
    has "$BAD:14:16: error: bad handoff '25:00' in schedule 'day'"
check_true "undefined person in a schedule" \
    has "$BAD:16:21: error: undefined person 'bob' in schedule 'day' (expected one of oncall.people: ann)"
check_true "override that ends before it starts" \
    has "$BAD:18:55: error: override of schedule 'day' ends at 2026-02-01 09:00, before it starts at 2026-02-02 09:00"
check_true "bad url" \
    has "$BAD:20:31: error: bad url '127.0.0.1:9093' in receiver 'pager' (alertmanager)"

# --- --check: a gap is a warning, and the summary counts ---------------------
GAP=$T_DIR/gap.yaml
cat > "$GAP" <<YAML
$BASE
notify: [{name: cover, oncall: holidays}]
oncall:
  people: {ann: {name: Ann}, bo: {}}
  schedules:
    holidays:
      timezone: UTC
      rotation: daily
      start: 2026-01-05
      people: []
      overrides: [{person: ann, from: "2026-12-24 00:00", to: "2026-12-27 00:00"}]
receivers:
  floor: {webhook: {url: "https://chat.example.com/hook", format: slack}}
YAML
out=$("$TRIAGED" -c "$GAP" --check 2>&1); rc=$?
check "a gap does not fail --check" 0 "$rc"
check_true "the gap is a warning at the schedule" \
    has "$GAP:9:5: warning: schedule 'holidays' has no people: nobody is on call outside its 1 override"
check_true "the summary counts people, schedules, receivers" \
    has "oncall: 2 people, 1 schedule, 1 receiver"

# --- triagectl oncall --at ---------------------------------------------------
redis_start
P=triage:
SAMPLE=$T_DIR/sample.yaml
make_config "$SAMPLE"
who() {
	"$TRIAGECTL" -c "$SAMPLE" oncall --at "$1" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [x for x in d["schedules"] if x["name"] == sys.argv[1]][0]
print((s["on_call"] or {}).get("key", "nobody"))' "${2:-primary}"
}
# primary: weekly, "mon 09:00" Asia/Shanghai from 2026-01-05, li_na then
# wang_fang; zhang_wei from 2026-12-24 18:00 to 2026-12-26 09:00.
check "before the first handoff" nobody "$(who '2026-01-05 08:59')"
check "first turn" li_na "$(who '2026-01-05 09:00')"
check "a minute before the handoff" li_na "$(who '2026-01-12 08:59')"
check "at the handoff" wang_fang "$(who '2026-01-12 09:00')"
check "an instant in ISO 8601 (09:00 +08)" wang_fang "$(who '2026-01-12T01:00:00Z')"
check "an instant in ms" li_na "$(who 1768179599000)"
check "before the override" li_na "$(who '2026-12-24 17:59')"
check "the override" zhang_wei "$(who '2026-12-24 18:00')"
check "the override's last minute" zhang_wei "$(who '2026-12-26 08:59')"
check "after the override" li_na "$(who '2026-12-26 09:00')"
out=$("$TRIAGECTL" -c "$SAMPLE" oncall --at '2026-12-24 12:00')
check_true "text: who is on call now" grep -qF \
    "on call at 2026-12-24 12:00 +08:00: li_na (Li Na, +86 138 0000 0001)" <<<"$out"
check_true "text: the override is the next handoff" grep -qF \
    "2026-12-24 18:00 +08:00  zhang_wei (Zhang Wei" <<<"$out"
check_true "text: then back to the rotation" grep -qF \
    "2026-12-26 09:00 +08:00  li_na (Li Na" <<<"$out"
"$TRIAGECTL" -c "$SAMPLE" oncall --at 'yesterday' >/dev/null 2>&1
check "a bad --at is a usage error" 2 "$?"

# A daily 09:00 handoff in Europe/Berlin across the change to summer time
# on 2026-03-29: at 09:00 local, which is 07:00 UTC that day.
DST=$T_DIR/dst.yaml
cat > "$DST" <<YAML
$BASE
notify: [{name: desk, oncall: berlin}]
oncall:
  people: {ann: {}, bo: {}}
  schedules:
    berlin: {timezone: Europe/Berlin, rotation: daily, handoff: "09:00",
      start: 2026-03-27, people: [ann, bo]}
YAML
SAMPLE=$DST
check "DST: the day before, 09:00 +01" bo "$(who '2026-03-28T08:00:00Z' berlin)"
check "DST: 08:59 local, after the change" bo "$(who '2026-03-29 08:59' berlin)"
check "DST: 09:00 local is 07:00 UTC" ann "$(who '2026-03-29T07:00:00Z' berlin)"
check "DST: 06:59 UTC is still the old turn" bo "$(who '2026-03-29T06:59:59Z' berlin)"
out=$("$TRIAGECTL" -c "$DST" oncall --at '2026-03-28 12:00' --next 2)
check_true "DST: the next handoffs stay at 09:00 local" grep -qF \
    "2026-03-29 09:00 +02:00  ann" <<<"$out"
check_true "DST: and the one after" grep -qF \
    "2026-03-30 09:00 +02:00  bo" <<<"$out"

# --- alerts carry who was paged, and the subject -----------------------------
CFG=$T_DIR/daemon.yaml
cat > "$CFG" <<YAML
redis:
  port: $REDIS_PORT
$BASE
sla:
  - name: fast
    calendar: always
    first_response:
      within: 2s
      escalate:
        - {at: 50%, notify: lead}
        - {at: 100%, notify: primary}
    resolution:
      within: 3s
      escalate:
        - {at: 100%, notify: manager}
notify:
  - lead
  - {name: primary, oncall: rota}
  - {name: manager, people: [zhang_wei, ann]}
oncall:
  people:
    ann: {name: "Ann"}
    bo: {name: "Bo Li"}
    zhang_wei: {name: "张伟"}
  schedules:
    rota: {timezone: UTC, rotation: daily, handoff: "00:00",
      start: 2026-01-05, people: [ann, bo]}
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML
daemon_start "$CFG"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"
SUBJECT=$(python3 -c 'print("无法登录" * 25, end="")')	# 100 characters, 300 bytes
rcli xadd ${P}requests '*' id OC-1 customer_id C channel web \
    subject "$SUBJECT" >/dev/null
rcli xadd ${P}requests '*' id OC-2 customer_id C channel web >/dev/null
wait_until 30 eval '[ "$(xlen ${P}alerts)" -ge 6 ]' ||
    not_ok "six alerts fired"

# ticket metric step notify oncall oncall_name subject-bytes subject-ok who
alerts() {
	# Redis protocol by hand: the subject's bytes must arrive untouched.
	python3 - "$REDIS_PORT" "$SUBJECT" <<'PY'
import socket, sys
def cmd(*args):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    f = s.makefile("rb")
    def read():
        line = f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"*":
            return [read() for _ in range(int(rest))]
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            v = f.read(n + 2)[:-2]
            return v
        return rest
    return read()
subject = sys.argv[2].encode()
for eid, fields in cmd("XRANGE", "triage:alerts", "-", "+"):
    d = dict(zip(fields[0::2], fields[1::2]))
    g = lambda k: d.get(k.encode())
    sub = g("subject")
    if sub is None:
        sub_len, sub_ok = "-", "-"
    else:
        sub_len = str(len(sub))
        try:
            sub.decode("utf-8")
            sub_ok = "prefix" if subject.startswith(sub) else "other"
        except UnicodeDecodeError:
            sub_ok = "broken"
    # Who the rota pages at fired_at, worked out here: UTC days from
    # 2026-01-05 (1767571200), ann on even days.
    day = (int(g("fired_at")) // 1000 - 1767571200) // 86400
    expect = ["ann", "bo"][day % 2]
    # One word a column: a name with a space ("Bo Li") is written Bo_Li.
    print(" ".join((x if isinstance(x, str) else (x.decode() if x is not None else "-")).replace(" ", "_")
                   for x in (g("ticket"), g("metric"), g("step"), g("notify"),
                             g("oncall"), g("oncall_name"), sub_len, sub_ok,
                             expect)))
PY
}
A=$(alerts)
echo "$A"
row() { awk -v t="$1" -v m="$2" -v s="$3" '$1 == t && $2 == m && $3 == s' <<<"$A"; }
r=$(row OC-1 first_response 0)
check "a bare name pages nobody" "lead - -" "$(awk '{ print $4, $5, $6 }' <<<"$r")"
r=$(row OC-1 first_response 1)
check "the schedule's person at fired_at" "$(awk '{ print $9 }' <<<"$r")" \
    "$(awk '{ print $5 }' <<<"$r")"
check_true "oncall_name is the person's name" \
    grep -Eq '^OC-1 first_response 1 primary (ann Ann|bo Bo_Li) ' <<<"$r"
r=$(row OC-1 resolution 0)
check "fixed people: the first is paged" "manager zhang_wei 张伟" \
    "$(awk '{ print $4, $5, $6 }' <<<"$r")"
check "the subject is cut to 200 bytes at a character boundary" \
    "198 prefix" "$(awk '{ print $7, $8 }' <<<"$r")"
r=$(row OC-2 resolution 0)
check "no subject, no subject field" "- -" "$(awk '{ print $7, $8 }' <<<"$r")"
check_true "the log says who was paged" grep -Eq \
    "sla: breach for ticket OC-1: first_response step 1 \(policy fast\), paged (ann \(Ann\)|bo \(Bo Li\)) via primary" \
    "$T_DIR/triaged.log"
check_true "and which ticket, for fixed people" grep -Fq \
    "sla: breach for ticket OC-2: resolution step 0 (policy fast), paged zhang_wei (张伟) via manager" \
    "$T_DIR/triaged.log"

# explain names who each step would page.
out=$("$TRIAGECTL" -c "$CFG" explain id=X customer_id=C channel=web)
check_true "explain: the schedule's step names a person" grep -Eq \
    "first_response at 100% \(.*\): primary -> (ann \(Ann\)|bo \(Bo Li\)), schedule rota" <<<"$out"
check_true "explain: fixed people" grep -Eq \
    "resolution at 100% \(.*\): manager -> zhang_wei \(张伟\)$" <<<"$out"
out=$("$TRIAGECTL" -c "$CFG" explain id=X customer_id=C channel=web \
    received_at=1767657600000 -o json)
check "explain -o json: who at the step's instant" "bo" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["targets"]["first_response"]["steps"][1]["oncall"])' <<<"$out")"
