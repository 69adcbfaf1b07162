/**
 * `npm run rotate-key` (compiled: `node dist/cli/rotate-key.js`): re-seals every secret the store
 * holds under SPOKE_NEW_ENCRYPTION_KEY, in one atomic write. Reads only the three variables it
 * needs, not the bot's whole configuration, so it runs without Slack or ServiceNow settings.
 * Exit 0 on success, 78 (EX_CONFIG) when a key or the store is wrong, with one line saying why.
 */
import { envSchema } from '../config.js';
import { SpokeError } from '../errors.js';
import { rotateStoreKey } from '../store/store-key.js';

const EX_USAGE = 64;
const EX_CONFIG = 78;

const HELP = `usage: spokebot rotate-key   (or: npm run rotate-key, node dist/cli/rotate-key.js)

Re-seals every secret spokebot holds (setup secrets, connection credentials) under a new
encryption key, writing the store once, atomically: if it is interrupted, the store opens with
either the old key or the new one, never a mix.

STOP THE BOT FIRST. A running bot keeps the old-key copy in memory and would write it back over
the re-sealed store on its next change, undoing the rotation.

  SPOKE_DB_PATH              the store (default ./.data/spokebot.json)
  SPOKE_ENCRYPTION_KEY       the key the store is sealed with now
  SPOKE_NEW_ENCRYPTION_KEY   the new key: 32 random bytes, base64 (openssl rand -base64 32)

Then set SPOKE_ENCRYPTION_KEY to the new key, start the bot, and keep a backup of the key:
without it the store's secrets cannot be read.
`;

// The bot's own rules for these variables (defaults, 32-byte base64 keys), not a second copy.
const rotationEnvSchema = envSchema
  .pick({ SPOKE_DB_PATH: true, SPOKE_ENCRYPTION_KEY: true })
  .extend({ SPOKE_NEW_ENCRYPTION_KEY: envSchema.shape.SPOKE_ENCRYPTION_KEY });

/** One line on stderr: operators read this in a terminal or a job log, where a stack is noise. */
function fail(message: string, code: number): number {
  process.stderr.write(`rotate-key: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

async function main(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.length > 0) return fail(`unexpected argument ${JSON.stringify(args[0])}; it takes none (see --help)`, EX_USAGE);

  const parsed = rotationEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      // zod's "expected string, received undefined" reads poorly for a variable not set at all.
      const message = env[name] === undefined && !issue.message.startsWith('required') ? 'required' : issue.message;
      return `${name}: ${message}`;
    });
    return fail(problems.join('; '), EX_CONFIG);
  }
  const { SPOKE_DB_PATH: path, SPOKE_ENCRYPTION_KEY: oldKey, SPOKE_NEW_ENCRYPTION_KEY: newKey } = parsed.data;

  try {
    const counts = await rotateStoreKey(path, oldKey, newKey);
    process.stdout.write(
      `re-sealed ${counts.setups} setup secret${counts.setups === 1 ? '' : 's'} and ${counts.connections} connection credential${counts.connections === 1 ? '' : 's'} in ${path} under the new key; now set SPOKE_ENCRYPTION_KEY to the new key and restart; keep a backup of it\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SpokeError) return fail(`${error.message}. ${error.hint}`, EX_CONFIG);
    return fail(`failed: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
