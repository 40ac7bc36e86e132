import 'vitest';
import { inject } from 'vitest';
import { Lab } from './lab.ts';
import { configureCluster, type Stable, waitFormed, waitStable } from './labCluster.ts';
import { labNames, labNodes } from './labNames.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The id of the lab the global setup reserved (its dir and owner file exist). */
    pacemakerLab: string;
  }
}

export interface LabBoot {
  lab: Lab;
  stable: Stable;
  /** ms: building (network, BMCs, relay, Fencer), power-on → cluster formed, → stable. */
  timings: { buildMs: number; formMs: number; configureToStableMs: number };
}

let boot: Promise<LabBoot> | undefined;

/**
 * The lab, built and booted at its first use. The project runs its files in one worker without
 * isolation, so every file shares it; the global teardown removes it by name and PID.
 */
export function theLab(): Promise<LabBoot> {
  boot ??= bootLab();
  return boot;
}

async function bootLab(): Promise<LabBoot> {
  const names = labNames(inject('pacemakerLab'));
  const t0 = Date.now();
  const lab = await Lab.build(names);
  const t1 = Date.now();
  for (const node of labNodes) await lab.powerOnByBmc(node);
  await waitFormed(lab);
  const t2 = Date.now();
  await configureCluster(lab);
  const stable = await waitStable(lab);
  const t3 = Date.now();
  return {
    lab,
    stable,
    timings: { buildMs: t1 - t0, formMs: t2 - t1, configureToStableMs: t3 - t2 },
  };
}
