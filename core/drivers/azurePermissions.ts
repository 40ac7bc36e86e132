import type { ComputeManagementContext } from '@azure/arm-compute/api';

/** One entry of ARM's `Microsoft.Authorization/permissions` answer (a role's effective actions). */
export interface ArmPermission {
  actions?: string[];
  notActions?: string[];
}

/** What a fence needs, as RBAC names it. */
export const azureFenceActions = {
  powerOff: 'Microsoft.Compute/virtualMachines/powerOff/action',
  read: 'Microsoft.Compute/virtualMachines/instanceView/read',
} as const;

/**
 * Azure has no dry run for powerOff; the permissions API lists the caller's effective actions on
 * the VM instead, which is what `fencer doctor` needs to know before a real fence is attempted.
 * Throws what the SDK pipeline throws (a RestError-like error for non-200 answers).
 */
export async function readVmPermissions(
  context: ComputeManagementContext,
  vmScope: string,
  signal: AbortSignal,
): Promise<ArmPermission[]> {
  const response = await context
    .pathUnchecked(`${vmScope}/providers/Microsoft.Authorization/permissions`)
    .get({ queryParameters: { 'api-version': '2022-04-01' }, abortSignal: signal });
  if (response.status !== '200') {
    const body = response.body as { error?: { code?: string; message?: string } } | undefined;
    // Shaped like the SDK's RestError, so azureDriverError translates it the same way.
    throw Object.assign(new Error(body?.error?.message ?? `HTTP ${response.status}`), {
      name: 'RestError',
      code: body?.error?.code,
      statusCode: Number(response.status),
      response: { headers: { get: (name: string) => response.headers[name.toLowerCase()] } },
    });
  }
  const body = response.body as { value?: ArmPermission[] } | undefined;
  return body?.value ?? [];
}

/** True when some role grants `action` and does not take it away again with a notAction. */
export function permits(permissions: ArmPermission[], action: string): boolean {
  return permissions.some(
    (p) =>
      (p.actions ?? []).some((pattern) => actionMatches(pattern, action)) &&
      !(p.notActions ?? []).some((pattern) => actionMatches(pattern, action)),
  );
}

/** RBAC action patterns: `*` matches any run of characters; names are case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i').test(action);
}
