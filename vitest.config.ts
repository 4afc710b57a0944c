import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*'],
    // A known stray rejection: ioredis rejects a command of its own with "Connection is closed."
    // when a test cuts a proxied connection mid-flight (packages/redis "reply was lost" tests);
    // nothing of Horae's awaits it. Only that exact error from ioredis is let through.
    onUnhandledError: (error) => !(error.message === 'Connection is closed.' && (error.stack ?? '').includes('ioredis')),
    // In CI the results are also written as JSON, for the closing summary line of .ci/run.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
