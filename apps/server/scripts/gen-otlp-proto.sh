#!/usr/bin/env bash
# Regenerates apps/server/src/ingest/otlp/generated/ from the vendored .proto files:
#   bash apps/server/scripts/gen-otlp-proto.sh      (from the repo root; pbjs/pbts from protobufjs-cli)
# The .proto files are opentelemetry-proto v1.11.0 (commit 790608c4d51e6ffc12210b541e8514cbed9e91a4,
# Apache-2.0, LICENSE beside them) plus a three-field google.rpc.Status for error bodies.
# Only decode (requests) and encode (responses) are generated: no verify/convert/reflection code.
set -euo pipefail
cd "$(dirname "$0")/.."
PROTO=src/ingest/otlp/proto
OUT="${OTLP_GEN_OUT:-src/ingest/otlp/generated}"  # a test sets it to regenerate elsewhere and compare
BIN="$PWD/../../node_modules/.bin"
mkdir -p "$OUT"
"$BIN/pbjs" -t static-module -w es6 --es6 --force-number --no-create --no-verify --no-convert --no-delimited \
  --no-typeurl --no-service --dependency protobufjs/minimal.js -p "$PROTO" \
  -o "$OUT/otlp-metrics.js" \
  "$PROTO/opentelemetry/proto/collector/metrics/v1/metrics_service.proto" \
  "$PROTO/google/rpc/status.proto"
"$BIN/pbts" --no-comments -o "$OUT/otlp-metrics.d.ts" "$OUT/otlp-metrics.js"
# The prototype defaults of absent 64-bit fields are Long objects whenever `long` loads; decoding reads
# numbers (NumberReader in decode-proto.ts), so absent fields must default to the number 0 as well.
sed -i -E 's/\$util\.Long \? \$util\.Long\.fromBits\(0, ?0, ?(true|false)\) : 0/0/g' "$OUT/otlp-metrics.js"
# Decoding a oneof member also sets the oneof's name (`message.value = "stringValue"`), whose setter
# `delete`s every other member: the slowest line of the decoder (a sixth of its time). Without it a
# message that sets two members of one oneof (invalid, proto says the last wins) keeps both, and the
# mapping takes them in its own order (string first for attributes, as_double before as_int).
sed -i -E '/^\s*message\.[A-Za-z_]+ = "[A-Za-z_]+";$/d' "$OUT/otlp-metrics.js"
if grep -q 'Long.fromBits' "$OUT/otlp-metrics.js"; then echo "gen-otlp-proto: a Long default is left in $OUT/otlp-metrics.js" >&2; exit 1; fi
