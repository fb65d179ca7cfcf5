/**
 * The node flags the bridge is measured with.
 *
 * SHIPPED_BRIDGE_FLAGS are the flags the bridge ships with: the Dockerfile's ENTRYPOINT and
 * `npm start` pass the same (test/deploy keeps the three in step), so the benchmark measures
 * the bridge as it runs. A semi-space of 8 MB keeps V8's young generation from growing to
 * its default for a large machine: whole fetches wait in the backlogs, survive scavenges, and
 * a big young generation only holds them longer (see docs/benchmarks.md).
 */
export const SHIPPED_BRIDGE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * The bridge as in a container limited to 512 MiB, the Helm chart's default limit. Node sizes
 * its heap from the cgroup's limit: in a 512 MiB cgroup, with the shipped flags, the heap
 * limit is 280 MB, which is exactly what adding these flags gives on an unconstrained machine
 * (old space 256 MB).
 */
export const CONTAINER_MIB = 512;
export const CONTAINER_FLAGS: readonly string[] = ['--max-old-space-size=256'];
