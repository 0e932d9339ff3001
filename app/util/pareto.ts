/** Pareto fronts over (size, error), both smaller-better: the items no other item beats on both. */

/**
 * The items with a finite error that no other beats on both size and error, by size ascending; among items of equal
 * size, tieBreak (then the lower error) decides which one stands for that size.
 */
export function paretoFrontBy<T>(items: readonly T[], size: (item: T) => number, error: (item: T) => number, tieBreak: (a: T, b: T) => number = () => 0): T[] {
  const sorted = items.filter((item) => Number.isFinite(error(item))).sort((a, b) => size(a) - size(b) || error(a) - error(b) || tieBreak(a, b));
  const front: T[] = [];
  let best = Infinity;
  for (const item of sorted) {
    if (error(item) < best) {
      front.push(item);
      best = error(item);
    }
  }
  return front;
}
