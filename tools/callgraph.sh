#!/usr/bin/env bash
# The call graph between source files, read from the object files of a build
# with nm: which file calls (or uses a global of) which other file, per
# target, and every circle of calls between files.
#
#   tools/callgraph.sh [--check] [--dot] [BUILD_DIR]
#
# BUILD_DIR (default: build) is a configured and built CMake tree; its
# objects are BUILD_DIR/CMakeFiles/TARGET.dir/**/*.o.  Each defined global
# symbol is mapped to the file that defines it, and each undefined one to
# the file in the same link that defines it: the target's own objects
# first, then the static libraries of the build (triage_core), so a name
# defined both in triaged and in triagectl resolves in each to its own.
# References to the C library, libevent, hiredis and libyaml are outside
# the graph.
#
# Printed: the edges "caller.c -> callee.c" grouped by the caller's target;
# every cycle (a strongly connected component of more than one file) with
# the edges inside it and the symbols that make them; the lines of each
# source file; and a summary "N files, M edges, K cycles".
#
#   --check  exit 1 if there is any cycle (otherwise the exit status is 0)
#   --dot    print the graph for Graphviz instead (cycle edges in red):
#            tools/callgraph.sh --dot build | dot -Tsvg > callgraph.svg
set -eu

check=0 dot=0 build=
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	--dot) dot=1 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	    exit 0 ;;
	-*) echo "callgraph.sh: unknown option $a" >&2; exit 2 ;;
	*) [ -z "$build" ] || { echo "callgraph.sh: one BUILD_DIR" >&2
	    exit 2; }; build=$a ;;
	esac
done
build=${build:-build}
if ! ls "$build"/CMakeFiles/*.dir >/dev/null 2>&1; then
	echo "callgraph.sh: no CMake objects under $build/CMakeFiles" \
	    "(build it first)" >&2
	exit 2
fi
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' \
    "$build/CMakeCache.txt" 2>/dev/null || true)
[ -n "$src" ] || src=$(cd "$(dirname "$0")/.." && pwd)

exec python3 - "$build" "$src" "$check" "$dot" <<'PY'
import glob, os, signal, subprocess, sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # | head is not an error

build, src, check, dot = sys.argv[1], sys.argv[2], sys.argv[3] == "1", \
    sys.argv[4] == "1"

# target -> [source path relative to the source tree]; path -> object
targets, obj = {}, {}
for d in sorted(glob.glob(os.path.join(build, "CMakeFiles", "*.dir"))):
    t = os.path.basename(d)[:-len(".dir")]
    for o in sorted(glob.glob(os.path.join(d, "**", "*.o"), recursive=True)):
        path = os.path.relpath(o, d)[:-len(".o")]
        if not os.path.exists(os.path.join(src, path)):
            continue            # left behind by a file since removed
        targets.setdefault(t, []).append(path)
        obj[path] = o
if not obj:
    sys.exit("callgraph.sh: no object files under %s/CMakeFiles" % build)
owner = {p: t for t, ps in targets.items() for p in ps}
# A target is a library when the build made lib<target>.a of it; every
# other target may resolve its references in the libraries too.
libs = [t for t in targets
        if glob.glob(os.path.join(build, "**", "lib%s.a" % t), recursive=True)]

defined, undefined = {}, {}     # path -> {symbol}
for path, o in obj.items():
    out = subprocess.run(["nm", "-P", o], check=True, capture_output=True,
                         text=True).stdout
    defs, undefs = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        name, kind = f[0], f[1]
        if kind == "U":
            undefs.add(name)
        elif kind in "TDBRCWVGS" and kind.isupper():
            defs.add(name)      # upper case: global (lower case is static)
    defined[path], undefined[path] = defs, undefs

def where(sym, target):
    """The file that defines sym in target's link, or None."""
    for t in [target] + [l for l in libs if l != target]:
        for p in targets[t]:
            if sym in defined[p]:
                return p
    return None

edges = {}                      # (caller, callee) -> [symbol]
for path in obj:
    for sym in sorted(undefined[path]):
        callee = where(sym, owner[path])
        if callee is not None and callee != path:
            edges.setdefault((path, callee), []).append(sym)

# Tarjan's strongly connected components.
succ = {p: sorted(c for (a, c) in edges if a == p) for p in obj}
index, low, stack, on, sccs = {}, {}, [], set(), []
def strong(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in succ[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for p in sorted(obj):
    if p not in index:
        strong(p)
sccs.sort()
in_cycle = {(a, c) for comp in sccs for (a, c) in edges
            if a in comp and c in comp}

def lines(path):
    try:
        with open(os.path.join(src, path), "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0

order = sorted(targets, key=lambda t: (t not in libs, t))
if dot:
    print("digraph callgraph {\n  rankdir=TB;\n  node [shape=box, "
          "fontname=\"monospace\", fontsize=10];")
    for t in order:
        print('  subgraph "cluster_%s" {\n    label="%s";' % (t, t))
        for p in targets[t]:
            print('    "%s" [label="%s\\n%d lines"];'
                  % (p, os.path.basename(p), lines(p)))
        print("  }")
    for (a, c) in sorted(edges):
        print('  "%s" -> "%s"%s;' % (a, c, ' [color=red, penwidth=2]'
                                     if (a, c) in in_cycle else ""))
    print("}")
else:
    for t in order:
        mine = sorted(e for e in edges if owner[e[0]] == t)
        print("== %s: %d files, %d edges" % (t, len(targets[t]), len(mine)))
        for (a, c) in mine:
            print("%s -> %s" % (a, c))
        print()
    print("== cycles")
    for i, comp in enumerate(sccs, 1):
        print("cycle %d (%s): %s" % (i, owner[comp[0]], " ".join(comp)))
        for (a, c) in sorted(in_cycle):
            if a in comp:
                print("    %s -> %s: %s" % (a, c, " ".join(edges[(a, c)])))
    if not sccs:
        print("none")
    print()
    print("== lines")
    for t in order:
        total = 0
        for p in targets[t]:
            n = lines(p)
            total += n
            print("%6d %s" % (n, p))
        print("%6d total %s" % (total, t))
    print()
    print("%d files, %d edges, %d cycles" % (len(obj), len(edges), len(sccs)))
sys.exit(1 if check and sccs else 0)
PY
