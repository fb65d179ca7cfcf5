/**
 * An endpoint that answers with a huge body, trickles its body a byte at a time, never ends
 * it, or never answers at all cannot hold a delivery slot past endpoint.timeout nor make the
 * bridge buffer what it sends; a redirect is never followed. Real HTTP server on 127.0.0.1.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEndpoint } from '../../src/delivery/http-endpoint.ts';
import { endpointFor, record, timed } from '../support/endpoint-harness.ts';
import { RecordingSink } from '../support/recording-sink.ts';

const TIMEOUT_MS = 1000;
const HUGE_BYTES = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

interface Served {
  /** Bytes the server managed to hand to the socket before the client went away. */
  written: number;
  /** When the client closed the connection (ms since the request arrived), if it did. */
  closedAfterMs: number | undefined;
}

let server: Server;
let base: string;
let redirectTarget: RecordingSink;
const served = new Map<string, Served>();

/** Writes up to `total` bytes, honouring backpressure, until the client goes away. */
function stream(res: ServerResponse, state: Served, total: number): void {
  const pump = (): void => {
    while (state.written < total && !res.destroyed) {
      state.written += CHUNK.length;
      if (!res.write(CHUNK)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function trickle(res: ServerResponse, state: Served): void {
  const timer = setInterval(() => {
    if (res.destroyed) return;
    state.written += 1;
    res.write('x');
  }, 100);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  redirectTarget = await RecordingSink.start();
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const state: Served = { written: 0, closedAfterMs: undefined };
    served.set(path, state);
    const arrived = performance.now();
    res.on('close', () => {
      state.closedAfterMs = performance.now() - arrived;
    });
    req.resume();
    req.on('end', () => {
      switch (path) {
        case '/huge':
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return stream(res, state, HUGE_BYTES);
        case '/huge-error':
          res.writeHead(500, { 'content-type': 'text/plain' });
          return stream(res, state, HUGE_BYTES);
        case '/huge-declared':
          res.writeHead(200, { 'content-length': String(HUGE_BYTES) });
          return stream(res, state, HUGE_BYTES);
        case '/trickle':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return trickle(res, state);
        case '/trickle-error':
          res.writeHead(503, { 'content-type': 'text/plain' });
          return trickle(res, state);
        case '/headers-only':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.flushHeaders();
          return; // and never a body
        case '/silent':
          return; // never an answer
        case '/redirect':
          res.writeHead(302, { location: `${redirectTarget.url}/stolen` });
          res.end();
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await redirectTarget.stop();
});

async function sendTo(path: string, endpoint: Record<string, unknown> = {}) {
  const http: HttpEndpoint = endpointFor({ url: `${base}${path}`, timeout: `${TIMEOUT_MS}ms`, ...endpoint });
  try {
    return await timed(() => http.send(record(), 1));
  } finally {
    await http.close();
  }
}

describe('hostile responses', () => {
  it('a 200 MB body is not read: the answer counts, the connection is dropped after maxResponseBytes', async () => {
    const rssBefore = process.memoryUsage().rss;
    const { result, ms } = await sendTo('/huge');
    expect(result.verdict).toBe('delivered');
    expect(ms).toBeLessThan(TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, 100));
    const state = served.get('/huge')!;
    expect(state.closedAfterMs).toBeDefined();
    // What the server could push into socket buffers before the bridge hung up: far below
    // the 200 MB it wanted to send.
    expect(state.written).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('a body announced as 200 MB is not read either', async () => {
    const { result, ms } = await sendTo('/huge-declared');
    expect(result.verdict).toBe('delivered');
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(served.get('/huge-declared')!.written).toBeLessThan(32 * 1024 * 1024);
  });

  it('a 200 MB error body: its status counts, a short snippet is kept, the rest is never read', async () => {
    const { result, ms } = await sendTo('/huge-error');
    expect(result).toMatchObject({ verdict: 'transient', reason: 'http-500', status: 500 });
    expect(result.message.length).toBeLessThan(300);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(served.get('/huge-error')!.written).toBeLessThan(32 * 1024 * 1024);
  });

  it('a body trickling in (a byte every 100 ms, never idle long enough for undici) ends at the deadline', async () => {
    const { result, ms } = await sendTo('/trickle');
    // The status was 200: the endpoint accepted the record; only its body was cut.
    expect(result.verdict).toBe('delivered');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
    await new Promise((r) => setTimeout(r, 100));
    expect(served.get('/trickle')!.closedAfterMs).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('an error body trickling in ends at the deadline with the status it had', async () => {
    const { result, ms } = await sendTo('/trickle-error');
    expect(result).toMatchObject({ verdict: 'transient', reason: 'http-503' });
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('a body that never comes ends at the deadline', async () => {
    const { result, ms } = await sendTo('/headers-only');
    expect(result.verdict).toBe('delivered');
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('no answer at all is a timeout', async () => {
    const { result, ms } = await sendTo('/silent');
    expect(result).toMatchObject({ verdict: 'transient', reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('maxResponseBytes: 0 reads nothing of a large body', async () => {
    const { result, ms } = await sendTo('/huge', { maxResponseBytes: 0 });
    expect(result.verdict).toBe('delivered');
    expect(ms).toBeLessThan(TIMEOUT_MS);
  });

  it('a 302 is not followed and is a permanent failure', async () => {
    const { result } = await sendTo('/redirect');
    expect(result).toMatchObject({ verdict: 'permanent', reason: 'http-302', status: 302 });
    await new Promise((r) => setTimeout(r, 200));
    expect(redirectTarget.requests).toEqual([]);
  });
});
