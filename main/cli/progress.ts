/** A progress bar on stderr for long CLI work: redrawn in place on a terminal, one line per step otherwise. */

export class ProgressBar {
  private lastDraw = 0;
  constructor(private readonly stream: NodeJS.WriteStream, private readonly enabled: boolean) {}

  update(fraction: number, label: string): void {
    if (!this.enabled || !this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 50 && fraction < 1) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const columns = this.stream.columns ?? 100;
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${label}`;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, 100))}`);
  }

  /** A line that stays (a finished step); clears the bar first on a terminal. */
  log(line: string): void {
    if (!this.enabled) return;
    if (this.stream.isTTY) this.stream.write(`\r${' '.repeat(Math.min((this.stream.columns ?? 100) - 1, 100))}\r`);
    this.stream.write(`${line}\n`);
  }
}

export function formatNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? v.toPrecision(4) : v.toExponential(3);
}
