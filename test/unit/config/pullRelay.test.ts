import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/config/issues.ts';
import { parseConfig } from '../../../core/config/load.ts';
import { relayYaml } from '../../../relay-agent/config.ts';
import { resolveRelayConfig } from '../../../relay-agent/loadConfig.ts';

/** Issue 17: `relays.<name>: { mode: pull, keyName, key }` in fencer.yaml, `pull:` in relay.yaml. */
const secrets = {
  KEY_A: 'q7m1WgQm0B1cJx8nY6m3c8zH4b9v1uT2pQ5rS7tU9wE=',
  KEY_B: 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=',
  ADMIN: 'YWRtaW5hZG1pbmFkbWluYWRtaW5hZG1pbmFkbWluYWQ=',
  SITE1: 'c2l0ZTFzaXRlMXNpdGUxc2l0ZTFzaXRlMXNpdGUxc2k=',
  PUSH: 'cHVzaHB1c2hwdXNocHVzaHB1c2hwdXNocHVzaHB1c2g=',
};

const fencerYaml = (relays: string) => `
clusters:
  c1:
    nodes:
      a: { key: { secretRef: env:KEY_A }, levels: [ [ { relay: { relay: site1, target: bmc-a } } ] ] }
      b: { key: { secretRef: env:KEY_B }, levels: [ [ { relay: { relay: dc1, target: bmc-b } } ] ] }
relays:
${relays}
admins:
  ops: { secretRef: env:ADMIN }
`;
const pullSite1 = '  site1: { mode: pull, keyName: site1, key: { secretRef: env:SITE1 } }';
const pushDc1 =
  '  dc1: { url: https://relay.dc1:7443, keyName: fencer, key: { secretRef: env:PUSH } }';

function issuesOf(text: string, env: Record<string, string> = secrets): string[] {
  try {
    parseConfig(text, '/tmp/fencer.yaml', { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('fencer.yaml: pull-mode relays', () => {
  it('loads a pull relay beside a push relay; its key is relay/NAME, a push relay has none', () => {
    // Act
    const loaded = parseConfig(fencerYaml(`${pullSite1}\n${pushDc1}`), '/tmp/f.yaml', {
      env: secrets,
    });

    // Assess
    expect(loaded.config.relays.site1).toMatchObject({ mode: 'pull', keyName: 'site1' });
    expect(loaded.keys.get('relay/site1')).toBe(secrets.SITE1);
    expect(loaded.keys.has('relay/dc1')).toBe(false);
  });

  it('refuses a url or ca on a pull relay, a push relay without url, and a keyName other than its name', () => {
    // Act
    const issues = issuesOf(
      fencerYaml(
        [
          '  site1: { mode: pull, url: https://x:1, ca: ca.pem, keyName: site1, key: { secretRef: env:SITE1 } }',
          '  dc1: { keyName: fencer, key: { secretRef: env:PUSH } }',
          '  site9: { mode: pull, keyName: other, key: { secretRef: env:KEY_B } }',
        ].join('\n'),
      ),
    );

    // Assess
    expect(issues).toEqual(
      expect.arrayContaining([
        'relays.site1.url: a pull-mode relay has no url: it dials out to Fencer',
        'relays.site1.ca: a pull-mode relay has no ca: it dials out to Fencer',
        expect.stringMatching(/^relays\.dc1\.url: a push-mode relay needs url/),
        expect.stringMatching(
          /^relays\.site9\.keyName: a pull-mode relay's keyName is its name here/,
        ),
      ]),
    );
  });

  it('refuses a pull relay key shared with anything, even another relay (it signs to Fencer)', () => {
    // Act
    const withNode = issuesOf(fencerYaml(`${pullSite1}\n${pushDc1}`), {
      ...secrets,
      SITE1: secrets.KEY_A,
    });
    const withPush = issuesOf(fencerYaml(`${pullSite1}\n${pushDc1}`), {
      ...secrets,
      SITE1: secrets.PUSH,
    });
    const weak = issuesOf(fencerYaml(`${pullSite1}\n${pushDc1}`), {
      ...secrets,
      SITE1: 'c2hvcnQ=',
    });

    // Assess
    expect(withNode).toContain(
      'relays.site1.key.secretRef: the same secret as clusters.c1.nodes.a.key: every key needs its own secret',
    );
    expect(withPush.join('\n')).toMatch(
      /relays\.(site1|dc1)\.key\.secretRef: the same secret as relays\.(site1|dc1)\.key/,
    );
    expect(weak.join('\n')).toMatch(/^relays\.site1\.key\.secretRef: /m);
  });
});

describe('relay.yaml: pull:', () => {
  const targets = { bmc: { ipmi: { host: 'h', user: 'u', password: { secretRef: 'env:PW' } } } };
  const env = { KEY: secrets.SITE1, PW: 'pw' };
  const load = (yaml: Record<string, unknown>) =>
    resolveRelayConfig(relayYaml.parse(yaml), '/tmp/relay.yaml', env);
  const issues = (yaml: Record<string, unknown>) =>
    (relayYaml.safeParse(yaml).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('a pull-only relay needs no listen, tls or keys; its key verifies the actions it pulls', () => {
    // Act
    const config = load({
      pull: { url: 'https://fencer.example/api/', keyName: 'site1', key: { secretRef: 'env:KEY' } },
      targets,
    });

    // Assess
    expect(config.listen).toBeUndefined();
    expect(config.pull).toEqual({
      url: 'https://fencer.example/api',
      keyName: 'site1',
      secret: secrets.SITE1,
    });
    expect(config.keys.get('site1')).toBe(secrets.SITE1);
  });

  it('refuses plain http except on loopback, no way in at all, listen without tls, and a key name twice', () => {
    // Act
    const pull = (url: string) => ({ url, keyName: 'site1', key: { secretRef: 'env:KEY' } });
    const remoteHttp = issues({ pull: pull('http://fencer.example/api'), targets });
    const loopbackHttp = issues({ pull: pull('http://127.0.0.1:7071/api'), targets });
    const neither = issues({ targets });
    const noTls = issues({ listen: '127.0.0.1:7443', pull: pull('https://f/api'), targets });
    const twice = issues({
      pull: pull('https://f/api'),
      keys: { site1: { secretRef: 'env:KEY' } },
      targets,
    });

    // Assess
    expect(remoteHttp).toEqual(['pull.url: must be https (plain http only on a loopback address)']);
    expect(loopbackHttp).toEqual([]);
    expect(neither).toEqual([': needs listen (push mode), pull (pull mode), or both']);
    expect(noTls).toEqual(['tls: listen needs tls: { cert, key }']);
    expect(twice).toEqual(["keys.site1: site1 is the pull key's name already"]);
  });
});
