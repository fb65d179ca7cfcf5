import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests each start a dev broker and real HTTP servers, and several assert
    // timings within a second. Two workers keep the 2-core CI machines busy without letting
    // one file's load skew another's clock.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    setupFiles: ['test/support/quiet-known-warnings.ts'],
  },
});
