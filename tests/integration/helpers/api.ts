/** Calls to a started backend's API from integration tests: the result of an operation that must succeed, or the error of one that must fail. */
import type { ApiErrorBody, OperationName, RequestOf, ResponseOf } from '../../../app/api/contract';
import type { Backend } from '../../../main/services/backend';

export async function callOk<O extends OperationName>(backend: Backend, op: O, payload: RequestOf<O>): Promise<ResponseOf<O>> {
  const outcome = await backend.api.handle(op, payload);
  if (!outcome.ok) throw new Error(`${op} failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as ResponseOf<O>;
}

export async function callFails(backend: Backend, op: string, payload: unknown): Promise<ApiErrorBody> {
  const outcome = await backend.api.handle(op, payload);
  if (outcome.ok) throw new Error(`${op} succeeded but should have failed`);
  return outcome.error;
}
