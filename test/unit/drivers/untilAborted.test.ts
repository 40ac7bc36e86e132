import { describe, expect, it } from 'vitest';
import { untilAborted } from '../../../core/drivers/cloudCommon.ts';

/**
 * A driver call started with a signal that is already aborted rejects later on its own. Nobody
 * waits for it any more; left unobserved, that rejection is unhandled and ends the host process
 * (Node's default). Vitest fails the run on an unhandled rejection, so these cannot pass then.
 */
describe('untilAborted', () => {
  it('rejects at once for an aborted signal and observes the abandoned call', async () => {
    // Prepare
    const signal = AbortSignal.abort(new Error('level timed out'));
    const call = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('canceled')), 5),
    );

    // Act + Assess
    await expect(untilAborted(call, signal)).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 20));
  });

  it('rejects on abort and still observes the call that rejects afterwards', async () => {
    const controller = new AbortController();
    const call = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('canceled')), 10),
    );
    const waiting = untilAborted(call, controller.signal);
    controller.abort(new Error('level timed out'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 30));
  });
});
