import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Scheduler } from '@horae/core';
import { dashboardConformance, type AdapterFixture, type DashboardContractOptions } from '@horae/testkit';
import { describe, expect, inject, it } from 'vitest';
import { HoraeDashboardModule } from '../src/dashboard/index.js';

// The dashboard conformance suite, served by HoraeDashboardModule: the suite's dashboard options
// become the module's (basePath as its path), and the module builds and mounts the dashboard itself.
let given: DashboardContractOptions = {};

const fixture: AdapterFixture = {
  name: `NestJS ${inject('nestMajor')} (HoraeDashboardModule)`,
  module: '',
  async serve({ scheduler }) {
    const { basePath = '/', ...options } = given;
    @Global()
    @Module({ providers: [{ provide: Scheduler, useValue: scheduler }], exports: [Scheduler] })
    class SchedulerModule {}
    @Module({ imports: [SchedulerModule, HoraeDashboardModule.forRoot({ path: basePath, ...options })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    await scheduler.start();
    const address = (app.getHttpServer() as { address(): { port: number } }).address();
    return {
      port: address.port,
      lifecycle: {
        started: Promise.resolve(),
        close: async () => {
          await app.close();
          await scheduler.shutdown();
        },
      },
    };
  },
};

dashboardConformance(fixture, (_scheduler, options) => {
  given = options;
  return {
    fetch: () => {
      throw new Error('served by HoraeDashboardModule, not through fetchHandler');
    },
  };
});

describe('HoraeDashboardModule under a global prefix', () => {
  it('serves the dashboard under the prefix, with links and redirects that include it', async () => {
    const scheduler = new Scheduler({ logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
    @Global()
    @Module({ providers: [{ provide: Scheduler, useValue: scheduler }], exports: [Scheduler] })
    class SchedulerModule {}
    @Module({ imports: [SchedulerModule, HoraeDashboardModule.forRoot({ path: 'horae' })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    app.setGlobalPrefix('api/v2');
    await app.listen(0, '127.0.0.1');
    await scheduler.start();
    try {
      const { port } = (app.getHttpServer() as { address(): { port: number } }).address();
      const tasks = await fetch(`http://127.0.0.1:${port}/api/v2/horae/api/tasks`);
      expect(tasks.status).toBe(200);
      expect(await tasks.json()).toMatchObject({ tasks: [], total: 0 });
      const bare = await fetch(`http://127.0.0.1:${port}/api/v2/horae`, { redirect: 'manual' });
      expect(new URL(bare.headers.get('location')!, `http://x/api/v2/horae`).pathname).toBe('/api/v2/horae/');
      const doc = (await (await fetch(`http://127.0.0.1:${port}/api/v2/horae/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toContain('/api/v2/horae/api/tasks');
      expect((await fetch(`http://127.0.0.1:${port}/horae/api/tasks`)).status).toBe(404);
    } finally {
      await app.close();
      await scheduler.shutdown();
    }
  });
});
