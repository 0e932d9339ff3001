/**
 * Zoom and pan of a drawing inside a viewport, as one transform (screen = content * scale + offset). Plain numbers: the
 * network view keeps one of these and turns wheel, drag, buttons and keyboard focus into the functions below.
 */
export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 8;

const clampScale = (scale: number): number => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

/** The whole content in the viewport, never enlarged past 1:1, centred. */
export function fitView(content: { width: number; height: number }, viewport: { width: number; height: number }): View {
  const scale = clampScale(Math.min(1, viewport.width / content.width, viewport.height / content.height));
  return { scale, x: (viewport.width - content.width * scale) / 2, y: (viewport.height - content.height * scale) / 2 };
}

/** Zoom by `factor` keeping the content point under (px, py) in place. */
export function zoomAt(view: View, factor: number, px: number, py: number): View {
  const scale = clampScale(view.scale * factor);
  const k = scale / view.scale;
  return { scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** The smallest pan that brings a content rectangle into the viewport (with a margin); the view as it is when it shows. */
export function revealRect(view: View, rect: { x: number; y: number; w: number; h: number }, viewport: { width: number; height: number }, margin = 12): View {
  const left = rect.x * view.scale + view.x;
  const top = rect.y * view.scale + view.y;
  const right = left + rect.w * view.scale;
  const bottom = top + rect.h * view.scale;
  let dx = 0;
  let dy = 0;
  if (left < margin) dx = margin - left;
  else if (right > viewport.width - margin) dx = viewport.width - margin - right;
  if (top < margin) dy = margin - top;
  else if (bottom > viewport.height - margin) dy = viewport.height - margin - bottom;
  return dx === 0 && dy === 0 ? view : panBy(view, dx, dy);
}

/** "translate(x y) scale(s)" for an SVG group. */
export function transformOf(view: View): string {
  return `translate(${view.x.toFixed(1)} ${view.y.toFixed(1)}) scale(${view.scale.toFixed(4)})`;
}
