#!/usr/bin/env bash
# k-means encoding on a GPU: the CUDA k-means test, then the encoder timed on the GPU beside
# the CPU baseline of the same run (3,200 centroids, 32x32 RGB), then a short table. Installs
# nothing; run from the repository root (about a minute).
set -uo pipefail
export PYTHONPATH="$PWD"
PY="${PYTHON:-python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== k-means CUDA test"
tests_out="$(timeout 120 "$PY" -m pytest -q -p no:cacheprovider tests/test_kmeans_features.py -k cuda -rs)"
tests_rc=$?
echo "$tests_out"
tests="passed"
[ "$tests_rc" -ne 0 ] && tests="FAILED (rc $tests_rc)"
grep -q "SKIPPED" <<< "$tests_out" && tests="skipped (no CUDA)"

echo "== k-means encoding benchmark"
timeout 240 "$PY" benchmarks/bench_kmeans.py --n 1024 | tee "$log"

figure() { sed -n "s/^$1: //p" "$log"; }
echo "== k-means GPU summary"
printf '%-34s %s\n' "CUDA k-means test" "$tests"
printf '%-34s %s\n' "CPU images/s (2 threads)" "$(figure kmeans_encode_images_per_s)"
printf '%-34s %s (max rel diff %s)\n' "GPU images/s" \
  "$(figure kmeans_encode_gpu_images_per_s)" "$(figure kmeans_encode_gpu_max_rel_diff)"
