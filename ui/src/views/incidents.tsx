// Types only from core: a value import would pull zod into the page.
import type { ClusterView, Incident, IncidentState } from '../../../core/protocol/api.ts';
import type { ReadinessView } from '../../../core/protocol/readiness.ts';
import { type Api, seg } from '../api/client.ts';
import { durationBetween, formatDuration, formatTime } from '../format.ts';
import { hrefOf } from '../route.ts';
import { usePoll } from '../usePoll.ts';
import { Badge } from './badge.tsx';
import { NodeList } from './nodeList.tsx';
import { ReadinessPanel } from './readiness.tsx';
import { Freshness } from './status.tsx';

const incidentStates = ['pending', 'fencing', 'fenced', 'failed', 'refused'] as const;
// Fails to compile when DESIGN's list of incident states grows and this one does not.
const everyState: Exclude<IncidentState, (typeof incidentStates)[number]> extends never
  ? true
  : never = true;
void everyState;

// The API's maximum page; filtering happens here, over the newest ones.
const limit = 200;

/**
 * A cluster's nodes, the readiness of each device behind them, and its incidents newest first,
 * filtered by state and by node.
 */
export function Incidents(props: {
  api: Api;
  admin: boolean;
  cluster: string;
  state?: string;
  node?: string;
  onUnfence(c: string, n: string): void;
}) {
  const { api, cluster } = props;
  const polled = usePoll(
    async () => {
      const [view, list] = await Promise.all([
        api.get<ClusterView>(`/v1/clusters/${seg(cluster)}`),
        api.get<{ incidents: Incident[] }>(`/v1/clusters/${seg(cluster)}/incidents?limit=${limit}`),
      ]);
      return { view, incidents: list.incidents };
    },
    `incidents:${cluster}`,
    3000,
  );
  // Readiness changes only when a check runs (the local host looks every 5 s, Azure every
  // 30 s), so its own slower poll; a failing readiness read does not hold up the incidents.
  const readiness = usePoll(
    () => api.get<ReadinessView>(`/v1/clusters/${seg(cluster)}/readiness`),
    `readiness:${cluster}`,
    5000,
  );
  const nodes = polled.data?.view.nodes ?? [];
  const shown = (polled.data?.incidents ?? []).filter(
    (i) =>
      (!props.state || i.state === props.state) &&
      (!props.node || i.target === props.node || i.reporters.includes(props.node)),
  );
  // Filters live in the URL, so a filtered view survives a reload and can be shared.
  const filter = (change: { state?: string; node?: string }) => {
    const next = { state: props.state, node: props.node, ...change };
    location.replace(
      hrefOf({
        view: 'incidents',
        cluster,
        ...(next.state ? { state: next.state } : {}),
        ...(next.node ? { node: next.node } : {}),
      }),
    );
  };

  return (
    <main>
      <div class="title-row">
        <h1>{cluster}</h1>
        <Freshness polled={polled} />
      </div>
      <section class="card" aria-label="Nodes">
        <NodeList
          cluster={cluster}
          nodes={nodes}
          admin={props.admin}
          onUnfence={(node) => props.onUnfence(cluster, node)}
        />
      </section>
      <ReadinessPanel polled={readiness} />
      <section class="card" aria-labelledby="incidents-title">
        <h2 id="incidents-title">Incidents</h2>
        <div class="filters">
          <label>
            State
            <select
              value={props.state ?? ''}
              onChange={(e) => filter({ state: e.currentTarget.value })}
            >
              <option value="">any</option>
              {incidentStates.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Node (target or reporter)
            <select
              value={props.node ?? ''}
              onChange={(e) => filter({ node: e.currentTarget.value })}
            >
              <option value="">any</option>
              {nodes.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {polled.data && shown.length === 0 && <p>No incident matches.</p>}
        {shown.length > 0 && (
          <table class="incidents">
            <thead>
              <tr>
                <th scope="col">Opened</th>
                <th scope="col">Target</th>
                <th scope="col">Action</th>
                <th scope="col">State</th>
                <th scope="col">Reporters</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <tr key={i.incidentId}>
                  <td data-label="Opened">
                    <a href={hrefOf({ view: 'incident', cluster, incidentId: i.incidentId })}>
                      {formatTime(i.createdAt)}
                    </a>
                  </td>
                  <td data-label="Target">{i.target}</td>
                  <td data-label="Action">{i.action}</td>
                  <td data-label="State">
                    <Badge word={i.state} />
                  </td>
                  <td data-label="Reporters">{i.reporters.join(', ') || '—'}</td>
                  <td data-label="Took">
                    {formatDuration(durationBetween(i.createdAt, i.updatedAt))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
