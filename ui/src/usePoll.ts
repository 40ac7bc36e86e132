import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client.ts';

export interface Polled<T> {
  data?: T;
  /** The last call's failure; `data` keeps the last good answer meanwhile. */
  error?: ApiError;
  updatedAt?: number;
  refresh(): void;
}

/**
 * Live updates without reload: calls `load` now and then every `intervalMs` after the previous
 * answer (never two calls at once), skips calls while the tab is hidden and catches up when it
 * shows again. A new `key` starts over with no data.
 */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const wake = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let running = false;
    // Asked for while a call was out: that call may predate what changed; call again after it.
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const tick = async () => {
      if (running) {
        again = true;
        return;
      }
      clearTimeout(timer);
      if (stopped) return;
      if (!document.hidden) {
        running = true;
        try {
          const data = await loadRef.current();
          if (!stopped) setState({ data, updatedAt: Date.now() });
        } catch (err) {
          const error =
            err instanceof ApiError ? err : new ApiError(0, 'client-error', String(err));
          if (!stopped) setState((previous) => ({ ...previous, error }));
        } finally {
          running = false;
        }
      }
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else timer = setTimeout(tick, intervalMs);
    };
    wake.current = () => void tick();
    const onVisibility = () => {
      if (!document.hidden) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, intervalMs]);

  const refresh = useCallback(() => wake.current(), []);
  return { ...state, refresh };
}
