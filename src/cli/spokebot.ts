/**
 * `spokebot <command>`: the one command the container puts on PATH.
 *
 *   spokebot doctor       check the deployment (Slack, ServiceNow, Atlassian, store)
 *   spokebot rotate-key   re-seal the store's secrets under a new key
 *   spokebot start        run the bot (what the image runs by default)
 *
 * Each command is its own module that runs when loaded, as it does under `node dist/...`; it is
 * loaded here only once chosen, with process.argv as if it had been run directly, so a module
 * missing from this build is named rather than breaking the other commands.
 */
const COMMANDS: Record<string, { module: string; about: string }> = {
  doctor: { module: './doctor.js', about: 'check the deployment: Slack, ServiceNow, Atlassian and the store' },
  'rotate-key': { module: './rotate-key.js', about: 're-seal the stored secrets under SPOKE_NEW_ENCRYPTION_KEY (stop the bot first)' },
  start: { module: '../main.js', about: 'run the bot' },
};

const EX_USAGE = 64;
const EX_UNAVAILABLE = 69;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `usage: spokebot <command>\n\n${Object.entries(COMMANDS)
    .map(([name, { about }]) => `  ${name.padEnd(width)}  ${about}`)
    .join('\n')}\n`;
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(usage());
  process.exitCode = command === undefined ? EX_USAGE : 0;
} else {
  const chosen = COMMANDS[command];
  if (!chosen) {
    process.stderr.write(`spokebot: unknown command "${command}"\n\n${usage()}`);
    process.exitCode = EX_USAGE;
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
        process.stderr.write(`spokebot: "${command}" is not in this build (${url.pathname} is missing)\n`);
        process.exitCode = EX_UNAVAILABLE;
      } else {
        throw error;
      }
    }
  }
}
