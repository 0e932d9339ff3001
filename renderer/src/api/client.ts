/**
 * The renderer's only way to reach main: a typed `invoke(op, payload)` and event subscription over one transport
 * (Electron's preload bridge or the local WebSocket). Types come from the contract in app/api; no runtime code of it is
 * bundled, so the renderer stays small.
 */
import type { ApiErrorBody, EventName, EventOf, OperationName, RequestOf, ResponseOf } from '../../../app/api/contract';

export type ApiEventListener = (event: EventName, payload: unknown) => void;
export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** What a transport provides; payloads are untyped here, createClient adds the contract's types. */
export interface Transport {
  readonly platform: 'electron' | 'browser';
  invoke(op: string, payload: unknown): Promise<unknown>;
  subscribe(listener: ApiEventListener): () => void;
  /** Transports that can drop (the WebSocket) report their state; the UI shows a banner while it is not open. */
  onConnectionChange?(listener: (state: ConnectionState, detail: string | null) => void): () => void;
}

export type ApiErrorCode = ApiErrorBody['code'];

/** An operation that main refused or that failed, with the contract's error code and the bad field's path. */
export class ApiCallError extends Error {
  readonly code: ApiErrorCode;
  readonly path: string | undefined;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiCallError';
    this.code = body.code;
    this.path = body.path;
  }
}

const ERROR_CODES: ReadonlySet<string> = new Set<ApiErrorCode>(['bad_request', 'unknown_operation', 'not_found', 'invalid', 'conflict', 'failed', 'version_mismatch']);

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === 'string' && typeof v.code === 'string' && ERROR_CODES.has(v.code);
}

/**
 * Whatever a transport rejected with, as an ApiCallError. Only an Error's message crosses Electron's context bridge, so
 * the preload (main/electron/preload.ts) writes the code and the bad field into it: "[bad_request recipe.kan] message".
 */
export function toApiCallError(reason: unknown): ApiCallError {
  if (reason instanceof ApiCallError) return reason;
  if (isErrorBody(reason)) return new ApiCallError({ code: reason.code, message: reason.message, ...(reason.path ? { path: reason.path } : {}) });
  const message = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'the operation failed for an unknown reason';
  const tagged = /^\[([a-z_]+)(?: ([^\]]+))?\] ([\s\S]*)$/.exec(message);
  if (tagged && ERROR_CODES.has(tagged[1]!)) {
    return new ApiCallError({ code: tagged[1] as ApiErrorCode, message: tagged[3]!, ...(tagged[2] ? { path: tagged[2] } : {}) });
  }
  return new ApiCallError({ code: 'failed', message });
}

export interface ApiClient {
  readonly platform: 'electron' | 'browser';
  invoke<O extends OperationName>(op: O, payload: RequestOf<O>): Promise<ResponseOf<O>>;
  subscribe(listener: ApiEventListener): () => void;
  on<E extends EventName>(event: E, handler: (payload: EventOf<E>) => void): () => void;
  onConnectionChange(listener: (state: ConnectionState, detail: string | null) => void): () => void;
}

/**
 * Adds the contract's types to a transport. Responses are not re-validated here: main validated them against the same
 * schemas before sending, and the network view alone can be megabytes of numbers.
 */
export function createClient(transport: Transport): ApiClient {
  return {
    platform: transport.platform,
    async invoke<O extends OperationName>(op: O, payload: RequestOf<O>): Promise<ResponseOf<O>> {
      try {
        return (await transport.invoke(op, payload)) as ResponseOf<O>;
      } catch (reason) {
        throw toApiCallError(reason);
      }
    },
    subscribe: (listener) => transport.subscribe(listener),
    on<E extends EventName>(event: E, handler: (payload: EventOf<E>) => void): () => void {
      return transport.subscribe((name, payload) => {
        if (name === event) handler(payload as EventOf<E>);
      });
    },
    onConnectionChange: (listener) => transport.onConnectionChange?.(listener) ?? (() => undefined),
  };
}
