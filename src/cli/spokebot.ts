/**
 * `spokebot <command>`: the one command the container puts on PATH.
 *
 *   spokebot doctor         check the deployment (Slack, ServiceNow, Atlassian, store)
 *   spokebot rotate-key     re-seal the store's secrets under a new key
 *   spokebot audit export   print the audit log as JSON Lines for a SIEM
 *   spokebot audit verify   check the audit log's hash chain
 *   spokebot store migrate  copy a lowdb store and its audit log into PostgreSQL
 *   spokebot start          run the bot (what the image runs by default)
 *
 * Each command is its own module that runs when loaded, as it does under `node dist/...`; it is
 * loaded here only once chosen, with process.argv as if it had been run directly, so a module
 * missing from this build is named rather than breaking the other commands.
 */
interface Command {
  module: string;
  about: string;
  /**
   * For modules that act as soon as they load and take no options (doctor, start): `--help` is
   * answered here, before loading them, so asking for help never runs checks or starts the bot.
   * The others answer `--help` themselves.
   */
  usage?: string;
}

const COMMANDS: Record<string, Command> = {
  doctor: {
    module: './doctor.js',
    about: 'check the deployment: Slack, ServiceNow, Atlassian and the store',
    usage: `usage: spokebot doctor   (or: npm run doctor)

Reads the bot's environment, checks Slack, ServiceNow, Atlassian and the store all at once and
prints one table (area, check, ok/WARN/FAIL, what it found, the fix). It writes nothing, so it can
run beside the bot, e.g. docker exec <container> spokebot doctor.

Exit 0 when nothing fails (warnings allowed), 1 when a check fails, 78 when the environment is
invalid. LOG_LEVEL=debug adds the clients' logs on stderr.
`,
  },
  'rotate-key': { module: './rotate-key.js', about: 're-seal the stored secrets under SPOKE_NEW_ENCRYPTION_KEY (stop the bot first)' },
  'audit export': { module: './audit-export.js', about: 'print the audit log as JSON Lines for a SIEM [--since YYYY-MM-DD] [--file path]' },
  'audit verify': { module: './audit-verify.js', about: "check the audit log's hash chain: intact, or the first broken entry [--file path]" },
  'store migrate': { module: './store-migrate.js', about: 'copy the lowdb store and its audit log into an empty PostgreSQL database (SPOKE_DATABASE_URL)' },
  start: {
    module: '../main.js',
    about: 'run the bot',
    usage: `usage: spokebot start   (the image's default command)

Runs the bot with the configuration in the environment: HTTP mode on PORT (POST /slack/events,
GET /healthz), or Socket Mode when SLACK_APP_TOKEN is set. Before taking Slack traffic it proves
the Slack token, the ServiceNow user and the store's key; a missing or bad variable, or a
credential refused, ends it with the problems listed and exit 78. SIGTERM stops it cleanly.
`,
  },
};

const EX_USAGE = 64;
const EX_UNAVAILABLE = 69;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `usage: spokebot <command> [options]\n\n${Object.entries(COMMANDS)
    .map(([name, { about }]) => `  ${name.padEnd(width)}  ${about}`)
    .join('\n')}\n\n'spokebot <command> --help' shows one command's usage.\n`;
}

/** A command and its arguments; a command's name may be two words ("audit export"). */
function choose(args: readonly string[]): { name: string; rest: string[]; group: boolean } {
  const [first = '', second, ...after] = args;
  if (COMMANDS[first]) return { name: first, rest: args.slice(1), group: false };
  const group = Object.keys(COMMANDS).some((name) => name.startsWith(`${first} `));
  if (group && second !== undefined && !second.startsWith('-')) return { name: `${first} ${second}`, rest: after, group: false };
  return { name: first, rest: args.slice(1), group };
}

const argv = process.argv.slice(2);
const [first] = argv;
if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
  process.stdout.write(usage());
  process.exitCode = first === undefined ? EX_USAGE : 0;
} else {
  const { name, rest, group } = choose(argv);
  const chosen = COMMANDS[name];
  if (group) {
    // `spokebot audit` names only the group: the list shows what it holds.
    const asked = rest.includes('--help') || rest.includes('-h');
    (asked ? process.stdout : process.stderr).write(`${asked ? '' : `spokebot: "${name}" needs a subcommand\n\n`}${usage()}`);
    process.exitCode = asked ? 0 : EX_USAGE;
  } else if (!chosen) {
    process.stderr.write(`spokebot: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = EX_USAGE;
  } else if (chosen.usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(chosen.usage);
  } else {
    const url = new URL(chosen.module, import.meta.url);
    process.argv = [process.argv[0]!, url.pathname, ...rest];
    try {
      // A variable specifier: TypeScript would otherwise insist every command exists at build time.
      const specifier: string = chosen.module;
      await import(specifier);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      // Only the command's own module being absent is "not in this build"; anything else is its own failure.
      if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message?.includes(url.pathname.replace(/\.js$/, ''))) {
        process.stderr.write(`spokebot: "${name}" is not in this build (${url.pathname} is missing)\n`);
        process.exitCode = EX_UNAVAILABLE;
      } else {
        throw error;
      }
    }
  }
}
