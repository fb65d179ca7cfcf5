/**
 * endpoint.tls against real HTTPS servers on 127.0.0.1, with a CA, server and client
 * certificates made by openssl for this run: a private CA is trusted when configured and
 * only then, a server that requires a client certificate gets one, and servername picks the
 * name that is verified. Every TLS failure is reason `tls`, transient (see the README).
 */
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFor, record } from '../support/endpoint-harness.ts';
import { makeTestPki, type TestPki } from '../support/test-certificates.ts';

let pki: TestPki;
const servers: Server[] = [];

interface Seen {
  readonly clientCn: string | undefined;
}

async function httpsServer(options: ServerOptions): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(options, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer.subject?.CN;
    seen.push({ clientCn: Array.isArray(cn) ? cn[0] : cn });
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, seen };
}

async function send(endpoint: Record<string, unknown>) {
  const http = endpointFor(endpoint);
  try {
    return await http.send(record(), 1);
  } finally {
    await http.close();
  }
}

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  pki?.remove();
});

describe('endpoint TLS', () => {
  it('trusts a private CA given in endpoint.tls.ca', async () => {
    const { url, seen } = await httpsServer({ cert: pki.server.cert, key: pki.server.key });
    const result = await send({ url, tls: { ca: pki.ca.certFile } });
    expect(result).toMatchObject({ verdict: 'delivered', status: 200 });
    expect(seen).toHaveLength(1);
  });

  it('rejects a server whose CA is not trusted: the system CAs, or another CA', async () => {
    const { url, seen } = await httpsServer({ cert: pki.server.cert, key: pki.server.key });
    for (const tls of [{}, { ca: pki.otherCa.certFile }]) {
      const result = await send({ url, tls });
      expect(result).toMatchObject({ verdict: 'transient', reason: 'tls' });
    }
    expect(seen).toEqual([]);
  });

  it('verifies the name: a certificate for another name is rejected, unless servername names it', async () => {
    const { url, seen } = await httpsServer({ cert: pki.namedServer.cert, key: pki.namedServer.key });
    expect(await send({ url, tls: { ca: pki.ca.certFile } })).toMatchObject({ verdict: 'transient', reason: 'tls' });
    expect(await send({ url, tls: { ca: pki.ca.certFile, servername: 'orders.internal' } })).toMatchObject({ verdict: 'delivered' });
    expect(await send({ url, tls: { ca: pki.ca.certFile, servername: 'billing.internal' } })).toMatchObject({ verdict: 'transient', reason: 'tls' });
    expect(seen).toHaveLength(1);
  });

  it('servername also applies when the URL names a host, not an IP address', async () => {
    const { url, seen } = await httpsServer({ cert: pki.namedServer.cert, key: pki.namedServer.key });
    const byName = url.replace('127.0.0.1', 'localhost');
    expect(await send({ url: byName, tls: { ca: pki.ca.certFile } })).toMatchObject({ verdict: 'transient', reason: 'tls' });
    expect(await send({ url: byName, tls: { ca: pki.ca.certFile, servername: 'orders.internal' } })).toMatchObject({ verdict: 'delivered' });
    expect(seen).toHaveLength(1);
  });

  const mutual = (maxVersion: 'TLSv1.2' | 'TLSv1.3'): ServerOptions => ({
    cert: pki.server.cert,
    key: pki.server.key,
    ca: pki.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
    maxVersion,
  });

  it('mutual TLS: a server that requires a client certificate accepts the configured one', async () => {
    const { url, seen } = await httpsServer(mutual('TLSv1.3'));
    const withCert = await send({ url, tls: { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile } });
    expect(withCert).toMatchObject({ verdict: 'delivered', status: 200 });
    expect(seen).toEqual([{ clientCn: 'client' }]);
  });

  it('mutual TLS without a client certificate fails; TLS 1.2 says so in the handshake (tls)', async () => {
    const { url, seen } = await httpsServer(mutual('TLSv1.2'));
    expect(await send({ url, tls: { ca: pki.ca.certFile } })).toMatchObject({ verdict: 'transient', reason: 'tls' });
    expect(seen).toEqual([]);
  });

  it('mutual TLS without a client certificate fails; TLS 1.3 refuses after the handshake, which looks like a closed connection', async () => {
    const { url, seen } = await httpsServer(mutual('TLSv1.3'));
    expect(await send({ url, tls: { ca: pki.ca.certFile } })).toMatchObject({ verdict: 'transient', reason: 'connection-reset' });
    expect(seen).toEqual([]);
  });
});
