/** Schema validation at the API boundary: turns a zod failure into an ApiErrorBody naming the bad field. */
import type { z } from 'zod';
import { formatPath } from '../recipe/schema';
import { type ApiErrorBody, type OperationName, type ParsedRequestOf, operations } from './contract';

export class ApiError extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
  }
}

export function parseRequest<O extends OperationName>(op: O, payload: unknown): ParsedRequestOf<O> {
  const result = operations[op].request.safeParse(payload);
  if (result.success) return result.data as ParsedRequestOf<O>;
  throw new ApiError(schemaError(`request of ${op}`, result.error));
}

export function schemaError(what: string, error: z.ZodError): ApiErrorBody {
  const { issue, path: rawPath } = mostSpecificIssue(error.issues[0]!, []);
  const path = formatPath(rawPath);
  const detail =
    issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 60)}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`
      : issue.code === 'invalid_union'
        ? 'matches none of the allowed forms; check its key names and value types'
        : issue.message;
  return { code: 'bad_request', message: `${what}${path ? `, field ${path}` : ''}: ${detail}`, ...(path ? { path } : {}) };
}

/**
 * For a union (a recipe step, say) zod reports every branch's failure; the branch that got furthest into the input
 * (longest path) is the one the sender meant, so its issue is the one to report.
 */
function mostSpecificIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { issue: z.core.$ZodIssue; path: PropertyKey[] } {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path };
  let best: { issue: z.core.$ZodIssue; path: PropertyKey[] } | null = null;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      if (inner.code === 'unrecognized_keys' && inner.path.length === 0) continue;
      const candidate = mostSpecificIssue(inner, path);
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best ?? { issue, path };
}
