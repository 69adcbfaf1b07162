import { describe } from 'vitest';
import { replicaCases } from './cases/replicas.js';
import { storeCase, type OpenStore } from './store-contract.js';

/**
 * What a store shared by several processes adds to the contract: two store instances on the same
 * data (two replicas), and every "once" still once whichever of them asks. Run for PostgreSQL;
 * lowdb is one process by design and has no second replica.
 */
export function describeReplicaContract(name: string, open: OpenStore): void {
  describe.concurrent(`replica contract: ${name}`, () => replicaCases(storeCase(open)));
}
