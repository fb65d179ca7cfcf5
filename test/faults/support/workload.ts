/**
 * The fault suite's workload and its invariants.
 *
 * Records carry a per-key sequence number; the recording sink stores every request it gets
 * (key, seq, attempt, idempotency key, status it answered, time). After a scenario heals and
 * drains, the invariants are checked against Kafka itself (retry/DLT topics read back, the
 * committed offsets sampled through the admin API during the run), never against the
 * bridge's own bookkeeping:
 *
 *   L  no loss: every produced record was delivered (2xx) or sits in a retry/DLT topic;
 *   D  bounded duplicates: extra 2xx deliveries ≤ window × (crashes + rebalances), 0 after
 *      clean shutdowns only;
 *   O  order: in key mode, per key, first attempts follow the sequence;
 *   C  commits: no sampled committed offset ever passed an unfinished record;
 *   R  recovery: lag reaches 0 within 2 × the session timeout after the heal.
 */
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { RecordingSink, type SinkAnswer, type SinkRequest } from '../../support/recording-sink.ts';
import { committedOffsets, endOffsets, recordCount } from '../../support/kafka-helpers.ts';

export interface Produced {
  readonly key: string;
  readonly seq: number;
}

export interface Attempt {
  readonly key: string;
  readonly seq: number;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly status: number;
  readonly at: number;
  readonly answeredAt: number;
}

export type Behaviour = (req: SinkRequest) => SinkAnswer | Promise<SinkAnswer>;

/** A sink that records what it answered, and whose behaviour a scenario can swap. */
export class FaultSink {
  readonly attempts: Attempt[] = [];
  behaviour: Behaviour = () => ({ status: 200 });
  readonly #sink: RecordingSink;

  private constructor(sink: RecordingSink) {
    this.#sink = sink;
  }

  static async start(): Promise<FaultSink> {
    const sink = await RecordingSink.start();
    const fault = new FaultSink(sink);
    sink.responder = async (req) => {
      if (req.url === '/health') return { status: 200 };
      const answer = await fault.behaviour(req);
      let key = '';
      let seq = -1;
      try {
        ({ key, seq } = JSON.parse(req.body.toString()) as { key: string; seq: number });
      } catch {
        /* poison records carry other bodies */
      }
      if (answer.delayMs !== undefined && answer.delayMs > 0) await new Promise((r) => setTimeout(r, answer.delayMs));
      fault.attempts.push({
        key,
        seq,
        attempt: Number(req.headers['kafka-delivery-attempt']),
        idempotencyKey: String(req.headers['idempotency-key']),
        status: answer.status ?? 200,
        at: req.receivedAt,
        answeredAt: Date.now(),
      });
      return { ...answer, delayMs: 0 };
    };
    return fault;
  }

  get url(): string {
    return this.#sink.url;
  }

  get requests(): readonly SinkRequest[] {
    return this.#sink.requests;
  }

  delivered(): Attempt[] {
    return this.attempts.filter((a) => a.status >= 200 && a.status < 300);
  }

  stop(): Promise<void> {
    return this.#sink.stop();
  }
}

/** Produces `perKey` records for each of `keys` keys, one round of keys per sequence number. */
export async function produceWorkload(kafka: Kafka, topic: string, keys: number, perKey: number, startSeq = 0): Promise<Produced[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const out: Produced[] = [];
  try {
    for (let seq = startSeq; seq < startSeq + perKey; seq++) {
      const round = Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, seq }));
      await producer.send({ topic, acks: -1, messages: round.map((r) => ({ key: r.key, value: JSON.stringify(r) })) });
      out.push(...round);
    }
  } finally {
    await producer.disconnect();
  }
  return out;
}

export interface CommitSample {
  readonly at: number;
  readonly partition: number;
  readonly offset: number;
}

/** Samples the group's committed offsets through the admin API until stopped. */
export class CommitSampler {
  readonly samples: CommitSample[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(kafka: Kafka, groupId: string, topic: string, everyMs = 150) {
    this.#done = (async () => {
      while (this.#running) {
        try {
          const committed = await committedOffsets(kafka, groupId, topic);
          const at = Date.now();
          for (const [partition, offset] of committed) if (offset >= 0) this.samples.push({ at, partition, offset });
        } catch {
          /* the broker may be down in this scenario */
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

export interface CopyRecord {
  readonly topic: string;
  readonly originalPartition: number;
  readonly originalOffset: number;
  readonly reason: string;
  readonly writtenAt: number;
  readonly value: string;
}

/** Reads every record of the given topics (retry and DLT copies) with a throwaway group. */
export async function readCopies(kafka: Kafka, topics: string[], timeoutMs = 20_000): Promise<CopyRecord[]> {
  let expected = 0;
  for (const t of topics) expected += await recordCount(kafka, t);
  const out: CopyRecord[] = [];
  if (expected === 0) return out;
  const consumer = kafka.consumer({ groupId: `fault-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length}/${expected} copies`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const h = (name: string) => message.headers?.[name]?.toString() ?? '';
        out.push({
          topic,
          originalPartition: Number(h('bridge-original-partition')),
          originalOffset: Number(h('bridge-original-offset')),
          reason: h('bridge-reason'),
          writtenAt: Number(message.timestamp),
          value: message.value?.toString() ?? '',
        });
        if (out.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

export interface InvariantInput {
  readonly topic: string;
  /** key/seq of every produced workload record. */
  readonly produced: readonly { key: string; seq: number }[];
  readonly sink: FaultSink;
  readonly copies: readonly CopyRecord[];
  readonly samples: readonly CommitSample[];
  readonly ordering: 'key' | 'partition' | 'none';
}

export interface InvariantReport {
  readonly lost: string[];
  readonly duplicates: number;
  readonly orderViolations: string[];
  readonly commitViolations: string[];
}

/**
 * Checks L, D, O and C. Offsets of workload records are learned from the idempotency keys the
 * sink saw and from the copies' original coordinates.
 */
export function checkInvariants(input: InvariantInput): InvariantReport {
  const { sink, copies } = input;
  const delivered = new Set(sink.delivered().map((a) => `${a.key}#${a.seq}`));
  const copied = new Set(copies.map((c) => c.value));
  const lost = input.produced
    .filter((p) => !delivered.has(`${p.key}#${p.seq}`) && !copied.has(JSON.stringify({ key: p.key, seq: p.seq })))
    .map((p) => `${p.key}#${p.seq}`);

  const perId = new Map<string, number>();
  for (const a of sink.delivered()) perId.set(a.idempotencyKey, (perId.get(a.idempotencyKey) ?? 0) + 1);
  let duplicates = 0;
  for (const n of perId.values()) duplicates += n - 1;

  const orderViolations: string[] = [];
  if (input.ordering === 'key') {
    const firstSeen = new Map<string, Attempt>();
    for (const a of [...sink.attempts].sort((x, y) => x.at - y.at)) {
      const id = `${a.key}#${a.seq}`;
      if (a.seq < 0 || firstSeen.has(id)) continue;
      firstSeen.set(id, a);
    }
    const lastSeq = new Map<string, number>();
    for (const a of [...firstSeen.values()].sort((x, y) => x.at - y.at)) {
      const prev = lastSeq.get(a.key) ?? -1;
      if (a.seq < prev) orderViolations.push(`${a.key}: seq ${a.seq} first attempted after ${prev}`);
      lastSeq.set(a.key, Math.max(prev, a.seq));
    }
  }

  // When did each (partition, offset) finish? A 2xx answer or a copy written.
  const finishedAt = new Map<string, number>();
  const note = (id: string, at: number) => finishedAt.set(id, Math.min(finishedAt.get(id) ?? Infinity, at));
  for (const a of sink.delivered()) note(a.idempotencyKey, a.answeredAt);
  for (const c of copies) note(`${input.topic}-${c.originalPartition}-${c.originalOffset}`, c.writtenAt);
  const commitViolations: string[] = [];
  for (const s of input.samples) {
    for (let o = 0; o < s.offset; o++) {
      const id = `${input.topic}-${s.partition}-${o}`;
      const at = finishedAt.get(id);
      // The sink notes its answer just before sending it, and the sample time is taken after
      // the admin call returned: a finish up to a few ms after the sample is the same instant.
      if (at === undefined) commitViolations.push(`partition ${s.partition} committed ${s.offset} past offset ${o}, which never finished`);
      else if (at > s.at + 20) commitViolations.push(`partition ${s.partition} committed ${s.offset} at ${s.at} before offset ${o} finished at ${at}`);
    }
  }
  return { lost, duplicates, orderViolations: orderViolations.slice(0, 20), commitViolations: commitViolations.slice(0, 20) };
}

/** Waits until the group's committed offsets reach the end offsets (lag 0). */
export async function lagZero(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const [committed, ends] = await Promise.all([committedOffsets(kafka, groupId, topic), endOffsets(kafka, topic)]);
  for (const [p, end] of ends) if (end > 0 && (committed.get(p) ?? -1) < end) return false;
  return true;
}
