/**
 * What a pruning would remove, as the network drawing marks it: the edges under the threshold plus every edge of a node
 * that would go (an edge cannot outlive its node), never counting an edge already pruned.
 */

interface EdgeLike { layer: number; input: number; output: number; kind?: string }
interface NodeLike { layer: number; index: number }

export interface PruneRemoval {
  /** "layer.input.output" of each edge that would go. */
  edges: Set<string>;
  /** "layer.index" of each node that would go. */
  nodes: Set<string>;
}

export const edgeKey = (e: EdgeLike): string => `${e.layer}.${e.input}.${e.output}`;

export function pruneRemoval(networkEdges: readonly EdgeLike[], preview: { edges: readonly EdgeLike[]; nodes: readonly NodeLike[] } | null): PruneRemoval {
  if (!preview) return { edges: new Set(), nodes: new Set() };
  const nodes = new Set(preview.nodes.map((n) => `${n.layer}.${n.index}`));
  const listed = new Set(preview.edges.map(edgeKey));
  const edges = new Set<string>();
  for (const e of networkEdges) {
    if (e.kind === 'pruned') continue;
    const key = edgeKey(e);
    if (listed.has(key) || nodes.has(`${e.layer}.${e.input}`) || nodes.has(`${e.layer + 1}.${e.output}`)) edges.add(key);
  }
  return { edges, nodes };
}

export function pruneSummary(removal: PruneRemoval): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(removal.edges.size, 'edge')}, ${plural(removal.nodes.size, 'node')} would go`;
}
