// Durations in configuration are written as operators think of them: `7d`, `12h`, `30m`, `45s`, `500ms`.
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds of a duration such as `7d`, or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  const [, amount, unit] = match as unknown as [string, string, string];
  const ms = Number(amount) * (UNITS[unit] as number);
  return Number.isSafeInteger(ms) ? ms : null;
}
