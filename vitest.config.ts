import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Files run side by side: each has its own PostgreSQL schema, Redis key prefix (or private
    // redis-server, for FLUSHALL) and port-0 servers. Most of a file's time is waiting on
    // servers and child processes, so more files than cores keep both busy (the default on two
    // cores is one file at a time).
    maxWorkers: 3,
    // A worker process runs its files one after another in one module graph: loading the source
    // tree (the Kubernetes client above all) once per worker, not once per file, halves the CPU a
    // run takes. Tests hold no module-level state (no vi.mock, fake timers or env stubs); each
    // file builds and closes its own clients, servers and stores.
    isolate: false,
    sequence: { sequencer: LongestFirstSequencer },
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text-summary', 'html'] },
    // @actions/workflow-parser imports its schema JSON without an import attribute, which Node
    // refuses; inlined, vite loads the JSON itself.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
