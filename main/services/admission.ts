/**
 * Admission control on the host: the memory a run may take (a setting, or by default half the memory free when it is
 * asked for) and the check, before a run is stored or started, that its estimated peak (app/recipe/memory.ts) fits.
 */
import os from 'node:os';

import { admissionProblem, estimateRunMemory, formatBytes, type DataShape } from '../../app/recipe/memory';
import type { Recipe } from '../../app/recipe/schema';

/** Share of the free memory a run may take when no limit is set: the rest is left to the app, the OS and other runs. */
export const FREE_MEMORY_FRACTION = 0.5;

export interface MemoryLimit {
  bytes: number;
  /** Where the limit comes from and how to change it, for the refusal message. */
  source: string;
}

/** limitMb: the runMemoryLimitMb setting (or --max-memory), null for the default share of the free memory. */
export function runMemoryLimit(limitMb: number | null, freeBytes: number = os.freemem(), howToRaise = 'raise it with the setting runMemoryLimitMb'): MemoryLimit {
  if (limitMb !== null) return { bytes: limitMb * 1024 * 1024, source: `the limit set to ${limitMb} MB; ${howToRaise}` };
  return { bytes: freeBytes * FREE_MEMORY_FRACTION, source: `half of the ${formatBytes(freeBytes)} free now; ${howToRaise}` };
}

/** Why the run cannot start, or null when it fits. */
export function admissionRefusal(recipe: Recipe, data: DataShape, limit: MemoryLimit): string | null {
  return admissionProblem(recipe, estimateRunMemory(recipe, data), limit.bytes, limit.source);
}
