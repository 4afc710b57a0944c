import type { Logger } from '@horae/core';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';

export interface Recorded {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: unknown[];
}

/** A Horae logger that keeps what it is told. */
export function recordingLogger(): Logger & { lines: Recorded[] } {
  const lines: Recorded[] = [];
  const record = (level: Recorded['level']) => (message: string, ...meta: unknown[]) => void lines.push({ level, message, meta });
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** compile() → createNestApplication() → init(), as an application boots. */
export async function boot(root: Type<unknown>): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [root] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
