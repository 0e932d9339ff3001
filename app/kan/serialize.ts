/**
 * Compact binary snapshots of a KAN (structure, knots, masks, symbolic choices and parameters), for the experiment store
 * and for moving models between threads. Layout: "KANS" magic, u32 format version, u32 JSON header length, UTF-8 JSON
 * header, padding to 8 bytes, then the Float64 arrays in header order (little-endian, as typed arrays on every platform
 * this runs on).
 */
import type { BaseKind, KanLayer, SymbolicFunction } from './layer';
import { Kan, type KanRegularization } from './model';

const MAGIC = 0x534e414b; // "KANS" little-endian
const FORMAT_VERSION = 1;
const NO_DOMAIN = new Float64Array(0);

interface SnapshotHeader {
  layers: { nIn: number; nOut: number; G: number; k: number; base: BaseKind; symbolic: (string | null)[] }[];
  regularization: KanRegularization;
  arrays: number[]; // lengths, in order: params, then per layer knots, mask, symMask (and domain, see domains)
  /** Each layer has a fourth array, its training domain (length 0 for none). Absent in snapshots from before domains. */
  domains?: true;
}

export function serializeKan(kan: Kan): Uint8Array {
  const arrays: Float64Array[] = [kan.params];
  for (const l of kan.layers) arrays.push(l.knots, l.mask, l.symMask, l.domain ?? NO_DOMAIN);
  const header: SnapshotHeader = {
    layers: kan.layers.map((l) => ({ nIn: l.nIn, nOut: l.nOut, G: l.G, k: l.k, base: l.base, symbolic: l.symFns.map((f) => (f ? f.name : null)) })),
    regularization: kan.regularization,
    arrays: arrays.map((a) => a.length),
    domains: true,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = align8(12 + json.length);
  const total = headerEnd + 8 * arrays.reduce((s, a) => s + a.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  let offset = headerEnd;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  return bytes;
}

/** Restores a snapshot; resolveSymbolic maps a stored function name back to the function (unknown names are an error). */
export function deserializeKan(bytes: Uint8Array, resolveSymbolic: (name: string) => SymbolicFunction | undefined): Kan {
  if (bytes.length < 12) throw new Error('KAN snapshot is truncated (fewer than 12 bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a KAN snapshot (bad magic number)');
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new Error(`KAN snapshot format ${version} is not supported by this version (expects ${FORMAT_VERSION})`);
  const jsonLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as SnapshotHeader;
  let offset = align8(12 + jsonLength);
  const arrays = header.arrays.map((length) => {
    const end = offset + 8 * length;
    if (end > bytes.length) throw new Error('KAN snapshot is truncated');
    // Copy into an aligned buffer: the input may sit at any byte offset.
    const a = new Float64Array(length);
    new Uint8Array(a.buffer).set(bytes.subarray(offset, end));
    offset = end;
    return a;
  });
  const perLayer = header.domains ? 4 : 3;
  const layers: KanLayer[] = header.layers.map((h, l) => ({
    nIn: h.nIn, nOut: h.nOut, G: h.G, k: h.k, base: h.base,
    knots: arrays[1 + perLayer * l]!,
    mask: arrays[2 + perLayer * l]!,
    symMask: arrays[3 + perLayer * l]!,
    domain: header.domains && arrays[4 + perLayer * l]!.length > 0 ? arrays[4 + perLayer * l]! : null,
    symFns: h.symbolic.map((name) => {
      if (name === null) return null;
      const fn = resolveSymbolic(name);
      if (!fn) throw new Error(`KAN snapshot uses the symbolic function "${name}", which is not in the library`);
      return fn;
    }),
    coefOffset: 0, wbOffset: 0, wsOffset: 0, symOffset: 0,
  }));
  const kan = new Kan(layers, arrays[0]!);
  kan.regularization = header.regularization;
  return kan;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
