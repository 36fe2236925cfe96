#!/usr/bin/env bash
# Replay speed: N requests (default 1,000,000) written to a file as
# field=value lines, then `triagectl replay --from FILE` timed with a
# candidate that moves billing to after_sales and tightens `critical`.
# Customer records come from a private Redis (customers.key, pipelined
# HGETALL, cached per customer), as in a real replay.
#
#   tools/bench_replay.sh [N]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
. tools/lib.sh
build_binaries triagectl
private_redis replay
sed -e "s/^  port: 6379/  port: $PORT/" conf/triage.yaml > "$DIR/current.yaml"
sed -e '/^  - name: billing/,/team: billing/ s/team: billing/team: after_sales/' \
    -e 's/within: 15m/within: 10m/' "$DIR/current.yaml" > "$DIR/candidate.yaml"
# A few VIP and key customers among the generator's C00000..C01999.
for c in C00007 C00042 C01234; do R hset crm:customer:$c level vip >/dev/null; done
R hset crm:customer:C00100 annual_value 900000 >/dev/null

python3 tools/gen_requests.py --count "$N" --id-prefix B- --format lines \
    > "$DIR/requests.txt"
echo "requests: $N in $(du -h "$DIR/requests.txt" | cut -f1) of field=value lines"

start=$(date +%s%N)
set +e
build/triagectl -c "$DIR/current.yaml" replay --rules "$DIR/candidate.yaml" \
    --from "$DIR/requests.txt" > "$DIR/report.txt"
rc=$?
set -e
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
sed -n '1,4p' "$DIR/report.txt"
echo "exit:     $rc (3: changes)"
echo "replayed: $N requests in $ms ms = $(( N * 1000 / (ms > 0 ? ms : 1) )) requests/s"
