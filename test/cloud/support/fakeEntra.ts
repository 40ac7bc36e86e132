import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json } from './http.ts';

/** What a token issued by the fake says about itself. */
export interface FakeTokenInfo {
  clientId: string;
  /** The resource (audience) the token is for, e.g. the ARM base URL or `api://fencer-aws`. */
  audience: string;
  via: 'client-secret' | 'managed-identity';
}

export interface FakeEntraClient {
  secret: string;
}

/**
 * The Microsoft Entra side of the fake ARM server: the OpenID discovery document and v2.0
 * token endpoint that MSAL (under ClientSecretCredential) talks to, and an App Service style
 * managed identity endpoint (`IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`) for
 * ManagedIdentityCredential. Tokens are opaque JWT-shaped strings remembered by the fake.
 */
export class FakeEntra {
  readonly clients = new Map<string, FakeEntraClient>();
  /** Client ids of user-assigned identities the managed identity endpoint hands tokens for. */
  readonly managedIdentities = new Set<string>();
  readonly identityHeader = randomBytes(12).toString('hex');
  tokenRequests = 0;
  private readonly tokens = new Map<string, FakeTokenInfo>();

  constructor(
    readonly tenantId: string,
    private readonly baseUrl: () => string,
  ) {}

  tokenInfo(token: string): FakeTokenInfo | undefined {
    return this.tokens.get(token);
  }

  /** Handles the request if it is an Entra route; false when it is not. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): Promise<boolean> {
    const tenant = this.tenantId;
    if (
      req.method === 'GET' &&
      url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`
    ) {
      const base = `${this.baseUrl()}/${tenant}`;
      json(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        issuer: `${base}/v2.0`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
        tenant_region_scope: 'WW',
      });
      return true;
    }
    if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
      this.tokenRequests += 1;
      this.clientCredentials(res, new URLSearchParams(body));
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/msi/token') {
      this.tokenRequests += 1;
      this.managedIdentity(req, res, url);
      return true;
    }
    return false;
  }

  private clientCredentials(res: ServerResponse, form: URLSearchParams): void {
    const clientId = form.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (form.get('grant_type') !== 'client_credentials') {
      oauthError(res, 400, 'unsupported_grant_type', 'AADSTS70003: unsupported grant type');
      return;
    }
    if (!client) {
      oauthError(
        res,
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'.`,
      );
      return;
    }
    if (form.get('client_secret') !== client.secret) {
      oauthError(
        res,
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
      return;
    }
    const scope = form
      .get('scope')
      ?.split(' ')
      .find((s) => s.endsWith('/.default'));
    if (!scope) {
      oauthError(res, 400, 'invalid_scope', 'AADSTS1002012: a /.default scope is required');
      return;
    }
    const token = this.issue({
      clientId,
      audience: scope.slice(0, -'/.default'.length),
      via: 'client-secret',
    });
    json(res, 200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: token,
    });
  }

  private managedIdentity(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers['x-identity-header'] !== this.identityHeader) {
      json(res, 401, { statusCode: 401, message: 'X-IDENTITY-HEADER is missing or wrong' });
      return;
    }
    const clientId = url.searchParams.get('client_id') ?? '';
    const resource = url.searchParams.get('resource') ?? '';
    if (!this.managedIdentities.has(clientId)) {
      json(res, 400, {
        statusCode: 400,
        message: `No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId '${clientId}'.`,
        correlationId: randomUUID(),
      });
      return;
    }
    const token = this.issue({ clientId, audience: resource, via: 'managed-identity' });
    json(res, 200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource,
      token_type: 'Bearer',
      client_id: clientId,
    });
  }

  private issue(info: FakeTokenInfo): string {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = [
      b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' }),
      b64({
        aud: info.audience,
        iss: `${this.baseUrl()}/${this.tenantId}/v2.0`,
        tid: this.tenantId,
        appid: info.clientId,
        oid: randomUUID(),
        sub: info.clientId,
        iat: now,
        nbf: now,
        exp: now + 3600,
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.tokens.set(token, info);
    return token;
  }
}

function oauthError(res: ServerResponse, status: number, error: string, description: string) {
  json(res, status, {
    error,
    error_description: description,
    error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}
