import { randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  describeInstancesXml,
  ec2ErrorXml,
  type InstanceStateName,
  reply,
  stateChangeXml,
} from './ec2Xml.ts';
import { assumeRoleWithWebIdentity } from './fakeSts.ts';
import { readBody } from './http.ts';
import { type SigV4Key, verifySigV4 } from './sigv4.ts';
import type { TestCa } from './testCa.ts';

export interface FakeInstanceSpec {
  state?: InstanceStateName;
  /** Time from an accepted StopInstances (or StartInstances) to stopped (running). */
  stopDelayMs?: number;
  /** After a stop the instance stays `stopping` for ever. */
  stuckStopping?: boolean;
}

export interface FakeInstance extends Required<FakeInstanceSpec> {
  changeAt?: number;
  stopCalls: number;
  startCalls: number;
  /** Form parameters of each StopInstances that was acted on (DryRun excluded). */
  stopParams: Record<string, string>[];
}

export interface FakeAccessKey extends SigV4Key {
  /** Actions this key may call, e.g. `ec2:StopInstances`, or `ec2:*`. */
  allow: string[];
}

/**
 * A canned answer instead of the real one: an EC2 error, a 200 with an empty body, or a valid
 * document that leaves the instance out.
 */
export type FakeEc2Fault =
  | { code: string; status: number; message?: string }
  | { emptyBody: true }
  | { omitInstances: true }
  /** A 200 with exactly this XML (an odd but well-formed answer). */
  | { rawBody: string }
  /** Answers normally, but only after this long (a slow or hung API). */
  | { delayMs: number };

/** How the fake STS decides whether an Entra token may assume a role. */
export interface FakeRole {
  audience: string;
  /** Returns the subject when the token is one the fake Entra issued for `audience`. */
  verifyToken(token: string): string | undefined;
  allow: string[];
}

/**
 * A local EC2 Query API (and the STS AssumeRoleWithWebIdentity call) speaking the real wire
 * protocol: SigV4-verified POSTs with a form body, XML answers, per-instance state in real time.
 */
export class FakeEc2 {
  readonly region = 'eu-west-1';
  readonly accountId = '123456789012';
  readonly instances = new Map<string, FakeInstance>();
  readonly keys = new Map<string, FakeAccessKey>();
  readonly roles = new Map<string, FakeRole>();
  readonly requests: { action: string; params: Record<string, string> }[] = [];
  private readonly faults = new Map<string, FakeEc2Fault[]>();
  url = '';

  constructor(private readonly server: ReturnType<typeof createHttpServer>) {}

  addKey(accessKeyId: string, secretAccessKey: string, allow = ['ec2:*']): void {
    this.keys.set(accessKeyId, { secretAccessKey, allow });
  }

  addInstance(instanceId: string, spec: FakeInstanceSpec = {}): FakeInstance {
    const instance: FakeInstance = {
      state: spec.state ?? 'running',
      stopDelayMs: spec.stopDelayMs ?? 0,
      stuckStopping: spec.stuckStopping ?? false,
      stopCalls: 0,
      startCalls: 0,
      stopParams: [],
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  /** The next `times` calls of `action` (e.g. `StopInstances`) answer with the fault. */
  failNext(action: string, fault: FakeEc2Fault, times = 1): void {
    const queue = this.faults.get(action) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(action, queue);
  }

  stateOf(instance: FakeInstance): InstanceStateName {
    if (instance.changeAt !== undefined && instance.changeAt <= Date.now()) {
      instance.state = instance.state === 'pending' ? 'running' : 'stopped';
      instance.changeAt = undefined;
    }
    return instance.state;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    this.requests.push({ action, params });
    if (req.method !== 'POST') return reply(res, 400, ec2ErrorXml('InvalidAction', 'POST only'));
    if (action === 'AssumeRoleWithWebIdentity') {
      assumeRoleWithWebIdentity(res, params, this.roles, this.keys);
      return;
    }

    const auth = verifySigV4(req, body, (id) => this.keys.get(id));
    if (!auth.ok) return reply(res, auth.status, ec2ErrorXml(auth.code, auth.message));
    if (auth.region !== this.region || auth.service !== 'ec2') {
      return reply(
        res,
        401,
        ec2ErrorXml(
          'AuthFailure',
          `Credential should be scoped to a valid region (${this.region}) and service ec2`,
        ),
      );
    }
    const fault = this.faults.get(action)?.shift();
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && 'emptyBody' in fault) return reply(res, 200, '');
    if (fault && 'rawBody' in fault) return reply(res, 200, fault.rawBody);
    if (fault && 'omitInstances' in fault) {
      if (action === 'DescribeInstances')
        return reply(res, 200, describeInstancesXml([], this.accountId));
      return reply(res, 200, stateChangeXml(action as 'StopInstances', []));
    }
    if (fault && 'code' in fault) {
      return reply(res, fault.status, ec2ErrorXml(fault.code, fault.message ?? fault.code));
    }
    const allowed = this.keys.get(auth.accessKeyId)?.allow ?? [];
    const ids = Object.keys(params)
      .filter((k) => /^InstanceId\.\d+$/.test(k))
      .map((k) => params[k] ?? '');
    if (!allowed.some((a) => a === 'ec2:*' || a === `ec2:${action}`)) {
      const resource = `arn:aws:ec2:${this.region}:${this.accountId}:instance/${ids[0] ?? '*'}`;
      return reply(
        res,
        403,
        ec2ErrorXml(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. User: arn:aws:iam::${this.accountId}:user/fencer-test is not authorized to perform: ec2:${action} on resource: ${resource} because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${randomBytes(24).toString('base64url')}`,
        ),
      );
    }
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id))
        return reply(res, 400, ec2ErrorXml('InvalidInstanceID.Malformed', `Invalid id: "${id}"`));
      if (!this.instances.has(id))
        return reply(
          res,
          400,
          ec2ErrorXml('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
        );
    }
    if (params.DryRun === 'true') {
      return reply(
        res,
        412,
        ec2ErrorXml('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.'),
      );
    }
    if (action === 'DescribeInstances') {
      const listed = ids.length > 0 ? ids : [...this.instances.keys()];
      const found = listed.map((instanceId) => ({
        instanceId,
        state: this.stateOf(this.instances.get(instanceId) as FakeInstance),
      }));
      return reply(res, 200, describeInstancesXml(found, this.accountId));
    }
    if (action === 'StopInstances' || action === 'StartInstances')
      return this.changeState(res, action, ids, params);
    return reply(
      res,
      400,
      ec2ErrorXml('InvalidAction', `The action ${action} is not valid for this web service.`),
    );
  }

  private changeState(
    res: ServerResponse,
    action: 'StopInstances' | 'StartInstances',
    ids: string[],
    params: Record<string, string>,
  ) {
    const stop = action === 'StopInstances';
    const changes = [];
    for (const instanceId of ids) {
      const instance = this.instances.get(instanceId) as FakeInstance;
      const previous = this.stateOf(instance);
      const refused = stop
        ? ['pending', 'shutting-down', 'terminated']
        : ['stopping', 'shutting-down', 'terminated'];
      if (refused.includes(previous)) {
        return reply(
          res,
          400,
          ec2ErrorXml(
            'IncorrectInstanceState',
            `The instance '${instanceId}' is not in a state from which it can be ${stop ? 'stopped' : 'started'}.`,
          ),
        );
      }
      if (stop) {
        instance.stopCalls += 1;
        instance.stopParams.push(params);
        if (previous === 'running') {
          instance.state = 'stopping';
          instance.changeAt = instance.stuckStopping
            ? undefined
            : Date.now() + instance.stopDelayMs;
        }
      } else {
        instance.startCalls += 1;
        if (previous === 'stopped') {
          instance.state = 'pending';
          instance.changeAt = Date.now() + instance.stopDelayMs;
        }
      }
      changes.push({ instanceId, previous, current: this.stateOf(instance) });
    }
    reply(res, 200, stateChangeXml(action, changes));
  }
}

/** Starts the fake on 127.0.0.1: plain http, or https with the given test CA's certificate. */
export async function startFakeEc2(options: { tls?: TestCa } = {}): Promise<FakeEc2> {
  let ec2: FakeEc2 | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    ec2
      ?.handle(req, res)
      .catch((err: unknown) => reply(res, 500, ec2ErrorXml('InternalError', String(err))));
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handler)
    : createHttpServer(handler);
  ec2 = new FakeEc2(server as ReturnType<typeof createHttpServer>);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ec2.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return ec2;
}
