/**
 * The API dispatcher: one entry for every transport. It validates the wire message and the operation's payload against
 * app/api, calls the handler, and always answers with a response body; bad input of any kind (unknown operation, wrong
 * types, huge strings, prototype keys) becomes an error naming what was wrong, never an exception.
 */
import {
  API_VERSION,
  isOperation,
  operations,
  requestMessage,
  type ApiErrorBody,
  type OperationName,
  type ParsedRequestOf,
  type ResponseMessage,
  type ResponseOf,
} from '../../app/api/contract';
import { parseRequest, schemaError } from '../../app/api/validate';
import { toErrorBody } from './errors';

export type Handlers = {
  [O in OperationName]: (request: ParsedRequestOf<O>) => ResponseOf<O> | Promise<ResponseOf<O>>;
};

export type ApiResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

export interface ApiOptions {
  /** Checks every result against its response schema (tests and development); off in production, where results are large. */
  checkResponses?: boolean;
  log?: (message: string) => void;
}

const OPERATION_NAMES = Object.keys(operations).join(', ');

export class Api {
  private readonly log: (message: string) => void;

  constructor(private readonly handlers: Handlers, private readonly options: ApiOptions = {}) {
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
  }

  async handle(op: unknown, payload: unknown): Promise<ApiResult> {
    if (typeof op !== 'string' || !isOperation(op)) {
      const shown = typeof op === 'string' ? JSON.stringify(op.slice(0, 100)) : `of type ${op === null ? 'null' : typeof op}`;
      return { ok: false, error: { code: 'unknown_operation', message: `unknown operation ${shown}; the operations are ${OPERATION_NAMES}.` } };
    }
    try {
      const request = parseRequest(op, payload);
      const handler = this.handlers[op] as (request: unknown) => unknown;
      const result = await handler(request);
      if (this.options.checkResponses) {
        const checked = operations[op].response.safeParse(result);
        if (!checked.success) throw new Error(`the response of ${op} breaks the contract: ${schemaError('response', checked.error).message}`);
      }
      return { ok: true, result };
    } catch (error) {
      const { body, unexpected } = toErrorBody(error);
      if (unexpected) this.log(`kanbench: ${op} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { ok: false, error: body };
    }
  }

  /** Answers one wire message (already parsed from JSON, or as IPC delivered it). */
  async handleMessage(message: unknown): Promise<ResponseMessage> {
    const notJson = jsonProblem(message);
    if (notJson) {
      const id = ownField(message, 'id');
      return { id: typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null, ok: false, error: { code: 'bad_request', message: `the message ${notJson}; send plain JSON data.` } };
    }
    const parsed = requestMessage.safeParse(message);
    if (!parsed.success) {
      const id = ownField(message, 'id');
      const replyId = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
      const version = ownField(message, 'v');
      if (version !== undefined && version !== API_VERSION) {
        return {
          id: replyId,
          ok: false,
          error: {
            code: 'version_mismatch',
            message: `the client speaks API version ${String(JSON.stringify(version)).slice(0, 20)} but this KAN Workbench speaks ${API_VERSION}; reload the page, or use matching versions of the app.`,
          },
        };
      }
      return { id: replyId, ok: false, error: schemaError('request message', parsed.error) };
    }
    const { id, op, payload } = parsed.data;
    const outcome = await this.handle(op, payload);
    return outcome.ok ? { id, ok: true, result: outcome.result } : { id, ok: false, error: outcome.error };
  }

  /** Answers one text frame: JSON first, then as handleMessage. */
  async handleText(text: string): Promise<ResponseMessage> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      return {
        id: null,
        ok: false,
        error: { code: 'bad_request', message: `the message is not valid JSON (${(error as Error).message.slice(0, 200)}); send {"v": ${API_VERSION}, "id": 1, "op": "...", "payload": {...}}.` },
      };
    }
    return this.handleMessage(message);
  }
}

const MAX_DEPTH = 64;

/**
 * Why a value is not plain JSON data (IPC can carry Maps, Sets, Dates, typed arrays, NaN), or null when it is. Only
 * plain data reaches the schemas, so a class instance can never pass for an object.
 */
function jsonProblem(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item === 'string' || typeof item === 'boolean') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return `holds the number ${item}`;
      continue;
    }
    if (typeof item !== 'object') return `holds a value of type ${typeof item}`;
    if (depth >= MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(item)) {
      for (const element of item) stack.push([element, depth + 1]);
      continue;
    }
    const proto = Object.getPrototypeOf(item) as unknown;
    if (proto !== Object.prototype && proto !== null) return `holds a ${(item as object).constructor?.name ?? 'non-plain'} object`;
    for (const key of Object.keys(item)) stack.push([(item as Record<string, unknown>)[key], depth + 1]);
  }
  return null;
}

/** A field the object itself holds; inherited ones (from a polluted prototype, say) do not count. */
function ownField(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
