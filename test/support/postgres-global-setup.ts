import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

/**
 * vitest globalSetup: one PostgreSQL server for the whole run (initdb and start take about a
 * second, so it starts whether or not the run's files need it), handed to the test workers with
 * `provide`; each test then makes its own database on it (freshDatabase in postgres.ts).
 *
 * SPOKE_TEST_DATABASE_URL, when set, names a server to use instead (its user must be allowed to
 * create databases). Without server binaries the run still goes on, and every test that asks for
 * a database fails with the reason, so a missing PostgreSQL is never a silent skip.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.SPOKE_TEST_DATABASE_URL;
  if (given) {
    project.provide('spokeTestPostgresUrl', given);
    project.provide('spokeTestPostgresProblem', '');
    return undefined;
  }
  try {
    const server = await startPostgres();
    project.provide('spokeTestPostgresUrl', server.url);
    project.provide('spokeTestPostgresProblem', '');
    return () => server.stop();
  } catch (error) {
    project.provide('spokeTestPostgresUrl', '');
    project.provide('spokeTestPostgresProblem', `no PostgreSQL for the tests: ${(error as Error).message}`);
    return undefined;
  }
}
