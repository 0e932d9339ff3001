/** The Pareto front of (parameters, error) points: the runs no other run beats on both. */
export interface ParetoPoint {
  x: number;
  y: number;
}

/** Indices of the non-dominated points (smaller x and smaller y are better), ordered by increasing x. */
export function paretoFront(points: readonly ParetoPoint[]): number[] {
  const order = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .sort((a, b) => a.p.x - b.p.x || a.p.y - b.p.y);
  const front: number[] = [];
  let bestY = Infinity;
  for (const { p, i } of order) {
    if (p.y < bestY) {
      front.push(i);
      bestY = p.y;
    }
  }
  return front;
}
