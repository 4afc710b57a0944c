import type { StoreFixture } from './fixture.js';

export function multiProcessSuite(_fixture: StoreFixture): void {}
