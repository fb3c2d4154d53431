#!/usr/bin/env bash
# Wavelet scattering on a GPU: the CUDA scattering tests, then both backends timed on the GPU
# (ours and Kymatio's, 32x32 RGB, J=2, L=8, order 2), then a short table. Installs nothing;
# run from the repository root (about a minute on an H100, 3 minutes at most).
set -uo pipefail
export PYTHONPATH="$PWD"
PY="${PYTHON:-python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== scattering CUDA tests"
tests_out="$(timeout 60 "$PY" -m pytest -q -p no:cacheprovider tests/test_scattering.py -k gpu)"
tests_rc=$?
echo "$tests_out"
tests="passed"
[ "$tests_rc" -ne 0 ] && tests="FAILED (rc $tests_rc)"
grep -q " passed" <<< "$tests_out" || [ "$tests_rc" -ne 0 ] || tests="skipped (no CUDA)"

echo "== GPU scattering benchmark"
timeout 110 "$PY" benchmarks/bench_scattering.py --gpu-only --gpu-n 20000 | tee "$log"

figure() { sed -n "s/^$1: //p" "$log"; }
echo "== GPU scattering summary"
printf '%-34s %s\n' "device" "$(figure scattering_gpu)"
printf '%-34s %s\n' "CUDA scattering tests" "$tests"
for b in featcmp kymatio; do
  printf '%-34s %s (max |diff| %s)\n' "$b images/s on the GPU" \
    "$(figure scattering_gpu_${b}_images_per_s)" "$(figure scattering_gpu_${b}_max_abs_diff)"
done
printf '%-34s %s\n' "speedup vs Kymatio on the GPU" "$(figure scattering_gpu_speedup_vs_kymatio)"
