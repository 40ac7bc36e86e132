import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, seg } from '../api/client.ts';

export interface UnfenceResult {
  cluster: string;
  node: string;
  state: string;
  previous: string;
  powerOn?: { ok: boolean; detail: string };
}

/**
 * The confirmation before an unfence (admin keys only; the API refuses any other key). A native
 * modal dialog: it keeps the focus inside, and Escape cancels.
 */
export function UnfenceDialog(props: {
  api: Api;
  cluster: string;
  node: string;
  onDone(result: UnfenceResult): void;
  onClose(): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [powerOn, setPowerOn] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await props.api.post<UnfenceResult>(
        `/v1/clusters/${seg(props.cluster)}/nodes/${seg(props.node)}/unfence`,
        powerOn ? { powerOn: true } : {},
      );
      // Closing first gives the focus back to where it was, for keyboard users.
      dialog.current?.close();
      props.onDone(result);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.detail}` : String(err));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="unfence-title" onClose={props.onClose}>
      <h2 id="unfence-title">
        Unfence {props.node} in {props.cluster}?
      </h2>
      <p>
        The node becomes a <strong>member</strong> again: it counts as a survivor and can be fenced
        by the next report. Do this only once it is repaired, or known to be off.
      </p>
      <label class="check">
        <input
          type="checkbox"
          checked={powerOn}
          disabled={busy}
          onChange={(e) => setPowerOn(e.currentTarget.checked)}
        />
        Also power it on (through the first of its fence levels that can)
      </label>
      {error && (
        <p class="error" role="alert">
          The unfence was refused: {error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => dialog.current?.close()} disabled={busy}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={confirm} disabled={busy}>
          {busy ? 'Working…' : 'Confirm'}
        </button>
      </div>
    </dialog>
  );
}
