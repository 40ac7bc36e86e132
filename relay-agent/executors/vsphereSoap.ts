import { Agent, request } from 'node:https';
import { XMLParser } from 'fast-xml-parser';
import { ExecError } from '../errors.ts';

/** A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`. */
export interface MoRef {
  type: string;
  value: string;
}

/** A parsed XML element: text, or an object of child elements and `@_attributes`. */
export type XmlNode = string | { [key: string]: XmlNode | XmlNode[] | undefined };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (tagName) => tagName === 'objects' || tagName === 'propSet',
});

/** A SOAP answer larger than this is refused (a vim25 answer for one VM is a few KiB). */
const maxAnswerBytes = 16 * 2 ** 20;

interface HttpAnswer {
  status: number;
  text: string;
  setCookie: string[] | undefined;
}

/**
 * A minimal vSphere SOAP (vim25) client: one POST per method to `/sdk`, the session cookie
 * kept between calls. vCenter and ESXi speak the same API, so one client covers both. Plain
 * node:https (no redirects followed, no proxy from the environment): an HTTP library would
 * be most of what the relay loads.
 */
export class VsphereSoap {
  private readonly agent: Agent;
  private cookie: string | undefined;

  constructor(
    readonly url: string,
    ca: Buffer | undefined,
  ) {
    this.agent = new Agent({ ...(ca ? { ca } : {}), keepAlive: false, minVersion: 'TLSv1.2' });
  }

  /** Calls one method; `body` is the method's inner XML. Faults become ExecError. */
  async call(
    method: string,
    body: string,
    timing: { timeoutMs: number; signal: AbortSignal },
  ): Promise<XmlNode | undefined> {
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
      ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"' +
      ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      `<soapenv:Body><${method} xmlns="urn:vim25">${body}</${method}></soapenv:Body></soapenv:Envelope>`;
    let response: HttpAnswer;
    try {
      response = await this.post(envelope, timing);
    } catch (err) {
      throw transportError(method, err);
    }
    this.keepCookie(response.setCookie);
    const text = response.text;
    let doc: XmlNode;
    try {
      doc = parser.parse(text) as XmlNode;
    } catch (err) {
      throw new ExecError('protocol', `${method}: answer is not XML (HTTP ${response.status})`, {
        cause: err,
        retryable: true,
      });
    }
    const responseBody = child(child(doc, 'Envelope'), 'Body');
    const fault = child(responseBody, 'Fault');
    if (fault !== undefined) throw faultError(method, fault);
    if (response.status !== 200 || responseBody === undefined) {
      throw new ExecError('failed', `${method}: HTTP ${response.status} without a SOAP answer`);
    }
    return child(child(responseBody, `${method}Response`), 'returnval');
  }

  /** One POST; the whole exchange within `timeoutMs` (else an ETIMEDOUT error). */
  private post(
    body: string,
    timing: { timeoutMs: number; signal: AbortSignal },
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          signal: timing.signal,
          headers: {
            'Content-Type': 'text/xml; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            SOAPAction: 'urn:vim25/6.5',
            ...(this.cookie ? { Cookie: this.cookie } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxAnswerBytes) {
              req.destroy(Object.assign(new Error('answer too large'), { code: 'ETOOBIG' }));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              setCookie: res.headers['set-cookie'],
            });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(
        () =>
          req.destroy(
            Object.assign(new Error(`no answer within ${timing.timeoutMs} ms`), {
              code: 'ETIMEDOUT',
            }),
          ),
        Math.max(1, timing.timeoutMs),
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  private keepCookie(header: unknown): void {
    const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : [];
    const pairs = lines.map((l) => String(l).split(';')[0]?.trim() ?? '').filter((p) => p !== '');
    if (pairs.length > 0) this.cookie = pairs.join('; ');
  }
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[name];
  return Array.isArray(value) ? value[0] : value;
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Text of an element, whether or not it has attributes. */
export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  const inner = node['#text'];
  return typeof inner === 'string' ? inner : inner === undefined ? '' : String(inner);
}

export function moref(node: XmlNode | undefined): MoRef | undefined {
  const value = text(node);
  if (node === undefined || typeof node === 'string' || !value) return undefined;
  const type = node['@_type'];
  return typeof type === 'string' ? { type, value } : undefined;
}

export function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function refXml(tag: string, ref: MoRef): string {
  return `<${tag} type="${xmlEscape(ref.type)}">${xmlEscape(ref.value)}</${tag}>`;
}

/** The fault's type: the `xsi:type` of the detail element (InvalidLogin, ManagedObjectNotFound). */
export function faultType(fault: XmlNode | undefined): string {
  const detail = child(fault, 'detail');
  if (detail === undefined || typeof detail === 'string') return '';
  for (const [key, value] of Object.entries(detail)) {
    if (key.startsWith('@_')) continue;
    const node = Array.isArray(value) ? value[0] : value;
    const type = node && typeof node !== 'string' ? node['@_type'] : undefined;
    return typeof type === 'string' ? type : key.replace(/Fault$/, '');
  }
  return '';
}

function faultError(method: string, fault: XmlNode): ExecError {
  const type = faultType(fault);
  const message = `${method}: ${text(child(fault, 'faultstring')) ?? 'fault'}${type ? ` (${type})` : ''}`;
  if (type === 'InvalidLogin' || type === 'NoPermission' || type === 'NotAuthenticated')
    return new ExecError('auth', message, { retryable: type === 'NotAuthenticated' });
  if (type === 'ManagedObjectNotFound') return new ExecError('not-found', message);
  return new ExecError('failed', message);
}

const tlsCodes =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/;

function transportError(method: string, err: unknown): ExecError {
  const code = String((err as NodeJS.ErrnoException | undefined)?.code ?? '');
  const message = `${method}: ${err instanceof Error ? err.message : String(err)}`;
  if (
    code === 'ETIMEDOUT' ||
    code === 'ABORT_ERR' ||
    (err as Error | undefined)?.name === 'AbortError'
  )
    return new ExecError('timeout', message, { cause: err });
  if (code === 'ETOOBIG')
    return new ExecError('protocol', message, { cause: err, retryable: false });
  if (tlsCodes.test(code))
    return new ExecError(
      'protocol',
      `${message}: the vSphere certificate is not trusted (set ca)`,
      {
        cause: err,
        retryable: false,
      },
    );
  return new ExecError('unreachable', message, { cause: err });
}
