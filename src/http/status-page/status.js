// The status page: asks for the admin token once (this tab's sessionStorage), then polls the admin
// API every 2 s and draws what it reads. Everything from the relay is written with textContent.
import { bodyPreview, fmtInt, fmtRate, fmtSeconds, fmtTime, gauge, quantile, rate, shortId, sparkline } from './charts.js';

const POLL_MS = 2_000;
const HISTORY = 30; // polls kept: a minute of sparkline
const P99_WINDOW_MS = 30_000;
const TOKEN_KEY = 'kc-event-relay.admin-token';
const OUTCOMES = ['accepted', 'duplicate', 'quarantined', 'rejected', 'unauthorized', 'throttled', 'unavailable', 'full', 'overloaded', 'too_large', 'error'];

const $ = (id) => document.getElementById(id);
const history = [];
let timer = null;
const runningJobs = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

class AuthError extends Error {}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
  if (res.status === 401) throw new AuthError('the relay refused this token');
  const body = await res.json().catch(() => null);
  // No admin route at all: the relay runs without ADMIN_TOKEN.
  if (res.status === 404 && body?.error?.code === 'KCR_ERR_NOT_FOUND') throw new Error('the admin API is off: start the relay with ADMIN_TOKEN set');
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

function showLogin(message = '') {
  clearTimeout(timer);
  $('dashboard').hidden = true;
  $('forget').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}

function showDashboard() {
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('forget').hidden = false;
  void poll();
}

function setRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function drawCards(cur, prev) {
  for (const outcome of ['accepted', 'duplicate', 'quarantined']) {
    const series = history.map((s, i) => rate(history[i - 1], s, (x) => x.ingest[outcome] ?? 0));
    $(`rate-${outcome}`).textContent = fmtRate(rate(prev, cur, (x) => x.ingest[outcome] ?? 0) ?? 0);
    $(`spark-${outcome}`).replaceChildren(sparkline(series, { className: outcome, width: 180, slots: HISTORY }));
  }
  $('total-duplicate').textContent = fmtInt(cur.ingest.duplicate ?? 0);
  $('total-quarantined').textContent = fmtInt(cur.ingest.quarantined ?? 0);

  const older = [...history].reverse().find((s) => Date.parse(cur.time) - Date.parse(s.time) >= P99_WINDOW_MS) ?? history[0];
  const p99 = quantile(0.99, older === cur ? null : older.ingestDuration, cur.ingestDuration);
  $('p99').textContent = fmtSeconds(p99);
  $('p99-window').textContent = p99 === null ? 'no answer in the last 30 s' : 'over the last 30 s';
  const p99Series = history.map((s, i) => (i === 0 ? null : quantile(0.99, history[i - 1].ingestDuration, s.ingestDuration)));
  $('spark-p99').replaceChildren(sparkline(p99Series, { className: 'latency', width: 180, slots: HISTORY }));

  const { length, capacity, overflow, evicted, lost } = cur.buffer;
  $('buffer-gauge').replaceChildren(gauge((length ?? 0) / capacity, { label: `${length} of ${capacity}` }));
  $('buffer-fill').textContent = `${fmtInt(length)} / ${fmtInt(capacity)} events`;
  $('buffer-overflow').textContent = overflow === 'reject' ? 'full: reject' : 'full: drop oldest';
  $('buffer-evicted').textContent = fmtInt(evicted);
  $('buffer-lost').textContent = fmtInt(lost);
  $('buffer-lost').className = lost > 0 ? 'bad' : '';
}

function drawOutcomes(cur, prev) {
  const seen = OUTCOMES.filter((o) => (cur.ingest[o] ?? 0) > 0 || o === 'accepted');
  setRows(
    $('outcomes').tBodies[0],
    seen.map((o) => {
      const series = history.map((s, i) => rate(history[i - 1], s, (x) => x.ingest[o] ?? 0));
      return el(
        'tr',
        { 'data-outcome': o },
        el('td', { text: o }),
        el('td', { class: 'num', text: fmtRate(rate(prev, cur, (x) => x.ingest[o] ?? 0) ?? 0) }),
        el('td', {}, sparkline(series, { width: 220, height: 22, className: o, slots: HISTORY })),
        el('td', { class: 'num', text: fmtInt(cur.ingest[o] ?? 0) }),
      );
    }),
  );
}

/** The destination's connection state, and why its last write failed (until one succeeds). */
function linkCell(d) {
  const link = d.connection ?? { state: 'idle' };
  const why = d.lastFailure?.error ?? link.error ?? '';
  return el(
    'td',
    { class: 'link', title: why ? `${fmtTime(d.lastFailure?.at ?? link.since)}: ${why}` : `since ${fmtTime(link.since)}` },
    el('span', { class: `badge link-${link.state}`, text: link.state }),
    why ? el('div', { class: 'muted small failure', text: why }) : '',
  );
}

function drawDestinations(cur, prev) {
  $('no-destinations').hidden = cur.destinations.length > 0;
  $('destinations').hidden = cur.destinations.length === 0;
  $('replay-form').hidden = cur.destinations.length === 0;
  setRows(
    $('destinations').tBodies[0],
    cur.destinations.map((d) => {
      const read = (x) => x.destinations.find((y) => y.name === d.name)?.delivered ?? 0;
      const series = history.map((s, i) => rate(history[i - 1], s, read));
      const redrive = el('button', { type: 'button', class: 'redrive', 'data-destination': d.name, text: 'Redrive', onclick: () => void startJob('redrive', d.name) });
      if (!d.deadLetters) redrive.setAttribute('disabled', '');
      return el(
        'tr',
        { 'data-destination': d.name },
        el('td', { title: d.url }, el('strong', { text: d.name }), el('div', { class: 'muted small', text: `${d.type ?? 'webhook'} · ${d.url}` })),
        el('td', {}, el('span', { class: `badge circuit-${d.circuit}`, text: d.circuit })),
        linkCell(d),
        el('td', { class: 'num', text: fmtInt(d.lag) }),
        el('td', { class: 'num', text: fmtInt(d.pending) }),
        el('td', { class: 'num', text: fmtRate(rate(prev, cur, read) ?? 0) }),
        el('td', {}, sparkline(series, { width: 160, height: 22, className: 'delivered', slots: HISTORY })),
        el('td', { class: `num dead-letters ${d.deadLetters ? 'bad' : ''}`, text: fmtInt(d.deadLetters) }),
        el('td', {}, redrive),
      );
    }),
  );
  const select = $('replay-destination');
  const names = cur.destinations.map((d) => d.name);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    select.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
  }
}

function drawQuarantine(bodies) {
  setRows(
    $('quarantine').tBodies[0],
    bodies.map((q) =>
      el(
        'tr',
        {},
        el('td', { title: q.receivedAt, text: fmtTime(q.receivedAt) }),
        el('td', { title: q.errorMessage }, el('code', { text: q.errorCode })),
        el('td', { text: q.node }),
        el('td', { class: 'num', text: fmtInt(q.bytes) }),
        el('td', { class: 'body' }, el('code', { text: bodyPreview(q.body) })),
      ),
    ),
  );
}

function drawLogouts(cur, messages) {
  $('logout-state').textContent = cur.logout.enabled
    ? `${fmtInt(cur.logout.published)} published by this replica since start · lag ${fmtInt(cur.logout.lag)} · ${fmtInt(cur.logout.failures)} failed attempts`
    : 'The logout publisher does not run in this process.';
  setRows(
    $('logouts').tBodies[0],
    messages.map((m) =>
      el(
        'tr',
        {},
        el('td', { title: new Date(m.time).toISOString(), text: fmtTime(new Date(m.time).toISOString()) }),
        el('td', { text: m.kind }),
        el('td', { text: m.reason }),
        el('td', { text: m.realmId }),
        el(
          'td',
          { class: 'small', title: [m.userId, m.sessionId, m.clientId].filter(Boolean).join(' · ') },
          ...(m.userId || m.sessionId || m.clientId
            ? [shortId(m.userId ?? '–'), ' / ', shortId(m.sessionId ?? '–')]
            : ['(every session of the realm)']),
        ),
      ),
    ),
  );
}

async function poll() {
  clearTimeout(timer);
  try {
    const [summary, quarantine, logouts, ready] = await Promise.all([
      api('/admin/summary'),
      api('/admin/quarantine?limit=6'),
      api('/admin/logouts/recent?limit=10'),
      fetch('/readyz').then((r) => r.json()),
    ]);
    const prev = history[history.length - 1];
    history.push(summary);
    if (history.length > HISTORY) history.shift();
    $('ready').textContent = ready.status;
    $('ready').className = `badge ${ready.status === 'ready' ? 'ok' : 'bad'}`;
    $('store').textContent = `store: ${ready.store}`;
    $('updated').textContent = `updated ${new Date(summary.time).toLocaleTimeString('en-GB')}`;
    drawCards(summary, prev);
    drawOutcomes(summary, prev);
    drawDestinations(summary, prev);
    drawQuarantine(quarantine);
    drawLogouts(summary, logouts);
    $('problem').hidden = true;
  } catch (err) {
    if (err instanceof AuthError) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin(err.message);
    }
    $('problem').hidden = false;
    $('problem').textContent = `Cannot read the relay: ${err.message}`;
  }
  timer = setTimeout(poll, POLL_MS);
}

function drawJob(job) {
  let row = runningJobs.get(job.id);
  if (!row) {
    row = el('div', { class: 'job', 'data-job': job.id });
    runningJobs.set(job.id, row);
    $('jobs').prepend(row);
  }
  const total = Math.max(job.total, job.scanned, 1);
  row.replaceChildren(
    el('span', { class: `badge job-${job.state}`, text: job.state }),
    el('span', { text: ` ${job.kind} → ${job.destination} ` }),
    el('progress', { max: String(total), value: String(job.scanned) }),
    el('span', { class: 'job-counts', text: ` ${job.scanned}/${total} looked at, ${job.matched} matched, ${job.delivered} delivered, ${job.deadLettered} dead-lettered` }),
    ...(job.error ? [el('span', { class: 'bad', text: ` ${job.error}` })] : []),
  );
}

async function startJob(kind, destination, range = {}) {
  try {
    let job =
      kind === 'redrive'
        ? await api(`/admin/destinations/${encodeURIComponent(destination)}/redrive`, { method: 'POST' })
        : await api('/admin/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ destination, ...range }) });
    drawJob(job);
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, 400));
      job = await api(`/admin/jobs/${job.id}`);
      drawJob(job);
    }
    void poll();
  } catch (err) {
    $('jobs').prepend(el('div', { class: 'job bad', text: `${kind} ${destination}: ${err.message}` }));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value);
    $('token').value = '';
    showDashboard();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  });
  $('replay-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $('replay-from').value.trim();
    const to = $('replay-to').value.trim();
    void startJob('replay', $('replay-destination').value, { from, ...(to ? { to } : {}) });
  });
  $('replay-from').value = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  if (sessionStorage.getItem(TOKEN_KEY)) showDashboard();
  else showLogin();
});
