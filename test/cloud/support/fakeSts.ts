import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { assumeRoleWithWebIdentityXml, reply, stsErrorXml } from './ec2Xml.ts';
import type { FakeAccessKey, FakeRole } from './fakeEc2.ts';

/**
 * STS AssumeRoleWithWebIdentity (an unsigned call: the web identity token is the credential).
 * A token the role accepts buys a fresh temporary key pair with a session token, which the EC2
 * side then requires on every SigV4-signed request.
 */
export function assumeRoleWithWebIdentity(
  res: ServerResponse,
  params: Record<string, string>,
  roles: Map<string, FakeRole>,
  keys: Map<string, FakeAccessKey>,
): void {
  const role = roles.get(params.RoleArn ?? '');
  const subject = role?.verifyToken(params.WebIdentityToken ?? '');
  if (!role || subject === undefined) {
    reply(
      res,
      400,
      stsErrorXml(
        'InvalidIdentityToken',
        "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
      ),
    );
    return;
  }
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const key = {
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    allow: role.allow,
  };
  keys.set(accessKeyId, key);
  reply(
    res,
    200,
    assumeRoleWithWebIdentityXml({
      roleArn: params.RoleArn ?? '',
      sessionName: params.RoleSessionName ?? '',
      subject,
      audience: role.audience,
      accessKeyId,
      secretAccessKey: key.secretAccessKey,
      sessionToken: key.sessionToken,
      expiration: new Date(Date.now() + 3600_000),
    }),
  );
}
