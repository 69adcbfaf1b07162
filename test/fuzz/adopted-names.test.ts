import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK, ROTATE_BLOCK } from '../../src/slack/ids.js';
import { parseEncodedQuery } from '../standins/servicenow-query.js';
import { appHomeOpened } from '../standins/slack-driver.js';
import { apiTokenConnection } from '../support/connections.js';
import { ADMIN, MEMBER, daysFromNow } from '../support/world.js';
import { reached, Run } from './support/drive.js';
import { asDelivered, budgetMs, fuzzOptions, hostileText, secretText } from './support/hostile.js';
import { startFuzzWorld, type FuzzWorld } from './support/fuzz-world.js';

/**
 * A connection made by hand in ServiceNow can be named anything, and `/spoke adopt` takes that
 * name as typed. Such a name then shows everywhere a connection does: the adopt answer, lists,
 * App Home, status, the audit log, the rotate and remove forms and what they post. Each run
 * names a ServiceNow connection with typed text, adopts it, walks it through every surface, and
 * removes it.
 */
const CI_RUNS = 25;
const TOKEN_EMAIL = 'fuzz@acme.example';
const TOKEN = 'fuzz-api-token-1';

describe('a connection named with typed text', () => {
  let fuzz: FuzzWorld;
  let template: Record<string, string>;
  beforeAll(async () => {
    fuzz = await startFuzzWorld();
    fuzz.world.atlassian.addApiToken({ email: TOKEN_EMAIL, token: TOKEN });
    await apiTokenConnection(fuzz.world, { name: 'Jira tokens', email: TOKEN_EMAIL, token: TOKEN, expiresOn: daysFromNow(200) });
    // Its connection row, copied under each typed name: same alias and credential, as an admin would make by hand.
    const row = fuzz.world.serviceNow.rows('http_connection').find((r) => r.name === 'Jira tokens')!;
    template = Object.fromEntries(Object.entries(row).filter(([key]) => !key.startsWith('sys_')).map(([k, v]) => [k, String(v)]));
  }, 60_000);
  afterAll(async () => {
    await fuzz?.close();
  });

  it(
    'is adopted (or refused) and shown as text everywhere; ServiceNow is asked for exactly that name',
    async () => {
      const { world } = fuzz;
      // Slack splits the command on whitespace, so the name that arrives has single spaces (and
      // no lone surrogates): a name ServiceNow could hold and a command could carry.
      const name = hostileText.map((t) => asDelivered(t).replace(/\s+/g, ' ').trim()).filter((t) => t !== '');
      const steps = reached();
      await fc.assert(
        fc.asyncProperty(name, fc.oneof(fc.constant(TOKEN), secretText), async (typed, secret) => {
          const since = fuzz.mark();
          const run = new Run(world);
          world.serviceNow.insert('http_connection', { ...template, name: typed });
          await run.command(`adopt ${world.site.url} ${typed}`);
          await world.bot.tasks.idle();
          const adopted = world.bot.store.getConnection(typed)?.state === 'connected';
          steps.count(adopted ? 'adopted' : 'refused');
          if (adopted) {
            await run.command('list', MEMBER);
            await run.command(`status ${typed}`, MEMBER);
            await run.command(`audit ${typed}`);
            run.acks.push(await world.deliver.event(appHomeOpened({ userId: ADMIN })));
            const rotate = await run.openWith(`rotate ${typed}`, CALLBACK.rotateModal);
            if (rotate) await run.submit(rotate, { [ROTATE_BLOCK.secret]: secret, [ROTATE_BLOCK.tokenExpiry]: daysFromNow(120), [ROTATE_BLOCK.tokenScoped]: [] });
            await world.bot.tasks.idle();
            const remove = await run.openWith(`remove ${typed}`, CALLBACK.removeModal);
            if (remove) await run.submit(remove, {});
          }
          // The lookup by name is one term on `name` holding the name exactly, or (for a name
          // ServiceNow would split or run) no lookup at all.
          for (const request of world.serviceNow.requests.slice(since.serviceNow)) {
            if (request.table !== 'http_connection' || request.query.sysparm_query === undefined) continue;
            const parsed = parseEncodedQuery(request.query.sysparm_query, (path) => world.serviceNow.schema.isKnownPath('http_connection', path));
            for (const filter of parsed.filters.filter((f) => f.field === 'name')) expect(filter).toEqual({ field: 'name', op: '=', value: filter.value === 'Jira tokens' ? 'Jira tokens' : typed });
          }
          await fuzz.check(since, { acks: run.acks, secrets: secret.startsWith('SECRET-') ? [secret] : [] });
        }),
        fuzzOptions(CI_RUNS),
      );
      steps.report('adopted names');
    },
    budgetMs(CI_RUNS, 3000),
  );
});
