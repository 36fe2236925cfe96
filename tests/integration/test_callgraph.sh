#!/usr/bin/env bash
# tools/callgraph.sh on this build: calls between source files go one way,
# in the daemon, in triagectl and in the pure cores: no cycle anywhere.
# In triagectl, triagectl.c dispatches, the commands call the shared
# helpers below them, nothing calls back into triagectl.c; in the daemon,
# nothing calls into main.c and http.c calls nothing that routes.
# No Redis needed.
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$TRIAGED")
TOOL=$SOURCE_DIR/tools/callgraph.sh
out=$("$TOOL" "$BUILD")
check "callgraph.sh exits 0 without --check" 0 $?

summary=$(tail -n 1 <<<"$out")
check_true "summary line: '$summary'" \
    grep -Eq '^[0-9]+ files, [0-9]+ edges, [0-9]+ cycles$' <<<"$summary"
for t in triage_core triaged triagectl; do
	check_true "edges listed for $t" grep -q "^== $t: " <<<"$out"
done
check_true "triagectl.c dispatches to the commands" \
    grep -qx 'src/ctl/triagectl.c -> src/ctl/queues.c' <<<"$out"
check_true "the commands use the shared helpers" \
    grep -qx 'src/ctl/dead.c -> src/ctl/ctl_redis.c' <<<"$out"

ctl_cycles=$(grep -E '^cycle [0-9]+ ' <<<"$out" | grep 'src/ctl/')
check "no cycle among triagectl's files" "" "$ctl_cycles"
back=$(grep -E '^src/ctl/[a-z_]+\.c -> src/ctl/triagectl\.c$' <<<"$out")
check "nothing calls back into triagectl.c" "" "$back"
up=$(grep -E '^src/[a-z_]+\.c -> src/ctl/' <<<"$out")
check "no file outside src/ctl calls into it" "" "$up"

check "no cycle between any two source files" 0 \
    "$(sed -E 's/.* ([0-9]+) cycles$/\1/' <<<"$summary")"
"$TOOL" --check "$BUILD" >/dev/null
check "--check agrees" 0 "$?"
check "nothing calls into main.c" "" "$(grep -E -- '-> src/main\.c$' <<<"$out")"
check "http.c calls nothing that routes, reads or fires" "" \
    "$(grep -E '^src/http\.c -> src/(route|intake|events|sla|redis)\.c$' <<<"$out")"
check "route.c and events.c do not call intake.c back" "" \
    "$(grep -E '^src/(route|events)\.c -> src/intake\.c$' <<<"$out")"

check_true "--dot writes a Graphviz digraph" \
    grep -q '^digraph callgraph {' <<<"$("$TOOL" --dot "$BUILD")"
