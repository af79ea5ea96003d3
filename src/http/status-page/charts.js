// Pictures and numbers for the status page: SVG sparklines and a fill gauge built with the DOM
// (no inline styles or markup, so the page's Content-Security-Policy can forbid both), rates and
// quantiles from successive summaries.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** A line of the last values (nulls are gaps), scaled to its own maximum, right-aligned on `slots`. */
export function sparkline(values, { width = 160, height = 32, className = 'line', slots = 60 } = {}) {
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: `sparkline ${className}`, role: 'img' });
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  const max = Math.max(...finite, 1e-9);
  const step = width / Math.max(slots - 1, 1);
  const offset = Math.max(slots - values.length, 0);
  const points = values
    .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${((i + offset) * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`))
    .filter((p) => p !== null);
  root.append(svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'axis' }));
  if (points.length > 0) {
    root.append(svg('polyline', { points: points.join(' '), fill: 'none' }));
    const [x, y] = points[points.length - 1].split(',');
    root.append(svg('circle', { cx: x, cy: y, r: 2 }));
  }
  root.setAttribute('aria-label', `last value ${finite.length ? finite[finite.length - 1] : 'none'}`);
  return root;
}

/** A half-circle gauge filled to `fraction` (0..1), coloured by how full it is. */
export function gauge(fraction, { width = 160, label = '' } = {}) {
  const f = Math.min(Math.max(fraction, 0), 1);
  const r = width / 2 - 10;
  const cx = width / 2;
  const cy = r + 8;
  const at = (t) => [cx - r * Math.cos(Math.PI * t), cy - r * Math.sin(Math.PI * t)];
  const arc = (t) => {
    const [x, y] = at(t);
    return `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`;
  };
  const level = f >= 0.9 ? 'danger' : f >= 0.7 ? 'warn' : 'ok';
  const root = svg('svg', { width, height: cy + 10, viewBox: `0 0 ${width} ${cy + 10}`, class: `gauge ${level}`, role: 'img', 'aria-label': label });
  root.append(svg('path', { d: arc(1), class: 'track', fill: 'none' }));
  if (f > 0) root.append(svg('path', { d: arc(Math.max(f, 0.005)), class: 'fill', fill: 'none' }));
  const text = svg('text', { x: cx, y: cy - 4, 'text-anchor': 'middle', class: 'gauge-text' });
  text.textContent = `${(f * 100).toFixed(f < 0.01 && f > 0 ? 2 : 0)} %`;
  root.append(text);
  return root;
}

/** Per-second rate of a counter between two summaries; null when unknown or reset (restart). */
export function rate(prev, cur, read) {
  if (!prev) return null;
  const dt = (Date.parse(cur.time) - Date.parse(prev.time)) / 1000;
  const delta = read(cur) - read(prev);
  if (dt <= 0 || delta < 0) return null;
  return delta / dt;
}

/**
 * The q-quantile of the answers between two cumulative histograms, interpolated within its bucket
 * as Prometheus' histogram_quantile does; null when no answer fell in between. (The CLI's
 * histogramQuantile, src/cli/stats.ts, is the same over one cumulative histogram: the browser
 * cannot import the compiled TypeScript.)
 */
export function quantile(q, older, newer) {
  const count = newer.count - (older ? older.count : 0);
  if (count <= 0) return null;
  const before = new Map((older ? older.buckets : []).map((b) => [b.le, b.count]));
  const rank = q * count;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const bucket of newer.buckets) {
    const c = bucket.count - (before.get(bucket.le) ?? 0);
    if (c >= rank) return lowerLe + (bucket.le - lowerLe) * ((rank - lowerCount) / Math.max(c - lowerCount, 1e-9));
    lowerLe = bucket.le;
    lowerCount = c;
  }
  // Above the largest finite bucket: that bucket's bound is all a histogram can say.
  return lowerLe;
}

export function fmtRate(v) {
  if (v === null || v === undefined) return '–';
  if (v === 0) return '0';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function fmtInt(v) {
  return v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en');
}

export function fmtSeconds(s) {
  if (s === null || s === undefined) return '–';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}

/** HH:MM:SS in UTC (the full time goes in a title). */
export function fmtTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(11, 19);
}

/** The start of an id, enough to tell rows apart (the full id goes in a title). */
export function shortId(id) {
  return id && id.length > 12 ? `${id.slice(0, 8)}…` : (id ?? '');
}

/** A captured body as text for a glance: UTF-8 when it is, else ISO-8859-1 (the emitter's JSON). */
export function bodyPreview(base64, max = 140) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('latin1').decode(bytes);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
