import { z } from 'zod';
import type { SetupField, SetupRequestInput } from '../core/setup-request.js';
import { ACTION, SCOPED_TOKEN_VALUE, SETUP_BLOCK, SETUP_INPUT_ACTION } from './ids.js';

/**
 * Reads the setup modal's `view.state.values` (Slack's shape: block_id → action_id → element
 * state) into plain input for the core. Missing or empty inputs come back as empty strings so
 * the core's checks, not this reader, decide what is wrong.
 */
const textState = z.object({ value: z.string().nullish() }).partial();
const conversationState = z.object({ selected_conversation: z.string().nullish() }).partial();
const optionState = z.object({ selected_option: z.object({ value: z.string() }).nullish() }).partial();
const optionsState = z.object({ selected_options: z.array(z.object({ value: z.string() })).nullish() }).partial();
const dateState = z.object({ selected_date: z.string().nullish() }).partial();

export type StateValues = Record<string, Record<string, unknown>>;

function read<T>(values: StateValues, blockId: string, schema: z.ZodType<T>, actionId: string = SETUP_INPUT_ACTION): T | undefined {
  const parsed = schema.safeParse(values[blockId]?.[actionId]);
  return parsed.success ? parsed.data : undefined;
}

export function readSetupState(values: StateValues, fallbackMethod: string): SetupRequestInput {
  const text = (blockId: string) => read(values, blockId, textState)?.value ?? '';
  return {
    method: read(values, SETUP_BLOCK.method, optionState, ACTION.chooseMethod)?.selected_option?.value ?? fallbackMethod,
    connectionName: text(SETUP_BLOCK.connectionName),
    site: text(SETUP_BLOCK.site),
    clientId: text(SETUP_BLOCK.clientId),
    clientSecret: text(SETUP_BLOCK.clientSecret),
    email: text(SETUP_BLOCK.email),
    apiToken: text(SETUP_BLOCK.apiToken),
    tokenExpiry: read(values, SETUP_BLOCK.tokenExpiry, dateState)?.selected_date ?? '',
    tokenScoped: (read(values, SETUP_BLOCK.tokenScoped, optionsState)?.selected_options ?? []).some((o) => o.value === SCOPED_TOKEN_VALUE),
    scopes: text(SETUP_BLOCK.scopes),
    channel: read(values, SETUP_BLOCK.channel, conversationState)?.selected_conversation ?? '',
  };
}

/** Core field errors keyed by the block that shows them, as `response_action: errors` wants. */
export function errorsByBlock(errors: Partial<Record<SetupField, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [SETUP_BLOCK[field as SetupField], message.slice(0, 300)]));
}
