import type { ClusterView } from '../../../core/protocol/api.ts';
import type { Api } from '../api/client.ts';
import { hrefOf } from '../route.ts';
import { usePoll } from '../usePoll.ts';
import { NodeList } from './nodeList.tsx';
import { Freshness } from './status.tsx';

/** Every cluster and each node's state and readiness, live (`GET /v1/clusters` every 2 s). */
export function Overview(props: {
  api: Api;
  admin: boolean;
  onUnfence(c: string, n: string): void;
}) {
  const polled = usePoll(
    () => props.api.get<{ clusters: ClusterView[] }>('/v1/clusters'),
    'overview',
    2000,
  );
  return (
    <main>
      <div class="title-row">
        <h1>Clusters</h1>
        <Freshness polled={polled} />
      </div>
      {polled.data?.clusters.length === 0 && <p>No cluster is configured.</p>}
      {polled.data?.clusters.map((cluster) => (
        <section class="card" key={cluster.cluster} aria-labelledby={`cluster-${cluster.cluster}`}>
          <div class="card-head">
            <h2 id={`cluster-${cluster.cluster}`}>{cluster.cluster}</h2>
            <span class="summary">{summary(cluster)}</span>
            <a href={hrefOf({ view: 'incidents', cluster: cluster.cluster })}>
              Incidents<span class="visually-hidden"> of {cluster.cluster}</span>
            </a>
          </div>
          <NodeList
            cluster={cluster.cluster}
            nodes={cluster.nodes}
            admin={props.admin}
            linkReadiness
            onUnfence={(node) => props.onUnfence(cluster.cluster, node)}
          />
        </section>
      ))}
    </main>
  );
}

/** `3 nodes: 2 member, 1 fenced; 2 ready, 1 unfenceable` */
function summary(cluster: ClusterView): string {
  const tally = (words: string[]) => {
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    return [...counts].map(([word, n]) => `${n} ${word}`).join(', ');
  };
  const total = cluster.nodes.length;
  if (total === 0) return 'no nodes';
  const states = tally(cluster.nodes.map((n) => n.state));
  const readiness = tally(cluster.nodes.map((n) => n.readiness));
  return `${total} node${total === 1 ? '' : 's'}: ${states}; ${readiness}`;
}
