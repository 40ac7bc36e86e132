import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { awsCredential } from '../config/schema.ts';
import { azureDriverError } from './azureErrors.ts';

export type AwsCredentialConfig = z.infer<typeof awsCredential>;
type CredentialProvider = Exclude<EC2ClientConfig['credentials'], undefined>;

export interface AwsCredentialSettings {
  region: string;
  /** The EC2 client's handler (it trusts the configured `ca`), reused for STS. */
  requestHandler?: EC2ClientConfig['requestHandler'];
  /** System CAs plus the configured `ca`, for the Entra token request. */
  trustedCas?: string[];
  secret(ref: string): string;
  now(): number;
  description: string;
}

/**
 * The credentials of an aws-ec2 device, as an SDK credential provider (the EC2 client memoizes
 * it and asks again shortly before temporary credentials expire):
 * - absent: undefined, so the SDK's default chain applies (AWS_ACCESS_KEY_ID/… in the
 *   environment, shared config, container or instance roles);
 * - static keys: read from their secretRefs on first use, never logged;
 * - web identity: an Entra token of the Function's managed identity (or DefaultAzureCredential)
 *   for `${audience}/.default`, exchanged with STS AssumeRoleWithWebIdentity for temporary
 *   credentials of `roleArn`. No long-lived AWS key exists anywhere.
 */
export function awsCredentialProvider(
  credential: AwsCredentialConfig | undefined,
  settings: AwsCredentialSettings,
): CredentialProvider | undefined {
  if (!credential) return undefined;
  if ('accessKeyId' in credential) {
    return async () => ({
      accessKeyId: settings.secret(credential.accessKeyId.secretRef),
      secretAccessKey: settings.secret(credential.secretAccessKey.secretRef),
    });
  }
  const federation = credential.webIdentity;
  let azure: import('@azure/identity').TokenCredential | undefined;
  return async () => {
    // Both SDKs load only when a web-identity device first needs credentials.
    const [{ fromWebToken }, { createAzureCredential }] = await Promise.all([
      import('@aws-sdk/credential-providers'),
      import('./azureCredential.ts'),
    ]);
    azure ??= createAzureCredential(
      {
        ...(federation.managedIdentityClientId
          ? { credential: { managedIdentityClientId: federation.managedIdentityClientId } }
          : {}),
        ...(settings.trustedCas ? { trustedCas: settings.trustedCas } : {}),
      },
      settings.secret,
    );
    const scope = `${federation.audience.replace(/\/+$/, '')}/.default`;
    let token: string;
    try {
      const accessToken = await azure.getToken(scope);
      if (!accessToken) throw new Error(`no token for ${scope}`);
      token = accessToken.token;
    } catch (err) {
      throw azureDriverError(
        err,
        `${settings.description} Entra token for ${scope}`,
        settings.now(),
      );
    }
    return fromWebToken({
      roleArn: federation.roleArn,
      webIdentityToken: token,
      roleSessionName: federation.sessionName ?? 'fencer',
      clientConfig: {
        region: settings.region,
        // One attempt: the engine owns retries and their timing.
        maxAttempts: 1,
        ...(federation.stsEndpoint ? { endpoint: federation.stsEndpoint } : {}),
        ...(settings.requestHandler ? { requestHandler: settings.requestHandler } : {}),
      },
    })();
  };
}

/** Names the credential for doctor output, without secrets. */
export function describeAwsCredential(credential: AwsCredentialConfig | undefined): string {
  if (!credential) return 'the AWS default credential chain';
  if ('accessKeyId' in credential) return `the access key in ${credential.accessKeyId.secretRef}`;
  return `web identity federation to ${credential.webIdentity.roleArn}`;
}

/** How to repair credentials that were refused or could not be resolved. */
export function awsCredentialFix(credential: AwsCredentialConfig | undefined): string {
  if (!credential) {
    return 'provide credentials to the SDK default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role), or configure credential: in fencer.yaml';
  }
  if ('accessKeyId' in credential) {
    return `check the key pair behind ${credential.accessKeyId.secretRef} and ${credential.secretAccessKey.secretRef} (inactive or deleted keys are a common cause)`;
  }
  const f = credential.webIdentity;
  return `check that ${f.roleArn} trusts the Entra issuer with audience ${f.audience} (an OIDC identity provider in IAM) and that the managed identity ${f.managedIdentityClientId ?? '(system-assigned)'} is assigned to the host`;
}
