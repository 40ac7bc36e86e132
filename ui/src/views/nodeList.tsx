import type { ClusterView } from '../../../core/protocol/api.ts';
import { hrefOf } from '../route.ts';
import { Badge } from './badge.tsx';

export type NodeView = ClusterView['nodes'][number];

/** Unfence makes sense for these; `fencing` is refused by the API (409 in-flight) anyway. */
const unfenceable = new Set(['fenced', 'failed', 'suspected']);

/**
 * Every node of a cluster with its state word. Readiness plugs in here: a `<NodeReadiness>`
 * next to the state badge, fed by `GET /v1/clusters/{cluster}/readiness` (DESIGN "Readiness").
 */
export function NodeList(props: {
  cluster: string;
  nodes: NodeView[];
  admin: boolean;
  onUnfence(node: string): void;
}) {
  return (
    <ul class="nodes" aria-label={`Nodes of ${props.cluster}`}>
      {props.nodes.map((node) => (
        <li class={`node node-${node.state}`} key={node.name}>
          <span class="node-name">{node.name}</span>
          <Badge word={node.state} />
          {node.incidentId && (
            <a
              class="node-incident"
              href={hrefOf({
                view: 'incident',
                cluster: props.cluster,
                incidentId: node.incidentId,
              })}
            >
              incident<span class="visually-hidden"> of {node.name}</span>
            </a>
          )}
          {props.admin && unfenceable.has(node.state) && (
            <button type="button" class="unfence" onClick={() => props.onUnfence(node.name)}>
              Unfence
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
