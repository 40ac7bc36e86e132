import type { Polled } from '../usePoll.ts';

/** "Live · updated 14:02:03", or why the view is not current (the last data stays shown). */
export function Freshness<T>({ polled }: { polled: Polled<T> }) {
  const time = polled.updatedAt ? new Date(polled.updatedAt).toLocaleTimeString() : undefined;
  if (polled.error) {
    const { code, detail, status } = polled.error;
    const hint =
      status === 401
        ? ' Your key is no longer accepted: sign out and sign in again.'
        : status === 0
          ? ' Retrying.'
          : '';
    return (
      <p class="freshness stale" role="alert">
        Not updating ({code}: {detail}).{hint}
        {time && ` Last good data from ${time}.`}
      </p>
    );
  }
  // Not a live region: a screen reader would read it out every two seconds.
  if (!time) return <p class="freshness">Loading…</p>;
  return <p class="freshness live">Live · updated {time}</p>;
}
