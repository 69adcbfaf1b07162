/**
 * What a hostile (or careless) member can type: Slack markup that notifies or links, ServiceNow
 * query operators, `javascript:`, control and bidi characters, look-alike hosts, HTML and JSON
 * fragments, empty and very long values. Every mention or link carries MARK, so a raw one in
 * the bot's output is found wherever it lands.
 */
import fc from 'fast-check';

/** In every generated mention and link: a `<…>` holding it in the bot's mrkdwn was not escaped. */
export const MARK = 'FUZZ';

export const MENTIONS = ['<!channel>', '<!here>', '<!everyone>', `<!subteam^S${MARK}1>`, `<@U${MARK}01>`, `<@W${MARK}02|someone>`, `<#C${MARK}01>`, `<#C${MARK}02|general>`, `<!date^1392734382^{date}|${MARK}>`];
export const LINKS = [`<https://evil.example/${MARK}|the admin console>`, `<https://evil.example/${MARK}>`, `<mailto:${MARK}@evil.example|mail us>`, `<javascript:alert(1)|${MARK}>`, `<https://evil.example/${MARK}|a|b>c>`];
export const QUERY = ['^', '^OR', '^ORactive=true', `^NQname=${MARK}`, '^ORDERBYsys_id', 'name=x^ORname!=x', 'javascript:alert(1)', ' JavaScript:gs.log(1)', 'javascript&colon;1'];
export const CONTROL = ['\u202E', '\u202D', '\u2066', '\u2069', '\u200B', '\u200D', '\uFEFF', '\u0000', '\u0007', '\u001B[31m', '\r\n', '\n', '\r', '\t', '\u2028', '\uD83D', '\uDE00'];
export const MARKUP = ['&', '<', '>', '|', '&amp;', '&lt;!channel&gt;', '&#60;!here&#62;', '*bold*', '_it_', '~s~', '`code`', '```block```', '> quote', ':skull:', '\\'];
/** Names that are also keys every plain object has: a lookup by name must not find these. */
export const OBJECT_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
export const FRAGMENTS = [
  ...OBJECT_KEYS,
  '{"__proto__":{"polluted":true}}',
  '{"type":"mrkdwn","text":"<!channel>"}',
  '"},{"type":"section"',
  '</script><script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  "'; DROP TABLE oauth_credential; --",
  '${process.env.SLACK_BOT_TOKEN}',
  '%0d%0aX-Injected: 1',
  '../../etc/passwd',
  '😀',
  'é',
  'İ',
  '𝔞',
  'ﬀ',
];
/** Sites that are not the allowed one, most of them made to look like it. */
export const LOOKALIKE_SITES = [
  'аtlassian.net',
  'acme.аtlassian.net',
  'https://acme.аtlassian.net',
  'xn--tlassian-7ve.net',
  'acme.xn--tlassian-7ve.net',
  'acme.atlassian.net.evil.example',
  'https://acme.atlassian.net@evil.example',
  'https://evil.example#.atlassian.net',
  'https://evil.example\\.atlassian.net',
  'http://169.254.169.254/latest/meta-data',
  'http://localhost:1',
  'https://127.0.0.1:1',
  'file:///etc/passwd',
  'javascript:alert(1)//.atlassian.net',
  '//evil.example',
  'acme',
  'acme.atlassian.net',
  'https://acme.atlassian.net/wiki',
];

const pieces = [...MENTIONS, ...LINKS, ...QUERY, ...CONTROL, ...MARKUP, ...FRAGMENTS, ...LOOKALIKE_SITES];

const piece = fc.constantFrom(...pieces);

/** Printable-ish text around the pieces (words, spaces, unicode). */
const filler = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom(' ', 'Security team', 'acme', 'Jira'));

/** 10,000 characters of one piece, repeated: the longest thing the fuzz sends. */
const long = fc.constantFrom(...pieces, 'a', 'x ').map((p) => p.repeat(Math.ceil(10_000 / p.length)).slice(0, 10_000));

/** A typed value: empty, a piece, pieces mixed with text, random text, or 10,000 characters. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: piece },
  { weight: 6, arbitrary: fc.array(fc.oneof(piece, filler), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: long },
);

/**
 * What Slack delivers of a typed value: a form-encoded command or payload cannot carry a lone
 * surrogate, which arrives as U+FFFD. Oracles compare against this.
 */
export function asDelivered(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Either a value that passes the form's checks (so the flow goes further) or a hostile one. */
export function validOr(valid: fc.Arbitrary<string> | string, weightValid = 1): fc.Arbitrary<string> {
  return fc.oneof({ weight: weightValid, arbitrary: typeof valid === 'string' ? fc.constant(valid) : valid }, { weight: 2, arbitrary: hostileText });
}

/** A connection name the setup form accepts, with the characters that are allowed and odd: ( ) . - _ */
export const validName = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('Fuzz', 'R', '0'), fc.stringMatching(/^[A-Za-z0-9 _.()-]{1,30}$/)).map(([head, rest]) => `${head}${rest}`.trim()).filter((name) => name.length >= 2) },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype') },
);

/** Each run's secret is distinct, so a leak of it (and only it) can be found in logs and Slack. */
let secretCount = 0;
export const secretText: fc.Arbitrary<string> = hostileText.map((tail) => `SECRET-${process.pid}-${++secretCount}-${tail}`);

/** Where a typed value is unique enough to find again: the runs' secrets. */
export function isGeneratedSecret(text: string): boolean {
  return text.startsWith('SECRET-');
}

/** How many runs each property makes: FUZZ_RUNS when set (npm run fuzz), else the CI size. */
export function fuzzRuns(ciSize: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : ciSize;
}

/** fast-check's options: the runs, a seed to replay one (FUZZ_SEED, printed on failure), no shrinking against a live bot unless FUZZ_SHRINK is set. */
export function fuzzOptions(ciSize: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: fuzzRuns(ciSize),
    ...(Number.isInteger(seed) ? { seed } : {}),
    // Shrinking replays inputs against a bot that remembers the earlier ones; the seed and the
    // first counterexample are what a failure needs to be replayed.
    endOnFailure: process.env.FUZZ_SHRINK === undefined,
    verbose: 1,
  };
}

/** A test's time budget for a property: per run, at the size it runs at. */
export function budgetMs(ciSize: number, perRunMs: number): number {
  return Math.max(60_000, fuzzRuns(ciSize) * perRunMs + 30_000);
}
