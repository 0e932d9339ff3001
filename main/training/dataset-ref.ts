/** How a recipe names its data inside the app ("dataset:<id>"), and the content hash a run records for its data. */
import { createHash } from 'node:crypto';

import type { Recipe } from '../../app/recipe/schema';

const DATASET_REF_PREFIX = 'dataset:';

export function datasetRef(datasetId: string): string {
  return `${DATASET_REF_PREFIX}${datasetId}`;
}

/** The stored dataset a recipe's data.csv names, or null when it names a file. */
export function datasetIdOfRef(ref: string): string | null {
  return ref.startsWith(DATASET_REF_PREFIX) && ref.length > DATASET_REF_PREFIX.length ? ref.slice(DATASET_REF_PREFIX.length) : null;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The data hash of a formula recipe: a formula dataset is a pure function of its spec and the seed, so hashing them
 * identifies the rows without generating them.
 */
export function formulaDataHash(recipe: Recipe): string {
  if (!('formula' in recipe.data)) throw new Error('formulaDataHash needs a recipe whose data is a formula');
  const { formula, vars, range, train, test, noise } = recipe.data;
  return sha256Hex(JSON.stringify({ formula, vars, range, train, test, noise, seed: recipe.seed }));
}
