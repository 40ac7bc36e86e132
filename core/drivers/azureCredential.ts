import {
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { z } from 'zod';
import type { azureCredential } from '../config/schema.ts';

export type AzureCredentialConfig = z.infer<typeof azureCredential>;

export interface AzureCredentialSettings {
  credential?: AzureCredentialConfig;
  /** Entra authority host for sovereign or private clouds (e.g. https://login.microsoftonline.us). */
  authorityHost?: string;
  /** CA certificates to trust (system CAs plus an extra one), when the config names a `ca`. */
  trustedCas?: string[];
}

/**
 * Builds the Entra credential of a device: DefaultAzureCredential by default (managed identity
 * in the Function App), a user-assigned managed identity by client id, or a service principal
 * whose secret comes from a secretRef. The secret is resolved here, never logged.
 */
export function createAzureCredential(
  settings: AzureCredentialSettings,
  secret: (ref: string) => string,
): TokenCredential {
  const { credential, authorityHost, trustedCas } = settings;
  const options = {
    ...(authorityHost ? { authorityHost } : {}),
    ...(trustedCas ? { tlsOptions: { ca: trustedCas } } : {}),
    // The engine retries a failed driver call with its own backoff inside the level's timeout;
    // the identity library's own retries would run past it unseen.
    retryOptions: { maxRetries: 0 },
  };
  if (credential && 'managedIdentityClientId' in credential) {
    return new ManagedIdentityCredential({
      clientId: credential.managedIdentityClientId,
      ...options,
    });
  }
  if (credential) {
    return new ClientSecretCredential(
      credential.tenantId,
      credential.clientId,
      secret(credential.clientSecret.secretRef),
      {
        ...options,
        // An explicit authority host is trusted as configured: instance discovery would ask
        // login.microsoftonline.com to vouch for it, which private clouds cannot reach.
        ...(authorityHost ? { disableInstanceDiscovery: true } : {}),
      },
    );
  }
  return new DefaultAzureCredential(options);
}

/** Names the credential for doctor output, without secrets. */
export function describeAzureCredential(credential: AzureCredentialConfig | undefined): string {
  if (!credential) return 'DefaultAzureCredential';
  if ('managedIdentityClientId' in credential) {
    return `managed identity ${credential.managedIdentityClientId}`;
  }
  return `service principal ${credential.clientId} in tenant ${credential.tenantId}`;
}

/** How to repair a credential that got no token. */
export function azureCredentialFix(credential: AzureCredentialConfig | undefined): string {
  if (!credential) {
    return 'enable a managed identity on the Function App (or set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or `az login` for a local host), or configure credential: in fencer.yaml';
  }
  if ('managedIdentityClientId' in credential) {
    return `assign the user-assigned identity ${credential.managedIdentityClientId} to the Function App (or VM) running Fencer`;
  }
  return `check tenantId, clientId and the client secret behind ${credential.clientSecret.secretRef} (expired secrets are a common cause)`;
}
