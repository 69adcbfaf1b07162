/**
 * Slack's Socket Mode towards the bot, on top of the Web API stand-in: apps.connections.open
 * (with the app token) hands out a one-time `ws://…/link?ticket=…` link to this WebSocket
 * server; a connection is greeted with `hello`; commands, interactions and events go out as
 * envelopes and the bot's acks come back as `{envelope_id, payload}`. It can also do what Slack
 * does to a connection: ask for a reconnect (`disconnect`), lose it (terminate), and deliver an
 * envelope again when an ack went missing. Payloads are the HTTP driver's, so tests drive the bot
 * the same way over either transport.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { startHttpServer } from './http-server.js';
import type { SlackStandIn } from './slack-api.js';
import { slashCommandPayload, type BotResponse, type SlashCommand } from './slack-driver.js';
import { APP_ID, isObject } from './slack-views.js';
import type { Json } from './slack-views.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Json;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

/** An ack, shaped like the HTTP driver's answer so the same assertions hold over both transports. */
export interface SocketAck extends BotResponse {
  envelopeId: string;
  /** The ack's payload as the bot sent it (`{}` for an empty ack; `json` is then undefined, as over HTTP). */
  payload: Json;
  /** Which connection (1 = the first) carried the envelope and its ack. */
  connection: number;
}

export interface SocketConnection {
  /** 1 for the first connection the bot opened, then 2… */
  number: number;
  ticket: string;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
}

export interface SendOptions {
  acceptsResponsePayload?: boolean;
  /** A fixed envelope id (to send the same envelope twice at once); default a fresh one. */
  envelopeId?: string;
  retryAttempt?: number;
  retryReason?: string;
  /** How long to wait for the ack once the envelope is on the wire (default 3 s, Slack's deadline). */
  ackTimeoutMs?: number;
  /** How long to wait for a live connection when there is none (the bot may be reconnecting). */
  connectTimeoutMs?: number;
}

export interface SlackSocketStandIn {
  /** ws://127.0.0.1:<port> */
  url: string;
  /** Every connection the bot opened, in order. */
  connections: SocketConnection[];
  /** Tickets presented that were unknown or already used. */
  refusedTickets: string[];
  /** Every envelope sent (redeliveries too), in order. */
  sent: Envelope[];
  /** Every ack received, in order. */
  acks: Array<{ envelopeId: string; payload: Json; connection: number }>;
  /** Resolves once the bot has been greeted on its `count`-th connection. */
  waitForConnection(count: number, timeoutMs?: number): Promise<SocketConnection>;
  send(type: EnvelopeType, payload: Json, options?: SendOptions): Promise<SocketAck>;
  /** Sends an earlier envelope again, as Slack does when it did not see the ack: same id, retry_attempt + 1. */
  redeliver(envelopeId: string, options?: Omit<SendOptions, 'envelopeId'>): Promise<SocketAck>;
  command(cmd: SlashCommand, options?: SendOptions): Promise<SocketAck>;
  interaction(payload: Json, options?: SendOptions): Promise<SocketAck>;
  event(body: Json, options?: SendOptions): Promise<SocketAck>;
  /** Asks the bot to reconnect on the live connection; resolves when the bot has closed it. */
  disconnect(reason: DisconnectReason): Promise<SocketConnection>;
  /** Drops the live connection without a close frame (a network cut); resolves once it is gone. */
  drop(): Promise<SocketConnection>;
  close(): Promise<void>;
}

interface Live {
  info: SocketConnection;
  ws: WebSocket;
  closed: Promise<void>;
}

interface AckWaiter {
  envelopeId: string;
  resolve: (ack: { payload: Json; connection: number; at: number }) => void;
}

export async function startSlackSocketStandIn(slack: SlackStandIn): Promise<SlackSocketStandIn> {
  const unusedTickets = new Set<string>();
  const connections: SocketConnection[] = [];
  const refusedTickets: string[] = [];
  const sent: Envelope[] = [];
  const acks: SlackSocketStandIn['acks'] = [];
  const live: Live[] = [];
  const ackWaiters: AckWaiter[] = [];
  let connectionWaiters: Array<() => void> = [];

  const server = await startHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required');
  });
  const wss = new WebSocketServer({ noServer: true });
  const url = server.url.replace(/^http/, 'ws');

  slack.issueSocketLinksWith(() => {
    const ticket = randomBytes(12).toString('hex');
    unusedTickets.add(ticket);
    return `${url}/link?ticket=${ticket}`;
  });

  server.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const link = new URL(req.url ?? '/', 'ws://127.0.0.1');
    const ticket = link.searchParams.get('ticket') ?? '';
    // A link is good for one connection: a reconnect must call apps.connections.open again.
    if (link.pathname !== '/link' || !unusedTickets.delete(ticket)) {
      refusedTickets.push(ticket);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, ticket));
  });

  const accept = (ws: WebSocket, ticket: string): void => {
    const info: SocketConnection = { number: connections.length + 1, ticket, openedAt: Date.now() };
    let markClosed!: () => void;
    const entry: Live = { info, ws, closed: new Promise((resolve) => (markClosed = resolve)) };
    connections.push(info);
    live.push(entry);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!isObject(message) || typeof message.envelope_id !== 'string') return;
      const payload = isObject(message.payload) ? message.payload : {};
      acks.push({ envelopeId: message.envelope_id, payload, connection: info.number });
      const waiter = ackWaiters.find((w) => w.envelopeId === message.envelope_id);
      if (waiter !== undefined) {
        ackWaiters.splice(ackWaiters.indexOf(waiter), 1);
        waiter.resolve({ payload, connection: info.number, at: performance.now() });
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      info.closedAt = Date.now();
      info.closeCode = code;
      live.splice(live.indexOf(entry), 1);
      markClosed();
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.length,
        debug_info: { host: `applink-standin-${info.number}`, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    const waiting = connectionWaiters;
    connectionWaiters = [];
    for (const wake of waiting) wake();
  };

  /** The newest open connection: Slack sends on any of the app's connections, the newest will do. */
  const current = (): Live | undefined => [...live].reverse().find((l) => l.ws.readyState === l.ws.OPEN);

  const liveConnection = async (timeoutMs: number): Promise<Live> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = current();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no Socket Mode connection within ${timeoutMs} ms (connections so far: ${connections.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        connectionWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const transmit = async (envelope: Envelope, options: SendOptions): Promise<SocketAck> => {
    const connection = await liveConnection(options.connectTimeoutMs ?? 10_000);
    const ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    const waiter: AckWaiter = { envelopeId: envelope.envelope_id, resolve: () => undefined };
    const acked = new Promise<{ payload: Json; connection: number; at: number }>((resolve, reject) => {
      waiter.resolve = (ack) => {
        clearTimeout(timer);
        resolve(ack);
      };
      timer = setTimeout(() => {
        ackWaiters.splice(ackWaiters.indexOf(waiter), 1);
        reject(new Error(`no ack for envelope ${envelope.envelope_id} (${envelope.type}) within ${ackTimeoutMs} ms on connection ${connection.info.number}`));
      }, ackTimeoutMs);
    });
    ackWaiters.push(waiter);
    sent.push(envelope);
    const started = performance.now();
    connection.ws.send(JSON.stringify(envelope));
    const ack = await acked;
    const empty = Object.keys(ack.payload).length === 0;
    return {
      status: 200,
      envelopeId: envelope.envelope_id,
      payload: ack.payload,
      json: empty ? undefined : ack.payload,
      text: empty ? '' : JSON.stringify(ack.payload),
      elapsedMs: ack.at - started,
      connection: ack.connection,
    };
  };

  const send = (type: EnvelopeType, payload: Json, options: SendOptions = {}): Promise<SocketAck> =>
    transmit(
      {
        envelope_id: options.envelopeId ?? randomUUID(),
        type,
        payload,
        accepts_response_payload: options.acceptsResponsePayload ?? false,
        retry_attempt: options.retryAttempt ?? 0,
        retry_reason: options.retryReason ?? '',
      },
      options,
    );

  const closeOf = async (connection: Live | undefined, act: (l: Live) => void): Promise<SocketConnection> => {
    if (connection === undefined) throw new Error('no live Socket Mode connection');
    act(connection);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection ${connection.info.number} still open 5 s later`)), 5000);
    });
    try {
      await Promise.race([connection.closed, late]);
    } finally {
      clearTimeout(timer);
    }
    return connection.info;
  };

  return {
    url,
    connections,
    refusedTickets,
    sent,
    acks,
    async waitForConnection(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.length < count) {
        if (Date.now() > deadline) throw new Error(`the bot opened ${connections.length} Socket Mode connection(s) within ${timeoutMs} ms, not ${count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          connectionWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return connections[count - 1]!;
    },
    send,
    redeliver(envelopeId, options = {}) {
      const earlier = [...sent].reverse().find((e) => e.envelope_id === envelopeId);
      if (earlier === undefined) throw new Error(`no envelope ${envelopeId} was sent`);
      return transmit({ ...earlier, retry_attempt: options.retryAttempt ?? earlier.retry_attempt + 1, retry_reason: options.retryReason ?? 'timeout' }, options);
    },
    command: (cmd, options = {}) => send('slash_commands', slashCommandPayload(cmd), { acceptsResponsePayload: true, ...options }),
    // Slack takes an answer in the ack for view submissions (response_action) and option requests.
    interaction: (payload, options = {}) =>
      send('interactive', payload, { acceptsResponsePayload: payload.type === 'view_submission' || payload.type === 'block_suggestion', ...options }),
    event: (body, options = {}) => send('events_api', body, { acceptsResponsePayload: false, ...options }),
    disconnect: (reason) =>
      closeOf(current(), (l) =>
        l.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: `applink-standin-${l.info.number}` } })),
      ),
    drop: () => closeOf(current(), (l) => l.ws.terminate()),
    async close() {
      slack.issueSocketLinksWith(undefined);
      for (const l of [...live]) l.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await server.close();
    },
  };
}
