/** Timings the page measures about itself (Inspect drawing, progress event latency), kept on window for tests and curious users. */
declare global {
  interface Window {
    __kanbenchTimings?: Record<string, number>;
  }
}

export function recordTimings(values: Record<string, number>): void {
  window.__kanbenchTimings = { ...window.__kanbenchTimings, ...values };
}

const latencies: number[] = [];

/** Delay between main measuring a progress figure (`at`, epoch ms) and the page receiving it. */
export function recordProgressLatency(atEpochMs: number): void {
  latencies.push(Date.now() - atEpochMs);
  if (latencies.length > 500) latencies.shift();
  const sorted = [...latencies].sort((a, b) => a - b);
  recordTimings({
    progressEvents: (window.__kanbenchTimings?.progressEvents ?? 0) + 1,
    progressLatencyMedianMs: sorted[Math.floor(sorted.length / 2)]!,
    progressLatencyMaxMs: sorted[sorted.length - 1]!,
  });
}

/** Resolves once the current frame has been painted (a timer set in an animation frame runs after that frame's paint). */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
