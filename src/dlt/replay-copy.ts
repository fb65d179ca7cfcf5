/**
 * The replay's second pass: produce, await acks, commit. Records are produced in chunks; the
 * group's position moves only past records Kafka acknowledged (acks=-1) or the filters
 * skipped, so a crash between produce and commit produces a record again (at least once,
 * with the same idempotency key) and never skips one.
 */
import { Partitioners, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import { sleep } from '../delivery/backoff.ts';
import { BridgeError, ErrorCodes } from '../errors.ts';
import { kafkajsCompression } from '../kafka/codecs.ts';
import { RateLimit } from './rate-limit.ts';
import type { RecordFilter } from './record-filter.ts';
import { countInto, ReplayLimit, targetOf, targetTopic, toMessage, type ReplayContext, type ReplayRequest, type ReplaySummary, type Target } from './replay-request.ts';
import { groupBusyError, isRebalancing, readRanges, remainingRecords, type PartitionRange } from './topic-range-reader.ts';

/** Records per produce request; smaller under --rate (see RateLimit). */
const CHUNK = 100;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failed(what: string, replayed: number, cause: unknown): BridgeError {
  return new BridgeError(
    ErrorCodes.REPLAY_FAILED,
    `replay stopped: ${what}. ${replayed} record(s) were replayed and committed before; rerun the same command to resume.`,
    { cause, retriable: true },
  );
}

/** One fetched batch of one partition, as the copy pass works through it. */
interface BatchState {
  readonly partition: number;
  readonly commit: (offset: string) => Promise<void>;
  readonly heartbeat: () => Promise<void>;
  /** Taken and not yet acknowledged, in offset order. */
  pending: { target: Target; message: Message }[];
  /** The offset after the last record dealt with (taken or skipped). */
  examined: string;
  committed: string;
  skipped: number;
}

export class ReplayCopy {
  readonly #request: ReplayRequest;
  readonly #ctx: ReplayContext;
  readonly #filter: RecordFilter;
  readonly #partitions: ReadonlyMap<string, number>;
  readonly #group: string;
  readonly #limiter: RateLimit | undefined;
  readonly #limit: ReplayLimit;
  readonly #byTarget = new Map<string, number>();
  #producer: Producer | undefined;
  #replayed = 0;
  #skipped = 0;
  #read = 0;

  constructor(request: ReplayRequest, ctx: ReplayContext, filter: RecordFilter, partitions: ReadonlyMap<string, number>, group: string) {
    this.#request = request;
    this.#ctx = ctx;
    this.#filter = filter;
    this.#partitions = partitions;
    this.#group = group;
    this.#limiter = request.rate === undefined ? undefined : new RateLimit(request.rate);
    this.#limit = new ReplayLimit(request.limit);
  }

  /** A function, not a property read: TypeScript would keep a narrowed `aborted` across awaits. */
  #aborted(): boolean {
    return this.#ctx.signal?.aborted === true;
  }

  async run(ranges: readonly PartitionRange[]): Promise<ReplaySummary> {
    const { ctx, request } = { ctx: this.#ctx, request: this.#request };
    const total = remainingRecords(ranges);
    const ticker = setInterval(
      () => ctx.note?.(`replay ${request.from}: read ${this.#read}/${total}, replayed ${this.#replayed}, skipped ${this.#skipped}`),
      ctx.progressEveryMs ?? 5_000,
    );
    ticker.unref();
    const idempotent = ctx.config.kafka.idempotentProducer;
    const producer = (this.#producer = ctx.kafka.producer({
      idempotent,
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      // The Java client's partitioner (murmur2), so a record replayed with --to lands where a
      // Java producer would put its key; named explicitly, which also silences kafkajs's notice.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
    }));
    await producer.connect();
    try {
      await readRanges({
        kafka: ctx.kafka,
        kafkaConfig: ctx.config.kafka,
        topic: request.from,
        groupId: this.#group,
        ranges,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        onBatch: ({ partition, messages, commit, heartbeat }) =>
          this.#batch({ partition, commit, heartbeat, pending: [], examined: messages[0]!.offset, committed: messages[0]!.offset, skipped: 0 }, messages),
      });
    } finally {
      clearInterval(ticker);
      await producer.disconnect().catch(() => undefined);
    }
    const stoppedBy = this.#limit.finish(this.#aborted());
    return { from: request.from, group: this.#group, dryRun: false, replayed: this.#replayed, skipped: this.#skipped, byTarget: this.#byTarget, stoppedBy };
  }

  async #batch(b: BatchState, messages: readonly KafkaMessage[]): Promise<{ next: string; stop: boolean }> {
    let stop = false;
    for (const m of messages) {
      if (this.#aborted()) this.#limit.interrupted();
      if (this.#aborted() || this.#limit.reached()) {
        stop = true;
        break;
      }
      const next = (BigInt(m.offset) + 1n).toString();
      this.#read++;
      if (!this.#filter.matches(m)) {
        b.skipped++;
        b.examined = next;
        continue;
      }
      const found = targetTopic(m, this.#request);
      // The scan (or --to) proved every target exists; anything else is a bug, never a guess.
      if (!('topic' in found) || !this.#partitions.has(found.topic)) {
        throw new Error(`replay: ${this.#request.from}/${b.partition}/${m.offset} has an unchecked target`);
      }
      if (!(await this.#pace(b))) {
        this.#limit.interrupted();
        stop = true;
        break;
      }
      const target = targetOf(m, found.topic, this.#partitions);
      b.pending.push({ target, message: toMessage(m, target) });
      this.#limit.taken++;
      b.examined = next;
      if (b.pending.length >= CHUNK) await this.#flush(b);
    }
    await this.#flush(b);
    return { next: b.examined, stop: stop || this.#limit.reached() };
  }

  /** Waits for --rate (acknowledging what is pending first); false when aborted meanwhile. */
  async #pace(b: BatchState): Promise<boolean> {
    const wait = this.#limiter?.reserve() ?? 0;
    if (wait <= 0) return true;
    const until = Date.now() + wait;
    await this.#flush(b);
    await sleep(until - Date.now(), this.#ctx.signal);
    return !this.#aborted();
  }

  /** Produces what is pending and awaits the acks, then commits past it (and past skipped records). */
  async #flush(b: BatchState): Promise<void> {
    if (b.pending.length > 0) {
      const byTopic = new Map<string, Message[]>();
      for (const p of b.pending) byTopic.set(p.target.topic, [...(byTopic.get(p.target.topic) ?? []), p.message]);
      try {
        await this.#producer!.sendBatch({ acks: -1, compression: kafkajsCompression(this.#ctx.config.kafka.producer.compression), topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
      } catch (error) {
        throw failed(`Kafka did not acknowledge replayed records (${messageOf(error)})`, this.#replayed, error);
      }
      for (const [topic, msgs] of byTopic) countInto(this.#byTarget, topic, msgs.length);
      this.#replayed += b.pending.length;
      b.pending = [];
    }
    // Only what is acknowledged (or skipped) is committed: the offset after `examined` covers
    // nothing that is still pending.
    if (b.examined !== b.committed) {
      await this.#commit(b);
      b.committed = b.examined;
    }
    this.#skipped += b.skipped;
    b.skipped = 0;
    await b.heartbeat();
  }

  async #commit(b: BatchState): Promise<void> {
    const where = `${this.#request.from}/${b.partition}/${b.examined}`;
    try {
      await b.commit(b.examined);
    } catch (error) {
      if (isRebalancing(error)) {
        throw groupBusyError(
          this.#group,
          `started rebalancing (another member joined, or this one lost its session); records up to ${where} were produced ` +
            `but not committed and a rerun produces them again (with the same idempotency-key); ${this.#replayed} record(s) were replayed before`,
        );
      }
      throw failed(
        `the progress commit failed (${messageOf(error)}); records up to ${where} were produced and a rerun produces them again (with the same idempotency-key)`,
        this.#replayed,
        error,
      );
    }
  }
}
