import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** EC2 instance state names and their numeric codes, as the API reports them. */
export const instanceStateCodes = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;
export type InstanceStateName = keyof typeof instanceStateCodes;

const ec2Ns = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function xmlEscape(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function state(tag: string, name: InstanceStateName): string {
  return `<${tag}><code>${instanceStateCodes[name]}</code><name>${name}</name></${tag}>`;
}

/** StopInstances / StartInstances answer: `instancesSet/item{instanceId,currentState,previousState}`. */
export function stateChangeXml(
  action: 'StopInstances' | 'StartInstances',
  changes: { instanceId: string; previous: InstanceStateName; current: InstanceStateName }[],
): string {
  const items = changes
    .map(
      (c) =>
        `<item><instanceId>${c.instanceId}</instanceId>${state('currentState', c.current)}${state('previousState', c.previous)}</item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ec2Ns}"><requestId>${randomUUID()}</requestId><instancesSet>${items}</instancesSet></${action}Response>`;
}

/**
 * DescribeInstances answer: one reservation per instance, as EC2 groups launches. A `null`
 * state leaves `instanceState` out (a truncated answer).
 */
export function describeInstancesXml(
  instances: { instanceId: string; state: InstanceStateName | null }[],
  ownerId: string,
): string {
  const reservations = instances
    .map(
      (i) =>
        `<item><reservationId>r-${i.instanceId.slice(2)}</reservationId><ownerId>${ownerId}</ownerId><groupSet/><instancesSet><item><instanceId>${i.instanceId}</instanceId><imageId>ami-0abcdef1234567890</imageId>${i.state === null ? '' : state('instanceState', i.state)}<privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName><instanceType>t3.micro</instanceType><launchTime>2026-01-01T00:00:00.000Z</launchTime><placement><availabilityZone>eu-west-1a</availabilityZone><tenancy>default</tenancy></placement></item></instancesSet></item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${ec2Ns}"><requestId>${randomUUID()}</requestId><reservationSet>${reservations}</reservationSet></DescribeInstancesResponse>`;
}

/** EC2's error document (note: `Response/Errors/Error`, and `RequestID` in capitals). */
export function ec2ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
}

/** STS AssumeRoleWithWebIdentity answer with temporary credentials. */
export function assumeRoleWithWebIdentityXml(input: {
  roleArn: string;
  sessionName: string;
  subject: string;
  audience: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}): string {
  const account = /::(\d{12}):/.exec(input.roleArn)?.[1] ?? '000000000000';
  const roleName = input.roleArn.split('/').pop() ?? 'role';
  return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>${xmlEscape(input.subject)}</SubjectFromWebIdentityToken><Audience>${xmlEscape(input.audience)}</Audience><AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(input.sessionName)}</Arn><AssumedRoleId>AROA${account}:${xmlEscape(input.sessionName)}</AssumedRoleId></AssumedRoleUser><Credentials><SessionToken>${input.sessionToken}</SessionToken><SecretAccessKey>${input.secretAccessKey}</SecretAccessKey><Expiration>${input.expiration.toISOString()}</Expiration><AccessKeyId>${input.accessKeyId}</AccessKeyId></Credentials><Provider>${xmlEscape(input.audience)}</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;
}

/** STS's error document: `ErrorResponse/Error{Type,Code,Message}`. */
export function stsErrorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

/** Writes an EC2/STS answer (XML, as the Query API sends it). */
export function reply(res: ServerResponse, status: number, xml: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    server: 'AmazonEC2',
  });
  res.end(xml);
}
