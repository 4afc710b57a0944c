import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '@horae/core';
import { storeConformance } from './index.js';

const directories = new WeakMap<object, string>();

// Several processes on one host share a FileStore through its directory.
storeConformance({
  name: 'FileStore',
  persistent: true,
  backend: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'horae-filestore-'));
    const backend = {
      open: () => new FileStore({ directory, pollInterval: 200 }),
      // A generation file no reader can parse, as a crash of a foreign tool could leave.
      writeCorruptRecord: (id: string) => writeFile(join(directory, `${id}.000000000001.task`), '\u0000{not json'),
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
    directories.set(backend, directory);
    return backend;
  },
  processes: {
    storeModule: fileURLToPath(new URL('./fixtures/file-store.ts', import.meta.url)),
    config: (backend) => ({ directory: directories.get(backend) }),
  },
});
