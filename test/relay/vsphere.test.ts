import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { child, moref, refXml, VsphereSoap } from '../../relay-agent/executors/vsphereSoap.ts';
import { signedAction } from './peers/client.ts';
import {
  type RelayInProcess,
  secretFile,
  startRelayInProcess,
  writeRelayConfig,
} from './peers/relay.ts';
import { makeTestPki, type TestPki } from './peers/tls.ts';
import { startVcsim, type Vcsim, type VcsimVm } from './peers/vcsim.ts';

/**
 * vSphere SOAP against govmomi's vCenter simulator over HTTPS (its certificate from the test
 * CA). The simulator is started with one login user: by default it accepts any password.
 */
let dir: string;
let pki: TestPki;
let vcsim: Vcsim;
let relay: RelayInProcess;
let vm: (index: number) => VcsimVm;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relay-vsphere-'));
  pki = makeTestPki(dir);
  vcsim = await startVcsim({ pki });
  vm = (index) => {
    const found = vcsim.vms[index];
    if (!found) throw new Error(`vcsim has no VM ${index}`);
    return found;
  };
  const password = { secretRef: secretFile(dir, 'vc', vcsim.password) };
  const base = { url: vcsim.url, user: vcsim.user, password, ca: vcsim.ca, callTimeoutMs: 5000 };
  const [ds, path] = /^\[(.+)\] (.+)$/.exec(vm(2).vmx)?.slice(1) ?? [];
  const config = writeRelayConfig({
    dir,
    pki,
    targets: {
      'by-name': { vsphere: { ...base, vm: { name: vm(0).name } } },
      'by-moref': { vsphere: { ...base, vm: { moref: vm(1).moref } } },
      'by-vmx': { vsphere: { ...base, vm: { vmx: vm(2).vmx } } },
      'by-vmfs-path': { vsphere: { ...base, vm: { vmx: `/vmfs/volumes/${ds}/${path}` } } },
      'wrong-password': {
        vsphere: {
          ...base,
          password: { secretRef: secretFile(dir, 'vc-wrong', 'wrong-Pw') },
          vm: { name: vm(0).name },
        },
      },
      'no-such-vm': { vsphere: { ...base, vm: { name: 'not-there' } } },
      'no-such-moref': { vsphere: { ...base, vm: { moref: 'vm-999999' } } },
      suspended: { vsphere: { ...base, vm: { moref: vm(3).moref } } },
      untrusted: {
        vsphere: { ...base, ca: makeTestPki(dir, 'other').caCert, vm: { name: vm(0).name } },
      },
    },
  });
  relay = await startRelayInProcess({ ...config, ca: pki.caCert });
});

afterAll(async () => {
  await relay?.stop();
  await vcsim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const act = (target: string, action: string, requestId = `${target}-${action}-${Math.random()}`) =>
  signedAction(relay, { requestId, target, action, deadlineMs: 8000 });

describe('vSphere SOAP executor', () => {
  it('powers off a VM found by name and verifies poweredOff', async () => {
    expect((await act('by-name', 'status')).json).toMatchObject({ powerState: 'on' });
    const answer = await act('by-name', 'off');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ powerState: 'off', verified: true });
    const commands = (answer.json['steps'] as { command: string }[]).map((s) => s.command);
    expect(commands.join('\n')).toMatch(
      /Login root[\s\S]*find VM[\s\S]*PowerOffVM_Task vm-\d+[\s\S]*runtime\.powerState/,
    );
    // A second relay action reads the simulator's state afresh.
    expect((await act('by-name', 'status')).json).toMatchObject({
      powerState: 'off',
      verified: true,
    });
  });

  it('finds a VM by MoRef and powers it off and on again', async () => {
    expect((await act('by-moref', 'off')).json).toMatchObject({
      powerState: 'off',
      verified: true,
    });
    expect((await act('by-moref', 'on')).json).toMatchObject({ powerState: 'on', verified: true });
  });

  it('finds a VM by its .vmx path, in vSphere and in /vmfs/volumes form', async () => {
    expect((await act('by-vmx', 'off')).json).toMatchObject({ powerState: 'off', verified: true });
    // The same VM through the ESXi shell path: already off, which a fence counts as done.
    const again = await act('by-vmfs-path', 'off');
    expect(again.json).toMatchObject({ powerState: 'off', verified: true });
    expect(JSON.stringify(again.json['steps'])).toContain(vm(2).moref);
  });

  it('refuses a wrong password as an auth error, not retryable, without acting', async () => {
    const answer = await act('wrong-password', 'off');
    expect(answer.status).toBe(502);
    expect(answer.json).toMatchObject({
      code: 'execution-failed',
      reason: 'auth',
      retryable: false,
    });
    expect(answer.json['detail']).toMatch(/InvalidLogin/);
    expect(JSON.stringify(answer.json)).not.toContain('wrong-Pw');
  });

  it('names a VM that does not exist as not found, not retryable', async () => {
    const answer = await act('no-such-vm', 'status');
    expect(answer.json).toMatchObject({
      code: 'execution-failed',
      reason: 'not-found',
      retryable: false,
    });
  });

  it('names a MoRef that does not exist as not found, never off', async () => {
    const answer = await act('no-such-moref', 'status');
    expect(answer.json).toMatchObject({ code: 'execution-failed', reason: 'not-found' });
  });

  it('reads a suspended VM as unknown, never off (it resumes with its writes)', async () => {
    // Prepare: suspend the VM through the simulator's own API.
    const soap = new VsphereSoap(vcsim.url, readFileSync(vcsim.ca));
    const timing = { timeoutMs: 5000, signal: AbortSignal.timeout(5000) };
    const sc = await soap.call(
      'RetrieveServiceContent',
      '<_this type="ServiceInstance">ServiceInstance</_this>',
      timing,
    );
    const sessionManager = moref(child(sc, 'sessionManager'));
    if (!sessionManager) throw new Error('no sessionManager');
    await soap.call(
      'Login',
      `${refXml('_this', sessionManager)}<userName>${vcsim.user}</userName><password>${vcsim.password}</password>`,
      timing,
    );
    await soap.call(
      'SuspendVM_Task',
      refXml('_this', { type: 'VirtualMachine', value: vm(3).moref }),
      timing,
    );
    // Act: the task finishes quickly in the simulator; read until it did.
    let answer = await act('suspended', 'status');
    for (let i = 0; i < 20 && answer.json['powerState'] === 'on'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await act('suspended', 'status');
    }
    // Assess
    expect(answer.json).toMatchObject({
      powerState: 'unknown',
      verified: false,
      detail: 'runtime.powerState is suspended',
    });
  });

  it('refuses a vCenter whose certificate the configured ca does not sign', async () => {
    const answer = await act('untrusted', 'status');
    expect(answer.json).toMatchObject({
      code: 'execution-failed',
      reason: 'protocol',
      retryable: false,
    });
  });

  it('never logs the vCenter password', () => {
    expect(relay.logLines.length).toBeGreaterThan(5);
    for (const line of relay.logLines) expect(line).not.toContain(vcsim.password);
  });
});

describe('SOAP transport', () => {
  it('gives up on a vCenter that never answers, as a retryable timeout, at the call deadline', async () => {
    // Prepare: TLS with the test CA's certificate, then silence.
    const silent = createServer({
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const soap = new VsphereSoap(`https://127.0.0.1:${port}/sdk`, readFileSync(pki.caCert));
    try {
      // Act
      const started = Date.now();
      const err = await soap
        .call('RetrieveServiceContent', '', {
          timeoutMs: 300,
          signal: new AbortController().signal,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // Assess
      expect(err).toMatchObject({ code: 'timeout', retryable: true });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
