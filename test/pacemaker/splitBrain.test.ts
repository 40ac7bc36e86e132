import { beforeAll, describe, expect, it } from 'vitest';
import { type LabBoot, theLab } from './support/labInstance.ts';
import { splitBrainTrials } from './support/splitBrainReport.ts';

/** A few trials in `npm test`; `npm run test:pacemaker` runs the long set (12 trials). */
const trials = 3;

let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

describe('scenario c: split brain (corosync cut in both namespaces at once), fast core', () => {
  it(`${trials} trials: exactly one node powered off each time, never the Dummy on both`, async () => {
    await splitBrainTrials(boot.lab, trials, expect);
  });
});
