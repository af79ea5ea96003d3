// What a relay child process said at warn level and above, counted by message: the figures a
// fault test prints so that surprises in the log are seen, not only the assertions.
export function warningsByMessage(output: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level: number; msg?: string };
    if (entry.level < 40) continue;
    const key = `${entry.level >= 50 ? 'error' : 'warn'}: ${entry.msg ?? ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
