#!/usr/bin/env bash
# Dense engine on a GPU machine (NVIDIA H200 + Vulkan through Dawn, onnxruntime-node's WebGPU
# execution provider). Two steps:
#
#   here (CPU machine, after `npx tsc -p .`):   bench/gpu.sh --pack
#       writes .gpu/pack.tar.xz (node binary, dist/, the runtime node_modules pruned to linux-x64;
#       the datasets travel with the working tree) and, once, the Vulkan loader .debs into .gl/ (see the device README); both
#       folders are in .gitignore and must be carried (carry: [".gpu", ".gl"]). Size: the pack was
#       60 MiB with kg-data inside (now left out, not re-measured); the carry limit (64 MiB) counts
#       the working tree too (43 MiB with the shipped kg-data), so the two may not fit together.
#   there (GPU machine, nothing downloadable):  bash bench/gpu.sh            (< 8 minutes)
#       unpacks the Vulkan loader libraries and the pack, then
#       1. checks that ort-webgpu gives ort-cpu's loss, gradients and ranks on a small case;
#       2. times a WN9-IMG ComplEx 1-vs-all epoch (`mmkge train --engine ort-webgpu`, and ort-cpu);
#       3. times an FB-IMG OTKGE epoch (extrapolated from timed batches, bench part otkge);
#       4. times the filtered evaluation of the whole FB-IMG test set (DistMult dim 200).
#   Figures go to stdout and $OUT (or ./gpu-results) as gpu-bench.log.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--pack" ]]; then
  set -e
  [[ -f dist/src/cli.js ]] || { echo "gpu.sh --pack: build first (npx tsc -p .)" >&2; exit 1; }
  stage=$(mktemp -d)
  mkdir -p "$stage/bin" .gpu
  cp "$(command -v node)" "$stage/bin/node"
  cp -r dist package.json "$stage/"
  # Runtime dependencies only; keep onnxruntime's linux-x64 binary, drop source maps, browser bundles and typings.
  nm=$(readlink -f node_modules)
  (cd "$nm" && tar -cf - --exclude='*.map' --exclude='*.d.ts' --exclude='*.min.js' --exclude='*.html' \
      --exclude='onnxruntime-node/bin/napi-v6/win32' --exclude='onnxruntime-node/bin/napi-v6/darwin' \
      --exclude='onnxruntime-node/bin/napi-v6/linux/arm64' --exclude='typescript' --exclude='@types' \
      --exclude='mocha' --exclude='*.es2017.js' --exclude='*.fesm.js' --exclude='tfjs-backend-webgl/dist/tf-backend-webgl.js' \
      --exclude='miniprogram' .) | (mkdir -p "$stage/node_modules" && cd "$stage/node_modules" && tar -xf -)
  tar -C "$stage" -cJf .gpu/pack.tar.xz .
  rm -rf "$stage"
  size=$(du -m .gpu/pack.tar.xz | cut -f1)
  echo "gpu.sh --pack: .gpu/pack.tar.xz is ${size} MiB (the carry limit is 64 MiB with .gl)"
  if [[ ! -d .gl ]] || ! ls .gl/*.deb >/dev/null 2>&1; then
    mkdir -p .gl /tmp/amd64/partial
    o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    # shellcheck disable=SC2086
    apt-get $o update >/dev/null && (cd .gl && apt-get $o download libvulkan1 >/dev/null) || echo "gpu.sh --pack: could not fetch libvulkan1 into .gl (do it as the device README says)" >&2
  fi
  exit 0
fi

OUTDIR=${OUT:-$PWD/gpu-results}
mkdir -p "$OUTDIR"
LOG="$OUTDIR/gpu-bench.log"
exec > >(tee "$LOG") 2>&1
start=$(date +%s)
step() { echo; echo "== $1 ($(( $(date +%s) - start )) s)"; }

step "Vulkan loader"
if ! ldconfig -p | grep -q libvulkan.so.1; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "no libvulkan.so.1 and no .gl/*.deb to unpack: carry .gl (bench/gpu.sh --pack)"; exit 1
  fi
fi
ldconfig -p | grep libvulkan.so.1
[[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

step "runtime"
ROOT=$PWD
if [[ -f .gpu/pack.tar.xz ]]; then
  ROOT=/tmp/mmkge-gpu
  rm -rf "$ROOT" && mkdir -p "$ROOT" && tar -C "$ROOT" -xJf .gpu/pack.tar.xz
  [[ -d "$PWD/kg-data" ]] && ln -sfn "$PWD/kg-data" "$ROOT/kg-data"
  [[ -d "$PWD/shared/data" ]] && export MMKGE_DATA=${MMKGE_DATA:-$PWD/shared/data}
  NODE="$ROOT/bin/node"
else
  NODE=$(command -v node) || { echo "no node and no .gpu/pack.tar.xz: run bench/gpu.sh --pack on the CPU machine and carry .gpu"; exit 1; }
fi
"$NODE" --version
cd "$ROOT"
lim() { timeout "$1" "${@:2}"; }

step "1. ort-webgpu vs ort-cpu: loss, gradients, ranks"
lim 120 "$NODE" dist/bench/gpu_check.js --engine ort-webgpu
rc=$?
if [[ $rc -ne 0 ]]; then echo "gpu_check failed (rc $rc): no timings with a wrong or absent GPU engine"; exit $rc; fi

step "2. WN9-IMG ComplEx 1-vs-all epoch (dim 200, batch 1000)"
for engine in ort-webgpu ort-cpu; do
  lim 150 "$NODE" dist/src/cli.js train --dataset wn9-img --model complex --epochs 1 --eval-every 0 --engine "$engine" --out "/tmp/gpu-wn9-$engine" --quiet | grep -E 'dense engine|epoch 1|^\| both'
  grep -o '"trainSeconds":[0-9.]*\|"peakRssMB":[0-9]*' "/tmp/gpu-wn9-$engine/metrics.json" | tr '\n' ' '; echo
done

step "3. FB-IMG OTKGE epoch, with and without IMML (extrapolated from timed batches)"
lim 150 "$NODE" dist/bench/bench.js --part otkge --engine ort-webgpu --otkge-fb-only

step "4. FB-IMG filtered test evaluation, DistMult dim 200"
lim 90 "$NODE" dist/bench/bench.js --part eval --models distmult --engine ort-webgpu

step "done in $(( $(date +%s) - start )) s; log: $LOG"
