import { defineConfig } from 'vitest/config';

// tsc emits the tests into dist/ too; run only the TypeScript sources.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
