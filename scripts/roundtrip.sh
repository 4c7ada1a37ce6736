#!/usr/bin/env bash
# A produce -> consume round trip through the CLI: generate N visit records, append them to a 3-partition
# topic of a fresh embedded log with `rivulet produce`, read them back with `rivulet consume`, and check
# that exactly the records sent came back (as a multiset, and in order per key).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${N:-10000}"
data_dir="$(mktemp -d "${TMPDIR:-/tmp}/rivulet-roundtrip-XXXXXX")"
trap 'rm -rf "$data_dir"' EXIT
rivulet() { node packages/rivulet/bin/rivulet.js "$@" --data-dir "$data_dir"; }

node -e '
  const n = Number(process.argv[1]);
  const pages = ["/", "/flights", "/hotels", "/cars", "/checkout"];
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ visitorId: `v${(i * 7919) % 997}`, page: pages[i % 5], seq: i }));
  process.stdout.write(lines.join("\n") + "\n");
' "$n" > "$data_dir/input.jsonl"

echo "== rivulet topics create visits --partitions 3"
rivulet topics create visits --partitions 3
echo "== rivulet produce visits --key visitorId  (${n} JSON lines)"
start=$(date +%s%N)
rivulet produce visits --key visitorId < "$data_dir/input.jsonl"
produced_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "== rivulet consume visits --from-beginning"
start=$(date +%s%N)
rivulet consume visits --from-beginning > "$data_dir/output.jsonl"
consumed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
rivulet topics describe visits

node -e '
  const fs = require("node:fs");
  const [input, output] = process.argv.slice(1).map((f) => fs.readFileSync(f, "utf8").trim().split("\n"));
  const sent = input.map((l) => JSON.parse(l));
  const got = output.map((l) => JSON.parse(l));
  const key = (v) => JSON.stringify(v);
  const a = sent.map(key).sort(), b = got.map((r) => key(r.value)).sort();
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) { console.error(`MISMATCH: sent ${a.length}, got ${b.length}`); process.exit(1); }
  const perKey = new Map();
  for (const r of got) {
    if (r.key !== r.value.visitorId) { console.error(`key ${r.key} does not match visitorId ${r.value.visitorId}`); process.exit(1); }
    const last = perKey.get(r.key) ?? -1;
    if (r.value.seq < last) { console.error(`order broken for key ${r.key}`); process.exit(1); }
    perKey.set(r.key, r.value.seq);
  }
  console.log(`round trip ok: ${got.length} records sent and read back, ${perKey.size} keys in order`);
' "$data_dir/input.jsonl" "$data_dir/output.jsonl"
echo "produce ${produced_ms} ms, consume ${consumed_ms} ms (including process start)"
