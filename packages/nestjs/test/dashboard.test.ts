import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Scheduler } from '@horae/core';
import { dashboardConformance, type AdapterFixture, type DashboardContractOptions } from '@horae/testkit';
import { inject } from 'vitest';
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
