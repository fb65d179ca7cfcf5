// A sample downstream for the local docker-compose stack: an HTTP server that logs every
// request it gets from the bridge and answers like a real service would, with failures on
// demand so that retries, retry topics and the dead-letter topic can be watched.
//
//   GET  /health   200 {"status":"ok"}
//   any other      401 when EXPECTED_TOKEN is set and `authorization: Bearer <token>` is not sent,
//                  else 503 with probability FAIL_RATE (transient: the bridge retries),
//                  else 400 with probability PERMANENT_RATE (permanent: straight to the DLT),
//                  else 200, after LATENCY_MS (+ up to LATENCY_JITTER_MS) milliseconds.
//
// Environment: PORT (3000), FAIL_RATE (0), PERMANENT_RATE (0), LATENCY_MS (20),
// LATENCY_JITTER_MS (30), EXPECTED_TOKEN (unset). Rates are fractions from 0 to 1.
// One JSON line per request on stdout; `duplicate: true` marks an idempotency-key seen before
// (the bridge delivers at least once).
// No dependencies: run it with `node downstream.mjs` on Node 18 or later.
import console from 'node:console';
import { createServer } from 'node:http';
import process from 'node:process';
import { setTimeout } from 'node:timers';

function rate(name) {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? 0 : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    console.error(`${name} must be a number from 0 to 1 (got ${JSON.stringify(raw)})`);
    process.exit(64);
  }
  return value;
}

function whole(name, fallback) {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
    process.exit(64);
  }
  return value;
}

const port = whole('PORT', 3000);
const failRate = rate('FAIL_RATE');
const permanentRate = rate('PERMANENT_RATE');
const latencyMs = whole('LATENCY_MS', 20);
const jitterMs = whole('LATENCY_JITTER_MS', 30);
const expectedToken = process.env.EXPECTED_TOKEN ?? '';

// Idempotency keys seen so far, to flag duplicates; bounded so a long demo cannot grow it forever.
const MAX_KEYS = 200_000;
const seen = new Set();
const counts = { requests: 0, ok: 0, duplicates: 0, transient: 0, permanent: 0, unauthorized: 0 };

function verdict(req) {
  if (expectedToken !== '' && req.headers.authorization !== `Bearer ${expectedToken}`) return 401;
  const roll = Math.random();
  if (roll < failRate) return 503;
  if (roll < failRate + permanentRate) return 400;
  return 200;
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', ...counts }));
    return;
  }
  let bytes = 0;
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    const key = req.headers['idempotency-key'];
    const status = verdict(req);
    const duplicate = status === 200 && typeof key === 'string' && seen.has(key);
    counts.requests++;
    if (status === 200) {
      counts.ok++;
      if (duplicate) counts.duplicates++;
      else if (typeof key === 'string') {
        if (seen.size >= MAX_KEYS) seen.clear();
        seen.add(key);
      }
    } else if (status === 503) counts.transient++;
    else if (status === 400) counts.permanent++;
    else counts.unauthorized++;
    const delay = latencyMs + Math.floor(Math.random() * (jitterMs + 1));
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
      console.log(
        JSON.stringify({
          time: new Date().toISOString(),
          method: req.method,
          path: req.url,
          status,
          ms: delay,
          bytes,
          key: req.headers['kafka-key'] ?? null,
          idempotencyKey: key ?? null,
          attempt: req.headers['kafka-delivery-attempt'] ?? null,
          duplicate,
        }),
      );
    }, delay);
  });
});

server.keepAliveTimeout = 65_000;
server.listen(port, '0.0.0.0', () => {
  console.log(JSON.stringify({ msg: 'downstream listening', port, failRate, permanentRate, latencyMs, jitterMs, token: expectedToken !== '' }));
});

function stop(signal) {
  console.log(JSON.stringify({ msg: `downstream stopping on ${signal}`, ...counts }));
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
