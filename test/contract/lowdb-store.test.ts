import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbSpokeStore } from '../../src/store/lowdb-store.js';
import { KEY, TestClock } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('lowdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spokebot-contract-'));
  const path = join(dir, 'spokebot.json');
  const clock = new TestClock();
  let current: LowdbSpokeStore | undefined = await LowdbSpokeStore.open(path, KEY, clock.now);
  return {
    store: current,
    clock,
    async reopen(key = KEY) {
      await current?.close();
      current = undefined;
      current = await LowdbSpokeStore.open(path, key, clock.now);
      return current;
    },
    async dispose() {
      await current?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
