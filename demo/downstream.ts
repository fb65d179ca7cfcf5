/**
 * The demo's downstream: an orders API (node:http) that misbehaves the way real ones do, so
 * every rung of the bridge's failure ladder shows up within seconds:
 *
 * - an order in an unsupported currency is rejected for good: 400, straight to the DLT;
 * - every tenth order is "flaky": it gets 503 on its first two attempts (both in-process
 *   attempts of its first delivery) and succeeds from orders-retry-1; every fiftieth fails
 *   its first four attempts and succeeds from orders-retry-2. The attempt number comes from
 *   the bridge's `kafka-delivery-attempt` header, which counts across retry topics;
 * - 3% of all requests hit a random hiccup (503) that an in-process retry absorbs;
 * - an outage (toggled with POST /outage, or the `o` key in the demo) fails everything with
 *   503, /health included, so the bridge's health probe and circuit breaker pause the route.
 *
 * On /audit it takes the CloudEvents of the demo's second route, and refuses anything that is
 * not a structured CloudEvent of a euro order: the route's filter keeps the others away.
 *
 * Which orders fail is decided by their sequence number rather than by chance, so that even
 * a short unattended run (`--duration 12s`) shows retries and dead letters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CURRENCIES = new Set(['EUR', 'USD', 'GBP']);
/** Where the demo's second route sends CloudEvents. */
export const AUDIT_PATH = '/audit';
/** Where the demo's third route sends shipments, decoded from Avro to JSON. */
export const SHIPMENTS_PATH = '/shipments';
const HICCUP_RATE = 0.03;

export interface DownstreamStats {
  /** Requests answered, by status. */
  readonly byStatus: Map<number, number>;
  /** Orders accepted for the first time. */
  accepted: number;
  /** Orders accepted again under an idempotency key seen before (at-least-once at work). */
  duplicates: number;
  /** CloudEvents accepted on the audit path (the demo's second route). */
  events: number;
  /** Shipments accepted as JSON (the demo's third route, Avro on the topic). */
  shipments: number;
}

/** How many attempts of order `seq` fail with 503 before it is accepted. */
export function failingAttempts(seq: number): number {
  if (seq % 50 === 13) return 4;
  if (seq % 10 === 3) return 2;
  return 0;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class Downstream {
  readonly stats: DownstreamStats = { byStatus: new Map(), accepted: 0, duplicates: 0, events: 0, shipments: 0 };
  readonly #server: Server;
  readonly #seen = new Set<string>();
  readonly #ordersPath: string;
  readonly #onOutage: (outage: boolean) => void;
  #outage = false;

  private constructor(ordersPath: string, onOutage: (outage: boolean) => void) {
    this.#ordersPath = ordersPath;
    this.#onOutage = onOutage;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    });
  }

  /** Listens on host:port; `ordersPath` is the path the bridge posts to. */
  static async start(host: string, port: number, ordersPath: string, onOutage: (outage: boolean) => void = () => undefined): Promise<Downstream> {
    const downstream = new Downstream(ordersPath, onOutage);
    await new Promise<void>((resolve, reject) => {
      downstream.#server.once('error', reject);
      downstream.#server.listen(port, host, () => {
        downstream.#server.off('error', reject);
        resolve();
      });
    });
    return downstream;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get outage(): boolean {
    return this.#outage;
  }

  toggleOutage(): boolean {
    this.#outage = !this.#outage;
    this.#onOutage(this.#outage);
    return this.#outage;
  }

  #answer(res: ServerResponse, status: number, body: unknown): void {
    this.stats.byStatus.set(status, (this.stats.byStatus.get(status) ?? 0) + 1);
    send(res, status, body);
  }

  /** A shipment arrives as the JSON the bridge decoded it to; the Avro bytes never reach here. */
  #shipment(body: Buffer, res: ServerResponse): void {
    let shipment: { orderId?: unknown; weight?: unknown };
    try {
      shipment = JSON.parse(body.toString('utf8')) as typeof shipment;
    } catch {
      return this.#answer(res, 400, { error: 'shipment is not JSON' });
    }
    if (typeof shipment.orderId !== 'string' || typeof shipment.weight !== 'string') return this.#answer(res, 400, { error: 'not a decoded shipment' });
    this.stats.shipments++;
    this.#answer(res, 200, { ok: true });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/outage') {
      if (req.method === 'POST') this.toggleOutage();
      return send(res, 200, { outage: this.#outage });
    }
    if (path === '/health') return send(res, this.#outage ? 503 : 200, { healthy: !this.#outage });
    if (path === AUDIT_PATH && req.method === 'POST') return this.#audit(req, body, res);
    if (path === SHIPMENTS_PATH && req.method === 'POST') return this.#shipment(body, res);
    if (path !== this.#ordersPath || req.method !== 'POST') return send(res, 404, { error: 'not found' });

    if (this.#outage) return this.#answer(res, 503, { error: 'outage (toggled in the demo)' });
    let order: { seq?: unknown; currency?: unknown };
    try {
      order = JSON.parse(body.toString('utf8')) as typeof order;
    } catch {
      return this.#answer(res, 400, { error: 'body is not JSON' });
    }
    if (typeof order.currency !== 'string' || !CURRENCIES.has(order.currency)) {
      return this.#answer(res, 400, { error: `unsupported currency ${JSON.stringify(order.currency)}` });
    }
    const attempt = Number(req.headers['kafka-delivery-attempt'] ?? '1');
    if (typeof order.seq === 'number' && attempt <= failingAttempts(order.seq)) {
      return this.#answer(res, 503, { error: `flaky order, attempt ${attempt}` });
    }
    if (Math.random() < HICCUP_RATE) return this.#answer(res, 503, { error: 'random hiccup' });

    const key = String(req.headers['idempotency-key']);
    if (this.#seen.has(key)) this.stats.duplicates++;
    else {
      this.#seen.add(key);
      this.stats.accepted++;
    }
    return this.#answer(res, 200, { accepted: true });
  }

  /** The audit endpoint takes CloudEvents (structured mode) of euro orders only. */
  #audit(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    if (this.#outage) return this.#answer(res, 503, { error: 'outage (toggled in the demo)' });
    let event: { specversion?: unknown; id?: unknown; data?: { currency?: unknown } };
    try {
      event = JSON.parse(body.toString('utf8')) as typeof event;
    } catch {
      return this.#answer(res, 400, { error: 'body is not JSON' });
    }
    const structured = String(req.headers['content-type']).startsWith('application/cloudevents+json');
    if (!structured || event.specversion !== '1.0' || typeof event.id !== 'string') return this.#answer(res, 400, { error: 'not a CloudEvent' });
    if (event.data?.currency !== 'EUR') return this.#answer(res, 400, { error: 'the audit takes euro orders only' });
    this.stats.events++;
    return this.#answer(res, 200, { audited: event.id });
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
