import type { Incident } from '../../../core/protocol/api.ts';
import { type Api, seg } from '../api/client.ts';
import { formatTime } from '../format.ts';
import { hrefOf } from '../route.ts';
import { usePoll } from '../usePoll.ts';
import { Badge } from './badge.tsx';
import { Freshness } from './status.tsx';
import { Timeline } from './timeline.tsx';

/** One incident: who reported, who was refused, and every attempt of every level. */
export function IncidentPage(props: { api: Api; cluster: string; incidentId: string }) {
  const { api, cluster, incidentId } = props;
  const polled = usePoll(
    () => api.get<Incident>(`/v1/clusters/${seg(cluster)}/incidents/${seg(incidentId)}`),
    `incident:${cluster}:${incidentId}`,
    2000,
  );
  const incident = polled.data;
  return (
    <main>
      <div class="title-row">
        <h1>
          {incident
            ? `${incident.action === 'reboot' ? 'Reboot' : 'Fence'} of ${incident.target}`
            : 'Incident'}
        </h1>
        <Freshness polled={polled} />
      </div>
      {incident && (
        <>
          <section class="card">
            <dl class="facts">
              <dt>State</dt>
              <dd>
                <Badge word={incident.state} />
              </dd>
              <dt>Cluster</dt>
              <dd>
                <a href={hrefOf({ view: 'incidents', cluster })}>{cluster}</a>
              </dd>
              <dt>Target</dt>
              <dd>{incident.target}</dd>
              <dt>Reporters</dt>
              <dd>{incident.reporters.join(', ') || '—'}</dd>
              <dt>Opened</dt>
              <dd>{formatTime(incident.createdAt)}</dd>
              <dt>Last change</dt>
              <dd>{formatTime(incident.updatedAt)}</dd>
              <dt>Incident id</dt>
              <dd class="id">{incident.incidentId}</dd>
              {incident.refusal && (
                <>
                  <dt>Refused</dt>
                  <dd>
                    {incident.refusal.code}: {incident.refusal.detail}
                  </dd>
                </>
              )}
            </dl>
          </section>
          <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <Timeline incident={incident} nowMs={polled.updatedAt ?? Date.now()} />
          </section>
          <section class="card" aria-labelledby="refused-title">
            <h2 id="refused-title">Refused reports</h2>
            {(incident.refusedReports ?? []).length === 0 ? (
              <p>None.</p>
            ) : (
              <ul class="refused">
                {(incident.refusedReports ?? []).map((r) => (
                  <li key={`${r.reporter}-${r.at}`}>
                    <strong>{r.reporter}</strong> at {formatTime(r.at)}: {r.code}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </main>
  );
}
