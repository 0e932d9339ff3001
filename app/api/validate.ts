/** Schema validation at the API boundary: turns a zod failure into an ApiErrorBody naming the bad field. */
import type { z } from 'zod';
import { explainIssue, formatPath } from '../recipe/schema';
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
  const { path: rawPath, message } = explainIssue(error.issues[0]!);
  const path = formatPath(rawPath);
  return { code: 'bad_request', message: `${what}${path ? `, field ${path}` : ''}: ${message}`, ...(path ? { path } : {}) };
}
