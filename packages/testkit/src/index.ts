/**
 * The conformance suite every Horae store passes. A store package runs it with a few lines:
 *
 * ```ts
 * import { storeConformance } from '@horae/testkit';
 * storeConformance({ name: 'MyStore', persistent: true, backend: async () => ({ open: () => new MyStore(url), cleanup: async () => {} }) });
 * ```
 */
import type { StoreFixture } from './fixture.js';
import { clusterContractSuite } from './cluster-contract.js';
import { historyContractSuite } from './history-contract.js';
import { multiProcessSuite } from './multi-process.js';
import { schedulerContractSuite } from './scheduler-contract.js';
import { serverClockSuite } from './server-clock.js';
import { storeContractSuite } from './store-contract.js';

export type { StoreBackend, StoreFixture } from './fixture.js';
export { TcpProxy } from './tcp-proxy.js';
export { freePort } from './free-port.js';
export { releaseOne } from './release-one.js';
export { outageSuite, type OutageFixture, type OutagePlace } from './outage-contract.js';
export { restartSuite, type RestartableServer, type RestartFixture } from './restart-contract.js';
export { adapterConformance, send } from './adapter-contract.js';
export { FRAMEWORK_FROM } from './framework-from.js';
export { killLineProcesses, startLineProcess, type LineProcess } from './line-process.js';
export { browserSuite, screenshot, useBrowser, type BrowserHandle, type BrowserOptions, type RecordedPage } from './browser.js';
export { dashboardConformance, type DashboardContractOptions, type MakeDashboard } from './dashboard-contract.js';
export { contractRoutes, echoFetchHandler, type AdapterFixture, type ContractAppOptions, type FetchHandler, type ServedApp } from './adapter-fixture.js';

/** Runs the whole conformance suite against a store. */
export function storeConformance(fixture: StoreFixture): void {
  storeContractSuite(fixture);
  schedulerContractSuite(fixture);
  historyContractSuite(fixture);
  clusterContractSuite(fixture);
  if (fixture.serverClock !== undefined) serverClockSuite({ ...fixture, serverClock: fixture.serverClock.bind(fixture) });
  if (fixture.processes !== undefined) multiProcessSuite(fixture);
}
