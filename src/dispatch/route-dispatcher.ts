/**
 * The partition workers of one route: it splits the route's maxInFlight into a share per
 * owned partition (inflight-budget.ts) and keeps revoked workers counted until their running
 * records settle. A route with batch.maxRecords > 1 gets batch workers.
 */
import type { RouteConfig } from '../config/types.ts';
import { BatchWorker, type Measure, type RunBatch } from './batch-worker.ts';
import { partitionShare } from './inflight-budget.ts';
import { PartitionWorker, type RunRecord } from './partition-worker.ts';

/** What the owned partitions see of a worker, whether it runs records one by one or in batches. */
export type Worker = Pick<PartitionWorker, 'held' | 'capacity' | 'setCapacity' | 'offer' | 'revoke' | 'idle'>;

/** How a route runs its records: one by one, or in batches (with a measure for maxBytes). */
export type Runner = { readonly run: RunRecord } | { readonly runBatch: RunBatch; readonly measure: Measure };

export class RouteDispatcher {
  readonly route: RouteConfig;
  readonly #runner: Runner;
  readonly #workers = new Set<Worker>();
  /** Revoked workers whose running records have not settled yet: still in flight. */
  readonly #retiring = new Set<Worker>();

  constructor(route: RouteConfig, runner: Runner) {
    this.route = route;
    this.#runner = runner;
  }

  /** A worker for a newly assigned partition; `onSlot` is called whenever a record settles. */
  addPartition(onSlot: () => void): Worker {
    const runner = this.#runner;
    const worker: Worker =
      'run' in runner
        ? new PartitionWorker(this.route.ordering, 1, runner.run, onSlot)
        : new BatchWorker(this.route.ordering, this.route.batch, runner.runBatch, runner.measure, onSlot);
    this.#workers.add(worker);
    this.#reshare();
    return worker;
  }

  removePartition(worker: Worker): void {
    worker.revoke();
    this.#workers.delete(worker);
    this.#retiring.add(worker);
    void worker.idle().then(() => this.#retiring.delete(worker));
    this.#reshare();
  }

  #reshare(): void {
    const share = partitionShare(this.route.maxInFlight, this.#workers.size);
    for (const w of this.#workers) w.setCapacity(share);
  }

  /** Records held by this route right now (queued behind a key + running). */
  get inFlight(): number {
    let n = 0;
    for (const w of this.#workers) n += w.held;
    for (const w of this.#retiring) n += w.held;
    return n;
  }

  /** Resolves when every record of this route has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.#workers, ...this.#retiring].map((w) => w.idle()));
  }

  /** Stops every record of this route from retrying further (shutdown deadline). */
  abortAll(): void {
    for (const w of [...this.#workers]) this.removePartition(w);
  }
}
