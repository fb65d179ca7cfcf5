/**
 * The security keys of the configuration: kafka.tls, kafka.sasl, endpoint.tls, endpoint.auth,
 * endpoint.signing and security.allowedHosts. Files are real (PEM made with openssl), and every
 * problem is checked to name its key path and, for files, the path of the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { Secret } from '../../src/config/secret.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import { makeTestPki, type TestPki } from '../support/test-certificates.ts';
import { refusal } from '../support/config-problems.ts';

const PASSWORD = 'pw-7c1d9e55ab';
let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'bridge-security-config-'));
});

afterAll(() => {
  pki?.remove();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

interface Parts {
  kafka?: Record<string, unknown>;
  endpoint?: Record<string, unknown>;
  route?: Record<string, unknown>;
  security?: Record<string, unknown>;
}

function yaml(parts: Parts = {}): string {
  return stringify({
    kafka: { sessionTimeout: '45s', ...parts.kafka },
    ...(parts.security === undefined ? {} : { security: parts.security }),
    routes: [
      {
        name: 'orders',
        topics: ['orders'],
        endpoint: { url: 'https://orders.internal/api/events?tenant=7', ...parts.endpoint },
        ...parts.route,
      },
    ],
  });
}

function load(parts: Parts, env: NodeJS.ProcessEnv = {}): BridgeConfig {
  return parseConfig(yaml(parts), env);
}

function problemsOf(parts: Parts, env: NodeJS.ProcessEnv = {}): string[] {
  const error = refusal(() => load(parts, env));
  expect(error.message).not.toContain(PASSWORD);
  return [...error.problems];
}

describe('defaults', () => {
  it('no TLS, no SASL, no endpoint auth or signing, any host', () => {
    const config = load({});
    expect(config.kafka.tls).toBeUndefined();
    expect(config.kafka.sasl).toBeUndefined();
    const endpoint = config.routes[0]!.endpoint;
    expect(endpoint.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, servername: undefined });
    expect(endpoint.auth).toBeUndefined();
    expect(endpoint.signing).toBeUndefined();
    expect(config.security.allowedHosts).toEqual([]);
  });
});

describe('kafka.tls and endpoint.tls', () => {
  it('reads the CA, the client certificate and its key when loaded; the key is a Secret', () => {
    const tls = { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile, servername: 'kafka.internal' };
    const config = load({ kafka: { tls: { enabled: true, ...tls } }, endpoint: { tls } });
    for (const files of [config.kafka.tls!, config.routes[0]!.endpoint.tls]) {
      expect(files.ca).toBe(pki.ca.cert);
      expect(files.cert).toBe(pki.client.cert);
      expect(files.key).toBeInstanceOf(Secret);
      expect(files.key!.reveal()).toBe(pki.client.key);
      expect(files.servername).toBe('kafka.internal');
    }
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(inspect(config, { depth: Infinity })).not.toContain('PRIVATE KEY');
  });

  it('enabled with nothing else means the system CAs', () => {
    expect(load({ kafka: { tls: { enabled: true } } }).kafka.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, servername: undefined });
  });

  it('names the key and the file when a file is missing', () => {
    const missing = join(dir, 'missing.pem');
    expect(problemsOf({ kafka: { tls: { enabled: true, ca: missing } }, endpoint: { tls: { cert: missing, key: pki.client.keyFile } } })).toEqual([
      `kafka.tls.ca: file ${missing} does not exist`,
      `routes[0].endpoint.tls.cert: file ${missing} does not exist`,
    ]);
  });

  it('checks the content: a certificate in the CA file, a key that belongs to the certificate, an unencrypted key', () => {
    const notPem = file('not-a-cert.pem', 'hello\n');
    expect(problemsOf({ endpoint: { tls: { ca: notPem } } })).toEqual([
      `routes[0].endpoint.tls.ca: file ${notPem} contains no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ]);
    expect(problemsOf({ endpoint: { tls: { cert: pki.client.certFile, key: pki.server.keyFile } } })).toEqual([
      `routes[0].endpoint.tls.key: file ${pki.server.keyFile} does not hold the private key of the certificate in file ${pki.client.certFile}`,
    ]);
    expect(problemsOf({ kafka: { tls: { enabled: true, cert: pki.client.certFile, key: pki.encryptedClientKeyFile } } })).toEqual([
      `kafka.tls.key: file ${pki.encryptedClientKeyFile} does not hold an unencrypted PEM private key`,
    ]);
  });

  it('checks the shape: absolute paths, cert with key, files only when enabled, known keys', () => {
    expect(problemsOf({ kafka: { tls: { enabled: true, ca: 'ca.pem', cert: pki.client.certFile } } })).toEqual([
      'kafka.tls.ca: must be an absolute file path',
      'kafka.tls.key: is required with cert: a client certificate needs its private key',
    ]);
    expect(problemsOf({ kafka: { tls: { enabled: false, ca: pki.ca.certFile } } })).toEqual([
      'kafka.tls: ca, cert, key and servername apply only with enabled: true',
    ]);
    expect(problemsOf({ kafka: { tls: { ca: pki.ca.certFile } } })).toEqual(['kafka.tls.enabled: is required']);
    expect(problemsOf({ endpoint: { tls: { certs: pki.client.certFile, verify: false } } })).toEqual([
      'routes[0].endpoint.tls.certs: unknown key (did you mean "cert"?)',
      'routes[0].endpoint.tls.verify: unknown key (expected one of: ca, cert, key, servername)',
    ]);
    expect(problemsOf({ kafka: { tls: true } })).toEqual(['kafka.tls: must be a mapping like { enabled: true, ca: /path/ca.pem } (got a boolean)']);
  });
});

describe('kafka.sasl', () => {
  it('reads the username as written or from a secret, and the password from env or a file', () => {
    const passwordFile = file('kafka-password', `${PASSWORD}\n`);
    const fromFile = load({ kafka: { sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: { fromFile: passwordFile } } } });
    expect(fromFile.kafka.sasl?.mechanism).toBe('scram-sha-512');
    expect(fromFile.kafka.sasl?.username).toBe('bridge');
    expect(fromFile.kafka.sasl?.password.reveal()).toBe(PASSWORD);
    const fromEnv = load(
      { kafka: { sasl: { mechanism: 'scram-sha-256', username: { fromEnv: 'KAFKA_USER' }, password: { fromEnv: 'KAFKA_PASSWORD' } } } },
      { KAFKA_USER: 'bridge', KAFKA_PASSWORD: PASSWORD },
    );
    expect((fromEnv.kafka.sasl?.username as Secret).reveal()).toBe('bridge');
    expect(JSON.stringify(fromEnv)).not.toContain(PASSWORD);
  });

  it('refuses a password written in the file, without repeating it', () => {
    expect(problemsOf({ kafka: { sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: PASSWORD } } })).toEqual([
      'kafka.sasl.password: must be { fromEnv: NAME } or { fromFile: /absolute/path } (a secret is never written in the configuration file)',
    ]);
  });

  it('names the missing variable, the unknown mechanism and the missing keys', () => {
    expect(problemsOf({ kafka: { sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: { fromEnv: 'KAFKA_PASSWORD' } } } })).toEqual([
      'kafka.sasl.password: env KAFKA_PASSWORD is not set',
    ]);
    expect(problemsOf({ kafka: { sasl: { mechanism: 'gssapi' } } })).toEqual([
      'kafka.sasl.mechanism: must be one of plain, scram-sha-256, scram-sha-512 (got "gssapi")',
      'kafka.sasl.username: is required',
      'kafka.sasl.password: is required',
    ]);
  });

  it('accepts plain only over TLS', () => {
    const sasl = { mechanism: 'plain', username: 'bridge', password: { fromEnv: 'KAFKA_PASSWORD' } };
    expect(problemsOf({ kafka: { sasl } }, { KAFKA_PASSWORD: PASSWORD })).toEqual([
      'kafka.sasl: mechanism plain sends the password in clear text: set kafka.tls.enabled: true, or use scram-sha-256 or scram-sha-512',
    ]);
    expect(load({ kafka: { sasl, tls: { enabled: true } } }, { KAFKA_PASSWORD: PASSWORD }).kafka.sasl?.mechanism).toBe('plain');
  });
});

describe('endpoint.auth', () => {
  it('bearer: reads the token file when loaded', () => {
    const tokenFile = file('token', 'tok-123\n');
    const auth = load({ endpoint: { auth: { bearer: { tokenFile } } } }).routes[0]!.endpoint.auth;
    expect(auth?.kind).toBe('bearer');
    if (auth?.kind !== 'bearer') return;
    expect(auth.tokenFile).toBe(tokenFile);
    expect(auth.token.reveal()).toBe('tok-123');
    expect(problemsOf({ endpoint: { auth: { bearer: { tokenFile: join(dir, 'no-token') } } } })).toEqual([
      `routes[0].endpoint.auth.bearer.tokenFile: file ${join(dir, 'no-token')} does not exist`,
    ]);
  });

  it('basic: user as written, password only from a secret, no colon in the user', () => {
    const auth = load({ endpoint: { auth: { basic: { username: 'bridge', password: { fromEnv: 'PW' } } } } }, { PW: PASSWORD }).routes[0]!.endpoint.auth;
    expect(auth?.kind === 'basic' && auth.password.reveal()).toBe(PASSWORD);
    expect(problemsOf({ endpoint: { auth: { basic: { username: 'a:b', password: PASSWORD } } } })).toEqual([
      'routes[0].endpoint.auth.basic.password: must be { fromEnv: NAME } or { fromFile: /absolute/path } (a secret is never written in the configuration file)',
    ]);
    expect(problemsOf({ endpoint: { auth: { basic: { username: 'a:b', password: { fromEnv: 'PW' } } } } }, { PW: PASSWORD })).toEqual([
      'routes[0].endpoint.auth.basic.username: the value must not contain ":"',
    ]);
  });

  it('oauth2: defaults to client_secret_basic, keeps scope and audience', () => {
    const secretFile = file('client-secret', PASSWORD);
    const auth = load({
      endpoint: {
        auth: { oauth2: { tokenUrl: 'https://auth.example.com/token', clientId: 'bridge', clientSecret: { fromFile: secretFile }, scope: 'a b', audience: 'orders' } },
      },
    }).routes[0]!.endpoint.auth;
    expect(auth).toMatchObject({ kind: 'oauth2', tokenUrl: 'https://auth.example.com/token', clientId: 'bridge', scope: 'a b', audience: 'orders', authMethod: 'client_secret_basic' });
    expect(auth?.kind === 'oauth2' && auth.clientSecret.reveal()).toBe(PASSWORD);
  });

  it('oauth2: refuses a secret in the file, credentials in the URL, unknown keys and missing ones', () => {
    expect(
      problemsOf({ endpoint: { auth: { oauth2: { tokenUrl: `https://id:${PASSWORD}@auth.example.com/token`, clientSecret: PASSWORD, scopes: 'a', authMethod: 'private_key_jwt' } } } }),
    ).toEqual([
      'routes[0].endpoint.auth.oauth2.tokenUrl: must not contain credentials (user:password@); send them in a header with { fromEnv: NAME } or { fromFile: /absolute/path } (got "https://***@auth.example.com/token")',
      'routes[0].endpoint.auth.oauth2.clientSecret: must be { fromEnv: NAME } or { fromFile: /absolute/path } (a secret is never written in the configuration file)',
      'routes[0].endpoint.auth.oauth2.scopes: unknown key (did you mean "scope"?)',
      'routes[0].endpoint.auth.oauth2.authMethod: must be one of client_secret_basic, client_secret_post (got "private_key_jwt")',
      'routes[0].endpoint.auth.oauth2.clientId: is required',
    ]);
  });

  it('is none or exactly one kind', () => {
    const tokenFile = file('token-2', 'x');
    expect(problemsOf({ endpoint: { auth: 'bearer' } })).toEqual(['routes[0].endpoint.auth: must be none or a mapping with one of bearer, basic, oauth2 (got "bearer")']);
    expect(problemsOf({ endpoint: { auth: {} } })).toEqual(['routes[0].endpoint.auth: must be none or a mapping with one of bearer, basic, oauth2 (got an empty mapping)']);
    expect(problemsOf({ endpoint: { auth: { bearer: { tokenFile }, basic: { username: 'a', password: { fromEnv: 'PW' } } } } })).toEqual([
      'routes[0].endpoint.auth: must be none or a mapping with one of bearer, basic, oauth2 (got bearer and basic)',
    ]);
    expect(problemsOf({ endpoint: { auth: { oauth: {} } } })).toEqual(['routes[0].endpoint.auth.oauth: unknown key (did you mean "oauth2"?)']);
  });

  it('owns the authorization header: a static one next to it is an error', () => {
    const tokenFile = file('token-3', 'x');
    expect(problemsOf({ endpoint: { auth: { bearer: { tokenFile } }, headers: { Authorization: 'Bearer static' } } })).toEqual([
      'routes[0].endpoint.headers.authorization: is set by routes[0].endpoint.auth; remove it from the static headers',
    ]);
  });
});

describe('endpoint.signing', () => {
  const key = Buffer.alloc(32, 7).toString('base64');

  it('reads whsec_<base64> or plain base64', () => {
    for (const content of [`whsec_${key}\n`, key]) {
      const secretFile = file('signing', content);
      const signing = load({ endpoint: { signing: { secretFile } } }).routes[0]!.endpoint.signing;
      expect(signing?.secretFile).toBe(secretFile);
      expect(signing?.key.reveal()).toBe(key);
    }
  });

  it('refuses keys that are not base64 or shorter than 24 bytes, without showing them', () => {
    const notBase64 = file('signing-bad', 'whsec_not base64!');
    const short = file('signing-short', `whsec_${Buffer.alloc(16, 1).toString('base64')}`);
    expect(problemsOf({ endpoint: { signing: { secretFile: notBase64 } } })).toEqual([
      `routes[0].endpoint.signing.secretFile: the value of file ${notBase64} must be a base64 key, optionally prefixed with whsec_`,
    ]);
    expect(problemsOf({ endpoint: { signing: { secretFile: short } } })).toEqual([
      `routes[0].endpoint.signing.secretFile: the value of file ${short} must decode to at least 24 bytes (e.g. openssl rand -base64 32)`,
    ]);
    expect(problemsOf({ endpoint: { signing: { secret: key } } })).toEqual([
      'routes[0].endpoint.signing.secret: unknown key (expected one of: secretFile)',
      'routes[0].endpoint.signing.secretFile: is required',
    ]);
  });

  it('owns the webhook-* headers', () => {
    const secretFile = file('signing-2', key);
    expect(problemsOf({ endpoint: { signing: { secretFile }, headers: { 'webhook-id': 'x' } } })).toEqual([
      'routes[0].endpoint.headers.webhook-id: is set by routes[0].endpoint.signing; remove it from the static headers',
    ]);
  });
});

describe('security.allowedHosts', () => {
  it('normalises patterns and accepts names, wildcards and IP addresses', () => {
    const config = load({ security: { allowedHosts: ['Orders.Internal', '*.svc.cluster.local', '10.0.0.7', '::1', '[fd00::7]'] } });
    expect(config.security.allowedHosts).toEqual(['orders.internal', '*.svc.cluster.local', '10.0.0.7', '[::1]', '[fd00::7]']);
  });

  it('refuses what is not a host', () => {
    expect(problemsOf({ security: { allowedHosts: ['https://orders.internal', 'orders.internal:443', '*.10.0.0.1', 'a*.b', 'x/y'] } })).toEqual([
      'security.allowedHosts[0]: must be a host name, *.domain, or an IP address, without scheme, port or path (got "https://orders.internal")',
      'security.allowedHosts[1]: must be a host name, *.domain, or an IP address, without scheme, port or path (got "orders.internal:443")',
      'security.allowedHosts[2]: a wildcard (*.) goes with a domain name, not an IP address (got "*.10.0.0.1")',
      'security.allowedHosts[3]: must be a host name, *.domain, or an IP address, without scheme, port or path (got "a*.b")',
      'security.allowedHosts[4]: must be a host name, *.domain, or an IP address, without scheme, port or path (got "x/y")',
    ]);
  });

  it('rejects endpoint, health-check and token URLs on other hosts, showing only the host', () => {
    const secretFile = file('client-secret-2', PASSWORD);
    const problems = problemsOf({
      security: { allowedHosts: ['*.svc.cluster.local'] },
      endpoint: {
        url: 'https://orders.internal/api?token=abc123',
        auth: { oauth2: { tokenUrl: 'https://svc.cluster.local/token', clientId: 'bridge', clientSecret: { fromFile: secretFile } } },
      },
      route: { healthCheck: { url: 'http://health.svc.cluster.local/health' } },
    });
    expect(problems).toEqual([
      'routes[0].endpoint.url: host "orders.internal" is not in security.allowedHosts (*.svc.cluster.local)',
      'routes[0].endpoint.auth.oauth2.tokenUrl: host "svc.cluster.local" is not in security.allowedHosts (*.svc.cluster.local)',
    ]);
    expect(problems.join('\n')).not.toContain('abc123');
  });

  it('compares addresses the way the HTTP client reads them', () => {
    expect(load({ security: { allowedHosts: ['127.0.0.1'] }, endpoint: { url: 'http://0x7f.1:8080/x' } }).routes).toHaveLength(1);
    expect(load({ security: { allowedHosts: ['[::1]'] }, endpoint: { url: 'http://[0:0::1]:8080/x' } }).routes).toHaveLength(1);
    expect(problemsOf({ security: { allowedHosts: ['orders.internal'] }, endpoint: { url: 'http://orders.internal.evil.example/x' } })).toEqual([
      'routes[0].endpoint.url: host "orders.internal.evil.example" is not in security.allowedHosts (orders.internal)',
    ]);
  });
});
