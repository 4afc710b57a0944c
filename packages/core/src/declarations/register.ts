import { errors } from '../errors/index.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Task } from '../scheduler/task-handle.js';
import type { AddTaskOptions, TaskHandler } from '../tasks/task.js';
import { scheduledDeclarations } from './scheduled.js';
import { scheduledTaskId, scheduledTaskOptions } from './scheduled-options.js';

interface Declared {
  readonly where: string;
  readonly instance: object;
}

/** The ids each scheduler has been given by `register`, to refuse one id declared twice. */
const declaredBy = new WeakMap<Scheduler, Map<string, Declared>>();

/** The methods of an instance, most derived first, each name once. */
function methodsOf(instance: object): { name: string; method: unknown }[] {
  const seen = new Set<string>();
  const found: { name: string; method: unknown }[] = [];
  for (let prototype = Object.getPrototypeOf(instance) as object | null; prototype !== null && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype) as object | null) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      if (descriptor !== undefined && typeof descriptor.value === 'function') found.push({ name, method: descriptor.value });
    }
  }
  return found;
}

/**
 * Defines the `@Scheduled` methods of `instance` as handlers and adds their tasks (see
 * {@link Scheduler.register}). Every declaration is checked before anything is defined or added.
 */
export async function registerScheduled(scheduler: Scheduler, instance: object): Promise<Task[]> {
  if (typeof instance !== 'object' || instance === null) {
    throw errors.invalidOption(undefined, 'register target', instance, 'give an instance of a class with @Scheduled methods');
  }
  const className = (instance.constructor as { name?: string } | undefined)?.name || 'Anonymous';
  const declared = declaredBy.get(scheduler) ?? new Map<string, Declared>();
  const handlers: [string, TaskHandler][] = [];
  const tasks: AddTaskOptions[] = [];
  const disabled: AddTaskOptions[] = [];
  const seenHere = new Map<string, string>();
  for (const { name, method } of methodsOf(instance)) {
    const where = `${className}.${name}`;
    for (const options of scheduledDeclarations(method)) {
      const id = scheduledTaskId(options, where);
      const earlier = declared.get(id);
      if (earlier?.instance === instance) continue; // this instance was registered already
      const first = earlier?.where ?? seenHere.get(id);
      if (first !== undefined) throw errors.duplicateDeclaration(id, first, where);
      seenHere.set(id, where);
      const task = scheduledTaskOptions(id, options, where);
      handlers.push([id, (args, ctx) => (method as TaskHandler).call(instance, args, ctx)]);
      (options.disabled === true ? disabled : tasks).push(task);
    }
  }
  for (const [id] of handlers) declared.set(id, { where: seenHere.get(id)!, instance });
  declaredBy.set(scheduler, declared);
  for (const [id, handler] of handlers) scheduler.define(id, handler);
  if (disabled.length > 0) {
    const removeDisabled = (): Promise<void> => removeStale(scheduler, disabled);
    if (scheduler.state === 'stopped') scheduler.once('scheduler:started', removeDisabled);
    else await removeDisabled();
  }
  return tasks.length === 0 ? [] : scheduler.addTasks(tasks);
}

/** A disabled task left in a persistent store by an earlier deploy stops here, for every replica. */
async function removeStale(scheduler: Scheduler, disabled: readonly AddTaskOptions[]): Promise<void> {
  for (const task of disabled) {
    const store = task.store ?? 'default';
    if ((await scheduler.getTask(task.id!, { store })) === null) continue;
    await scheduler.deleteTask(task.id!, { store });
    scheduler.logger.info(`Task "${task.id}" is disabled (@Scheduled({ disabled: true })); it was removed from store "${store}".`);
  }
}
