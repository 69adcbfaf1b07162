import { parse as parseForm } from 'node:querystring';
import { z } from 'zod';
import { APP_HOME_OPENED, SLASH_COMMAND } from './surface.js';

/**
 * The bodies spokebot takes over HTTP, checked after the signature and before Bolt sees them.
 * Bolt 5.1 trusts a signed body: it reads `body.ssl_check` off whatever JSON.parse returned
 * (`null` throws outside its try block and the rejection ends the process), and it sorts a body
 * into event / command / action / view by which keys it has before any listener runs, reading
 * `event.channel.id`, `body.user.team_id`, `body.view.app_installed_team_id`, `actions[0]`… on
 * the way. Each shape below is what Bolt and our listeners read, no more, so a body that passes
 * cannot fail before a listener and a listener gets what it destructures. Unknown extra fields
 * pass (Slack adds fields); a missing or mistyped one we read is refused with 400.
 */

/** A key Bolt must not find: it would sort the body as another kind before looking at `type`. */
const absent = z.never().optional();
const object = z.looseObject({});
const id = z.string().min(1);

/** Bolt reads `user.id` (and `user.team_id` when `team` is null), the listeners `user.id`. */
const actor = z.looseObject({ id });

const viewState = z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.unknown())) });

/** A modal as interactions carry it: the listeners read its id, callback_id and private_metadata. */
const view = z.looseObject({
  id,
  callback_id: z.string(),
  private_metadata: z.string(),
  hash: z.string().optional(),
  state: viewState.optional(),
});

/** What decides the kind in Bolt's eyes must not be there on an interaction. */
const interactionBase = {
  user: actor,
  event: absent,
  command: absent,
  name: absent,
  // Bolt takes the first response URL when the list is there, so every entry must have one.
  response_urls: z.array(z.looseObject({ response_url: z.string() })).optional(),
  response_url: z.string().optional(),
};

const blockActions = z.looseObject({
  ...interactionBase,
  type: z.literal('block_actions'),
  trigger_id: z.string(),
  container: z.looseObject({ type: z.string() }),
  actions: z.array(z.looseObject({ type: z.string(), action_id: z.string(), block_id: z.string().optional() })).min(1),
  view: view.optional(),
});

const viewSubmission = z.looseObject({
  ...interactionBase,
  type: z.literal('view_submission'),
  actions: absent,
  view: view.extend({ state: viewState }),
});

const viewClosed = z.looseObject({
  ...interactionBase,
  type: z.literal('view_closed'),
  actions: absent,
  view,
});

/** `payload=` of an interactive request. */
const interaction = z.discriminatedUnion('type', [blockActions, viewSubmission, viewClosed]);

/** A slash command's form fields (each exactly once: a repeated key parses to a list). */
const slashCommand = z.looseObject({
  command: z.literal(SLASH_COMMAND),
  text: z.string(),
  user_id: id,
  team_id: z.string(),
  channel_id: z.string(),
  trigger_id: z.string(),
  response_url: z.string(),
  event: absent,
});

/**
 * An event's fields Bolt looks into before a listener runs: `user` may be a string or an
 * object with an id, `channel` a string or an object, `item` and `subteam` objects.
 */
const eventFieldsBoltReads = {
  user: z.union([z.string(), object]).optional(),
  channel: z.union([z.string(), object]).optional(),
  item: object.optional(),
  subteam: object.optional(),
};

const appHomeOpened = z.looseObject({
  ...eventFieldsBoltReads,
  type: z.literal(APP_HOME_OPENED),
  user: id,
  channel: z.string(),
  tab: z.string(),
});

/** Only the events manifest.yml subscribes to arrive; each with what its listener reads. */
const subscribedEvent = z.discriminatedUnion('type', [appHomeOpened]);

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  event_id: id,
  event: subscribedEvent,
  // Bolt reads team and enterprise ids off the first authorization.
  authorizations: z.array(object).optional(),
});

const urlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string() });

/** Slack stopped sending events for a minute: nothing to do but acknowledge it. */
const appRateLimited = z.looseObject({ type: z.literal('app_rate_limited'), minute_rate_limited: z.number().optional() });

/** A JSON body (`application/json`): the Events API. */
const jsonBody = z.discriminatedUnion('type', [eventCallback, urlVerification, appRateLimited]);

export type InteractionBody = z.infer<typeof interaction>;
export type SlashCommandBody = z.infer<typeof slashCommand>;
export type EventsApiBody = z.infer<typeof jsonBody>;

export type SlackRequest =
  | { kind: 'ssl_check' }
  | { kind: 'command'; body: SlashCommandBody }
  | { kind: 'interaction'; body: InteractionBody }
  | { kind: 'events_api'; body: EventsApiBody };

export type ReadResult = { ok: true; request: SlackRequest } | { ok: false; problem: string };

/** Bolt reads a form only under exactly this content type and JSON.parses anything else. */
const FORM = 'application/x-www-form-urlencoded';

/** The request's body as one of the shapes above, or what is wrong with it (never its content). */
export function readSlackRequest(contentType: string | undefined, rawBody: string): ReadResult {
  const parsed = parseBody(contentType, rawBody);
  if (!parsed.ok) return parsed;
  const { form, payload } = parsed;
  if (form === undefined) return checked(jsonBody, payload, (body) => ({ kind: 'events_api', body }));
  if (payload !== undefined) return checked(interaction, payload, (body) => ({ kind: 'interaction', body }));
  if (form.ssl_check === '1') return { ok: true, request: { kind: 'ssl_check' } };
  return checked(slashCommand, form, (body) => ({ kind: 'command', body }));
}

type Parsed = { ok: true; form: Record<string, unknown> | undefined; payload: unknown } | { ok: false; problem: string };

/** Splits the body the way Bolt does: a form, a form's JSON `payload`, or a JSON document. */
function parseBody(contentType: string | undefined, rawBody: string): Parsed {
  if (contentType === FORM) {
    const form = parseForm(rawBody);
    if (!('payload' in form)) return { ok: true, form, payload: undefined };
    if (typeof form.payload !== 'string') return { ok: false, problem: 'payload: given more than once' };
    const payload = parseJson(form.payload);
    return payload.ok ? { ok: true, form, payload: payload.value } : { ok: false, problem: `payload: ${payload.problem}` };
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') return { ok: false, problem: `content type ${JSON.stringify(contentType ?? '(none)').slice(0, 80)} is neither ${FORM} nor application/json` };
  const json = parseJson(rawBody);
  return json.ok ? { ok: true, form: undefined, payload: json.value } : json;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
}

/** The body Bolt parses for an HTTP request, for naming the listener in a log line; undefined when it does not parse. */
export function parsedBodyOf(contentType: string | undefined, rawBody: string): unknown {
  const parsed = parseBody(contentType, rawBody);
  if (!parsed.ok) return undefined;
  return parsed.form !== undefined && parsed.payload === undefined ? parsed.form : parsed.payload;
}

function checked<T>(schema: z.ZodType<T>, value: unknown, wrap: (body: T) => SlackRequest): ReadResult {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, request: wrap(result.data) };
  // The first issue's path and zod's message (types and expected values, never the values sent).
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.').slice(0, 120) : '(body)';
  return { ok: false, problem: `${where}: ${issue?.message ?? 'not a shape spokebot handles'}` };
}
