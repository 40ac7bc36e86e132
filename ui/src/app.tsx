import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiBase, type Credentials, createApi } from './api/client.ts';
import { parseRoute } from './route.ts';
import { clearSession, loadSession, roleOf, saveSession } from './session.ts';
import { IncidentPage } from './views/incident.tsx';
import { Incidents } from './views/incidents.tsx';
import { Overview } from './views/overview.tsx';
import { SignIn } from './views/signIn.tsx';
import { UnfenceDialog, type UnfenceResult } from './views/unfenceDialog.tsx';

const base = apiBase(location.href);

function useHashRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}

export function App() {
  const [credentials, setCredentials] = useState<Credentials | undefined>(loadSession);
  const route = useHashRoute();
  const api = useMemo(() => credentials && createApi(credentials, base), [credentials]);
  const [unfencing, setUnfencing] = useState<{ cluster: string; node: string }>();
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    void api?.calibrate();
  }, [api]);

  if (!credentials || !api)
    return (
      <SignIn
        base={base}
        onSignedIn={(c) => {
          saveSession(c);
          setCredentials(c);
        }}
      />
    );

  const role = roleOf(credentials.keyId);
  const admin = role === 'admin';
  const onUnfence = (cluster: string, node: string) => setUnfencing({ cluster, node });
  const signOut = () => {
    clearSession();
    setCredentials(undefined);
  };
  // Remounting on a new route restarts its polling with no stale data from another view.
  const view =
    route.view === 'overview' ? (
      <Overview api={api} admin={admin} onUnfence={onUnfence} />
    ) : route.view === 'incidents' ? (
      <Incidents api={api} admin={admin} onUnfence={onUnfence} {...route} />
    ) : (
      <IncidentPage api={api} cluster={route.cluster} incidentId={route.incidentId} />
    );

  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Fencer
        </a>
        <nav aria-label="Where you are">
          <a href="#/">All clusters</a>
        </nav>
        <span class="who">
          {credentials.keyId} <span class="role">({role === 'other' ? 'node key' : role})</span>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {notice && (
        <p class="notice" role="status">
          {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice(undefined)}>
            Dismiss
          </button>
        </p>
      )}
      {view}
      {unfencing && (
        <UnfenceDialog
          api={api}
          {...unfencing}
          onDone={(result) => {
            setNotice(describe(result));
            setUnfencing(undefined);
          }}
          onClose={() => setUnfencing(undefined)}
        />
      )}
    </>
  );
}

function describe(result: UnfenceResult): string {
  const power = result.powerOn
    ? result.powerOn.ok
      ? ` Powered on: ${result.powerOn.detail}.`
      : ` The power-on failed: ${result.powerOn.detail}.`
    : '';
  return `${result.node} is a ${result.state} again (it was ${result.previous}).${power}`;
}
