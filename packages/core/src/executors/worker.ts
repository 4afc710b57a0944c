import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { errors } from '../errors/index.js';
import type { HandlerDefinition, ModuleHandler, RunContext } from '../tasks/task.js';
import { BaseExecutor } from './executor.js';
import { describeAbortReason, reviveError } from './worker-errors.js';
import { WORKER_SOURCE, type FromWorker, type ToWorker } from './worker-thread.js';

/** Options of the {@link WorkerExecutor}. @public */
export interface WorkerExecutorOptions {
  /** How many worker threads at most; default: one less than the CPU count, at least 1. */
  maxWorkers?: number;
  /**
   * At shutdown, how long (ms) handlers get to settle after their signal is aborted before their
   * threads are terminated; default 1,000.
   */
  abortGrace?: number;
  /** Options passed to each `Worker` (e.g. `resourceLimits`, `env`). */
  workerOptions?: Omit<ConstructorParameters<typeof Worker>[1] & object, 'eval'>;
}

interface Job {
  readonly id: number;
  readonly handler: ModuleHandler;
  readonly args: unknown;
  readonly context: RunContext;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PooledWorker {
  readonly worker: Worker;
  job: Job | undefined;
}

/**
 * Runs handlers on a pool of worker threads, so that CPU-bound work (image resizing, report
 * generation, parsing) does not block the event loop — the counterpart of Asyncz's thread and
 * process pool executors. Handlers must live in a module of their own ({@link moduleHandler});
 * arguments and results cross threads by structured clone. `ctx.signal` works across the thread
 * boundary; a worker whose handler ignores it is terminated when the executor shuts down.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ executors: { default: new AsyncExecutor(), cpu: new WorkerExecutor({ maxWorkers: 2 }) } });
 * scheduler.define('thumbnails', moduleHandler(new URL('./thumbnails.js', import.meta.url)));
 * await scheduler.addTask({ handler: 'thumbnails', executor: 'cpu', trigger: { type: 'interval', minutes: 5 } });
 * ```
 * @public
 */
export class WorkerExecutor extends BaseExecutor {
  private readonly maxWorkers: number;
  private readonly workers = new Set<PooledWorker>();
  private readonly queue: Job[] = [];
  private nextJobId = 0;
  private terminating = false;

  constructor(private readonly options: WorkerExecutorOptions = {}) {
    super();
    const maxWorkers = options.maxWorkers ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw errors.invalidOption(undefined, 'WorkerExecutor maxWorkers', maxWorkers, 'give a whole number >= 1');
    }
    this.maxWorkers = maxWorkers;
  }

  override cannotRun(handler: HandlerDefinition): string | undefined {
    return typeof handler === 'function'
      ? 'the worker executor runs handlers that live in a module of their own: define the handler with moduleHandler(url, exportName)'
      : undefined;
  }

  override async shutdown(options: { wait: boolean; timeout?: number | undefined }): Promise<void> {
    await super.shutdown(options);
    // Aborted handlers get a moment to settle; one that ignores its signal would keep its thread
    // (and the process) alive, so it is terminated after that.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, this.options.abortGrace ?? 1_000)))]);
    clearTimeout(timer);
    this.terminating = true;
    await Promise.all([...this.workers].map(({ worker }) => worker.terminate()));
    this.workers.clear();
    this.terminating = false;
  }

  protected invoke(handler: HandlerDefinition, args: unknown, context: RunContext): Promise<unknown> {
    // addTask refuses this already; a handler defined anew as a function since is refused here.
    if (typeof handler === 'function') return Promise.reject(errors.invalidOption(context.taskId, 'handler', handler, this.cannotRun(handler)!));
    return new Promise((resolve, reject) => {
      // The signal is shared by every run of the executor: the listener goes when the job does.
      const onAbort = (): void => this.abort(job);
      const settle =
        <T>(finish: (value: T) => void) =>
        (value: T): void => {
          context.signal.removeEventListener('abort', onAbort);
          finish(value);
        };
      const job: Job = { id: this.nextJobId++, handler, args, context, resolve: settle(resolve), reject: settle(reject) };
      context.signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(job.context.signal.reason);
      return;
    }
    for (const pooled of this.workers) {
      if (pooled.job === job) this.send(pooled, { abort: job.id, reason: describeAbortReason(job.context.signal.reason) });
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let idle = [...this.workers].find((pooled) => pooled.job === undefined);
      if (idle === undefined && this.workers.size < this.maxWorkers) idle = this.spawn();
      if (idle === undefined) return;
      const job = this.queue.shift()!;
      idle.job = job;
      idle.worker.ref();
      const { context } = job;
      try {
        this.send(idle, {
          id: job.id,
          module: job.handler.module,
          exportName: job.handler.exportName,
          args: job.args,
          context: { taskId: context.taskId, taskName: context.taskName, scheduledAt: context.scheduledAt.getTime() },
        });
      } catch (error) {
        // Structured clone refused the args (a memory-store task may hold functions in them).
        idle.job = undefined;
        job.reject(errors.workerArgsNotCloneable(context.taskId, error));
      }
    }
  }

  private spawn(): PooledWorker {
    const worker = new Worker(WORKER_SOURCE, { ...this.options.workerOptions, eval: true });
    worker.unref();
    const pooled: PooledWorker = { worker, job: undefined };
    this.workers.add(pooled);
    worker.on('message', (message: FromWorker) => {
      if ('log' in message) {
        this.host?.logger[message.log](message.text, ...message.meta);
        return;
      }
      const job = pooled.job;
      if (job === undefined || job.id !== message.id) return;
      pooled.job = undefined;
      // An idle thread must not keep the process alive; a busy one must.
      worker.unref();
      if (message.ok) job.resolve(message.result);
      else job.reject(failureOf(job, message));
      this.pump();
    });
    const fail = (errorFor: (job: Job) => unknown): void => {
      this.workers.delete(pooled);
      const job = pooled.job;
      pooled.job = undefined;
      job?.reject(errorFor(job));
      this.pump();
    };
    // An uncaught error on the thread (thrown from a handler's timer, say) is the handler's own.
    worker.on('error', (error) => fail(() => error));
    worker.on('exit', (code) =>
      fail((job) =>
        this.terminating
          ? errors.aborted('the scheduler shut down and the handler ignored ctx.signal, so its worker thread was terminated')
          : errors.workerExited(job.context.taskId, code),
      ),
    );
    return pooled;
  }

  private send(pooled: PooledWorker, message: ToWorker): void {
    pooled.worker.postMessage(message);
  }
}

/** The error a job that failed on its thread rejects with. */
function failureOf(job: Job, outcome: Extract<FromWorker, { ok: false }>): unknown {
  // The same reason the run's signal was aborted with here, not a copy of it.
  if ('aborted' in outcome) return job.context.signal.reason;
  if ('missingExport' in outcome) return errors.moduleExportMissing(job.context.taskId, job.handler.module, job.handler.exportName);
  return reviveError(outcome.error);
}
