/**
 * An unsigned JWT with the claims Azurite's OAuth mode checks (issuer prefix, audience,
 * lifetime): the shape of an Entra v1 access token for storage. Azurite does not verify
 * signatures, so the signature part is filler.
 */
export function fakeEntraToken(
  issuer: string,
  audience = 'https://storage.azure.com',
  objectId = '00000000-0000-0000-0000-0000000000aa',
): { token: string; expiresOn: number } {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { aud: audience, iss: issuer, iat: now, nbf: now - 60, exp: now + 3600 };
  return {
    token: `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ ...claims, oid: objectId, sub: objectId })}.c2lnbmF0dXJl`,
    expiresOn: now + 3600,
  };
}

export const entraIssuer = 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/';
