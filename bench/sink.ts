/**
 * The benchmark's HTTP endpoint, in its own process: a minimal node:http server on 127.0.0.1
 * that answers 200 with an empty body, after an optional fixed latency. It notes the time each
 * request arrives and the record's timestamp (the `kafka-timestamp` header the bridge sends,
 * else the `"ts"` at the start of the JSON body the baselines send), so the orchestrator gets
 * throughput and latency from one place for every case that delivers over HTTP.
 *
 * Run by bench/run.ts (child_process.fork); it is driven over IPC, see lib/ipc.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArrivalCounter, type CounterReset } from './lib/counter.ts';
import { emit, serve } from './lib/ipc.ts';
import { readTs } from './lib/workload.ts';

const counter = new ArrivalCounter();
let delayMs = 0;

const server = createServer((req, res) => {
  const receivedAt = Date.now();
  const header = req.headers['kafka-timestamp'];
  let ts = typeof header === 'string' ? Number(header) : NaN;
  let first = true;
  req.on('data', (chunk: Buffer) => {
    if (first && Number.isNaN(ts)) ts = readTs(chunk);
    first = false;
  });
  req.on('end', () => {
    counter.arrived(receivedAt, ts);
    const answer = () => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
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
  reset: (p: CounterReset & { delayMs: number }) => {
    delayMs = p.delayMs;
    counter.reset(p);
  },
  stats: () => counter.stats(),
  stop: () => {
    server.closeAllConnections();
    server.close();
    setImmediate(() => process.exit(0));
  },
});
