import { hostname } from 'node:os';
import type { InstanceInfo, InstanceRun } from '../cluster/instance.js';
import type { Logger } from '../logger/logger.js';
import type { HandlerDefinition } from '../tasks/task.js';
import type { StoreHandle } from './store-handle.js';
import type { StoreSet } from './stores.js';

/** What the instance registry needs of the scheduler. */
export interface InstancesContext {
  readonly stores: StoreSet;
  readonly handlers: ReadonlyMap<string, HandlerDefinition>;
  readonly instanceId: () => string;
  readonly logger: Logger;
  /** How often to beat, ms; an instance counts as alive for three beats. */
  readonly interval: number;
  readonly unrefTimer: boolean;
}

/** How long an entry in a store of this process lasts: as long as the instance, in effect. */
const IN_PROCESS_TTL = 10 * 365 * 24 * 60 * 60 * 1000;

/**
 * This instance in the stores it shares with others: while it runs it beats in every store that
 * lists instances (its host, process, start and handlers), so that any instance can list those
 * alive and what each of them is running, and it says goodbye at shutdown. In a store of this
 * process (a memory store) one entry at start does, since the instance lives as long as the
 * process: a scheduler on memory stores alone keeps its one timer.
 */
export class Instances {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private startedAt = 0;
  /** Stores whose beat failed: one log line per outage, not one per beat. */
  private readonly failing = new Set<string>();

  constructor(private readonly context: InstancesContext) {}

  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.running = true;
    for (const handle of this.context.stores.startedHandles()) await this.joined(handle);
  }

  /** Enters a store that started (at start, or added later), and beats there from now on. */
  async joined(handle: StoreHandle): Promise<void> {
    if (!this.running || !handle.keepsInstances) return;
    // A shared store may be out of reach at start, which must not wait for it: its first beat
    // goes on in the background (and fails quietly, as any beat does).
    if (handle.persistent) void this.beatIn(handle);
    else await this.beatIn(handle);
    if (handle.persistent && this.timer === undefined) {
      this.timer = setInterval(() => void this.beat(), this.context.interval);
      // Workers' timers are numbers, with nothing to unref; it never keeps the process alive by itself.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Stops beating and removes this instance from the stores (before they shut down). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const { stores, instanceId, logger } = this.context;
    for (const handle of stores.startedHandles()) {
      if (!handle.keepsInstances) continue;
      await handle.removeInstance(instanceId()).catch((error: unknown) => logger.warn(`Store "${handle.alias}" could not forget this instance; it drops out once its beats expire.`, error));
    }
  }

  /** The instances alive in the started stores (or one of them), with the runs they hold. */
  async list(storeAlias?: string): Promise<InstanceInfo[]> {
    const { stores, instanceId, logger } = this.context;
    if (storeAlias !== undefined) stores.get(undefined, storeAlias);
    const self = instanceId();
    const found = new Map<string, { info: Omit<InstanceInfo, 'stores' | 'runs'>; stores: Set<string>; runs: InstanceRun[] }>();
    const entry = (id: string) => {
      let seen = found.get(id);
      if (seen === undefined) {
        const info = { instanceId: id, self: id === self, hostname: null, pid: null, startedAt: null, aliveUntil: null, handlers: [] };
        found.set(id, (seen = { info, stores: new Set(), runs: [] }));
      }
      return seen;
    };
    for (const handle of stores.startedHandles()) {
      if (storeAlias !== undefined && handle.alias !== storeAlias) continue;
      const unreadable = (error: Error): void => logger.warn(`Store "${handle.alias}": ${error.message}; it is listed without its details.`);
      for (const { instanceId: id, expiresAt, description } of await handle.instances(unreadable)) {
        const seen = entry(id);
        seen.stores.add(handle.alias);
        // In a store of this process an instance is alive as long as it is listed: no expiry to show.
        const expiry = handle.persistent ? expiresAt : null;
        const aliveUntil = expiry !== null && (seen.info.aliveUntil === null || seen.info.aliveUntil.getTime() < expiry) ? new Date(expiry) : seen.info.aliveUntil;
        seen.info = description === undefined
          ? { ...seen.info, aliveUntil }
          : { ...seen.info, aliveUntil, hostname: description.hostname, pid: description.pid, startedAt: new Date(description.startedAt), handlers: [...description.handlers] };
      }
      for (const lease of await handle.runLeases()) {
        const seen = entry(lease.owner);
        seen.stores.add(handle.alias);
        seen.runs.push({ taskId: lease.taskId, runId: lease.runId, store: handle.alias, scheduledAt: new Date(lease.scheduledAt), expiresAt: Number.isFinite(lease.expiresAt) ? new Date(lease.expiresAt) : null });
      }
    }
    return [...found.values()]
      .map(({ info, stores: seenIn, runs }) => ({ ...info, stores: [...seenIn].sort(), runs: runs.sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime()) }))
      .sort((a, b) => (a.self !== b.self ? (a.self ? -1 : 1) : a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  }

  private async beat(): Promise<void> {
    for (const handle of this.context.stores.startedHandles()) if (handle.persistent && handle.keepsInstances) await this.beatIn(handle);
  }

  private async beatIn(handle: StoreHandle): Promise<void> {
    const { handlers, instanceId, logger, interval } = this.context;
    const description = { hostname: hostName(), pid: typeof process.pid === 'number' ? process.pid : 0, startedAt: this.startedAt, handlers: [...handlers.keys()].sort() };
    try {
      await handle.beat(instanceId(), description, handle.persistent ? 3 * interval : IN_PROCESS_TTL);
      if (this.failing.delete(handle.alias)) logger.info(`Store "${handle.alias}" lists this instance again.`);
    } catch (error) {
      if (!this.failing.has(handle.alias)) logger.warn(`Store "${handle.alias}" could not record that this instance is alive; other instances may not list it until it can.`, error);
      this.failing.add(handle.alias);
    }
  }
}

/** The host's name, where the runtime has one (Cloudflare Workers have none to give). */
function hostName(): string {
  try {
    return hostname();
  } catch {
    return 'unknown';
  }
}
