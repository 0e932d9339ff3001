/**
 * Geometry of the network drawing (pykan's plot): layers bottom to top, and between two layers one row of small boxes,
 * one per edge, grouped by input node (edge index e = input * nOut + output, as in app/kan). Pure numbers, no DOM.
 */

export interface NodePosition {
  layer: number;
  index: number;
  x: number;
  y: number;
}

export interface EdgeBox {
  layer: number;
  input: number;
  output: number;
  /** Top-left corner and size. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface NetworkLayout {
  width: number;
  height: number;
  nodeRadius: number;
  /** nodes[layer][index] */
  nodes: NodePosition[][];
  /** boxes[layer][input * nOut + output] */
  boxes: EdgeBox[][];
}

const PAD_X = 28;
const PAD_Y = 26;
/** The narrowest slot an edge box gets: below it a plot is unreadable, so a wide layer makes the drawing wider instead. */
const MIN_SLOT = 16;
/** A box fills this share of its slot; the rest is the gap that keeps neighbours apart. */
const BOX_SHARE = 0.82;

/**
 * viewHeight is the height to fill when the network is shallow; deep networks take what they need beyond it. A layer
 * with more edges than viewWidth holds at MIN_SLOT each widens the layout (the view then zooms and pans over it), so
 * boxes never overlap.
 */
export function layoutNetwork(width: readonly number[], viewWidth: number, viewHeight = 0): NetworkLayout {
  const mostEdges = Math.max(1, ...width.slice(1).map((w, l) => width[l]! * w));
  const layoutWidth = Math.max(viewWidth, mostEdges * MIN_SLOT + 2 * PAD_X);
  const usable = Math.max(120, layoutWidth - 2 * PAD_X);
  const boxW = Math.min(64, (usable / mostEdges) * BOX_SHARE);
  const boxH = Math.max(22, Math.min(44, boxW * 0.8));
  const layerGap = Math.max(boxH + 56, Math.min(boxH + 160, (viewHeight - 2 * PAD_Y) / Math.max(1, width.length - 1)));
  const height = 2 * PAD_Y + (width.length - 1) * layerGap;
  const nodeRadius = Math.max(4, Math.min(9, usable / Math.max(...width) / 5));
  const rowX = (count: number, slot: number): number => PAD_X + (usable * (slot + 0.5)) / count;
  const nodes = width.map((n, layer) => Array.from({ length: n }, (_, index) => ({ layer, index, x: rowX(n, index), y: height - PAD_Y - layer * layerGap })));
  const boxes = width.slice(0, -1).map((nIn, layer) => {
    const nOut = width[layer + 1]!;
    const centerY = height - PAD_Y - layer * layerGap - layerGap / 2;
    const count = nIn * nOut;
    const boxes: EdgeBox[] = [];
    for (let input = 0; input < nIn; input++) {
      for (let output = 0; output < nOut; output++) {
        const cx = rowX(count, input * nOut + output);
        boxes.push({ layer, input, output, x: cx - boxW / 2, y: centerY - boxH / 2, w: boxW, h: boxH });
      }
    }
    return boxes;
  });
  return { width: usable + 2 * PAD_X, height, nodeRadius, nodes, boxes };
}

/**
 * The wires of all edges as few SVG paths: one per opacity level (rounded to tenths), since drawing 2 lines per edge as
 * separate elements dominates the drawing time of wide networks. Keys are opacities, values path data.
 */
export function wirePaths(layout: NetworkLayout, widths: readonly number[], edges: readonly { layer: number; input: number; output: number; opacity: number }[]): Map<number, string> {
  const paths = new Map<number, string>();
  for (const e of edges) {
    const box = layout.boxes[e.layer]![e.input * widths[e.layer + 1]! + e.output]!;
    const from = layout.nodes[e.layer]![e.input]!;
    const to = layout.nodes[e.layer + 1]![e.output]!;
    const level = Math.round(e.opacity * 10) / 10;
    const cx = (box.x + box.w / 2).toFixed(1);
    const segment = `M${from.x.toFixed(1)} ${from.y.toFixed(1)}L${cx} ${(box.y + box.h).toFixed(1)}M${cx} ${box.y.toFixed(1)}L${to.x.toFixed(1)} ${to.y.toFixed(1)}`;
    paths.set(level, (paths.get(level) ?? '') + segment);
  }
  return paths;
}

/** Opacity of an edge from its importance, as pykan: tanh(3 * score), with scores scaled by the largest one. */
export function edgeOpacity(importance: number, maxImportance: number): number {
  if (!(maxImportance > 0) || !Number.isFinite(importance)) return 1;
  return Math.max(0.08, Math.tanh((3 * Math.max(0, importance)) / maxImportance));
}

interface Range {
  lo: number;
  hi: number;
}

function rangeOf(a: readonly number[], b: readonly number[]): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  for (const v of b) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi >= lo)) return { lo: -1, hi: 1 };
  // A flat curve (a constant or a pruned-away edge) is drawn as a line through the middle.
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) return { lo: lo - 1, hi: hi + 1 };
  return { lo, hi };
}

/**
 * SVG path data for an edge's curve and data points scaled into a box (inset by 2 px). The points form one path of
 * zero-length segments, drawn as dots by a round line cap: one element per edge instead of one per point.
 */
export function sparklinePaths(
  box: { x: number; y: number; w: number; h: number },
  curveX: readonly number[], curveY: readonly number[], dataX: readonly number[], dataY: readonly number[],
): { curve: string; dots: string } {
  const xr = rangeOf(curveX, dataX);
  const yr = rangeOf(curveY, dataY);
  const inset = 2;
  const sx = (box.w - 2 * inset) / (xr.hi - xr.lo);
  const sy = (box.h - 2 * inset) / (yr.hi - yr.lo);
  // One decimal is finer than a screen pixel; rounding by arithmetic is several times faster than toFixed.
  const px = (v: number): number => Math.round((box.x + inset + (v - xr.lo) * sx) * 10) / 10;
  const py = (v: number): number => Math.round((box.y + box.h - inset - (v - yr.lo) * sy) * 10) / 10;
  let curve = '';
  for (let i = 0; i < curveX.length; i++) {
    const x = curveX[i]!;
    const y = curveY[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    curve += `${curve ? 'L' : 'M'}${px(x)} ${py(y)}`;
  }
  let dots = '';
  for (let i = 0; i < dataX.length; i++) {
    const x = dataX[i]!;
    const y = dataY[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) dots += `M${px(x)} ${py(y)}h0`;
  }
  return { curve, dots };
}
