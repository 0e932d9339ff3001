/** The math.js instance of the symbolic toolkit: `predictable` keeps every result a real number (NaN, never complex). */
import { all, create, type MathJsInstance } from 'mathjs';

let instance: MathJsInstance | null = null;

export function symbolicMath(): MathJsInstance {
  if (instance === null) instance = create(all!, { predictable: true });
  return instance;
}
