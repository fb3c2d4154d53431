#!/usr/bin/env bash
# HOG on a GPU: the CUDA HOG tests, then the GPU HOG benchmark, then a short table.
# Installs nothing; run from the repository root (about 30 s on an H200, 2 minutes at most).
set -uo pipefail
export PYTHONPATH="$PWD"
PY="${PYTHON:-python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== HOG CUDA tests"
timeout 60 "$PY" -m pytest -q -p no:cacheprovider tests/test_hog_torch.py -k cuda
tests_rc=$?

echo "== GPU HOG benchmark"
timeout 90 "$PY" benchmarks/bench_hog.py --gpu-only --n 10000 --baseline-n 300 | tee "$log"
bench_rc=${PIPESTATUS[0]}

figure() { sed -n "s/^$1: //p" "$log"; }
echo "== GPU HOG summary (28x28, 9 orientations, 4x4 cells, 2x2 blocks, L2-Hys, float64)"
printf '%-34s %s\n' "device" "$(figure hog_gpu)"
printf '%-34s %s\n' "CUDA HOG tests" "$([ "$tests_rc" -eq 0 ] && echo passed || echo "FAILED (rc $tests_rc)")"
printf '%-34s %s\n' "NumPy path, 1 core, images/s" "$(figure hog_images_per_s)"
for b in 4096 60000; do
  printf '%-34s %s (x%s NumPy)\n' "GPU batch $b, images/s on device" \
    "$(figure hog_gpu_images_per_s_$b)" "$(figure hog_gpu_ratio_to_numpy_$b)"
  printf '%-34s %s\n' "GPU batch $b, NumPy to NumPy" "$(figure hog_gpu_end_to_end_images_per_s_$b)"
  printf '%-34s %s\n' "GPU batch $b, host->device ms" "$(figure hog_gpu_h2d_ms_$b)"
done
printf '%-34s %s (vs NumPy %s)\n' "GPU max |diff| vs skimage" \
  "$(figure hog_gpu_max_abs_diff)" "$(figure hog_gpu_max_abs_diff_vs_numpy)"
printf '%-34s %s\n' "benchmark exit status" "$bench_rc"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
