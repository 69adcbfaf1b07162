import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mark, runCommand } from '../support/setup-steps.js';
import { ADMIN, MEMBER, startWorld, type World } from '../support/world.js';

/** `/spoke doctor` in Slack: the same checks as `npm run doctor`, answered privately to admins. */
let world: World;
beforeEach(async () => {
  world = await startWorld({ logLevel: 'warn' });
});
afterEach(async () => {
  await world.close();
});

const responses = (since: number) => world.slack.calls.slice(since).filter((c) => c.method === 'response_url');

describe('/spoke doctor', () => {
  it('an admin gets "Running checks…" and then the report, grouped by area', async () => {
    const since = mark(world);
    const ack = await runCommand(world, 'doctor', ADMIN);
    expect(ack.status).toBe(200);
    const report = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since && /^spokebot doctor:/.test(String(c.args.text)), 10_000);
    expect(responses(since).map((c) => String(c.args.text))[0]).toBe('Running checks…');
    expect(report.args).toMatchObject({ response_type: 'ephemeral' });
    const blocks = report.args.blocks as { text?: { text: string } }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    const text = blocks.map((b) => b.text?.text ?? '').join('\n');
    expect(text).toMatch(/^\*Slack\*\n:white_check_mark: \*bot token\*/m);
    expect(text).toContain('*Atlassian*');
    expect(text).toContain('*Store*');
    expect(text).not.toContain(':x:');
  });

  it('anyone else is refused, and no check runs', async () => {
    const since = mark(world);
    await runCommand(world, 'doctor', MEMBER);
    const refusal = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since);
    expect(String(refusal.args.text)).toContain('Only spokebot admins');
    await world.bot.tasks.idle();
    expect(responses(since)).toHaveLength(1);
    expect(world.slack.calls.slice(since).map((c) => c.method)).not.toContain('auth.test');
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ actor: MEMBER, action: 'doctor.open', outcome: 'refused' }));
  });

  it('is listed in the help', async () => {
    const help = await runCommand(world, 'help');
    expect((help.json as { text: string }).text).toContain('/spoke doctor');
  });
});
