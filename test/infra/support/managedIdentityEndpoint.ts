import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { entraIssuer, fakeEntraToken } from './entraToken.ts';

/**
 * The App Service managed identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER), which
 * @azure/identity's ManagedIdentityCredential uses inside a Function App. It hands tokens only
 * to the user-assigned identities it knows, and records every request.
 */
export interface ManagedIdentityEndpoint {
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  requests: { clientId: string | null; resource: string | null }[];
  close(): Promise<void>;
}

export async function startManagedIdentityEndpoint(
  clientIds: string[],
): Promise<ManagedIdentityEndpoint> {
  const header = randomBytes(12).toString('hex');
  const requests: ManagedIdentityEndpoint['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const clientId = url.searchParams.get('client_id');
    const resource = url.searchParams.get('resource');
    requests.push({ clientId, resource });
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-identity-header'] !== header) {
      answer(401, { statusCode: 401, message: 'X-IDENTITY-HEADER is missing or wrong' });
    } else if (!clientId || !clientIds.includes(clientId) || !resource) {
      answer(400, { statusCode: 400, message: `No managed identity ${clientId} for ${resource}` });
    } else {
      const { token, expiresOn } = fakeEntraToken(entraIssuer, resource.replace(/\/+$/, ''));
      answer(200, {
        access_token: token,
        expires_on: String(expiresOn),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: header },
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
