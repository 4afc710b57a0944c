import { handlerName, type TaskRecord } from '../tasks/task.js';
import type { TaskFacts, TaskState } from './inspection.js';

/**
 * A task as a query sees it, read from its record only as far as the query asks: a page among a
 * million tasks filters and sorts them all, and snapshots (copies, freezes, describes) only the
 * ones it shows.
 */
export class ListedTask<TSource> implements TaskFacts {
  private description: string | undefined;

  constructor(
    /** What the task was found as, handed back with the page. */
    readonly source: TSource,
    private readonly record: TaskRecord,
    readonly store: string,
    readonly state: TaskState,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get name(): string {
    return this.record.name;
  }

  get handler(): string {
    return handlerName(this.record.handler);
  }

  get trigger(): string {
    return this.record.trigger.type;
  }

  /** The trigger's class name, which a query may name instead of its type. */
  get triggerClass(): string {
    return this.record.trigger.constructor.name;
  }

  get triggerDescription(): string {
    this.description ??= this.record.trigger.describe();
    return this.description;
  }

  get executor(): string {
    return this.record.executor;
  }

  get nextRunTime(): Date | null {
    return this.record.nextRunTime === null ? null : new Date(this.record.nextRunTime);
  }
}
