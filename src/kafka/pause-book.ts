/**
 * Who wants which partition paused, and why. kafkajs keeps its own pause flags in the
 * consumer-group object: they survive a rebalance but vanish when the consumer restarts
 * after a crash, and a flag left on a partition we lost would still be there if it came
 * back. So the bridge owns the truth here and re-applies it after every group join.
 *
 * A partition is fetched only when no reason applies to it: neither its own reasons
 * (a backlog waiting for room or a due time) nor its topic's (route paused by flow control, shutdown).
 */
import type { PauseReason } from '../flow/pause-reasons.ts';

export type { PauseReason } from '../flow/pause-reasons.ts';

export interface PauseTarget {
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class PauseBook {
  readonly #partitionReasons = new Map<string, Set<PauseReason>>();
  readonly #topicReasons = new Map<string, Set<PauseReason>>();
  /** Assigned partitions and whether kafkajs currently has them paused (as far as we told it). */
  readonly #applied = new Map<string, { topic: string; partition: number; paused: boolean }>();
  #target: PauseTarget | undefined;

  attach(target: PauseTarget): void {
    this.#target = target;
  }

  isPaused(topic: string, partition: number): boolean {
    return (this.#partitionReasons.get(tpKey(topic, partition))?.size ?? 0) > 0 || (this.#topicReasons.get(topic)?.size ?? 0) > 0;
  }

  topicPaused(topic: string): boolean {
    return (this.#topicReasons.get(topic)?.size ?? 0) > 0;
  }

  reasonsFor(topic: string): PauseReason[] {
    return [...(this.#topicReasons.get(topic) ?? [])];
  }

  addPartition(topic: string, partition: number, reason: PauseReason): void {
    let set = this.#partitionReasons.get(tpKey(topic, partition));
    if (set === undefined) this.#partitionReasons.set(tpKey(topic, partition), (set = new Set()));
    set.add(reason);
    this.#sync(topic, partition);
  }

  removePartition(topic: string, partition: number, reason: PauseReason): void {
    const set = this.#partitionReasons.get(tpKey(topic, partition));
    if (set === undefined || !set.delete(reason)) return;
    if (set.size === 0) this.#partitionReasons.delete(tpKey(topic, partition));
    this.#sync(topic, partition);
  }

  hasPartitionReason(topic: string, partition: number, reason: PauseReason): boolean {
    return this.#partitionReasons.get(tpKey(topic, partition))?.has(reason) ?? false;
  }

  addTopic(topic: string, reason: PauseReason): void {
    let set = this.#topicReasons.get(topic);
    if (set === undefined) this.#topicReasons.set(topic, (set = new Set()));
    set.add(reason);
    for (const a of this.#applied.values()) if (a.topic === topic) this.#sync(a.topic, a.partition);
  }

  removeTopic(topic: string, reason: PauseReason): void {
    const set = this.#topicReasons.get(topic);
    if (set === undefined || !set.delete(reason)) return;
    if (set.size === 0) this.#topicReasons.delete(topic);
    for (const a of this.#applied.values()) if (a.topic === topic) this.#sync(a.topic, a.partition);
  }

  /**
   * A new assignment: forget partitions we lost (their per-partition reasons too) and push
   * the current truth to kafkajs for every partition we own, whatever it believes.
   */
  assign(partitions: readonly { topic: string; partition: number }[]): void {
    const keep = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    for (const [key, a] of this.#applied) {
      if (keep.has(key)) continue;
      // kafkajs would remember the flag if the partition came back later.
      if (a.paused) this.#target?.resume(a.topic, a.partition);
      this.#applied.delete(key);
      this.#partitionReasons.delete(key);
    }
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      const paused = this.isPaused(p.topic, p.partition);
      this.#applied.set(key, { topic: p.topic, partition: p.partition, paused });
      if (paused) this.#target?.pause(p.topic, p.partition);
      else this.#target?.resume(p.topic, p.partition);
    }
  }

  /**
   * kafkajs threw its consumer group away (a crash): every pause it held went with it, and
   * calling the consumer now throws ("consumer group was not initialized"). Forget what was
   * applied, with the per-partition reasons, as an empty assignment would, but without calling
   * kafkajs. Topic reasons (flow control, shutdown) stay and are applied at the next join.
   */
  detachPartitions(): void {
    for (const key of this.#applied.keys()) this.#partitionReasons.delete(key);
    this.#applied.clear();
  }

  #sync(topic: string, partition: number): void {
    const applied = this.#applied.get(tpKey(topic, partition));
    if (applied === undefined) return;
    const want = this.isPaused(topic, partition);
    if (applied.paused === want) return;
    applied.paused = want;
    if (want) this.#target?.pause(topic, partition);
    else this.#target?.resume(topic, partition);
  }
}
