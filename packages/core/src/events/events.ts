import type { TaskRun } from '../history/task-run.js';
import type { Logger } from '../logger/logger.js';

interface TaskEventBase {
  /** The task concerned. */
  readonly taskId: string;
  /** The alias of the store the task lives in. */
  readonly store: string;
}

/**
 * Every event the scheduler emits, by type, with its payload.
 * @public
 */
export interface SchedulerEventMap {
  'scheduler:started': { readonly paused: boolean };
  'scheduler:shutdown': Record<string, never>;
  'scheduler:paused': Record<string, never>;
  'scheduler:resumed': Record<string, never>;
  'store:added': { readonly alias: string };
  'store:removed': { readonly alias: string };
  'executor:added': { readonly alias: string };
  'executor:removed': { readonly alias: string };
  'task:added': TaskEventBase;
  'task:modified': TaskEventBase;
  'task:removed': TaskEventBase;
  /** A run (or, when coalescing, one run for several run times) was handed to an executor. */
  'task:submitted': TaskEventBase & { readonly executor: string; readonly scheduledRunTimes: readonly Date[] };
  /** A run finished. */
  'task:executed': TaskEventBase & { readonly scheduledAt: Date; readonly result: unknown; readonly duration: number };
  /** A run threw or rejected. */
  'task:error': TaskEventBase & { readonly scheduledAt: Date; readonly error: unknown; readonly duration: number };
  /** Run times dropped because they were later than the task's misfire grace time. */
  'task:missed': TaskEventBase & { readonly scheduledRunTimes: readonly Date[]; readonly count: number };
  /** Run times skipped because the task already ran `maxInstances` instances. */
  'task:max-instances': TaskEventBase & { readonly scheduledRunTimes: readonly Date[]; readonly maxInstances: number };
  /** A run that was started but whose outcome will never be known (its instance died). */
  'task:interrupted': TaskEventBase & { readonly scheduledAt: Date; readonly owner: string };
  /** A record that could not be read (or run here) was moved to the store's quarantine. */
  'task:quarantined': TaskEventBase & { readonly reason: string; readonly error: unknown };
  'tasks:removed-all': { readonly store: string | null };
  /** A run was written to the run history of the task's store (see `Scheduler.getRuns`). */
  'run:recorded': TaskEventBase & { readonly run: TaskRun };
}

/** The name of a scheduler event. @public */
export type SchedulerEventType = keyof SchedulerEventMap;

/** An event as listeners receive it: its payload plus `type` and the time it was emitted. @public */
export type SchedulerEvent<TType extends SchedulerEventType = SchedulerEventType> = {
  [K in TType]: SchedulerEventMap[K] & { readonly type: K; readonly at: Date };
}[TType];

/** A listener; may be async. Whatever it throws or rejects with is logged, never propagated. @public */
export type SchedulerListener<TType extends SchedulerEventType> = (event: SchedulerEvent<TType>) => unknown;

/**
 * Typed event emitter whose listeners cannot break the emitter: a listener that throws or
 * rejects is logged and the others still run.
 */
export class EventHub {
  private readonly listeners = new Map<SchedulerEventType | '*', Set<(event: SchedulerEvent) => unknown>>();
  private observer: (<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]) => void) | undefined;

  constructor(private readonly logger: () => Logger) {}

  on<TType extends SchedulerEventType | '*'>(
    type: TType,
    listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>,
  ): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as (event: SchedulerEvent) => unknown);
    return () => this.off(type, listener);
  }

  /** Listens for the next event of a type only. */
  once<TType extends SchedulerEventType>(type: TType, listener: SchedulerListener<TType>): () => void {
    const stop = this.on(type, (event) => {
      stop();
      return listener(event as SchedulerEvent<TType>);
    });
    return stop;
  }

  off<TType extends SchedulerEventType | '*'>(
    type: TType,
    listener: SchedulerListener<TType extends SchedulerEventType ? TType : SchedulerEventType>,
  ): void {
    this.listeners.get(type)?.delete(listener as (event: SchedulerEvent) => unknown);
  }

  /** Whether anybody listens for `type`, so callers can skip building costly payloads. */
  has(type: SchedulerEventType): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0 || (this.listeners.get('*')?.size ?? 0) > 0;
  }

  /**
   * Sees every event's payload as it is emitted, before (and whether or not) listeners do: for
   * the scheduler's own bookkeeping (the run history), which must not cost an event object per
   * run. It must not throw. (The dispatch emits `task:submitted` and `task:removed` only when a
   * listener wants them.)
   */
  tap(observer: <TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]) => void): void {
    this.observer = observer;
  }

  emit<TType extends SchedulerEventType>(type: TType, payload: SchedulerEventMap[TType]): void {
    this.observer?.(type, payload);
    const specific = this.listeners.get(type);
    const wildcard = this.listeners.get('*');
    if ((specific === undefined || specific.size === 0) && (wildcard === undefined || wildcard.size === 0)) return;
    const event = Object.freeze({ ...payload, type, at: new Date() }) as unknown as SchedulerEvent;
    for (const set of [specific, wildcard]) {
      if (set === undefined) continue;
      for (const listener of [...set]) this.call(listener, event);
    }
  }

  private call(listener: (event: SchedulerEvent) => unknown, event: SchedulerEvent): void {
    try {
      const result = listener(event);
      if (result instanceof Promise) result.catch((error: unknown) => this.report(event, error));
    } catch (error) {
      this.report(event, error);
    }
  }

  private report(event: SchedulerEvent, error: unknown): void {
    this.logger().error(`A listener for "${event.type}" failed; the scheduler carries on.`, error);
  }
}
