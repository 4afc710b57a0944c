import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../scheduler/scheduler.js';
import { MemoryStore } from '../stores/memory.js';
import type { ClaimOptions, StoreContext, StoredTask } from '../stores/store.js';
import type { Logger } from './logger.js';

const start = Date.parse('2026-01-01T00:00:00Z');
beforeEach(() => {
  vi.useFakeTimers({ now: start });
});
afterEach(() => {
  vi.useRealTimers();
});

const throwing: Logger = {
  debug: () => {
    throw new Error('debug transport down');
  },
  info: () => {
    throw new Error('info transport down');
  },
  warn: () => {
    throw new Error('warn transport down');
  },
  error: () => {
    throw new Error('error transport down');
  },
};

/** A store that warns through the scheduler's logger on every claim, as a store may. */
class WarningStore extends MemoryStore {
  private context: StoreContext | undefined;
  override start(context: StoreContext): Promise<void> {
    this.context = context;
    return super.start(context);
  }
  override claimDueTasks(options: ClaimOptions): Promise<StoredTask[]> {
    this.context?.logger.warn('claiming');
    return super.claimDueTasks(options);
  }
}

describe('a logger that throws', () => {
  it('never keeps task:error from being emitted, nor stops the scheduler, nor fails a store', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC', logger: throwing, stores: { default: new WarningStore() } });
    const errors: string[] = [];
    const runs: number[] = [];
    scheduler.on('task:error', ({ error }) => void errors.push((error as Error).message));
    scheduler.define('fails', () => {
      throw new Error('handler failed');
    });
    scheduler.define('tick', (_args, ctx) => {
      ctx.logger.info('ticking');
      runs.push(ctx.scheduledAt.getTime());
    });
    await scheduler.addTask({ handler: 'fails', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.addTask({ handler: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(errors).toEqual(['handler failed', 'handler failed', 'handler failed']);
    expect(runs).toEqual([start + 1_000, start + 2_000, start + 3_000]);
    await scheduler.shutdown();
  });
});
