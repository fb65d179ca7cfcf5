/**
 * The partition workers of one route: it splits the route's maxInFlight into a share per
 * owned partition (inflight-budget.ts) and keeps revoked workers counted until their running
 * records settle.
 */
import type { RouteConfig } from '../config/types.ts';
import { partitionShare } from './inflight-budget.ts';
import { PartitionWorker, type RunRecord } from './partition-worker.ts';

export class RouteDispatcher {
  readonly route: RouteConfig;
  readonly #run: RunRecord;
  readonly #workers = new Set<PartitionWorker>();
  /** Revoked workers whose running records have not settled yet: still in flight. */
  readonly #retiring = new Set<PartitionWorker>();

  constructor(route: RouteConfig, run: RunRecord) {
    this.route = route;
    this.#run = run;
  }

  /** A worker for a newly assigned partition; `onSlot` is called whenever a record settles. */
  addPartition(onSlot: () => void): PartitionWorker {
    const worker = new PartitionWorker(this.route.ordering, 1, this.#run, onSlot);
    this.#workers.add(worker);
    this.#reshare();
    return worker;
  }

  removePartition(worker: PartitionWorker): void {
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
