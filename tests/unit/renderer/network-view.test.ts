// Deep and wide networks drawn without overlapping edge boxes, and the zoom/pan transform over them (issue 14).
import { describe, expect, it } from 'vitest';
import { layoutNetwork } from '../../../renderer/src/lib/network-layout';
import { fitView, MAX_SCALE, panBy, revealRect, zoomAt } from '../../../renderer/src/lib/pan-zoom';

describe('layout of deep and wide networks', () => {
  for (const width of [[10, 16, 8, 1], [64, 10, 10]]) {
    it(`gives every box of [${width.join(', ')}] its own slot, widening the drawing past a 760 px view`, () => {
      const layout = layoutNetwork(width, 760, 420);
      const mostEdges = Math.max(...width.slice(1).map((w, l) => width[l]! * w));
      expect(layout.width).toBeGreaterThan(760);
      for (const row of layout.boxes) {
        for (let i = 1; i < row.length; i++) expect(row[i]!.x).toBeGreaterThan(row[i - 1]!.x + row[i - 1]!.w);
        expect(row[row.length - 1]!.x + row[row.length - 1]!.w).toBeLessThanOrEqual(layout.width);
      }
      expect(layout.boxes.flat().every((b) => b.w >= 12)).toBe(true);
      expect(layout.boxes.map((r) => r.length)).toContain(mostEdges);
    });
  }

  it('keeps a network that fits at the view width', () => {
    expect(layoutNetwork([2, 5, 1], 760).width).toBe(760);
  });
});

describe('zoom and pan', () => {
  const viewport = { width: 800, height: 400 };

  it('fits wide content by scaling it down and centring it, never enlarging small content', () => {
    const wide = fitView({ width: 3200, height: 400 }, viewport);
    expect(wide.scale).toBeCloseTo(0.25, 12);
    expect(wide.x).toBeCloseTo(0, 9);
    expect(wide.y).toBeCloseTo(150, 9);
    expect(fitView({ width: 400, height: 200 }, viewport)).toEqual({ scale: 1, x: 200, y: 100 });
  });

  it('zooms about the pointer: the content point under it stays put; the scale is bounded', () => {
    const view = { scale: 0.5, x: 10, y: 20 };
    const zoomed = zoomAt(view, 2, 300, 100);
    const before = { x: (300 - view.x) / view.scale, y: (100 - view.y) / view.scale };
    expect((300 - zoomed.x) / zoomed.scale).toBeCloseTo(before.x, 9);
    expect((100 - zoomed.y) / zoomed.scale).toBeCloseTo(before.y, 9);
    expect(zoomAt(view, 1e6, 0, 0).scale).toBe(MAX_SCALE);
    expect(panBy(view, 5, -5)).toEqual({ scale: 0.5, x: 15, y: 15 });
  });

  it('pans just enough to show a focused box, and not at all when it shows', () => {
    const view = { scale: 1, x: 0, y: 0 };
    expect(revealRect(view, { x: 100, y: 100, w: 20, h: 20 }, viewport)).toBe(view);
    const moved = revealRect(view, { x: 1000, y: 100, w: 20, h: 20 }, viewport);
    expect(moved.x).toBe(800 - 12 - 1020);
    expect(moved.y).toBe(0);
  });
});
