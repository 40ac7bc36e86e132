import type { VsphereOptions } from '../config.ts';
import { ExecError } from '../errors.ts';
import { maskSecrets } from '../runner.ts';
import type { CallContext, ExecutorDeps, PowerExecutor, PowerReading } from './types.ts';
import { findVm } from './vsphereFind.ts';
import {
  child,
  type MoRef,
  moref,
  refXml,
  text,
  VsphereSoap,
  type XmlNode,
  xmlEscape,
} from './vsphereSoap.ts';

export interface VsphereTarget {
  options: VsphereOptions;
  password: string;
  ca?: Buffer;
}

/** What one call of the executor may spend; every SOAP request takes what is left of it. */
export interface Budget {
  soap: VsphereSoap;
  remaining(): { timeoutMs: number; signal: AbortSignal };
}

/**
 * vCenter or standalone ESXi through the vSphere SOAP API: RetrieveServiceContent, Login, find
 * the VM (name, MoRef or .vmx path), PowerOffVM_Task, wait for the task, read
 * runtime.powerState. One session per action; `close()` logs out.
 */
export function createVsphereExecutor(target: VsphereTarget, deps: ExecutorDeps): PowerExecutor {
  const o = target.options;
  const soap = new VsphereSoap(o.url, target.ca);
  const host = new URL(o.url).host;
  let content: Record<'sessionManager' | 'propertyCollector' | 'rootFolder' | 'viewManager', MoRef>;
  let loggedIn = false;
  let vm: MoRef | undefined;

  const budgetOf = (call: CallContext): Budget => {
    const endAt = deps.clock.now() + call.timeoutMs;
    return {
      soap,
      remaining: () => ({ timeoutMs: endAt - deps.clock.now(), signal: call.signal }),
    };
  };

  /** Runs one step: its SOAP calls, recorded as one line of the action's steps. */
  const stepOf = async <T>(call: CallContext, command: string, work: (b: Budget) => Promise<T>) => {
    const startedAt = deps.clock.now();
    const record = (ok: boolean, detail: string) =>
      call.record({
        command: `vsphere ${command} (${host})`,
        startedAt: new Date(startedAt).toISOString(),
        elapsedMs: deps.clock.now() - startedAt,
        ok,
        detail: maskSecrets(detail, [target.password]),
      });
    try {
      const result = await work(budgetOf(call));
      record(true, shown(result));
      return result;
    } catch (err) {
      record(false, err instanceof Error ? err.message : String(err));
      if (err instanceof ExecError && err.code === 'auth' && err.retryable) loggedIn = false;
      throw err;
    }
  };

  const session = async (call: CallContext): Promise<MoRef> => {
    if (!loggedIn) {
      await stepOf(call, `Login ${o.user}`, async (b) => {
        const sc = await b.soap.call(
          'RetrieveServiceContent',
          '<_this type="ServiceInstance">ServiceInstance</_this>',
          b.remaining(),
        );
        content = {
          sessionManager: required(moref(child(sc, 'sessionManager')), 'sessionManager'),
          propertyCollector: required(moref(child(sc, 'propertyCollector')), 'propertyCollector'),
          rootFolder: required(moref(child(sc, 'rootFolder')), 'rootFolder'),
          viewManager: required(moref(child(sc, 'viewManager')), 'viewManager'),
        };
        await b.soap.call(
          'Login',
          `${refXml('_this', content.sessionManager)}<userName>${xmlEscape(o.user)}</userName>` +
            `<password>${xmlEscape(target.password)}</password>`,
          b.remaining(),
        );
        loggedIn = true;
        return 'logged in';
      });
    }
    if (!vm) {
      await stepOf(call, `find VM ${JSON.stringify(o.vm)}`, async (b) => {
        vm = await findVm(b, content, o.vm);
        return `found ${vm.value}`;
      });
    }
    if (!vm) throw new ExecError('protocol', 'VM lookup returned nothing');
    return vm;
  };

  const powerTask = async (call: CallContext, method: 'PowerOffVM_Task' | 'PowerOnVM_Task') => {
    const ref = await session(call);
    await stepOf(call, `${method} ${ref.value}`, async (b) => {
      const task = moref(await b.soap.call(method, refXml('_this', ref), b.remaining()));
      if (!task) throw new ExecError('protocol', `${method}: no task in the answer`);
      return waitForTask(b, content.propertyCollector, task, deps);
    });
  };

  return {
    description: `vsphere ${host} ${JSON.stringify(o.vm)}`,
    callTimeoutMs: o.callTimeoutMs,
    powerOff: (call) => powerTask(call, 'PowerOffVM_Task'),
    powerOn: (call) => powerTask(call, 'PowerOnVM_Task'),
    async powerState(call): Promise<PowerReading> {
      const ref = await session(call);
      return stepOf(call, `read runtime.powerState ${ref.value}`, async (b) => {
        const state = await readProperty(b, content.propertyCollector, ref, 'runtime.powerState');
        return mapPowerState(text(state));
      });
    },
    async close() {
      if (!loggedIn) return;
      loggedIn = false;
      const controller = new AbortController();
      await soap
        .call('Logout', refXml('_this', content.sessionManager), {
          timeoutMs: 2000,
          signal: controller.signal,
        })
        .catch(() => undefined);
    },
  };
}

/** Suspended is not off: a suspended VM resumes where it stopped, writes included. */
export function mapPowerState(value: string | undefined): PowerReading {
  if (value === 'poweredOff') return { state: 'off' };
  if (value === 'poweredOn') return { state: 'on' };
  if (value === undefined || value === '')
    return { state: 'unknown', detail: 'not-found: the answer holds no runtime.powerState' };
  return { state: 'unknown', detail: `runtime.powerState is ${value}` };
}

/** One property of one object, through RetrievePropertiesEx. */
export async function readProperty(
  b: Budget,
  collector: MoRef,
  obj: MoRef,
  path: string,
): Promise<XmlNode | undefined> {
  const result = await b.soap.call(
    'RetrievePropertiesEx',
    `${refXml('_this', collector)}<specSet><propSet><type>${xmlEscape(obj.type)}</type>` +
      `<pathSet>${xmlEscape(path)}</pathSet></propSet><objectSet>${refXml('obj', obj)}` +
      '</objectSet></specSet><options></options>',
    b.remaining(),
  );
  const prop = child(child(result, 'objects'), 'propSet');
  return child(prop, 'val');
}

/**
 * Polls the task from 50 ms up to 500 ms apart. A power-off of a VM that is already off fails
 * with InvalidPowerState: for a fence that is success, and the state read confirms it.
 */
async function waitForTask(
  b: Budget,
  collector: MoRef,
  task: MoRef,
  deps: ExecutorDeps,
): Promise<string> {
  let delay = 50;
  for (let polls = 1; ; polls++) {
    const info = await readProperty(b, collector, task, 'info');
    const state = text(child(info, 'state'));
    if (state === 'success') return `task ${task.value} success after ${polls} poll(s)`;
    if (state === 'error') {
      const fault = child(child(info, 'error'), 'fault');
      const type = fault && typeof fault !== 'string' ? fault['@_type'] : undefined;
      const message = text(child(child(info, 'error'), 'localizedMessage')) ?? '';
      if (type === 'InvalidPowerState') return `task ${task.value}: already in that state`;
      throw new ExecError('failed', `task ${task.value} failed: ${String(type)} ${message}`.trim());
    }
    const { timeoutMs, signal } = b.remaining();
    if (timeoutMs <= delay) throw new ExecError('timeout', `task ${task.value} still ${state}`);
    await deps.clock.sleep(delay, signal);
    delay = Math.min(500, delay * 2);
  }
}

/** A step's detail: the text a step returned, or the state it read. */
function shown(result: unknown): string {
  if (typeof result === 'string') return result;
  const reading = result as Partial<PowerReading> | undefined;
  if (typeof reading?.state !== 'string') return 'ok';
  return reading.detail ? `${reading.state}: ${reading.detail}` : reading.state;
}

function required(ref: MoRef | undefined, what: string): MoRef {
  if (!ref) throw new ExecError('protocol', `RetrieveServiceContent: no ${what} in the answer`);
  return ref;
}
