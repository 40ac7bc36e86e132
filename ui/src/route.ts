// Hash routes, so the server serves static files only and a reload keeps the view:
//   #/                                   every cluster and node
//   #/clusters/C?state=S&node=N          a cluster's incidents, filtered
//   #/clusters/C/incidents/ID            one incident's timeline

export type Route =
  | { view: 'overview' }
  | { view: 'incidents'; cluster: string; state?: string; node?: string }
  | { view: 'incident'; cluster: string; incidentId: string };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.some((p) => p === undefined) || parts[0] !== 'clusters' || !parts[1])
    return { view: 'overview' };
  const cluster = parts[1];
  if (parts.length === 2) {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    const node = params.get('node');
    return {
      view: 'incidents',
      cluster,
      ...(state ? { state } : {}),
      ...(node ? { node } : {}),
    };
  }
  if (parts.length === 4 && parts[2] === 'incidents' && parts[3])
    return { view: 'incident', cluster, incidentId: parts[3] };
  return { view: 'overview' };
}

export function hrefOf(route: Route): string {
  if (route.view === 'overview') return '#/';
  const base = `#/clusters/${encodeURIComponent(route.cluster)}`;
  if (route.view === 'incident') return `${base}/incidents/${encodeURIComponent(route.incidentId)}`;
  const params = new URLSearchParams();
  if (route.state) params.set('state', route.state);
  if (route.node) params.set('node', route.node);
  const query = params.toString();
  return query ? `${base}?${query}` : base;
}
