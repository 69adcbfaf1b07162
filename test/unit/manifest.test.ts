import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, it, expect } from 'vitest';
import type { App } from '@slack/bolt';
import * as actionListeners from '../../src/slack/actions/index.js';
import * as commandListeners from '../../src/slack/commands/index.js';
import { SUBCOMMAND_NAMES } from '../../src/slack/commands/spoke-command.js';
import type { SlackDeps } from '../../src/slack/deps.js';
import * as eventListeners from '../../src/slack/events/index.js';
import { BOT_SCOPES, SLASH_COMMAND, SUBSCRIBED_BOT_EVENTS } from '../../src/slack/surface.js';
import * as viewListeners from '../../src/slack/views/index.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the
// whole module object as far as TypeScript knows, and `.default` is the plugin at run time too.
const addFormats = addFormatsModule.default;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Slack's published manifest schema (MIT, with its licence), kept in the repository as a fixture.
const schemaDir = path.resolve(repoRoot, 'test/fixtures/slack-manifest-schema');

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function compileManifestSchema(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(readJson(path.join(schemaDir, 'manifest.schema.1.0.0.json')) as object);
}

interface Manifest {
  display_information: { long_description?: string };
  features: { slash_commands: { command: string; usage_hint?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
}

/** What the listeners really register, by running every register() against a recorder. */
function registered(): { commands: string[]; events: string[] } {
  const commands: string[] = [];
  const events: string[] = [];
  const recorder = {
    command: (name: string) => void commands.push(name),
    event: (name: string) => void events.push(name),
    view: () => undefined,
    action: () => undefined,
  } as unknown as App;
  const deps = {} as SlackDeps; // listeners are registered, never run, here
  for (const kind of [commandListeners, viewListeners, actionListeners, eventListeners]) kind.register(recorder, deps);
  return { commands, events };
}

const validate = compileManifestSchema();
const manifest = parse(readFileSync(path.join(repoRoot, 'manifest.yml'), 'utf8')) as Manifest;

describe('manifest.yml', () => {
  it('is a valid Slack app manifest by the v1 schema', () => {
    validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('accepts the schema repository own valid example', () => {
    expect(validate(readJson(path.join(schemaDir, 'examples/v1-manifest.valid.json')))).toBe(true);
  });

  it('rejects the schema repository own invalid example, so the check can fail', () => {
    expect(validate(readJson(path.join(schemaDir, 'examples/v1-manifest.invalid.json')))).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ additionalProperty: 'bad_param' });
  });

  it('declares exactly the slash command the app registers', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLASH_COMMAND]);
    expect(registered().commands).toEqual([SLASH_COMMAND]);
  });

  it('subscribes to exactly the bot events the app listens for', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...SUBSCRIBED_BOT_EVENTS].sort());
    expect(registered().events.sort()).toEqual([...manifest.settings.event_subscriptions.bot_events].sort());
  });

  it('asks for exactly the bot scopes the code calls for', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
  });

  it('names every subcommand in the usage hint, in the order help lists them, within the length the schema allows', () => {
    const hint = manifest.features.slash_commands[0]!.usage_hint ?? '';
    // "setup jira|jsm|confluence · list · status [name] · …": the first word of each part.
    expect(hint.split(' · ').map((part) => part.split(' ')[0])).toEqual([...SUBCOMMAND_NAMES]);
    type SlashCommandSchema = { items: { properties: { usage_hint: { maxLength: number } } } };
    const schema = readJson(path.join(schemaDir, 'manifest.schema.1.0.0.json')) as { definitions: Record<string, SlashCommandSchema> };
    const maxLength = schema.definitions['app-manifests.v1.features.slash_commands']!.items.properties.usage_hint.maxLength;
    expect(maxLength).toBe(1000);
    expect(hint.length).toBeLessThanOrEqual(maxLength);
  });

  it('keeps long_description within the 175 to 4000 characters Slack accepts', () => {
    const length = manifest.display_information.long_description?.length ?? 0;
    expect(length).toBeGreaterThanOrEqual(175);
    expect(length).toBeLessThanOrEqual(4000);
  });
});
