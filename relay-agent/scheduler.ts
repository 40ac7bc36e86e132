import type { RelayLimits, ResolvedTarget } from './config.ts';

/** Why a waiting action never started. */
export class NotStartedError extends Error {
  override readonly name = 'NotStartedError';
}

interface Job {
  device: string;
  started: boolean;
  run(): void;
  cancel(reason: Error): void;
}

/**
 * Runs actions one at a time per device, in arrival order (a BMC is a single, fragile device:
 * two ipmitool sessions at once, or an `on` overtaking an `off`, is what this prevents), and at
 * most `maxRunningActions` at once over all devices; devices wait for a free slot in the
 * order their next action became due. `isFull()` is the admission check for a new action.
 *
 *   device A: [off#1 running] [on#2 waiting] [status#5 waiting]
 *   device B: [off#3 waiting for a slot]      ← starts when any running action ends
 */
export class ActionScheduler {
  private readonly queues = new Map<string, Job[]>();
  /** Heads of device queues that wait for a slot, oldest first. */
  private readonly ready: Job[] = [];
  private running = 0;
  private pending = 0;

  constructor(private limits: Pick<RelayLimits, 'maxRunningActions' | 'maxQueuedActions'>) {}

  setLimits(limits: Pick<RelayLimits, 'maxRunningActions' | 'maxQueuedActions'>): void {
    this.limits = limits;
    this.pump();
  }

  /** True when `maxQueuedActions` actions are running or waiting: refuse the next one. */
  isFull(): boolean {
    return this.pending >= this.limits.maxQueuedActions;
  }

  /** Actions running and waiting, for logs and tests. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.pending - this.running };
  }

  /** How many actions are ahead of a new one on this device. */
  ahead(device: string): number {
    return this.queues.get(device)?.length ?? 0;
  }

  /**
   * Runs `task` when the device is free and a slot is. When `signal` aborts before that, the
   * task never runs and the promise rejects with NotStartedError.
   */
  submit<T>(device: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => job.cancel(new NotStartedError(String(signal?.reason ?? 'aborted')));
      const job: Job = {
        device,
        started: false,
        run: () => {
          signal?.removeEventListener('abort', onAbort);
          Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => this.finish(job));
        },
        cancel: (reason) => {
          if (job.started) return;
          this.remove(job);
          reject(reason);
        },
      };
      if (signal?.aborted) {
        reject(new NotStartedError(String(signal.reason ?? 'aborted')));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending += 1;
      const queue = this.queues.get(device) ?? [];
      queue.push(job);
      this.queues.set(device, queue);
      if (queue.length === 1) this.ready.push(job);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limits.maxRunningActions) {
      const job = this.ready.shift();
      if (!job) return;
      job.started = true;
      this.running += 1;
      job.run();
    }
  }

  private finish(job: Job): void {
    this.running -= 1;
    this.remove(job);
  }

  /** Takes a job out (finished or cancelled); the next on its device becomes due. */
  private remove(job: Job): void {
    this.pending -= 1;
    const queue = this.queues.get(job.device) ?? [];
    const wasHead = queue[0] === job;
    queue.splice(queue.indexOf(job), 1);
    const readyAt = this.ready.indexOf(job);
    if (readyAt >= 0) this.ready.splice(readyAt, 1);
    if (queue.length === 0) this.queues.delete(job.device);
    else if (wasHead && queue[0]) this.ready.push(queue[0]);
    this.pump();
  }
}

/**
 * The physical device a target drives: two target names for one BMC (or one VM) share a queue,
 * so a second name cannot be used to run two sessions against it at once.
 */
export function deviceOf(target: ResolvedTarget): string {
  switch (target.kind) {
    case 'ipmi':
      return `ipmi ${target.options.host.toLowerCase()}:${target.options.port}`;
    case 'vsphere':
      return `vsphere ${target.options.url} ${JSON.stringify(target.options.vm)}`;
    case 'vmware-cmd':
      return `vmware-cmd ${target.options.host.toLowerCase()} ${target.options.vmx}`;
    case 'esxcli':
      return `esxcli ${target.options.server.toLowerCase()} ${JSON.stringify(target.options.vm ?? target.options.worldId)}`;
  }
}
