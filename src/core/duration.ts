/** Parses durations as config writes them: `500ms`, `30s`, `15m`, `6h`, `2d`. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.h === 0 && ms >= UNIT_MS.h) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0 && ms >= UNIT_MS.m) return `${ms / UNIT_MS.m} min`;
  if (ms % UNIT_MS.s === 0 && ms >= UNIT_MS.s) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}
