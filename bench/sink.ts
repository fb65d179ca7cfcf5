/**
 * The benchmark's HTTP endpoint, in its own process: a minimal node:http server on 127.0.0.1
 * with an empty response body. Each reset chooses how it answers:
 *
 *   steady   200 after a fixed latency (the run's sink latency, 0 or 20 ms);
 *   fragile  200 after a latency that grows with the requests being served, 503 at once
 *            beyond a limit (lib/fragile.ts).
 *
 * It notes the time each request arrives and its records' timestamps (the `kafka-timestamp`
 * header the bridge sends, else the `"ts"` at the start of the JSON body the baselines send),
 * so the orchestrator gets throughput and latency from one place for every case that delivers
 * over HTTP. A batched request (`kafka-batch-size`) counts as that many records; its body is
 * parsed for each envelope's timestamp only while latency is recorded (lib/batch-body.ts).
 * Only records answered 2xx are counted; 503s are counted as requests, apart.
 *
 * Run by bench/run.ts (child_process.fork); it is driven over IPC, see lib/ipc.ts.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchSize, batchTimestamps } from './lib/batch-body.ts';
import { ArrivalCounter, type CounterReset, type CounterStats } from './lib/counter.ts';
import { FragileEndpoint } from './lib/fragile.ts';
import { emit, serve } from './lib/ipc.ts';
import type { SinkMode } from './lib/report.ts';
import { readTs } from './lib/workload.ts';

export interface SinkReset extends CounterReset {
  delayMs: number;
  mode: SinkMode;
}

export interface SinkStats extends CounterStats {
  /** Requests received since the reset, and how many of them were answered 503. */
  requests: number;
  rejected: number;
  /** Batches whose body did not parse or held another number of records than kafka-batch-size (checked only while parsing). */
  malformed: number;
}

const counter = new ArrivalCounter();
const fragile = new FragileEndpoint();
let delayMs = 0;
let mode: SinkMode = 'steady';
/** Batches are parsed only while latency is recorded: the throughput phase counts from the header. */
let parseBatches = false;
let requests = 0;
let rejected = 0;
let malformed = 0;

function reply(res: ServerResponse, status: number, afterMs: number, answered?: () => void): void {
  const send = () => {
    answered?.();
    res.writeHead(status, { 'content-length': '0' });
    res.end();
  };
  if (afterMs > 0) setTimeout(send, afterMs);
  else send();
}

function count(batch: number, receivedAt: number, ts: number, body: Buffer[] | undefined): void {
  if (batch === 0) {
    counter.arrived(receivedAt, ts);
    return;
  }
  // A batch's records are delivered once its whole body has arrived, not at its first byte.
  const now = Date.now();
  if (body === undefined) {
    counter.arrived(now, NaN, batch);
    return;
  }
  const stamps = batchTimestamps(Buffer.concat(body));
  if (stamps === undefined || stamps.length !== batch) {
    malformed++;
    counter.arrived(now, NaN, batch);
    return;
  }
  for (const t of stamps) counter.arrived(now, t);
}

const server = createServer((req, res) => {
  const receivedAt = Date.now();
  const batch = batchSize(req.headers['kafka-batch-size']);
  const header = req.headers['kafka-timestamp'];
  let ts = typeof header === 'string' ? Number(header) : NaN;
  const body: Buffer[] | undefined = batch > 0 && parseBatches ? [] : undefined;
  let first = true;
  req.on('data', (chunk: Buffer) => {
    if (body !== undefined) body.push(chunk);
    else if (first && batch === 0 && Number.isNaN(ts)) ts = readTs(chunk);
    first = false;
  });
  req.on('end', () => {
    requests++;
    if (mode === 'fragile') {
      const latency = fragile.admit();
      if (latency === undefined) {
        rejected++;
        reply(res, 503, 0);
        return;
      }
      count(batch, receivedAt, ts, body);
      reply(res, 200, latency, () => fragile.done());
      return;
    }
    count(batch, receivedAt, ts, body);
    reply(res, 200, delayMs);
  });
});
// Clients keep their connections for the whole run; never close an idle one under them.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  emit('listening', { url: `http://127.0.0.1:${port}/ingest` });
});

serve({
  reset: (p: SinkReset) => {
    delayMs = p.delayMs;
    mode = p.mode;
    parseBatches = p.recordLatency;
    requests = 0;
    rejected = 0;
    malformed = 0;
    counter.reset(p);
  },
  stats: (): SinkStats => ({ ...counter.stats(), requests, rejected, malformed }),
  stop: () => {
    server.closeAllConnections();
    server.close();
    setImmediate(() => process.exit(0));
  },
});
