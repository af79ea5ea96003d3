// Sizes in configuration: bytes, or with a binary unit as operators size memory: `512MiB`, `64KiB`, `2GiB`.
const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const PATTERN = /^(\d+)(KiB|MiB|GiB)?$/;

/** Bytes of a size such as `512MiB` or `1048576`, or null when the text is not one. */
export function parseSize(text: string): number | null {
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (UNITS[match[2] ?? ''] as number);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
