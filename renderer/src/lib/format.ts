/** Number, duration and date formatting shared by the views. */

/** Four significant digits, exponent notation outside [1e-3, 1e5); an em dash for missing values. */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(digits - 2);
  return String(Number(value.toPrecision(digits)));
}

export function formatInteger(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.round(value).toLocaleString('en-US');
}

/** A file size for people: 812 KB, 52.4 MB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** "0.4 s", "12 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(total / 3600)} h ${String(Math.floor((total % 3600) / 60)).padStart(2, '0')} min`;
}

/** Below these, a rate measured from the start is mostly start-up time and noise: no estimate is better than a wrong one. */
const MIN_ELAPSED_FOR_ESTIMATE_S = 1;
const MIN_FRACTION_FOR_ESTIMATE = 0.02;

/** Remaining time at a constant rate: elapsed * (1 - f) / f; null until 1 s and 2% of the work have gone by. */
export function estimateRemainingSeconds(fraction: number, elapsedSeconds: number): number | null {
  if (!(fraction >= MIN_FRACTION_FOR_ESTIMATE) || fraction > 1 || !(elapsedSeconds >= MIN_ELAPSED_FOR_ESTIMATE_S)) return null;
  return (elapsedSeconds * (1 - fraction)) / fraction;
}

export function formatDate(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '—';
  const d = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
