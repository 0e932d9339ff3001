// Generates malformed and hostile API messages (seeded): broken JSON, wrong types, huge strings, prototype keys, unknown operations.
import { expect } from 'vitest';

import type { ResponseMessage } from '../../../app/api/contract';
import { Rng } from '../../../app/util/rng';

/** A message as sent: `text` for the WebSocket (possibly not JSON at all), `value` for IPC (any cloneable value). */
export interface HostileMessage {
  kind: string;
  text: string;
  value: unknown;
  /** The id the answer must carry (null when the message has no usable id). */
  replyId: number | null;
}

const OPS_WITH_FIELDS: [string, Record<string, unknown>][] = [
  ['datasets.importCsv', { name: 'ok', text: 'a,b\n1,2\n' }],
  ['datasets.createFormula', { name: 'f', formula: 'x1', vars: 1, range: [-1, 1], train: 10, test: 0 }],
  ['runs.list', { limit: 10 }],
  ['runs.get', { id: 'some-run' }],
  ['runs.setTags', { id: 'some-run', tags: ['a'] }],
  ['runs.branch', { id: 'some-run', step: 0, steps: [] }],
  ['model.edge', { runId: 'r', layer: 0, input: 0, output: 0 }],
  ['settings.set', { threads: 2 }],
  ['formula.export', { runId: 'r', format: 'latex' }],
];
const UNKNOWN_OPS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'runs', 'runs.list.extra', '', 'RUNS.LIST', 'app.info ', '../app.info', 'runs.__proto__'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const WRONG_VALUES: unknown[] = [null, true, -1, 1.5, 1e308, '', 'x', [], [1, 2], {}, { nested: { deeper: [1] } }];

function typeClass(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

function message(kind: string, value: unknown, replyId: number | null): HostileMessage {
  return { kind, text: JSON.stringify(value), value, replyId };
}

/** Text with a key the JSON parser makes an own property, as an attacker's raw frame would. */
function withRawKey(json: string, key: string, inner: string): string {
  return json.replace(/^\{/, `{"${key}": ${inner},`);
}

export function hostileMessages(count: number, seed: number): HostileMessage[] {
  const rng = new Rng(seed);
  const out: HostileMessage[] = [];
  for (let n = 0; n < count; n++) {
    const id = 1000 + n;
    const variant = n % 12;
    const [op, fields] = pick(rng, OPS_WITH_FIELDS);
    switch (variant) {
      case 0: {
        const garbage = ['{', '}', '{"v":1,"id":', 'null,', '[[[', 'undefined', "{'v':1}", '\u0000\u0001', 'NaN', '{"v":1 "id":2}'];
        const text = pick(rng, garbage) + 'x'.repeat(rng.int(50));
        out.push({ kind: 'not JSON', text, value: text, replyId: null });
        break;
      }
      case 1:
        out.push(message('not an object', pick(rng, [null, 42, 'app.info', [1, 'app.info', {}], true]), null));
        break;
      case 2:
        out.push(message('wrong version', { v: pick(rng, [0, 2, '1', null, 99]), id, op: 'app.info', payload: {} }, id));
        break;
      case 3:
        out.push(message('bad id', { v: 1, id: pick(rng, [-1, 1.5, '7', null, Number.MAX_SAFE_INTEGER + 2]), op: 'app.info', payload: {} }, null));
        break;
      case 4:
        out.push(message('unknown operation', { v: 1, id, op: pick(rng, UNKNOWN_OPS) + (rng.uniform() < 0.3 ? String(rng.int(1000)) : ''), payload: {} }, id));
        break;
      case 5:
        out.push(message('huge operation name', { v: 1, id, op: 'runs.list'.repeat(2000), payload: {} }, id));
        break;
      case 6: {
        // A field of the right name with a value of the wrong type.
        const key = pick(rng, Object.keys(fields));
        const wrong = pick(rng, WRONG_VALUES.filter((value) => typeClass(value) !== typeClass(fields[key])));
        out.push(message('wrong field type', { v: 1, id, op, payload: { ...fields, [key]: wrong } }, id));
        break;
      }
      case 7: {
        // Strings far beyond their limit (a name of 1 MB, an id of 100 kB).
        const huge = 'A'.repeat(rng.uniform() < 0.5 ? 1_000_000 : 100_000);
        const payload = op === 'datasets.importCsv' || op === 'datasets.createFormula' ? { ...fields, name: huge } : { ...fields, ...(('id' in fields) ? { id: huge } : { runId: huge }) };
        out.push(message('huge string', { v: 1, id, op: op === 'runs.list' || op === 'settings.set' ? 'runs.get' : op, payload: op === 'runs.list' || op === 'settings.set' ? { id: huge } : payload }, id));
        break;
      }
      case 8: {
        // Prototype keys in the payload, as own properties (JSON text) that a naive merge would follow.
        const key = pick(rng, PROTO_KEYS);
        const base = JSON.stringify({ ...fields });
        const payloadText = withRawKey(base, key, '{"polluted": "yes", "isAdmin": true}');
        const text = `{"v": 1, "id": ${id}, "op": "${op}", "payload": ${payloadText}}`;
        out.push({ kind: 'prototype key in payload', text, value: JSON.parse(text), replyId: id });
        break;
      }
      case 9: {
        const key = pick(rng, PROTO_KEYS);
        const text = withRawKey(JSON.stringify({ v: 1, id, op: 'app.info', payload: {} }), key, '{"polluted": "yes"}');
        out.push({ kind: 'prototype key in message', text, value: JSON.parse(text), replyId: id });
        break;
      }
      case 10: {
        // A recipe with a polluting key deep inside, and steps that are not steps.
        const recipe = { data: { formula: 'x1', vars: 1 }, kan: { width: [1, 1] }, steps: [pick(rng, [{ fit: { steps: 'ten' } }, { delete: {} }, { fit: { steps: 1 }, prune: {} }, 'fit', null])] };
        const text = `{"v": 1, "id": ${id}, "op": "runs.create", "payload": {"recipe": ${withRawKey(JSON.stringify(recipe), '__proto__', '{"polluted": "yes"}')}}}`;
        out.push({ kind: 'hostile recipe', text, value: JSON.parse(text), replyId: id });
        break;
      }
      default: {
        // Extra keys beside the right ones, and missing required ones.
        const payload: Record<string, unknown> = rng.uniform() < 0.5 ? { ...fields, extra: 1 } : {};
        const target = rng.uniform() < 0.5 ? op : 'runs.get';
        if (Object.keys(payload).length === 0 && (target === 'runs.list' || target === 'settings.set')) payload.unknownField = true;
        out.push(message('extra or missing keys', { v: 1, id, op: target, payload, ...(rng.uniform() < 0.3 ? { extra: 'key' } : {}) }, id));
      }
    }
  }
  return out;
}

/** Every hostile message gets a clear refusal: not ok, a known code, a message naming the problem, and its id back. */
export function expectRefusal(sent: HostileMessage, response: ResponseMessage): void {
  const context = `${sent.kind}: ${sent.text.slice(0, 120)}`;
  expect(response.ok, context).toBe(false);
  if (response.ok) return;
  expect(['bad_request', 'unknown_operation', 'version_mismatch', 'not_found', 'invalid'], context).toContain(response.error.code);
  expect(response.error.message.length, context).toBeGreaterThan(10);
  expect(response.error.message.length, context).toBeLessThan(2500);
  expect(response.id, context).toBe(sent.replyId);
}

/** Nothing reached Object.prototype. */
export function expectPrototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
}
