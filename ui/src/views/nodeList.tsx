import type { ClusterView } from '../../../core/protocol/api.ts';
import { hrefOf } from '../route.ts';
import { Badge } from './badge.tsx';

export type NodeView = ClusterView['nodes'][number];

/** Unfence makes sense for these; `fencing` is refused by the API (409 in-flight) anyway. */
const canUnfence = new Set(['fenced', 'failed', 'suspected']);

/**
 * Every node of a cluster with its state word and its readiness word (both come with the
 * cluster reads). The devices behind a readiness are in the cluster view's readiness panel:
 * with `linkReadiness` (the overview) the readiness word leads there.
 */
export function NodeList(props: {
  cluster: string;
  nodes: NodeView[];
  admin: boolean;
  linkReadiness?: boolean;
  onUnfence(node: string): void;
}) {
  return (
    <ul class="nodes" aria-label={`Nodes of ${props.cluster}`}>
      {props.nodes.map((node) => (
        <li class={`node node-${node.state}`} key={node.name}>
          <span class="node-name">{node.name}</span>
          <Badge word={node.state} />
          {props.linkReadiness ? (
            <a class="readiness-link" href={hrefOf({ view: 'incidents', cluster: props.cluster })}>
              <span class="visually-hidden">readiness of {node.name}: </span>
              <Badge word={node.readiness} kind="readiness" />
            </a>
          ) : (
            <>
              <span class="visually-hidden">readiness</span>
              <Badge word={node.readiness} kind="readiness" />
            </>
          )}
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
          {props.admin && canUnfence.has(node.state) && (
            <button type="button" class="unfence" onClick={() => props.onUnfence(node.name)}>
              Unfence
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
