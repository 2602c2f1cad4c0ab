#!/usr/bin/env bash
# The GPU checks in one go, for a machine with an NVIDIA GPU, CuPy and a CUDA build of PyTorch (< 10 minutes
# on an H200): the GPU tests (tests/cuda), the device tests on the real GPU, then benchmarks/gpu.py.
# Results go to $OUT (default ./gpu-results): pytest.txt, bench.md, env.txt.
#     bash tests/cuda/run_gpu_checks.sh
set -u
cd "$(dirname "$0")/../.."
OUT="${OUT:-gpu-results}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  python3 -c "import torch, cupy, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available()); print('cupy', cupy.__version__); print('numpy', numpy.__version__)" 2>&1
  python3 -c "import ember; print('ember.cuda.is_available()', ember.cuda.is_available(), \
ember.cuda.get_device_name() if ember.cuda.is_available() else '')" 2>&1
} | tee "$OUT/env.txt"
# the tests: 7 minutes at most (CuPy compiles each kernel once, on first use)
timeout 420 python3 -m pytest -q -p no:cacheprovider -x --tb=short tests/cuda tests/test_device.py \
  2>&1 | tail -n 60 | tee "$OUT/pytest.txt"
tests_rc=${PIPESTATUS[0]}
# the benchmark: 2 minutes at most
timeout 150 python3 benchmarks/gpu.py --rounds 3 --out "$OUT/bench.md" 2>&1 | tail -n 20
echo "pytest exit status: $tests_rc" | tee -a "$OUT/pytest.txt"
exit "$tests_rc"
