import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text-summary', 'html'] },
    // @actions/workflow-parser imports its schema JSON without an import attribute, which Node
    // refuses; inlined, vite loads the JSON itself.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
