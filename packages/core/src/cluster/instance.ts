/**
 * A scheduler instance as the others see it: what it says of itself in its beats, and the runs it
 * holds now.
 */

/** What an instance says of itself in each beat (the payload of its {@link StoredInstance}). */
export interface InstanceDescription {
  readonly hostname: string;
  readonly pid: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** The names of the handlers it defines (it can run tasks of these). */
  readonly handlers: readonly string[];
}

/** A run in progress on an instance. @public */
export interface InstanceRun {
  readonly taskId: string;
  readonly runId: string;
  readonly store: string;
  readonly scheduledAt: Date;
  /** When its lease expires unless renewed; `null` in a store of this process, where leases do not expire (they end with the process). */
  readonly expiresAt: Date | null;
}

/**
 * A scheduler instance sharing a store, as {@link Scheduler.getInstances} lists it.
 * @public
 */
export interface InstanceInfo {
  readonly instanceId: string;
  /** Whether this is the instance that answered. */
  readonly self: boolean;
  /** The host it runs on; `null` for an instance seen only by the runs it holds (see `runs`). */
  readonly hostname: string | null;
  readonly pid: number | null;
  readonly startedAt: Date | null;
  /** Until when it counts as alive without another beat; `null` when it does not beat. */
  readonly aliveUntil: Date | null;
  /** The handlers it defines: the tasks it can run. */
  readonly handlers: readonly string[];
  /** The stores it was seen in. */
  readonly stores: readonly string[];
  /**
   * The runs it holds now. An instance that died still holds its runs until their leases expire
   * (then they are reported as interrupted): such an instance is listed with `hostname: null`
   * once its beats have expired.
   */
  readonly runs: readonly InstanceRun[];
}

export function describeToJSON(description: InstanceDescription): string {
  return JSON.stringify({ v: 1, ...description });
}

/** An instance description back from JSON; throws saying why when it is not one. */
export function describeFromJSON(json: unknown): InstanceDescription {
  const value = json as Partial<InstanceDescription> & { v?: unknown };
  const valid =
    typeof value === 'object' &&
    value !== null &&
    value.v === 1 &&
    typeof value.hostname === 'string' &&
    typeof value.pid === 'number' &&
    typeof value.startedAt === 'number' &&
    Array.isArray(value.handlers) &&
    value.handlers.every((name) => typeof name === 'string');
  if (!valid) throw new Error('it is not an instance description of schema version 1');
  const { hostname, pid, startedAt, handlers } = value as InstanceDescription;
  return { hostname, pid, startedAt, handlers };
}
