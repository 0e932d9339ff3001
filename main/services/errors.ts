/** Turns whatever a service throws into the API's error body, so a transport never sends a stack trace or crashes. */
import { ApiError, type ApiErrorBody } from '../../app/api';
import { DataError } from '../../app/data';
import { RecipeError } from '../../app/recipe/schema';
import { StoreError } from '../store';

const MAX_MESSAGE_CHARS = 2000;

export function notFound(what: string): never {
  throw new ApiError({ code: 'not_found', message: `${what} not found; it may have been deleted. Refresh and try again.` });
}

export function badRequest(message: string, path?: string): never {
  throw new ApiError({ code: 'bad_request', message, ...(path === undefined ? {} : { path }) });
}

export function conflict(message: string): never {
  throw new ApiError({ code: 'conflict', message });
}

/** A RecipeError from a recipe nested at `prefix` of a request, with its path made relative to the request. */
export function recipeError(error: RecipeError, prefix: string): ApiError {
  const path = error.path ? `${prefix}.${error.path}` : prefix;
  return new ApiError({ code: 'bad_request', message: error.message, path });
}

export function toErrorBody(error: unknown): { body: ApiErrorBody; unexpected: boolean } {
  if (error instanceof ApiError) return { body: error.body, unexpected: false };
  if (error instanceof StoreError) {
    const code = error.code === 'not_found' || error.code === 'invalid' || error.code === 'conflict' ? error.code : 'failed';
    return { body: { code, message: clip(error.message) }, unexpected: false };
  }
  if (error instanceof RecipeError) return { body: { code: 'bad_request', message: clip(error.message), path: error.path }, unexpected: false };
  if (error instanceof DataError) return { body: { code: 'invalid', message: clip(error.message) }, unexpected: false };
  const message = error instanceof Error ? error.message : String(error);
  return { body: { code: 'failed', message: clip(message || 'the operation failed') }, unexpected: true };
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}
