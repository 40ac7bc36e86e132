import { defineConfig } from 'vitest/config';

/**
 * Projects: `unit` (fakes only, fast), `integration` (real Azurite started once by globalSetup),
 * `e2e` (real `fencer serve` processes). Integration suites start their peers once, on free
 * loopback ports, and stop them by PID.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The property and fuzz tests run thousands of cases: seconds, not milliseconds.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/azuriteGlobalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Cloud drivers: the real Azure/AWS SDKs against local ARM/Entra and EC2/STS endpoints.
          name: 'cloud',
          include: ['test/cloud/**/*.test.ts'],
          globalSetup: ['test/cloud/globalSetup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          // Relay agent: real ipmitool against the simulated BMC, govmomi's vCenter simulator,
          // recording vSphere CLI stand-ins; the setup installs/builds the peers (never skips).
          name: 'relay',
          include: ['test/relay/**/*.test.ts'],
          globalSetup: ['test/relay/globalSetup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Deployment: Terraform/Bicep structure, the Functions package (built, zipped, loaded
          // the way the Node worker loads it), identity-based storage against Azurite (OAuth).
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/azuriteGlobalSetup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // A real two-node Pacemaker cluster (network + mount + UTS + PID namespaces) fencing
          // through fence_fencer → fencer serve → fencer-relay → ipmitool → ipmi_sim BMCs.
          // One worker, no isolation: every file shares the lab the first one builds. It runs
          // after the other projects (its own group), so their load does not skew its timings.
          // `npm run test:pacemaker` adds the long set (test/pacemaker/long).
          name: 'pacemaker',
          include: process.env['FENCER_PACEMAKER_LONG']
            ? ['test/pacemaker/*.test.ts', 'test/pacemaker/long/*.test.ts']
            : ['test/pacemaker/*.test.ts'],
          globalSetup: ['test/pacemaker/globalSetup.ts'],
          maxWorkers: 1,
          isolate: false,
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
