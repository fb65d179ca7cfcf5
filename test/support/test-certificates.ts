/**
 * A throwaway PKI for TLS tests, made with the `openssl` command in a temporary directory:
 * a CA, a server certificate for localhost / 127.0.0.1 / ::1, a server certificate for
 * another name only, a client certificate for mutual TLS, and an unrelated CA. EC P-256
 * keys keep it fast (well under a second). Nothing here is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  /** Absolute paths, for configurations. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM text, for test servers. */
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: KeyPair;
  /** Signed by `ca`, valid for localhost, 127.0.0.1 and ::1. */
  readonly server: KeyPair;
  /** Signed by `ca`, valid for orders.internal only. */
  readonly namedServer: KeyPair;
  /** Signed by `ca`, for client authentication. */
  readonly client: KeyPair;
  /** A CA that signed none of the above. */
  readonly otherCa: KeyPair;
  /** `client`'s key, encrypted with a passphrase. */
  readonly encryptedClientKeyFile: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the TLS tests need the openssl command (Debian package: openssl)');
    }
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8') ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function selfSignedCa(dir: string, name: string): KeyPair {
  openssl(dir, [
    'req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return pair(dir, name);
}

function signedBy(dir: string, ca: string, name: string, extensions: string): KeyPair {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
  return pair(dir, name);
}

function pair(dir: string, name: string): KeyPair {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-pki-'));
  const ca = selfSignedCa(dir, 'test-ca');
  const otherCa = selfSignedCa(dir, 'other-ca');
  const server = signedBy(dir, 'test-ca', 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  const namedServer = signedBy(dir, 'test-ca', 'named-server', 'subjectAltName=DNS:orders.internal\nextendedKeyUsage=serverAuth\n');
  const client = signedBy(dir, 'test-ca', 'client', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:not-configured', '-out', 'client-encrypted.key']);
  return {
    dir,
    ca,
    server,
    namedServer,
    client,
    otherCa,
    encryptedClientKeyFile: join(dir, 'client-encrypted.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
