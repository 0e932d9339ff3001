// Builds the Node entries a test needs (worker, CLI, test workers) into a private folder, so test files never race on dist/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Bundles entries (repo-relative source -> output file name) into a fresh folder under node_modules/.cache, where
 * Node finds the repository's node_modules for the external packages, as it does for dist/.
 */
export async function bundle(entries: Record<string, string>): Promise<{ dir: string; file: (name: string) => string; remove: () => void }> {
  const cache = path.join(repoRoot, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'kanbench-it-'));
  // node_modules ends the search for a package scope, so the folder says for itself that .js is an ES module.
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}\n');
  await Promise.all(
    Object.entries(entries).map(([source, out]) =>
      build({
        entryPoints: [path.join(repoRoot, source)],
        outfile: path.join(dir, out),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        external: ['better-sqlite3', 'electron', 'gpu.js', 'ws', 'gl', 'webgpu'],
        banner: { js: "import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);" },
        logLevel: 'silent',
      }),
    ),
  );
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The worker entries (training, and the CSV worker beside it): what an in-process backend needs. */
export async function bundleWorker(): Promise<{ workerFile: string; remove: () => void }> {
  const built = await bundle({ 'main/training/worker.ts': 'worker.js', 'main/services/csv-worker.ts': 'csv-worker.js' });
  return { workerFile: built.file('worker.js'), remove: built.remove };
}

/** A small regression recipe that trains in well under a second: [2, 3, 1] on x1*x2, `fitSteps` L-BFGS steps per fit. */
export function tinyRecipe(options: { fitSteps?: number; fits?: number; mlp?: boolean; seed?: number; rows?: number } = {}) {
  const fitSteps = options.fitSteps ?? 5;
  return {
    seed: options.seed ?? 1,
    data: { formula: 'x1*x2', vars: 2, range: [-1, 1] as [number, number], train: options.rows ?? 120, test: 60 },
    kan: { width: [2, 3, 1], grid: 3, k: 3 },
    ...(options.mlp ? { mlp: { width: [2, 6, 1] } } : {}),
    steps: Array.from({ length: options.fits ?? 2 }, () => ({ fit: { steps: fitSteps, maxIter: 5 } })),
  };
}
