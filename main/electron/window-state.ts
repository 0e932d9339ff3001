/** The workbench window's size, position and maximised state, kept in a JSON file between sessions. */
import fs from 'node:fs';
import path from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1400, height: 900, maximized: false };
const MIN_SIZE = 400;

/**
 * The saved state if the file holds a sane one; a position is kept only when the window's top-left area is on one of
 * the displays now attached (a monitor may have been unplugged since).
 */
export function readWindowState(file: string, displays: Rectangle[]): WindowState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_WINDOW_STATE };
  const record = raw as Record<string, unknown>;
  const size = (value: unknown, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value >= MIN_SIZE && value <= 20_000 ? Math.round(value) : fallback;
  const state: WindowState = {
    width: size(record.width, DEFAULT_WINDOW_STATE.width),
    height: size(record.height, DEFAULT_WINDOW_STATE.height),
    maximized: record.maximized === true,
  };
  const { x, y } = record;
  if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) {
    const visible = displays.some((d) => x + 100 > d.x && x < d.x + d.width - 100 && y >= d.y && y < d.y + d.height - 50);
    if (visible) Object.assign(state, { x: Math.round(x), y: Math.round(y) });
  }
  return state;
}

export function writeWindowState(file: string, state: WindowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(state));
  fs.renameSync(temp, file);
}
