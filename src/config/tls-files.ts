/**
 * Reads the PEM files of a TLS setting (`kafka.tls`, `routes[].endpoint.tls`) when the
 * configuration is loaded, and checks them there: a CA bundle without a certificate, a key
 * that does not belong to its certificate or an encrypted key would otherwise only show up
 * as a failed handshake, far from the key that caused it. Messages name the key path and the
 * file, never the content. The private key is kept as a Secret.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Problems } from './problems.ts';
import { Secret } from './secret.ts';
import { readTextFile } from './secrets.ts';
import type { TlsFilesInput } from './security-shapes.ts';
import type { TlsFiles } from './types.ts';

/** CA bundles of a few hundred certificates fit easily; anything larger is not a PEM bundle. */
const MAX_PEM_BYTES = 1024 * 1024;
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function readTlsFiles(input: TlsFilesInput, path: string, problems: Problems): TlsFiles | undefined {
  const before = problems.added;
  const ca = input.ca === undefined ? undefined : readCertificates(input.ca, `${path}.ca`, problems);
  const cert = input.cert === undefined ? undefined : readCertificates(input.cert, `${path}.cert`, problems);
  const key = input.key === undefined ? undefined : readPrivateKey(input.key, `${path}.key`, problems);
  if (cert !== undefined && key !== undefined && !cert.leaf.checkPrivateKey(key.object)) {
    problems.add(`${path}.key`, `file ${input.key ?? ''} does not hold the private key of the certificate in file ${input.cert ?? ''}`);
  }
  if (problems.added !== before) return undefined;
  return { ca: ca?.pem, cert: cert?.pem, key: key?.secret, servername: input.servername };
}

function readPem(file: string, path: string, problems: Problems): string | undefined {
  const read = readTextFile(file, { maxBytes: MAX_PEM_BYTES, trimNewline: false });
  if ('problem' in read) {
    problems.add(path, read.problem);
    return undefined;
  }
  return read.value;
}

/** A PEM file with one or more certificates; the first is the leaf of a client chain. */
function readCertificates(file: string, path: string, problems: Problems): { pem: string; leaf: X509Certificate } | undefined {
  const pem = readPem(file, path, problems);
  if (pem === undefined) return undefined;
  const blocks = pem.match(CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.add(path, `file ${file} contains no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  const parsed: X509Certificate[] = [];
  blocks.forEach((block, index) => {
    try {
      parsed.push(new X509Certificate(block));
    } catch {
      problems.add(path, `file ${file}: certificate ${index + 1} cannot be parsed`);
    }
  });
  const [leaf] = parsed;
  return leaf === undefined || parsed.length !== blocks.length ? undefined : { pem, leaf };
}

function readPrivateKey(file: string, path: string, problems: Problems): { secret: Secret; object: KeyObject } | undefined {
  const pem = readPem(file, path, problems);
  if (pem === undefined) return undefined;
  try {
    // No passphrase is configured: an encrypted key fails here rather than at the handshake.
    const object = createPrivateKey({ key: pem, format: 'pem' });
    return { secret: new Secret(pem, `file ${file}`), object };
  } catch {
    problems.add(path, `file ${file} does not hold an unencrypted PEM private key`);
    return undefined;
  }
}
