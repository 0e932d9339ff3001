/** A fixed edge's c·f(a·x + b) + d as readable text: signs folded into the operators (x − 0.1, not x + -0.1), zero terms left out. */
import { formatNumber } from './format';

const MINUS = '−';

/** " + 0.5" or " − 0.5"; empty for 0, which adds nothing. */
export function signedTerm(value: number, digits = 4): string {
  if (value === 0) return '';
  return value < 0 ? ` ${MINUS} ${formatNumber(-value, digits)}` : ` + ${formatNumber(value, digits)}`;
}

/** The leading factor: "2.5 · ", "−2.5 · ", nothing for 1 and "−" for −1. */
function factor(value: number, digits: number): string {
  if (value === 1) return '';
  if (value === -1) return MINUS;
  return `${value < 0 ? MINUS : ''}${formatNumber(Math.abs(value), digits)} · `;
}

export function affineText(sym: { name: string; a: number; b: number; c: number; d: number }, digits = 4): string {
  const inner = `${factor(sym.a, digits)}x${signedTerm(sym.b, digits)}`;
  return `${factor(sym.c, digits)}${sym.name}(${inner})${signedTerm(sym.d, digits)}`;
}
