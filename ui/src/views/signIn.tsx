import { useState } from 'preact/hooks';
import { ApiError, type Credentials, createApi } from '../api/client.ts';

/**
 * Key id and secret of a viewer or admin key. Checked with one signed `GET /v1/clusters`
 * before it is kept, so a wrong key is told at once, not by an empty dashboard.
 */
export function SignIn(props: { base: string; onSignedIn(credentials: Credentials): void }) {
  const [keyId, setKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = { keyId: keyId.trim(), secret: secret.trim() };
    const api = createApi(credentials, props.base);
    try {
      await api.calibrate();
      await api.get('/v1/clusters');
      props.onSignedIn(credentials);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Fencer</h1>
      <p>Sign in with a viewer or an admin key. It stays in this tab only.</p>
      <form class="card" onSubmit={submit}>
        <label for="key-id">Key id</label>
        <input
          id="key-id"
          name="key-id"
          value={keyId}
          onInput={(e) => setKeyId(e.currentTarget.value)}
          placeholder="viewer/noc"
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          required
        />
        <label for="secret">Secret</label>
        <input
          id="secret"
          name="secret"
          type="password"
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
          autoComplete="off"
          required
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function explain(err: unknown): string {
  if (!(err instanceof ApiError)) return `Sign-in failed: ${String(err)}`;
  if (err.status === 401)
    return `Sign-in failed: the key id is unknown or the secret is wrong (${err.detail}).`;
  if (err.status === 403)
    return 'Sign-in failed: this key cannot read the dashboard. Use a viewer key (viewer/NAME) or an admin key (admin/NAME).';
  if (err.status === 0) return `Sign-in failed: ${err.detail}.`;
  return `Sign-in failed: ${err.code}: ${err.detail}`;
}
