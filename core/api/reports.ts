import { decide } from '../arbiter/arbiter.ts';
import { decideReport } from '../arbiter/report.ts';
import { type Incident, reportBody } from '../protocol/api.ts';
import { ProblemError, problem } from '../protocol/problems.ts';
import { authenticate } from './authenticate.ts';
import { incidentLocation, incidentView } from './incidentView.ts';
import { json, parseJsonBody, problemResponse } from './responses.ts';
import type { ApiContext, ApiRequest, ApiResponse } from './types.ts';

/** An eventId is remembered this long (DESIGN.md: at least 10 minutes). */
const eventMemoryMs = 15 * 60 * 1000;

/** POST /v1/clusters/{cluster}/reports: a signed suspected-dead report. */
export async function postReport(
  ctx: ApiContext,
  request: ApiRequest,
  cluster: string,
): Promise<ApiResponse> {
  const principal = await authenticate(ctx, request, cluster, 'node');
  if (principal.kind !== 'node') throw new ProblemError('forbidden', 'reports need a node key');
  const report = parseJsonBody(request.body, reportBody);
  const reporter = principal.node;

  const eventExpiry = ctx.clock.now() + eventMemoryMs;
  if (report.eventId) {
    const claim = await ctx.replay.claimEvent(
      cluster,
      reporter,
      report.eventId,
      report.target,
      eventExpiry,
    );
    if (claim.kind === 'conflict') {
      throw new ProblemError(
        'event-conflict',
        `eventId ${report.eventId} was used for ${claim.target}; a report about ${report.target} needs a new eventId`,
      );
    }
    if (claim.kind === 'same' && claim.incidentId)
      return answerWithIncident(
        ctx,
        cluster,
        claim.incidentId,
        await incidentView(ctx, cluster, claim.incidentId),
        'retried',
      );
  }
  const { outcome, incidents } = await decide(ctx, cluster, (state, rc) =>
    decideReport(
      state,
      {
        reporter,
        target: report.target,
        ...(report.reason ? { reason: report.reason } : {}),
        ...(report.action ? { action: report.action } : {}),
      },
      rc,
    ),
  );
  ctx.log.info(
    { cluster, reporter, target: report.target, eventId: report.eventId, outcome },
    'report decided',
  );
  if (outcome.kind === 'refused') throw new ProblemError(outcome.code, outcome.detail);
  const remembered = report.eventId
    ? ctx.replay.rememberEvent(
        cluster,
        reporter,
        report.eventId,
        report.target,
        outcome.incidentId,
        eventExpiry,
      )
    : undefined;
  // The decision projected the incident it touched; only an untouched one (200) is read again.
  const incident =
    incidents.get(outcome.incidentId) ?? (await incidentView(ctx, cluster, outcome.incidentId));
  await remembered;
  return answerWithIncident(
    ctx,
    cluster,
    outcome.incidentId,
    incident,
    outcome.kind === 'storm-guard' ? 'storm-guard' : 'decided',
    outcome.kind === 'accepted' ? outcome.status : undefined,
  );
}

/** 200 for a fenced target, 202 otherwise; a storm-guard refusal is 429 naming the incident. */
function answerWithIncident(
  ctx: ApiContext,
  cluster: string,
  id: string,
  incident: Incident | undefined,
  how: 'decided' | 'retried' | 'storm-guard',
  status?: 200 | 202,
): ApiResponse {
  if (!incident) throw new ProblemError('not-found', `incident ${id} is no longer known`);
  const location = { location: incidentLocation(ctx, cluster, id) };
  if (how === 'storm-guard' || (how === 'retried' && incident.refusal?.code === 'storm-guard')) {
    return problemResponse(
      problem('storm-guard', incident.refusal?.detail ?? 'refused by the storm guard', {
        incidentId: id,
        incident,
      }),
      location,
    );
  }
  return json(status ?? (incident.state === 'fenced' ? 200 : 202), incident, location);
}
