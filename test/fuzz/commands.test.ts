import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { apiTokenConnection, serviceAccountConnection } from '../support/connections.js';
import { ADMIN, MEMBER, REPORT_CHANNEL, daysFromNow } from '../support/world.js';
import { budgetMs, fuzzOptions, hostileText, LOOKALIKE_SITES } from './support/hostile.js';
import { startFuzzWorld, type FuzzWorld } from './support/fuzz-world.js';

/**
 * `/spoke <anything>`, as an admin and as a member: every subcommand (and none, and a wrong
 * one) with typed words around it. Each answer comes in time, shows what was typed as text,
 * and leaves the bot serving.
 */
const CI_RUNS = 40;
const SUBCOMMANDS = ['setup', 'list', 'status', 'rotate', 'remove', 'adopt', 'request', 'requests', 'audit', 'doctor', 'help', '', 'SETUP', 'Status', 'nope'];
const FLAGS = ['--page', '--since', '2026-01-01', '0', '-1', '2', '99999999', '1e3', 'jira', 'jsm', 'confluence'];

describe('/spoke with typed text', () => {
  let fuzz: FuzzWorld;
  beforeAll(async () => {
    fuzz = await startFuzzWorld();
    // Connections for list, status, audit, rotate and remove to find.
    fuzz.world.atlassian.addApiToken({ email: 'fuzz@acme.example', token: 'fuzz-api-token-1' });
    await apiTokenConnection(fuzz.world, { name: 'Jira tokens', email: 'fuzz@acme.example', token: 'fuzz-api-token-1', expiresOn: daysFromNow(200) });
    await serviceAccountConnection(fuzz.world, 'Jira robot');
  }, 60_000);
  afterAll(async () => {
    await fuzz?.close();
  });

  it(
    'answers each in time, shows typed text as text, leaks nothing and keeps serving',
    async () => {
      const site = fc.constantFrom(fuzz.world.site.url, ...LOOKALIKE_SITES);
      const word = fc.oneof({ weight: 3, arbitrary: hostileText }, { weight: 1, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 1, arbitrary: site });
      const text = fc
        .tuple(fc.constantFrom(...SUBCOMMANDS), fc.array(word, { maxLength: 4 }), fc.constantFrom('', ' ', '\n', '\t'))
        .map(([sub, words, gap]) => [sub, ...words].join(gap || ' '));
      await fc.assert(
        fc.asyncProperty(text, fc.constantFrom(ADMIN, MEMBER), async (typed, user) => {
          const since = fuzz.mark();
          const ack = await fuzz.world.deliver.command({ text: typed, userId: user, triggerId: fuzz.world.slack.issueTriggerId(), channelId: REPORT_CHANNEL, responseUrl: fuzz.world.slack.newResponseUrl() });
          await fuzz.check(since, { acks: [ack] });
        }),
        fuzzOptions(CI_RUNS),
      );
    },
    budgetMs(CI_RUNS, 1500),
  );
});
