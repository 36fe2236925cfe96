#!/usr/bin/env bash
# CRM import rate: N customer records (default 1,000,000) written as a Zoho
# CRM style CSV export (quoted names with commas, a BOM, CRLF), then loaded
# by `triagectl crm import` into a private Redis.  Prints records/s.
#
#   tools/bench_crm_import.sh [N]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
. tools/lib.sh
build_binaries triagectl
private_redis crmbench
sed -e "s/^  port: 6379/  port: $PORT/" conf/triage.yaml > "$DIR/triage.yaml"

python3 - "$N" >"$DIR/accounts.csv" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
w("\ufeffRecord Id,Account Name,Account Owner,Industry,Annual Revenue,Rating,Level\r\n")
levels = ["vip", "key", "standard", "standard"]
for i in range(n):
    w('C%07d,"Account %d, Ltd.",Owner %d,Retail,%d,Warm,%s\r\n'
      % (i, i, i % 50, (i * 7919) % 2000000, levels[i % 4]))
PY
echo "export:   $N records, $(du -h "$DIR/accounts.csv" | cut -f1)"
start=$(date +%s%N)
TRIAGED_REDIS_PASSWORD= build/triagectl -c "$DIR/triage.yaml" crm import \
    "$DIR/accounts.csv" --map "Record Id=customer_id" \
    --map "Annual Revenue=annual_value"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "imported: $(R dbsize) hashes in $ms ms, reading the file included" \
    "= $(( N * 1000 / (ms > 0 ? ms : 1) )) records/s"
echo "redis:    $(R info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r') used"
