import { ContextIdFactory, type DiscoveryService, type MetadataScanner, type ModuleRef } from '@nestjs/core';
import type { RunContext, TaskHandler } from '@horae/core';
import type { ScheduledRun } from './options.js';

/** What this package reads of Nest's `InstanceWrapper`: a small structural type, not the internal class. */
export interface DiscoveredWrapper {
  readonly token: unknown;
  /** The provider's name (its class name, or its token's). */
  readonly name?: unknown;
  readonly instance: unknown;
  readonly isTransient?: boolean;
  isDependencyTreeStatic(): boolean;
}

/** A method found on a provider or controller. */
export interface DiscoveredMethod {
  readonly wrapper: DiscoveredWrapper;
  readonly className: string;
  readonly methodName: string;
  /** The method function, which carries the decorators' declarations. */
  readonly method: unknown;
  /** `Class.method`, for ids and messages. */
  readonly where: string;
}

/** Every method of every provider and controller, each class visited once per wrapper. */
export function discoverMethods(discovery: DiscoveryService, scanner: MetadataScanner): DiscoveredMethod[] {
  const wrappers = [...discovery.getControllers(), ...discovery.getProviders()] as unknown as DiscoveredWrapper[];
  const found: DiscoveredMethod[] = [];
  for (const wrapper of wrappers) {
    const instance = wrapper.instance;
    if (typeof instance !== 'object' || instance === null) continue;
    const prototype = Object.getPrototypeOf(instance) as object | null;
    if (prototype === null || prototype === Object.prototype) continue;
    const className = (prototype.constructor as { name?: string } | undefined)?.name || 'Anonymous';
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[methodName];
      found.push({ wrapper, className, methodName, method, where: `${className}.${methodName}` });
    }
  }
  return found;
}

/**
 * A handler that calls a discovered method. Methods of static providers are called on their one
 * instance; request-scoped (and transient) providers are resolved afresh for each run under a
 * synthetic context id, with a {@link ScheduledRun} standing in for the request.
 */
export function methodHandler(found: DiscoveredMethod, moduleRef: ModuleRef): TaskHandler {
  const { wrapper, methodName } = found;
  const call = (instance: unknown, args: unknown, ctx: RunContext): unknown =>
    (instance as Record<string, (args: unknown, ctx: RunContext) => unknown>)[methodName]!(args, ctx);
  if (wrapper.isDependencyTreeStatic() && wrapper.isTransient !== true) {
    const instance = wrapper.instance;
    return (args, ctx) => call(instance, args, ctx);
  }
  return async (args, ctx) => {
    const contextId = ContextIdFactory.create();
    const run: ScheduledRun = { taskId: ctx.taskId, taskName: ctx.taskName, scheduledAt: ctx.scheduledAt, signal: ctx.signal };
    moduleRef.registerRequestByContextId(run, contextId);
    const instance: unknown = await moduleRef.resolve(wrapper.token as string, contextId, { strict: false });
    return call(instance, args, ctx);
  };
}
