import { beforeAll, describe, expect, it } from 'vitest';
import { type LabBoot, theLab } from '../support/labInstance.ts';
import { splitBrainTrials } from '../support/splitBrainReport.ts';

/** The long run of scenario c (`npm run test:pacemaker`): the issue asks for at least 10. */
const trials = 12;

let boot: LabBoot;

beforeAll(async () => {
  boot = await theLab();
});

describe('scenario c: split brain, long run', () => {
  it(`${trials} trials: exactly one node powered off each time, never the Dummy on both`, async () => {
    await splitBrainTrials(boot.lab, trials, expect);
  }, 1_800_000);
});
