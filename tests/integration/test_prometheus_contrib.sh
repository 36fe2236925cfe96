#!/usr/bin/env bash
# contrib/prometheus/triaged.rules.yml and contrib/grafana/triaged.json:
# the rules load and their unit tests pass (and would fail on a broken
# rule); the dashboard is well formed and its queries are PromQL; and every
# metric name either of them uses is one the real daemon exports, checked
# against its /metrics after some traffic.  promtool comes from Debian's
# `prometheus` package (tools/deps.sh).
. "$(dirname "$0")/ops.sh"

RULES=$SOURCE_DIR/contrib/prometheus/triaged.rules.yml
RULES_TEST=$SOURCE_DIR/contrib/prometheus/triaged.rules.test.yml
DASH=$SOURCE_DIR/contrib/grafana/triaged.json

if ! command -v promtool >/dev/null 2>&1; then
	not_ok "promtool is installed (tools/deps.sh installs the prometheus package)"
	exit 1
fi

# check_out DESCRIPTION PATTERN OUTPUT: OUTPUT has a line matching
# PATTERN; shown when it has not.
check_out() {
	if grep -q -- "$2" <<<"$3"; then ok "$1"; else
		not_ok "$1"; sed 's/^/#   /' <<<"$3"; fi
}

# --- The rules file.
out=$(promtool check rules "$RULES" 2>&1)
check_out "promtool check rules passes" "SUCCESS: [0-9]* rules found" "$out"
nrules=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p' <<<"$out")

# Each alert has for:, a severity and annotations saying what to do.
python3 - "$RULES" >"$T_DIR/alert-fields.txt" <<'PY'
import re, sys
blocks, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r'\s*- (alert|record|name):\s*(\S+)', line)
    if m:
        cur = [m.group(2), ""] if m.group(1) == "alert" else None
        if cur: blocks.append(cur)
    elif cur is not None:
        cur[1] += line
for name, body in blocks:
    for want in (r'^\s+for: \d+[smh]', r'^\s+severity: (critical|warning|info)$',
                 r'^\s+summary: ', r'^\s+description: '):
        if not re.search(want, body, re.M):
            print("%s: no %s" % (name, want))
    if not re.search(r'README', body):
        print("%s: the description points nowhere" % name)
print("alerts: %d" % len(blocks))
PY
check "every alert has for:, severity, summary and description" "" \
    "$(grep -v '^alerts:' "$T_DIR/alert-fields.txt")"
check_true "there are alerts ($(grep '^alerts:' "$T_DIR/alert-fields.txt"))" \
    grep -q '^alerts: [1-9]' "$T_DIR/alert-fields.txt"

out=$(promtool test rules "$RULES_TEST" 2>&1)
check_out "promtool test rules passes" "^  SUCCESS" "$out"
check_true "the unit tests cover at least three alerts" \
    test "$(grep -o 'alertname: [A-Za-z]*' "$RULES_TEST" | sort -u | wc -l)" -ge 3

# The unit tests would catch a broken alert: the same tests against a copy
# whose TriagedUnhealthy never fires, and whose dead-letter alert fires on
# every reason.
mkdir "$T_DIR/broken"
sed -e 's/expr: triaged_healthy == 0/expr: triaged_healthy == 2/' \
    -e 's/(increase(triaged_requests_rejected_total\[10m\])) > 0/(increase(triaged_requests_rejected_total[10m])) >= 0/' \
    "$RULES" >"$T_DIR/broken/triaged.rules.yml"
cp "$RULES_TEST" "$T_DIR/broken/"
check "the broken copy differs in two rules" 2 \
    "$(diff "$RULES" "$T_DIR/broken/triaged.rules.yml" | grep -c '^>')"
out=$(promtool test rules "$T_DIR/broken/triaged.rules.test.yml" 2>&1)
check "the unit tests fail on it, for both alerts" \
    "TriagedRequestsDeadLettered TriagedUnhealthy" \
    "$(grep -o 'alertname: [A-Za-z]*' <<<"$out" | sort -u | cut -d' ' -f2 | xargs)"

# --- The dashboard.
python3 - "$DASH" "$T_DIR/dash-rules.yml" >"$T_DIR/dash-lint.txt" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
errs = []
if d.get("schemaVersion", 0) < 36:
    errs.append("schemaVersion %s < 36" % d.get("schemaVersion"))
tvars = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
ds = tvars.get("datasource")
if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    errs.append("no Prometheus datasource variable")
ids, exprs = set(), []
for p in d["panels"]:
    if p["id"] in ids: errs.append("panel id %d twice" % p["id"])
    ids.add(p["id"])
    g = p["gridPos"]
    if g["x"] < 0 or g["x"] + g["w"] > 24: errs.append("%s: off the grid" % p["title"])
    if p["type"] == "row": continue
    if p.get("datasource", {}).get("uid") != "${datasource}":
        errs.append("%s: datasource is not the variable" % p["title"])
    if not p.get("targets"): errs.append("%s: no query" % p["title"])
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}":
            errs.append("%s %s: datasource is not the variable" % (p["title"], t["refId"]))
        exprs.append(t["expr"])
exprs += [a["expr"] for a in d["annotations"]["list"] if "expr" in a]
# Grafana's variables, as Prometheus would see them once substituted.
subst = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "6h",
         "$job": ".*", "$instance": ".*"}
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        for k, v in subst.items(): e = e.replace(k, v)
        if "$" in e: errs.append("unknown variable in %r" % e)
        f.write("      - record: q%d\n        expr: %s\n" % (i, json.dumps(e)))
    for v in tvars.values():
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v["type"] != "query": continue
        m = re.match(r'label_values\((.*), *[a-z_]+\)$', q)
        if not m: errs.append("variable %s: %r" % (v["name"], q)); continue
        e = m.group(1)
        for k, val in subst.items(): e = e.replace(k, val)
        f.write("      - record: v_%s\n        expr: %s\n" % (v["name"], json.dumps(e)))
print("\n".join(errs))
PY
check "the dashboard is well formed" "" "$(cat "$T_DIR/dash-lint.txt")"
out=$(promtool check rules "$T_DIR/dash-rules.yml" 2>&1)
check_out "every dashboard query is valid PromQL" \
    "SUCCESS: [1-9][0-9]* rules found" "$out"

# names.py KIND FILE: the triaged metric names the PromQL in FILE uses, one
# a line, as "NAME<TAB>where".  Recording rules of the rules file are
# "triaged:..." and listed as such.
cat >"$T_DIR/names.py" <<'PY'
import json, re, sys

def names(expr):
    expr = re.sub(r'"(\\.|[^"\\])*"', '""', expr)      # strings
    expr = re.sub(r'\{[^{}]*\}', '', expr)              # label matchers
    return set(re.findall(r'(?<![A-Za-z0-9_:$])(triaged[_:][A-Za-z0-9_:]*)', expr))

def rules_exprs(path):
    # expr: VALUE, or expr: > / | and the lines indented below it.
    out, lines = [], open(path).read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r'^(\s*)(?:- )?(expr|record):\s*(.*)$', line)
        if not m: continue
        ind, key, val = len(m.group(1)), m.group(2), m.group(3)
        if key == "record":
            out.append(("record", val.strip())); continue
        if val.strip() in (">", "|", ">-", "|-"):
            val = ""
            for l in lines[i + 1:]:
                if l.strip() and len(l) - len(l.lstrip()) <= ind: break
                val += " " + l.strip()
        out.append(("expr", val.strip().strip("'\"")))
    return out

def walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("expr", "query", "definition") and isinstance(v, str):
                yield path + "/" + k, v
            else:
                yield from walk(v, path + "/" + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from walk(v, path + "/" + str(i))

kind, path = sys.argv[1], sys.argv[2:] and sys.argv[2]
if kind == "rules":
    n = 0
    for key, val in rules_exprs(path):
        if key == "record":
            print("record\t%s" % val); continue
        n += 1
        for name in names(val): print("%s\t%s" % (name, val[:60]))
    print("exprs\t%d" % n)
elif kind == "dashboard":
    for where, val in walk(json.load(open(path))):
        for name in names(val): print("%s\t%s" % (name, where))
else:
    for name in names(kind): print("%s\tgiven" % name)
PY
python3 "$T_DIR/names.py" rules "$RULES" >"$T_DIR/rules-names.txt"
python3 "$T_DIR/names.py" dashboard "$DASH" >"$T_DIR/dash-names.txt"
check "every rule's expression was read (as many as promtool counts)" \
    "$nrules" "$(( $(awk -F'\t' '$1 == "exprs" { print $2 }' "$T_DIR/rules-names.txt") ))"
check_true "the rules use triaged metrics" \
    grep -q '^triaged_' "$T_DIR/rules-names.txt"
check_true "the dashboard uses triaged metrics" \
    grep -q '^triaged_' "$T_DIR/dash-names.txt"
# Recording rules: the rules file's own names must be recorded there; the
# dashboard uses none (it works without the rules file loaded).
check "every triaged: name in the rules is recorded there" "" \
    "$(awk -F'\t' '$1 == "record" { rec[$2] = 1 } $1 ~ /^triaged:/ { use[$1] = 1 }
        END { for (n in use) if (!(n in rec)) print n }' "$T_DIR/rules-names.txt")"
check "the dashboard uses no recording rule" "" \
    "$(awk -F'\t' '$1 ~ /^triaged:/ { print $1 }' "$T_DIR/dash-names.txt")"

# --- The real daemon's /metrics, with traffic in every family.
make_config "$T_DIR/triage.yaml"
redis_start
# A queue of a team the rules do not name: an orphaned ticket.
rcli zadd ${P}queue:retired_team 1 OLD-1 >/dev/null
daemon_start "$T_DIR/triage.yaml"
wait_until 20 healthy
check "the daemon is healthy" 200 "$(health_code)"

gen --count 50 --id-prefix PC- | rcli --pipe >/dev/null
rcli xadd ${P}requests '*' customer_id C1 channel fax >/dev/null
rcli xadd ${P}requests '*' id PC-7 customer_id C1 channel web >/dev/null
wait_until 20 is_eq 1 xlen ${P}dead
wait_until 20 is_eq 50 count_keys "${P}ticket:PC-*"
rcli xadd ${P}events '*' ticket PC-1 event responded >/dev/null
rcli xadd ${P}events '*' ticket NOPE event responded >/dev/null
wait_until 10 is_eq 2 xlen ${P}dead
wait_until 10 is_eq 1 metric_sum triaged_sla_met_total
kill -HUP "$DAEMON_PID"
wait_until 10 is_eq 1 metric triaged_reloads_ok_total
wait_until 10 is_eq 1 metric 'triaged_queue_orphaned_tickets{team="retired_team"}'
wait_until 10 eval 'metrics | grep -q "^triaged_open_clocks "'
wait_until 10 is_eq 0 metric 'triaged_stream_pending{stream="requests"}'

metrics >"$T_DIR/metrics.txt"
check "50 routed" 50 "$(metric_sum triaged_requests_routed_total)"
check "a bad request rejected" 1 "$(metric_sum triaged_requests_rejected_total)"
check "an event for no ticket rejected" 1 "$(metric_sum triaged_events_rejected_total)"
check "a response within its target met" 1 "$(metric_sum triaged_sla_met_total)"
check "the repeated id a duplicate" 1 "$(metric triaged_requests_duplicate_total)"
check "the orphaned ticket counted" 1 \
    "$(metric 'triaged_queue_orphaned_tickets{team="retired_team"}')"

# What the daemon exports: every sample's name, every family declared but
# a histogram's bare name (Prometheus only stores _bucket, _sum, _count).
awk '/^# TYPE / { if ($4 != "histogram") print $3; next }
    /^#/ || NF == 0 { next }
    { sub(/\{.*/, "", $1); print $1 }' "$T_DIR/metrics.txt" |
    sort -u >"$T_DIR/exported.txt"
awk '/^triaged_/ && $2 != 0 { sub(/\{.*/, "", $1); print $1 }' \
    "$T_DIR/metrics.txt" | sort -u >"$T_DIR/nonzero.txt"
check_true "the exposition lists the latency buckets" \
    grep -qx triaged_routing_latency_seconds_bucket "$T_DIR/exported.txt"

# unknown NAMES-FILE: the names used there that /metrics does not have.
unknown() {
	cut -f1 "$1" | grep '^triaged_' | sort -u | comm -23 - "$T_DIR/exported.txt"
}
check "every metric the alerting rules use is exported" "" \
    "$(unknown "$T_DIR/rules-names.txt" | xargs)"
check "every metric the dashboard uses is exported" "" \
    "$(unknown "$T_DIR/dash-names.txt" | xargs)"
# The check itself catches a misspelt name, a label inside a selector not
# taken for one, and a histogram's bare name.
python3 "$T_DIR/names.py" \
    'rate(triaged_requests_routd_total{team="triaged_x"}[5m]) + triaged_routing_latency_seconds' \
    >"$T_DIR/bogus-names.txt"
check "and would catch a name that is not" \
    "triaged_requests_routd_total triaged_routing_latency_seconds" \
    "$(unknown "$T_DIR/bogus-names.txt" | xargs)"
# After this traffic every metric the dashboard and the rules use has a
# sample, so no panel is empty by design.
cat "$T_DIR/rules-names.txt" "$T_DIR/dash-names.txt" | cut -f1 |
    grep '^triaged_' | sort -u >"$T_DIR/used.txt"
check "every metric they use has a sample after the traffic" "" \
    "$(while read -r n; do grep -q "^$n[{ ]" "$T_DIR/metrics.txt" || echo "$n"
        done <"$T_DIR/used.txt" | xargs)"
echo "# used and still 0 everywhere: $(comm -23 "$T_DIR/used.txt" \
    "$T_DIR/nonzero.txt" | xargs)"

# promtool's own linter: an error (text it cannot parse) fails; its style
# warnings are printed but are not failures.
promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promlint.txt" 2>&1
rc=$?
[ -s "$T_DIR/promlint.txt" ] && sed 's/^/# promtool: /' "$T_DIR/promlint.txt"
check_true "promtool check metrics parses /metrics (exit $rc: 0 clean, 3 warnings)" \
    test "$rc" -eq 0 -o "$rc" -eq 3
