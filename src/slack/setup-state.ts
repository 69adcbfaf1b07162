import { z } from 'zod';
import type { SetupRequestInput, SetupField } from '../core/setup-request.js';
import { SETUP_BLOCK, SETUP_INPUT_ACTION } from './ids.js';

/**
 * Reads the setup modal's `view.state.values` (Slack's shape: block_id → action_id → element
 * state) into plain input for the core. Missing or empty inputs come back as empty strings so
 * the core's checks, not this reader, decide what is wrong.
 */
const textState = z.object({ value: z.string().nullish() }).partial();
const conversationState = z.object({ selected_conversation: z.string().nullish() }).partial();

type StateValues = Record<string, Record<string, unknown>>;

function read<T>(values: StateValues, blockId: string, schema: z.ZodType<T>): T | undefined {
  const parsed = schema.safeParse(values[blockId]?.[SETUP_INPUT_ACTION]);
  return parsed.success ? parsed.data : undefined;
}

export function readSetupState(values: StateValues): SetupRequestInput {
  const text = (blockId: string) => read(values, blockId, textState)?.value ?? '';
  return {
    connectionName: text(SETUP_BLOCK.connectionName),
    site: text(SETUP_BLOCK.site),
    clientId: text(SETUP_BLOCK.clientId),
    clientSecret: text(SETUP_BLOCK.clientSecret),
    scopes: text(SETUP_BLOCK.scopes),
    channel: read(values, SETUP_BLOCK.channel, conversationState)?.selected_conversation ?? '',
  };
}

/** Core field errors keyed by the block that shows them, as `response_action: errors` wants. */
export function errorsByBlock(errors: Partial<Record<SetupField, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [SETUP_BLOCK[field as SetupField], message.slice(0, 300)]));
}
