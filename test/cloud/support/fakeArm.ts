import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { instanceViewBody, operationBody } from './armBodies.ts';
import { FakeEntra } from './fakeEntra.ts';
import { empty, json, readBody } from './http.ts';
import { createTestCa, type TestCa } from './testCa.ts';

export type FakeVmPower = 'running' | 'stopping' | 'stopped' | 'deallocated' | 'starting';

export interface FakeVmSpec {
  power?: FakeVmPower;
  /** Time from an accepted powerOff (or start) to the final power state. */
  offDelayMs?: number;
  /** After a powerOff the VM stays in PowerState/stopping for ever. */
  stuckStopping?: boolean;
  /** How many polls of the async operation answer InProgress before its final status. */
  lroPolls?: number;
  lroResult?: 'Succeeded' | 'Failed';
}

export interface FakeVm extends Required<FakeVmSpec> {
  changeAt?: number;
  powerOffCalls: number;
  startCalls: number;
  /** Query strings of the powerOff calls, e.g. to see `skipShutdown=true`. */
  powerOffQueries: string[];
}

export type FakeArmOperation = 'powerOff' | 'start' | 'instanceView' | 'operation' | 'permissions';

export type FakeArmFault =
  | {
      status: number;
      code: string;
      message?: string;
      /** Retry-After header value (seconds or an HTTP date). */
      retryAfter?: string;
    }
  /** A 200 with exactly this body (an empty, truncated or odd answer). */
  | { rawBody: string };

/** Actions the fake checks, as Azure RBAC names them. */
export const armActions = {
  powerOff: 'Microsoft.Compute/virtualMachines/powerOff/action',
  start: 'Microsoft.Compute/virtualMachines/start/action',
  instanceView: 'Microsoft.Compute/virtualMachines/instanceView/read',
} as const;

const vmPath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)\/(powerOff|start|instanceView|providers\/Microsoft\.Authorization\/permissions)$/i;
const operationPath =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;

/**
 * A local Azure Resource Manager speaking the real wire protocol of the Compute VM power
 * operations over HTTPS (bearer tokens are refused over plain http by the SDK), with the
 * Entra token endpoints on the same server (`authorityHost` = `url`). State is real time.
 */
export class FakeArm {
  readonly subscriptionId = '00000000-0000-4000-8000-00000000abcd';
  readonly entra = new FakeEntra('11111111-2222-4333-8444-555555555555', () => this.url);
  readonly vms = new Map<string, FakeVm>();
  /** client id → RBAC actions granted (wildcards allowed, like role definitions). */
  readonly grants = new Map<string, string[]>();
  readonly requests: { method: string; path: string }[] = [];
  private readonly faults = new Map<FakeArmOperation, FakeArmFault[]>();
  private readonly operations = new Map<string, { vm: FakeVm; pollsLeft: number }>();
  url = '';

  constructor(
    readonly ca: TestCa,
    private readonly server: ReturnType<typeof createServer>,
  ) {}

  /** Adds a client of the tenant with a secret, and the actions it may perform. */
  addClient(clientId: string, secret: string, actions: string[]): void {
    this.entra.clients.set(clientId, { secret });
    this.grants.set(clientId, actions);
  }

  /** Adds a user-assigned managed identity the /msi/token endpoint answers for. */
  addManagedIdentity(clientId: string, actions: string[]): void {
    this.entra.managedIdentities.add(clientId);
    this.grants.set(clientId, actions);
  }

  addVm(resourceGroup: string, name: string, spec: FakeVmSpec = {}): FakeVm {
    const vm: FakeVm = {
      power: spec.power ?? 'running',
      offDelayMs: spec.offDelayMs ?? 0,
      stuckStopping: spec.stuckStopping ?? false,
      lroPolls: spec.lroPolls ?? 1,
      lroResult: spec.lroResult ?? 'Succeeded',
      powerOffCalls: 0,
      startCalls: 0,
      powerOffQueries: [],
    };
    this.vms.set(`${resourceGroup}/${name}`.toLowerCase(), vm);
    return vm;
  }

  /** The next `times` requests of this kind answer with the fault instead. */
  failNext(operation: FakeArmOperation, fault: FakeArmFault, times = 1): void {
    const queue = this.faults.get(operation) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.faults.set(operation, queue);
  }

  /** The VM's power state now (a delayed change takes effect when read). */
  powerOf(vm: FakeVm): FakeVmPower {
    if (vm.changeAt !== undefined && vm.changeAt <= Date.now()) {
      vm.power = vm.power === 'starting' ? 'running' : 'stopped';
      vm.changeAt = undefined;
    }
    return vm.power;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    this.requests.push({ method: req.method ?? '', path: url.pathname });
    if (await this.entra.handle(req, res, url, body)) return;

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const info = token === undefined ? undefined : this.entra.tokenInfo(token);
    if (!info || info.audience !== this.url) {
      armError(res, 401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
        'www-authenticate': `Bearer authorization_uri="${this.url}/${this.entra.tenantId}", error="invalid_token"`,
      });
      return;
    }
    const op = operationPath.exec(url.pathname);
    if (req.method === 'GET' && op) {
      this.operationStatus(res, op[3] ?? '', url);
      return;
    }
    const match = vmPath.exec(url.pathname);
    if (!match || match[1] !== this.subscriptionId) {
      armError(res, 404, 'NotFound', `No route for ${req.method} ${url.pathname}`);
      return;
    }
    const [, , rg = '', name = '', what = ''] = match;
    const kind: FakeArmOperation = what.startsWith('providers')
      ? 'permissions'
      : (what as FakeArmOperation);
    const fault = this.faults.get(kind)?.shift();
    if (fault) {
      faultReply(res, fault);
      return;
    }
    const scope = `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const granted = this.grants.get(info.clientId) ?? [];
    if (kind === 'permissions') {
      json(res, 200, {
        value: [{ actions: granted, notActions: [], dataActions: [], notDataActions: [] }],
      });
      return;
    }
    const action = armActions[kind as keyof typeof armActions];
    if (!granted.some((pattern) => actionMatches(pattern, action))) {
      armError(
        res,
        403,
        'AuthorizationFailed',
        `The client '${info.clientId}' with object id '${info.clientId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
      return;
    }
    const vm = this.vms.get(`${rg}/${name}`.toLowerCase());
    if (!vm) {
      armError(
        res,
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
      return;
    }
    if (kind === 'instanceView') this.instanceView(res, vm, name);
    else this.startOperation(res, vm, kind, url);
  }

  private instanceView(res: ServerResponse, vm: FakeVm, name: string): void {
    json(res, 200, instanceViewBody(name, this.powerOf(vm)));
  }

  private startOperation(res: ServerResponse, vm: FakeVm, kind: string, url: URL): void {
    const power = this.powerOf(vm);
    if (kind === 'powerOff') {
      vm.powerOffCalls += 1;
      vm.powerOffQueries.push(url.search);
      if (power === 'running' || power === 'starting') {
        vm.power = 'stopping';
        vm.changeAt = vm.stuckStopping ? undefined : Date.now() + vm.offDelayMs;
      }
    } else {
      vm.startCalls += 1;
      if (power !== 'running') {
        vm.power = 'starting';
        vm.changeAt = Date.now() + vm.offDelayMs;
      }
    }
    const id = randomUUID();
    this.operations.set(id, { vm, pollsLeft: vm.lroPolls });
    const status = `${this.url}/subscriptions/${this.subscriptionId}/providers/Microsoft.Compute/locations/westeurope/operations/${id}`;
    empty(res, 202, {
      'azure-asyncoperation': `${status}?p=${randomUUID()}&api-version=2024-07-01`,
      location: `${status}?p=${randomUUID()}&monitor=true&api-version=2024-07-01`,
      'azure-asyncnotification': 'Enabled',
    });
  }

  private operationStatus(res: ServerResponse, id: string, url: URL): void {
    const fault = this.faults.get('operation')?.shift();
    if (fault) {
      faultReply(res, fault);
      return;
    }
    const operation = this.operations.get(id);
    if (!operation) {
      armError(res, 404, 'NotFound', `operation ${id} not found`);
      return;
    }
    const done = operation.pollsLeft <= 0;
    if (url.searchParams.get('monitor') === 'true') {
      // The Location monitor: 202 while running, then 200 without a body (no result for POSTs).
      if (done) empty(res, 200);
      else empty(res, 202, { location: url.href });
      return;
    }
    if (!done) {
      operation.pollsLeft -= 1;
      json(res, 200, operationBody(id, 'InProgress'));
      return;
    }
    json(res, 200, operationBody(id, operation.vm.lroResult));
  }
}

/** Starts a fake ARM on 127.0.0.1 with a fresh test CA (or the given one). */
export async function startFakeArm(options: { ca?: TestCa } = {}): Promise<FakeArm> {
  const ca = options.ca ?? (await createTestCa());
  let arm: FakeArm | undefined;
  const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    arm?.handle(req, res).catch((err: unknown) => {
      armError(res, 500, 'InternalServerError', String(err));
    });
  });
  arm = new FakeArm(ca, server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  arm.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return arm;
}

/** Role definition matching: `*` stands for any run of characters, case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i').test(action);
}

function faultReply(res: ServerResponse, fault: FakeArmFault): void {
  if ('rawBody' in fault) {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(fault.rawBody),
    });
    res.end(fault.rawBody);
    return;
  }
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
  armError(res, fault.status, fault.code, fault.message ?? fault.code, headers);
}

function armError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  json(res, status, { error: { code, message } }, { 'x-ms-failure-cause': 'gateway', ...headers });
}
