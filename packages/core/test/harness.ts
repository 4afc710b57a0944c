/**
 * Helpers shared by the core package's tests. They live outside `src/` so that they are neither
 * built nor published, and import the package's entry as its users do.
 */
import { MemoryStore, Scheduler, type Logger, type SchedulerEvent, type SchedulerEventType, type SchedulerOptions, type TaskRelease, type TaskStore } from '../src/index.js';

/** A logger that keeps what it is told, so tests can assert on warnings and errors. */
export function recordingLogger(): Logger & { lines: { level: string; message: string; meta: unknown[] }[] } {
  const lines: { level: string; message: string; meta: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...meta: unknown[]) =>
      void lines.push({ level, message, meta });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A memory store that says it is persistent, to exercise the rules persistent stores impose. */
export class PersistentMemoryStore extends MemoryStore {
  override readonly persistent = true;
}

/** A scheduler in UTC with a recording logger and a log of every event it emits. */
export function testScheduler(options: SchedulerOptions = {}) {
  const logger = recordingLogger();
  const scheduler = new Scheduler({ timezone: 'UTC', logger, ...options });
  const events: SchedulerEvent[] = [];
  scheduler.on('*', (event) => void events.push(event));
  const ofType = <TType extends SchedulerEventType>(type: TType): SchedulerEvent<TType>[] =>
    events.filter((event) => event.type === type) as SchedulerEvent<TType>[];
  return { scheduler, logger, events, ofType };
}

/** A promise with its resolve function, for handlers that should block until told. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** The error an action throws or rejects with; fails the test if it succeeds. */
export async function refusal(action: () => unknown): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('it was accepted');
}

/** Hands back one claimed task through the contract's one release path; resolves to whether it applied. */
export async function releaseOne(store: Pick<TaskStore, 'dispatchTasks'>, release: TaskRelease): Promise<boolean> {
  const [outcome] = await store.dispatchTasks([release]);
  return outcome?.released === true;
}
