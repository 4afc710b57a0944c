import { MemoryStore } from '@horae/core';
import { storeConformance } from './index.js';

// One process: every "instance" is a scheduler sharing the same MemoryStore object.
storeConformance({
  name: 'MemoryStore',
  persistent: false,
  backend: async () => {
    const store = new MemoryStore();
    return { open: () => store, cleanup: async () => undefined };
  },
});
