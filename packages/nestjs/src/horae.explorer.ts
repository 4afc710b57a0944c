import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { DEFAULT_SHUTDOWN_TIMEOUT, readShutdownTimeout, Scheduler } from '@horae/core';
import { Bootstrap } from './bootstrap.js';
import { TaskDeclarations } from './declarations.js';
import { discoverMethods, methodHandler } from './discovery.js';
import { errors, logs } from './messages.js';
import type { HoraeFeatureOptions, HoraeModuleOptions } from './options.js';
import { resolveScheduled, taskIdOf, toTaskOptions } from './resolve-options.js';
import type { ScheduledOptions } from './scheduled.decorator.js';
import { readMethodMetadata } from './metadata.js';
import { FEATURE_BRAND, HORAE_MODULE_OPTIONS, SCHEDULED_METADATA } from './tokens.js';

/** The default of `HoraeModuleOptions.shutdownTimeout`, ms (core's, as every adapter's). */
export { DEFAULT_SHUTDOWN_TIMEOUT };

/** A value provided by `HoraeModule.forFeature`. */
export interface FeatureRegistration {
  readonly [FEATURE_BRAND]: true;
  readonly options: HoraeFeatureOptions;
}

export function isFeatureRegistration(value: unknown): value is FeatureRegistration {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FEATURE_BRAND] === true;
}

/** Reads and checks `shutdownTimeout`: `undefined` waits as long as handlers take. */
export function shutdownTimeoutOf(options: HoraeModuleOptions): number | undefined {
  const timeout = readShutdownTimeout(options.shutdownTimeout);
  return timeout === Infinity ? undefined : timeout;
}

/**
 * Binds the scheduler to the application: registers `forFeature` stores and tasks and the
 * `@Scheduled` methods at module init, starts at bootstrap and drains before shutdown.
 */
@Injectable()
export class HoraeExplorer implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Horae');
  private readonly disabled: { id: string; store: string }[] = [];
  private stopRouting: (() => void) | undefined;

  constructor(
    @Inject(HORAE_MODULE_OPTIONS) private readonly options: HoraeModuleOptions,
    @Inject(Scheduler) private readonly scheduler: Scheduler,
    @Inject(TaskDeclarations) private readonly declarations: TaskDeclarations,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(Bootstrap) private readonly bootstrap: Bootstrap,
  ) {}

  async onModuleInit(): Promise<void> {
    this.routeErrors();
    await this.registerFeatures();
    if (this.options.discover !== false) await this.registerScheduledMethods();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart === false) return;
    await this.bootstrap.start(this.scheduler);
    await this.removeDisabled();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Stop claiming, wait for running handlers up to the timeout, then abort them (ctx.signal);
    // without drainOnShutdown, abort them at once. A second app.close() finds the scheduler
    // stopped and returns at once.
    if (this.options.drainOnShutdown === false) await this.scheduler.shutdown({ wait: false });
    else await this.scheduler.shutdown({ timeout: shutdownTimeoutOf(this.options) });
  }

  private routeErrors(): void {
    const onError = this.options.onError;
    if (onError === undefined || this.stopRouting !== undefined) return;
    this.stopRouting = this.scheduler.on('task:error', ({ error, taskId, store, scheduledAt, duration }) =>
      onError(error, { taskId, store, scheduledAt, duration }),
    );
  }

  private async registerFeatures(): Promise<void> {
    const features = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter(isFeatureRegistration);
    for (const { options } of features) {
      for (const [alias, store] of Object.entries(options.stores ?? {})) {
        try {
          await this.scheduler.addStore(alias, store);
        } catch (error) {
          throw errors.featureStoreTaken(alias, error);
        }
      }
      for (const [name, handler] of Object.entries(options.handlers ?? {})) this.scheduler.define(name, handler);
      for (const task of options.tasks ?? []) {
        if (task.id !== undefined) this.declarations.claim(task.id, `HoraeModule.forFeature task "${task.id}"`);
        await this.scheduler.addTask({ replaceExisting: true, ...task });
      }
    }
  }

  private async registerScheduledMethods(): Promise<void> {
    for (const found of discoverMethods(this.discovery, this.scanner)) {
      const declared = readMethodMetadata<ScheduledOptions>(found.method, SCHEDULED_METADATA);
      if (declared.length === 0) continue;
      const handler = methodHandler(found, this.moduleRef);
      if (!found.wrapper.isDependencyTreeStatic()) this.logger.debug(logs.requestScopedResolved(found.where));
      for (const declaration of declared) {
        const resolved = await resolveScheduled(declaration, this.options.config, found.where);
        const id = taskIdOf(resolved, found.where);
        this.declarations.claim(id, found.where);
        const task = toTaskOptions(id, resolved, found.where);
        this.scheduler.define(id, handler);
        if (resolved.disabled === true) {
          this.disabled.push({ id, store: task.store ?? 'default' });
          continue;
        }
        await this.scheduler.addTask(task);
      }
    }
  }

  /** Disabled tasks left in a persistent store by an earlier deploy stop here, for every replica. */
  private async removeDisabled(): Promise<void> {
    for (const { id, store } of this.disabled) {
      const existing = await this.scheduler.getTask(id, { store });
      if (existing === null) continue;
      await this.scheduler.deleteTask(id, { store });
      this.logger.log(logs.disabledRemoved(id, store));
    }
  }
}
