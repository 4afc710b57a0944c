import { createRequire } from 'node:module';
import { Module } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Scheduler } from '@horae/core';
import { describe, expect, inject, it } from 'vitest';
import { ScheduleModule, SchedulerRegistry } from '../src/schedule/index.js';
import { boot } from './helpers.js';

const major = (version: string) => Number(version.split('.')[0]);

describe('the Nest these tests run on', () => {
  // Read through the same resolution as every `@nestjs/*` import of the tests and the sources
  // (in the nestjs@nest12 project, its redirect to Nest 12), not through Node's from this folder.
  it.each(['@nestjs/common', '@nestjs/core', '@nestjs/testing', '@nestjs/platform-express'])('%s is the major the project asks for', async (name) => {
    const { default: manifest } = (await import(`${name}/package.json`)) as { default: { version: string } };
    expect(major(manifest.version)).toBe(inject('nestMajor'));
  });

  it('is one copy: the sources, @nestjs/testing and this test share @nestjs/core, and no other Nest major is loaded', async () => {
    @Module({ imports: [ScheduleModule.forRoot({ logger: false })] })
    class App {}
    const app = await boot(App);
    try {
      // Tokens are classes: had the sources imported another @nestjs/core than this file, Nest
      // would not know this file's DiscoveryService.
      expect(app.get(DiscoveryService)).toBeInstanceOf(DiscoveryService);
      expect(app.get(MetadataScanner)).toBeInstanceOf(MetadataScanner);
      expect(app.get(SchedulerRegistry)).toBeInstanceOf(SchedulerRegistry);
      expect(app.get(Scheduler).state).toBe('running');
    } finally {
      await app.close();
    }
    // Nest 11 is CommonJS: had anything loaded it on the way, it would be in the require cache.
    const loaded = Object.keys(createRequire(import.meta.url).cache)
      .map((file) => /@nestjs\+(?:common|core|testing)@(\d+)\./.exec(file)?.[1])
      .filter((found): found is string => found !== undefined)
      .map(Number);
    expect(loaded.filter((found) => found !== inject('nestMajor'))).toEqual([]);
  });
});
