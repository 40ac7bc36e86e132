import type { Credentials } from './api/client.ts';

// sessionStorage only: the key is gone when the tab closes, and never in localStorage or a
// cookie (DESIGN "Operator dashboard").
const storageKey = 'fencer.dashboard.key';

export type Role = 'admin' | 'viewer' | 'other';

export function roleOf(keyId: string): Role {
  if (keyId.startsWith('admin/')) return 'admin';
  if (keyId.startsWith('viewer/')) return 'viewer';
  return 'other';
}

export function loadSession(): Credentials | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') as unknown;
    if (value && typeof value === 'object') {
      const { keyId, secret } = value as Record<string, unknown>;
      if (typeof keyId === 'string' && typeof secret === 'string') return { keyId, secret };
    }
  } catch {
    // A damaged entry is the same as none.
  }
  return undefined;
}

export function saveSession(credentials: Credentials): void {
  sessionStorage.setItem(storageKey, JSON.stringify(credentials));
}

export function clearSession(): void {
  sessionStorage.removeItem(storageKey);
}
