/**
 * The instances that beat, in `instances/<id>.instance`: one small JSON file per instance with
 * its expiry and payload, replaced atomically at each beat. Expired files go when the list is
 * read; files under names the store does not write are never touched, and are read (if at all)
 * as every file of the store is: regular files only, links never followed.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger/logger.js';
import type { StoredInstance } from '../store.js';
import { errorCode, removeQuietly, replaceFile } from './disk.js';
import { decodeName, encodeName } from './naming.js';
import { readRegularFile } from './safe-read.js';

const SUFFIX = '.instance';

export class FileInstances {
  constructor(
    readonly directory: string,
    private readonly settings: { readonly maxFileSize: number; readonly logger: () => Logger; readonly alias: () => string },
  ) {}

  async beat(instanceId: string, payload: unknown, ttl: number): Promise<void> {
    await replaceFile(this.directory, `${encodeName(instanceId)}${SUFFIX}`, JSON.stringify({ instanceId, expiresAt: Date.now() + ttl, payload }));
  }

  async list(): Promise<StoredInstance[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const now = Date.now();
    const alive: StoredInstance[] = [];
    for (const name of names) {
      if (!name.endsWith(SUFFIX) || decodeName(name.slice(0, -SUFFIX.length)) === undefined) continue;
      const instance = await this.read(join(this.directory, name), name);
      if (instance === undefined) continue;
      if (instance.expiresAt > now) alive.push(instance);
      else await removeQuietly(join(this.directory, name));
    }
    return alive;
  }

  async remove(instanceId: string): Promise<void> {
    await removeQuietly(join(this.directory, `${encodeName(instanceId)}${SUFFIX}`));
  }

  private async read(path: string, name: string): Promise<StoredInstance | undefined> {
    const found = await readRegularFile(path, this.settings.maxFileSize);
    if (found === undefined) return undefined;
    let problem: string;
    if ('refused' in found) problem = `${found.refused}; it was not read`;
    else {
      try {
        const value = JSON.parse(found.raw.toString('utf8')) as Partial<StoredInstance>;
        if (typeof value.instanceId === 'string' && typeof value.expiresAt === 'number' && value.payload !== undefined) {
          return { instanceId: value.instanceId, expiresAt: value.expiresAt, payload: value.payload };
        }
        problem = 'is not an instance record';
      } catch (error) {
        problem = `cannot be read (${(error as Error).message})`;
      }
    }
    this.settings.logger().warn(`Store "${this.settings.alias()}": ${join('instances', name)} ${problem}; it is not listed.`);
    return undefined;
  }
}
