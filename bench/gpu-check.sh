#!/usr/bin/env bash
# One command for a session lent the NVIDIA GPU machine (issue 6, item 6): reports what the machine offers (GPU, driver,
# Vulkan, which compute backends load and why not), runs the compute equivalence tests (every backend that loads against
# the Float64 reference, including gpu.js on WebGPU through the device bridge), then the backend benchmark, and prints
# its table. Installs nothing (the machine has no network): it needs this checkout with its node_modules and a Node 20+
# binary, given as NODE=/path/to/node when `node` is not on PATH. Stays under 8 minutes; each part has its own limit.
#
#   NODE=/opt/node/bin/node bash bench/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
NODE="${NODE:-node}"
if ! command -v "$NODE" >/dev/null 2>&1; then
  echo "gpu-check: no node binary at '$NODE'; run with NODE=/path/to/node" >&2
  exit 2
fi
NODE="$(command -v "$NODE")"
# vitest and the worker threads start further node processes: the same binary must come first on PATH.
export PATH="$(dirname "$NODE"):$PATH"
for needed in node_modules/vitest/vitest.mjs node_modules/esbuild node_modules/gpu.js node_modules/webgpu; do
  [ -e "$needed" ] || { echo "gpu-check: $needed is missing; copy the project's node_modules along with the checkout" >&2; exit 2; }
done
WORK="node_modules/.cache/kanbench-gpu-check"
mkdir -p "$WORK"
status=0

section() { printf '\n== %s\n' "$1"; }

section "machine"
echo "node $("$NODE" --version), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
ldd --version 2>/dev/null | head -1
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "nvidia-smi: not found"
fi
# Dawn (behind the webgpu package) reaches an NVIDIA GPU through Vulkan: it needs the loader and NVIDIA's ICD.
echo "Vulkan ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | grep -v ':$' | tr '\n' ' ')"
ldconfig -p 2>/dev/null | grep -E 'libvulkan\.so|libGLX_nvidia|libnvidia-vulkan' | awk '{print "  " $1}' | sort -u
libstdcxx="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}')"
if [ -n "$libstdcxx" ]; then
  echo "newest GLIBCXX in $libstdcxx: $(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$libstdcxx" | sort -t. -k3 -n -u | tail -1) (the webgpu package needs GLIBCXX_3.4.32)"
fi

# A small entry bundled here (under node_modules, so that gpu.js and webgpu resolve) for the backend list and the bench.
cat > "$WORK/entry.ts" <<'EOF'
import { listBackends } from '../../../app/compute/registry';
import { registerNodeBackends } from '../../../main/compute';
import { run } from '../../../bench/backends.bench';

const what = process.argv[2];
registerNodeBackends();
if (what === 'list') {
  for (const b of await listBackends()) console.log(`  ${b.name.padEnd(18)} ${b.available ? 'loads      ' : 'unavailable'} ${b.reason}`);
} else {
  const figures = await run();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [name, value] of Object.entries(figures)) {
    const shown = typeof value === 'number' ? (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toPrecision(4) : value.toExponential(3)) : value;
    console.log(`${name.padEnd(width)}  ${shown}`);
  }
}
process.exit(0);
EOF
"$NODE" --input-type=module -e "
  const { build } = await import('esbuild');
  await build({ entryPoints: ['$WORK/entry.ts'], outfile: '$WORK/entry.mjs', bundle: true, platform: 'node', target: 'node20', format: 'esm',
    external: ['gpu.js', 'gl', 'webgpu', 'electron', 'esbuild'], logLevel: 'warning',
    banner: { js: \"import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);\" } });
" || { echo "gpu-check: bundling the check entry failed" >&2; exit 1; }

section "compute backends on this machine"
timeout 30 "$NODE" "$WORK/entry.mjs" list || { echo "gpu-check: listing the backends failed or timed out"; status=1; }

section "equivalence tests (tests/unit/compute; a backend that cannot load is skipped with its reason)"
NO_COLOR=1 FORCE_COLOR=0 timeout 140 "$NODE" node_modules/vitest/vitest.mjs run tests/unit/compute --reporter verbose > "$WORK/tests.log" 2>&1
test_status=$?
echo "passed, per test file and backend:"
grep -E '^ *✓ ' "$WORK/tests.log" | sed -E 's/^ *✓ tests\/unit\/compute\/([^ ]+) > ([^>]+) >.*/\1  \2/' | sort | uniq -c
echo "skipped backends:"
grep -E '^ *↓ ' "$WORK/tests.log" | sed -E 's/^ *↓ tests\/unit\/compute\/[^ ]+ > ([^>]+) >.*/  \1/' | sort -u
grep -E '(FAIL|×|Test Files|Tests  )' "$WORK/tests.log" | head -n 40
if [ "$test_status" -ne 0 ]; then
  echo "gpu-check: the equivalence tests failed (exit $test_status); the end of their log:"
  tail -n 60 "$WORK/tests.log"
  status=1
fi

section "backend benchmark (seconds per Adam step; the chooser's pick per size)"
# Within the 8 minutes: a step estimated above 10 s is not run (the reference's batch-16384 steps, about 17 s each on a
# laptop core, are then estimated from its batch-1024 steps), so the budget goes to the GPU and threaded backends.
KANBENCH_BENCH_MAX_STEP_S="${KANBENCH_BENCH_MAX_STEP_S:-10}" KANBENCH_BENCH_BUDGET_S="${KANBENCH_BENCH_BUDGET_S:-220}" timeout 270 "$NODE" "$WORK/entry.mjs" bench \
  || { echo "gpu-check: the benchmark failed or timed out"; status=1; }

rm -f "$WORK/entry.ts" "$WORK/entry.mjs" "$WORK/tests.log"
exit $status
