#!/usr/bin/env bash
# The GPU checks in one run (H200-class GPU; about 3 minutes, at most 7 by the step limits):
# CUDA tests, the CNN loop against a bare bf16 loop, Fashion-MNIST time to accuracy (3 seeds),
# the CIFAR-10 CNN recipe (one seed), HOG, scattering and the k-means encoder on the GPU.
# Installs nothing; run from the repository root:
#     bash benchmarks/gpu_check.sh
# Data from the git-ignored gpudata/ (or FASHION_DIR, CIFAR_TAR): the four Fashion-MNIST IDX
# .gz files, and cifar-10-binary.tar.gz. A missing dataset skips its step.
# Each step runs under `timeout`; its status and figures go to a table printed last.
# To add a step: `step NAME SECONDS command...` and, for figures, grep its log in `figures`.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
# The IDX files in gpudata/fashion-mnist/ or straight in gpudata/.
if [ -z "${FASHION_DIR:-}" ]; then
    FASHION_DIR=gpudata/fashion-mnist
    [ -d "$FASHION_DIR" ] || FASHION_DIR=gpudata
fi
CIFAR_TAR="${CIFAR_TAR:-gpudata/cifar-10-binary.tar.gz}"
LOGS="${LOGS:-gpudata/logs}"
mkdir -p "$LOGS"
ROWS=()

step() {  # step NAME TIMEOUT_S COMMAND...: run it, log it, remember its status and time
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit} s): $*"
    local start=$SECONDS
    timeout --kill-after=10 "$limit" "$@" > "$LOGS/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$LOGS/$name.log"
    local status=ok
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && status="TIMEOUT"
    [ $rc -ne 0 ] && [ "$status" = ok ] && status="exit $rc"
    ROWS+=("$(printf '%-22s %-9s %5ss' "$name" "$status" $((SECONDS - start)))")
}

figure() {  # figure LOG KEY: the value of a `key: value` line of a step's log
    grep -m1 "^$2: " "$LOGS/$1.log" 2>/dev/null | cut -d' ' -f2-
}

have_fashion() { ls "$FASHION_DIR"/train-images-idx3-ubyte* > /dev/null 2>&1; }

"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

step cuda-tests 120 "$PY" -m pytest -o addopts= -q -rs -p no:cacheprovider tests/test_devices.py tests/test_nets.py tests/test_cnn_determinism.py tests/test_kmeans_features.py
step cnn-speed 90 "$PY" benchmarks/bench_cnn.py --skip-cpu --gpu-n 60000
if have_fashion; then
    step fashion-tta 90 "$PY" benchmarks/bench_cnn.py --skip-cpu --gpu-n 0 --time-to-accuracy --fashion "$FASHION_DIR"
else
    ROWS+=("$(printf '%-22s %-9s' fashion-tta "skipped: no IDX files in $FASHION_DIR")")
fi
if [ -e "$CIFAR_TAR" ]; then  # the archive, or a folder of its extracted batches
    step cifar10-cnn 120 "$PY" benchmarks/bench_cnn.py --skip-cpu --gpu-n 0 --cifar10 "$CIFAR_TAR" --cifar-config configs/scale/cifar10-gpu.yaml
else
    ROWS+=("$(printf '%-22s %-9s' cifar10-cnn "skipped: no $CIFAR_TAR")")
fi
step hog-gpu 150 bash benchmarks/gpu_hog_check.sh
step scattering-gpu 180 bash benchmarks/gpu_scattering_check.sh
step kmeans-gpu 240 "$PY" benchmarks/bench_kmeans.py --n 1024

figures() {
    echo "cnn b128:  featcmp $(figure cnn-speed cnn_gpu_b128_images_per_s) img/s, bare $(figure cnn-speed cnn_gpu_b128_bare_images_per_s), ratio $(figure cnn-speed cnn_gpu_b128_ratio_vs_bare) (target >= 0.77)"
    echo "cnn b1024: featcmp $(figure cnn-speed cnn_gpu_b1024_images_per_s) img/s, bare $(figure cnn-speed cnn_gpu_b1024_bare_images_per_s), ratio $(figure cnn-speed cnn_gpu_b1024_ratio_vs_bare) (target >= 0.77)"
    echo "fashion-mnist 3 seeds: acc $(figure fashion-tta fashion_cuda_test_acc) in $(figure fashion-tta fashion_cuda_train_s) s (target 0.93 within 5 s)"
    echo "cifar10 cnn: acc $(figure cifar10-cnn cifar10_cnn_cuda_test_acc) in $(figure cifar10-cnn cifar10_cnn_cuda_train_s) s (target 0.93 within 60 s)"
    sed -n '/== GPU HOG summary/,$p' "$LOGS/hog-gpu.log"
    sed -n '/== GPU scattering summary/,$p' "$LOGS/scattering-gpu.log"
    echo "k-means encoding: GPU $(figure kmeans-gpu kmeans_encode_gpu_images_per_s) img/s (max rel diff $(figure kmeans-gpu kmeans_encode_gpu_max_rel_diff)), CPU $(figure kmeans-gpu kmeans_encode_images_per_s)"
    echo "cuda tests: $(grep -E '[0-9]+ (passed|failed)' "$LOGS/cuda-tests.log" | tail -n1)"
}

echo
echo "== summary (logs in $LOGS/)"
printf '%s\n' "${ROWS[@]}"
figures
if [ -n "${OUT:-}" ]; then tar czf "$OUT/gpu-logs.tgz" -C "$LOGS" .; fi
