/**
 * /health (liveness), /ready (readiness, with detail) and /metrics (Prometheus text).
 * Nothing here can change what the bridge does: it only reads state.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { UnreadableView } from '../kafka/group-consumer.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface RouteStatus {
  readonly name: string;
  readonly inFlight: number;
  /** Requests allowed at the endpoint at once right now (ramping, adaptive or fixed). */
  readonly concurrencyLimit: number;
  readonly paused: boolean;
  readonly pausedReasons: readonly string[];
  /** closed | open | half-open | disabled */
  readonly breaker: string;
  /** Result of the health probe; null when the route has none. */
  readonly healthy: boolean | null;
  readonly partitions: readonly PartitionStatus[];
}

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly consumer: string;
  readonly paused: boolean;
  readonly pending: number;
  /** Only while its next record batch cannot be read: where, why, since when, next try. */
  readonly unreadable?: UnreadableView;
}

export interface OpsSources {
  readonly lifecycle: Lifecycle;
  readonly registry: Registry;
  routes(): readonly RouteStatus[];
}

export async function startOpsServer(sources: OpsSources, host: string, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });

  // Liveness: red only when the bridge failed for good (e.g. the consumer crashed and will
  // not restart). Draining is still alive: killing it would cut the drain short.
  app.get('/health', async (_req, reply) => {
    const state = sources.lifecycle.state;
    const ok = state !== 'failed';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'failed', state, ...(ok ? {} : { reason: sources.lifecycle.reason }) });
  });

  // Readiness: running and consuming. The detail lets an operator see at a glance what
  // the instance owns and whether anything is paused.
  app.get('/ready', async (_req, reply) => {
    const state = sources.lifecycle.state;
    const ready = state === 'running';
    return reply.code(ready ? 200 : 503).send({ ready, state, routes: sources.routes() });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await sources.registry.metrics();
    return reply.header('content-type', sources.registry.contentType).send(body);
  });

  await app.listen({ host, port });
  return app;
}
