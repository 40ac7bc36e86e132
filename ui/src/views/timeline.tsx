import type { Incident } from '../../../core/protocol/api.ts';
import { formatDuration, formatTime } from '../format.ts';
import { layoutTimeline, type Placed } from '../timelineScale.ts';
import { Badge } from './badge.tsx';

/**
 * An incident's attempts by level on one time axis: each bar's position and length are its
 * start and duration to scale. The bars only repeat what the text beside them says (driver,
 * outcome word, duration, detail), so nothing depends on seeing them.
 */
export function Timeline({ incident, nowMs }: { incident: Incident; nowMs: number }) {
  const layout = layoutTimeline(incident, nowMs);
  return (
    <div class="timeline">
      <div class="axis" aria-hidden="true">
        <span>0 s</span>
        <span>{formatDuration(layout.spanMs)}</span>
      </div>
      <div class="lane">
        <div class="lane-label">Reported</div>
        <div class="track" aria-hidden="true">
          <Marker placed={layout.opened} tone="report" />
          {layout.refused.map((r) => (
            <Marker key={`${r.reporter}-${r.at}`} placed={r} tone="refused" />
          ))}
        </div>
        <p class="lane-text">
          {formatTime(incident.createdAt)} by {incident.reporters.join(', ') || 'nobody'}
          {incident.reason && <> · “{incident.reason}”</>}
          {layout.refused.length > 0 && (
            <> · refused: {layout.refused.map((r) => `${r.reporter} (${r.code})`).join(', ')}</>
          )}
        </p>
      </div>
      {layout.groups.length === 0 && (
        <p class="lane-text">
          {incident.state === 'pending' || incident.state === 'fencing'
            ? 'No attempt yet.'
            : 'No attempt was made.'}
        </p>
      )}
      {layout.groups.map((group) => (
        <section
          class="level"
          key={`${group.phase}-${group.level}-${group.attempts[0]?.attempt.startedAt}`}
        >
          <h3>
            {group.phase === 'power-on' ? 'Power on · ' : ''}Level {group.level}
          </h3>
          {group.attempts.map(({ attempt, durationMs, ...placed }) => (
            <div class="lane" key={`${attempt.startedAt}-${attempt.driver}`}>
              <div class="lane-label">{attempt.driver}</div>
              <div class="track" aria-hidden="true">
                <div class={`bar outcome-${attempt.outcome}`} style={barStyle(placed)} />
              </div>
              <p class="lane-text">
                <Badge word={attempt.outcome} /> in {formatDuration(durationMs)}
                <span class="muted"> · from {formatTime(attempt.startedAt)}</span>
                <br />
                <span class="detail">{attempt.detail}</span>
              </p>
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}

function Marker({ placed, tone }: { placed: Placed; tone: string }) {
  return <div class={`marker marker-${tone}`} style={{ left: `${placed.leftPct}%` }} />;
}

// Set through the CSSOM (element.style), which a `style-src 'self'` policy allows; a style
// attribute in markup would be blocked.
function barStyle(placed: Placed) {
  return { left: `${placed.leftPct}%`, width: `${placed.widthPct}%` };
}
