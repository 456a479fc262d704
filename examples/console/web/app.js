// coffer console web UI: plain JavaScript, no external assets. Charts are
// inline SVG drawn here. Every API call carries the session cookie (set by
// the server, HttpOnly) and, when it changes state, the CSRF token.
'use strict';

const state = { csrf: '', view: 'dashboard', timer: null, agents: [], policies: [], browse: null };
const $ = (sel, root = document) => root.querySelector(sel);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0; let v = Number(n);
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}
function ago(ns) {
  if (!ns) return 'never';
  const s = Math.round((Date.now() - ns / 1e6) / 1000);
  if (s < 0) return 'in ' + until(ns);
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}
function until(ns) {
  const s = Math.round((ns / 1e6 - Date.now()) / 1000);
  if (s < 60) return Math.max(s, 0) + ' s';
  if (s < 3600) return Math.round(s / 60) + ' min';
  return Math.round(s / 3600) + ' h';
}
function when(ns) { return ns ? new Date(ns / 1e6).toLocaleString() : '–'; }
function pct(x) { return x == null ? '–' : (x * 100).toFixed(x >= 0.999 || x === 0 ? 0 : 1) + '%'; }
function stateBadge(s) {
  const cls = { succeeded: 'ok', failed: 'bad', running: 'run', queued: 'idle' }[s] || 'idle';
  return `<span class="pill ${cls}">${esc(s)}</span>`;
}
function toast(text, bad) {
  const t = $('#toast');
  t.textContent = text; t.className = 'toast' + (bad ? ' bad' : '');
  clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.add('hidden'), 4000);
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const res = await fetch(path, opts);
  if (res.status === 401 && path !== '/api/v1/login') { showLogin(); throw new Error('please sign in'); }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
  return data;
}

function showLogin() {
  clearInterval(state.timer);
  $('#app-view').classList.add('hidden');
  $('#login-view').classList.remove('hidden');
  $('#login-password').focus();
}
function showApp() {
  $('#login-view').classList.add('hidden');
  $('#app-view').classList.remove('hidden');
  route();
}

// ---- charts (inline SVG) ----------------------------------------------------
function ring(rate, size = 64) {
  const r = size / 2 - 6, c = 2 * Math.PI * r;
  const v = rate == null ? 0 : rate;
  const color = rate == null ? '#c9d2e3' : rate >= 0.95 ? '#1f9d55' : rate >= 0.8 ? '#d98a00' : '#d64545';
  return `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="success rate ${pct(rate)}">
    <circle cx="${size / 2}" cy="${size / 2}" r="${r}" fill="none" stroke="#e9edf4" stroke-width="8"/>
    <circle cx="${size / 2}" cy="${size / 2}" r="${r}" fill="none" stroke="${color}" stroke-width="8" stroke-linecap="round"
      stroke-dasharray="${(c * v).toFixed(1)} ${c.toFixed(1)}" transform="rotate(-90 ${size / 2} ${size / 2})"/></svg>`;
}
function dailyChart(days) {
  const w = 640, h = 190, left = 30, bottom = 26, top = 10;
  const max = Math.max(1, ...days.map((d) => d.succeeded + d.failed));
  const bw = (w - left - 10) / days.length;
  let bars = '';
  days.forEach((d, i) => {
    const x = left + i * bw + bw * 0.18, bwid = bw * 0.64;
    const hs = (h - bottom - top) * d.succeeded / max, hf = (h - bottom - top) * d.failed / max;
    const y0 = h - bottom;
    bars += `<rect x="${x.toFixed(1)}" y="${(y0 - hs).toFixed(1)}" width="${bwid.toFixed(1)}" height="${hs.toFixed(1)}" rx="3" fill="#2f5bea"><title>${esc(d.day)}: ${d.succeeded} succeeded</title></rect>`;
    bars += `<rect x="${x.toFixed(1)}" y="${(y0 - hs - hf).toFixed(1)}" width="${bwid.toFixed(1)}" height="${hf.toFixed(1)}" rx="3" fill="#d64545"><title>${esc(d.day)}: ${d.failed} failed</title></rect>`;
    if ((days.length - 1 - i) % 2 === 0)
      bars += `<text x="${(x + bwid / 2).toFixed(1)}" y="${h - 8}" font-size="10.5" fill="#6b7789" text-anchor="middle">${esc(d.day.slice(5))}</text>`;
  });
  let grid = '';
  for (let g = 0; g <= 2; g++) {
    const y = h - bottom - (h - bottom - top) * g / 2;
    grid += `<line x1="${left}" x2="${w - 6}" y1="${y}" y2="${y}" stroke="#edf0f5"/><text x="${left - 6}" y="${y + 4}" font-size="10.5" fill="#6b7789" text-anchor="end">${Math.round(max * g / 2)}</text>`;
  }
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="jobs per day">${grid}${bars}</svg>
    <div class="legend"><span><i class="sw-ok"></i>succeeded</span><span><i class="sw-bad"></i>failed</span></div>`;
}
function storageChart(rows) {
  if (!rows.length) return '<div class="empty">No storage reported yet: it appears after an agent’s first backup.</div>';
  const w = 520, rowh = 44, left = 110, h = rows.length * rowh + 8;
  const max = Math.max(1, ...rows.map((r) => r.logical_bytes));
  let out = '';
  rows.forEach((r, i) => {
    const y = i * rowh + 6, span = w - left - 130;
    const lw = span * r.logical_bytes / max, sw = span * r.stored_bytes / max;
    out += `<text x="${left - 10}" y="${y + 17}" font-size="12.5" fill="#1c2533" text-anchor="end">${esc(r.agent)}</text>`;
    out += `<rect x="${left}" y="${y + 4}" width="${Math.max(lw, 2).toFixed(1)}" height="14" rx="3" fill="#c9d6ff"><title>logical ${bytes(r.logical_bytes)}</title></rect>`;
    out += `<rect x="${left}" y="${y + 20}" width="${Math.max(sw, 2).toFixed(1)}" height="14" rx="3" fill="#2f5bea"><title>stored ${bytes(r.stored_bytes)}</title></rect>`;
    out += `<text x="${left + Math.max(lw, 2) + 6}" y="${y + 15}" font-size="11" fill="#6b7789">${bytes(r.logical_bytes)}</text>`;
    out += `<text x="${left + Math.max(sw, 2) + 6}" y="${y + 31}" font-size="11" fill="#6b7789">${bytes(r.stored_bytes)} · ×${Number(r.dedup_ratio || 0).toFixed(2)}</text>`;
  });
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="storage per agent">${out}</svg>
    <div class="legend"><span><i class="sw-logical"></i>logical (what the snapshots hold)</span><span><i class="sw-stored"></i>stored (after dedup and compression)</span></div>`;
}

// ---- views -------------------------------------------------------------------
function progressBar(job) {
  const p = job.progress || {};
  const total = p.bytes_total || 0;
  const frac = total ? Math.min(1, (p.bytes_done || 0) / total) : 0;
  return `<div class="progress"><div data-w="${(frac * 100).toFixed(1)}"></div></div>`;
}
function applyWidths(root) { root.querySelectorAll('[data-w]').forEach((e) => { e.style.width = e.dataset.w + '%'; }); }
function jobText(j) {
  if (j.error) return esc(j.error);
  if (j.summary && j.summary.text) return esc(j.summary.text);
  if (j.state === 'running' && j.progress) return `${j.progress.files_done || 0} files, ${bytes(j.progress.bytes_done)}`;
  return '';
}
function duration(j) {
  if (!j.started_ns || !j.ended_ns) return '';
  const s = (j.ended_ns - j.started_ns) / 1e9;
  return s < 60 ? s.toFixed(1) + ' s' : Math.round(s / 60) + ' min';
}
function jobRows(jobs, withAgent = true) {
  if (!jobs.length) return '<div class="empty">No jobs.</div>';
  return `<table><thead><tr>${withAgent ? '<th>Agent</th>' : ''}<th>Job</th><th>State</th><th>Started</th><th class="num">Took</th><th>Details</th></tr></thead><tbody>
    ${jobs.map((j) => `<tr>${withAgent ? `<td>${esc(j.agent)}</td>` : ''}<td>${esc(j.kind)} <span class="muted mono">${esc(j.id.slice(0, 8))}</span><div class="muted tiny">${esc(j.trigger)}</div></td>
      <td>${stateBadge(j.state)}</td><td title="${esc(when(j.started_ns || j.created_ns))}">${ago(j.started_ns || j.created_ns)}</td><td class="num">${duration(j)}</td>
      <td>${j.state === 'running' ? progressBar(j) : ''}${jobText(j)}</td></tr>`).join('')}</tbody></table>`;
}

async function viewDashboard(el) {
  const d = await api('GET', '/api/v1/dashboard');
  const a = d.agents;
  const logical = d.storage.reduce((s, r) => s + r.logical_bytes, 0);
  const stored = d.storage.reduce((s, r) => s + r.stored_bytes, 0);
  const failed7 = d.last_7d.failed;
  el.innerHTML = `
  <div class="grid kpis">
    <div class="card kpi"><div><div class="label">Agents online</div><div class="value" id="kpi-agents">${a.online}<span class="muted"> / ${a.total}</span></div><div class="sub">${a.revoked} revoked</div></div></div>
    <div class="card kpi">${ring(d.last_24h.success_rate)}<div><div class="label">Success rate, 24 h</div><div class="value" id="kpi-rate-24h">${pct(d.last_24h.success_rate)}</div><div class="sub">${d.last_24h.succeeded} ok · ${d.last_24h.failed} failed</div></div></div>
    <div class="card kpi">${ring(d.last_7d.success_rate)}<div><div class="label">Success rate, 7 days</div><div class="value" id="kpi-rate-7d">${pct(d.last_7d.success_rate)}</div><div class="sub">${d.last_7d.succeeded} ok · ${failed7} failed</div></div></div>
    <div class="card kpi ${failed7 ? 'bad' : ''}"><div><div class="label">Failed jobs, 7 days</div><div class="value" id="kpi-failed">${failed7}</div><div class="sub">${d.running_jobs.length} running now</div></div></div>
    <div class="card kpi ${a.overdue ? 'warn' : ''}"><div><div class="label">Agents overdue</div><div class="value" id="kpi-overdue">${a.overdue}</div><div class="sub">not backed up on schedule</div></div></div>
    <div class="card kpi"><div><div class="label">Stored / logical</div><div class="value" id="kpi-stored">${bytes(stored)}</div><div class="sub">of ${bytes(logical)} · dedup ×${logical && stored ? (logical / stored).toFixed(2) : '–'}</div></div></div>
  </div>
  <div class="grid two">
    <div class="card"><h2>Jobs per day</h2>${dailyChart(d.daily)}</div>
    <div class="card"><h2>Storage per agent</h2>${storageChart(d.storage)}</div>
  </div>
  <div class="grid two">
    <div class="card"><h2>Recent jobs</h2>${jobRows(d.running_jobs.concat(d.recent_jobs.filter((j) => j.state !== 'running' && j.state !== 'queued')).slice(0, 8))}
      ${d.failed_jobs.length ? `<h2 class="section-gap">Failed in the last 7 days</h2>${jobRows(d.failed_jobs)}` : ''}</div>
    <div class="card"><h2>Repositories</h2>${d.repositories.length ? `<table><thead><tr><th>Repository</th><th class="num">Size</th><th class="num">Logical</th><th>Agents</th></tr></thead><tbody>
      ${d.repositories.map((r) => `<tr><td class="mono">${esc(r.repository)}</td><td class="num">${bytes(r.repository_bytes)}</td><td class="num">${bytes(r.logical_bytes)}</td><td>${esc(r.agents.join(', '))}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">No repository reported yet.</div>'}
      ${d.overdue_agents.length ? `<h2 class="section-gap">Overdue agents</h2><ul>${d.overdue_agents.map((o) => `<li>${esc(o.name)}: due ${ago(o.due_ns)}</li>`).join('')}</ul>` : ''}
    </div>
  </div>
  <div class="card"><h2>Storage by agent</h2>${d.storage.length ? `<table id="storage-table"><thead><tr><th>Agent</th><th>Repository</th><th class="num">Snapshots</th><th class="num">Logical</th><th class="num">Unique</th><th class="num">Stored</th><th class="num">Dedup</th><th>Reported</th></tr></thead><tbody>
    ${d.storage.map((s) => `<tr><td>${esc(s.agent)}</td><td class="mono">${esc(s.repository)}</td><td class="num">${s.snapshots}</td><td class="num" data-bytes="${s.logical_bytes}">${bytes(s.logical_bytes)}</td><td class="num">${bytes(s.unique_bytes)}</td><td class="num" data-bytes="${s.stored_bytes}">${bytes(s.stored_bytes)}</td><td class="num">×${Number(s.dedup_ratio).toFixed(2)}</td><td>${ago(s.time_ns)}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">Nothing yet.</div>'}</div>`;
}

function policyOptions(selected, none = 'No policy') {
  return `<option value="">${esc(none)}</option>` + state.policies.map((p) => `<option value="${p.id}" ${p.id === selected ? 'selected' : ''}>${esc(p.name)}</option>`).join('');
}
function agentStatus(a) {
  if (a.revoked) return '<span class="pill idle">revoked</span>';
  if (a.overdue) return '<span class="pill warn">overdue</span>';
  return a.online ? '<span class="pill ok">online</span>' : '<span class="pill bad">offline</span>';
}

async function viewAgents(el) {
  [state.agents, state.policies] = await Promise.all([api('GET', '/api/v1/agents'), api('GET', '/api/v1/policies')]);
  el.innerHTML = `
  <div class="card"><h2>Add an agent</h2>
    <div class="row"><input id="token-label" placeholder="Label, e.g. web-01" value="">
      <select id="token-policy">${policyOptions(null, 'Assign a policy later')}</select>
      <button id="token-create" class="primary">Create enrollment token</button></div>
    <div id="token-result" class="section-gap hidden"><p class="muted" id="token-intro"></p>
      <div class="command mono" id="token-command"></div>
      <div id="token-private-ca" class="hidden"><p class="muted">If the console's certificate comes from a private CA, copy the CA certificate to the machine as <code>ca.pem</code> and run this instead:</p>
        <div class="command mono" id="token-command-ca"></div></div>
      <p class="muted" id="token-enroll-note"></p></div></div>
  <div class="card section-gap"><h2>Agents</h2>${state.agents.length ? `<table id="agents-table"><thead><tr><th>Agent</th><th>Status</th><th>Version</th><th>Last seen</th><th>Policy</th><th>Last job</th><th>Next run</th><th></th></tr></thead><tbody>
    ${state.agents.map((a) => `<tr data-agent="${a.id}"><td><b>${esc(a.name)}</b><div class="muted">${esc(a.host)} · ${esc(a.os)}</div></td><td>${agentStatus(a)}</td>
      <td class="mono">${esc(a.version)}</td><td>${ago(a.last_seen_ns)}</td>
      <td><select class="assign" data-agent="${a.id}" ${a.revoked ? 'disabled' : ''}>${policyOptions(a.policy_id)}</select></td>
      <td>${a.last_job ? stateBadge(a.last_job.state) + ' <span class="muted">' + esc(a.last_job.kind) + ' ' + ago(a.last_job.ended_ns || a.last_job.started_ns) + '</span>' : '<span class="muted">none</span>'}</td>
      <td>${a.next_run_ns ? 'in ' + until(a.next_run_ns) : '<span class="muted">–</span>'}</td>
      <td class="row">${a.revoked ? '' : `<button class="small run-now" data-agent="${a.id}">Back up now</button><button class="small check-now" data-agent="${a.id}">Check</button><button class="small danger revoke" data-agent="${a.id}">Revoke</button>`}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">No agents yet: create an enrollment token above.</div>'}</div>`;
  $('#token-create').addEventListener('click', async () => {
    const pid = $('#token-policy').value;
    const t = await api('POST', '/api/v1/tokens', { label: $('#token-label').value || 'new agent', policy_id: pid ? Number(pid) : null });
    $('#token-intro').innerHTML = (t.install_available
      ? 'Run this on the new machine: it downloads coffer from this console, checks its SHA-256, installs it in /usr/local, enrolls the machine and starts the <code>coffer-agent</code> service (systemd). '
      : 'Run this on the new machine (coffer must be installed there). ')
      + 'The token works once, for 24 hours. The repository password stays on the machine: add <code>--password-file FILE</code>, or put <code>COFFER_PASSWORD=…</code> in <code>/etc/coffer/agent.env</code>.';
    $('#token-command').textContent = t.command;
    $('#token-private-ca').classList.toggle('hidden', !t.command_private_ca);
    $('#token-command-ca').textContent = t.command_private_ca || '';
    $('#token-enroll-note').innerHTML = t.install_available
      ? 'Options after <code>--token</code>: <code>--prefix DIR</code>, <code>--password-file FILE</code>, <code>--host NAME</code>, <code>--no-service</code> (<code>--help</code> lists all). Where coffer is installed already: <code class="mono">' + esc(t.enroll_command) + '</code>'
      : '';
    $('#token-result').classList.remove('hidden');
  });
  el.querySelectorAll('select.assign').forEach((s) => s.addEventListener('change', async () => {
    await api('PUT', '/api/v1/agents/' + s.dataset.agent, { policy_id: s.value ? Number(s.value) : null });
    toast('Policy assigned: the agent picks it up at once.');
    render();
  }));
  el.querySelectorAll('button.run-now').forEach((b) => b.addEventListener('click', async () => {
    await api('POST', `/api/v1/agents/${b.dataset.agent}/run`, { kind: 'backup' });
    toast('Backup requested.');
  }));
  el.querySelectorAll('button.check-now').forEach((b) => b.addEventListener('click', async () => {
    await api('POST', `/api/v1/agents/${b.dataset.agent}/run`, { kind: 'check' });
    toast('Repository check requested: see Jobs.');
  }));
  el.querySelectorAll('button.revoke').forEach((b) => b.addEventListener('click', async () => {
    if (!confirm('Revoke this agent? It will be refused from now on.')) return;
    await api('POST', `/api/v1/agents/${b.dataset.agent}/revoke`);
    toast('Agent revoked.'); render();
  }));
}

function lines(text) { return text.split('\n').map((s) => s.trim()).filter(Boolean); }
function policyForm(p) {
  const pol = p ? p.policy : { schedule: { cron: '0 2 * * *', time_zone: 'UTC' }, retention: { keep_daily: 7, keep_weekly: 4 } };
  const r = pol.retention || {};
  const sch = pol.schedule || {};
  return `<form id="policy-form" class="form" data-id="${p ? p.id : ''}">
    <div class="field"><label for="pf-name">Name</label><input id="pf-name" required value="${esc(pol.name || '')}"></div>
    <div class="field"><label for="pf-repository">Repository</label><input id="pf-repository" placeholder="/backups/repo or s3://bucket/prefix" value="${esc(pol.repository || '')}"></div>
    <div class="field full"><label for="pf-paths">Paths (one per line)</label><textarea id="pf-paths">${esc((pol.paths || []).join('\n'))}</textarea></div>
    <div class="field"><label for="pf-excludes">Excludes (one per line)</label><textarea id="pf-excludes">${esc((pol.excludes || []).join('\n'))}</textarea></div>
    <div class="field"><label for="pf-includes">Only files matching (one per line; empty: everything)</label><textarea id="pf-includes">${esc((pol.includes || []).join('\n'))}</textarea></div>
    <div class="field"><label for="pf-tags">Tags (one per line)</label><textarea id="pf-tags">${esc((pol.tags || []).join('\n'))}</textarea></div>
    <div class="field"><label for="pf-cron">Schedule (cron)</label><input id="pf-cron" class="mono" value="${esc(sch.cron || '')}" placeholder="0 2 * * *"></div>
    <div class="field"><label for="pf-tz">Time zone</label><input id="pf-tz" value="${esc(sch.time_zone || 'UTC')}"></div>
    <div class="field full"><label>Retention (keep)</label><div class="row">
      ${['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'].map((k) => `<span>${k} <input id="pf-keep-${k}" type="number" min="-1" class="keep" value="${r['keep_' + k] ?? ''}"></span>`).join('')}</div></div>
    <div class="full row"><button class="primary" id="pf-save" type="submit">${p ? 'Save policy' : 'Create policy'}</button><button type="button" id="pf-cancel" class="ghost">Cancel</button><span id="pf-error" class="error"></span></div>
  </form>`;
}
function readPolicyForm() {
  const pol = { name: $('#pf-name').value.trim(), paths: lines($('#pf-paths').value), excludes: lines($('#pf-excludes').value), includes: lines($('#pf-includes').value), tags: lines($('#pf-tags').value) };
  const repo = $('#pf-repository').value.trim();
  if (repo) pol.repository = repo;
  const cron = $('#pf-cron').value.trim();
  if (cron) pol.schedule = { cron, time_zone: $('#pf-tz').value.trim() || 'UTC' };
  const retention = {};
  ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'].forEach((k) => {
    const v = $('#pf-keep-' + k).value;
    if (v !== '') retention['keep_' + k] = Number(v);
  });
  if (Object.keys(retention).length) pol.retention = retention;
  return pol;
}

async function viewPolicies(el) {
  state.policies = await api('GET', '/api/v1/policies');
  el.innerHTML = `<div class="card"><div class="row"><h2>Policies</h2><span class="spacer"></span><button id="policy-new" class="primary">New policy</button></div>
    <div id="policy-editor" class="section-gap hidden"></div>
    ${state.policies.length ? `<table id="policies-table"><thead><tr><th>Name</th><th>Paths</th><th>Schedule</th><th>Retention</th><th>Repository</th><th class="num">Agents</th><th></th></tr></thead><tbody>
      ${state.policies.map((p) => `<tr><td><b>${esc(p.policy.name)}</b> <span class="muted">v${p.version}</span></td><td class="mono">${esc((p.policy.paths || []).join(', '))}</td>
        <td class="mono">${esc(p.policy.schedule ? p.policy.schedule.cron + ' ' + (p.policy.schedule.time_zone || '') : '–')}</td>
        <td>${esc(Object.entries(p.policy.retention || {}).filter(([k]) => k.startsWith('keep_')).map(([k, v]) => k.slice(5) + ' ' + v).join(', ') || '–')}</td>
        <td class="mono">${esc(p.policy.repository || '(agent default)')}</td><td class="num">${p.agents}</td>
        <td class="row"><button class="small edit" data-id="${p.id}">Edit</button><button class="small danger delete" data-id="${p.id}">Delete</button></td></tr>`).join('')}</tbody></table>` : '<div class="empty">No policies yet.</div>'}</div>`;
  const open = (p) => {
    const ed = $('#policy-editor');
    ed.innerHTML = policyForm(p); ed.classList.remove('hidden');
    $('#pf-cancel').addEventListener('click', () => ed.classList.add('hidden'));
    $('#policy-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const id = $('#policy-form').dataset.id;
        await api(id ? 'PUT' : 'POST', '/api/v1/policies' + (id ? '/' + id : ''), readPolicyForm());
        toast('Policy saved.'); render();
      } catch (e) { $('#pf-error').textContent = e.message; }
    });
  };
  $('#policy-new').addEventListener('click', () => open(null));
  el.querySelectorAll('button.edit').forEach((b) => b.addEventListener('click', () => open(state.policies.find((p) => p.id === Number(b.dataset.id)))));
  el.querySelectorAll('button.delete').forEach((b) => b.addEventListener('click', async () => {
    if (!confirm('Delete this policy? Agents using it are left without a policy.')) return;
    await api('DELETE', '/api/v1/policies/' + b.dataset.id); render();
  }));
}

async function viewJobs(el) {
  const jobs = await api('GET', '/api/v1/jobs?limit=200');
  el.innerHTML = `<div class="card" id="jobs-card"><h2>Jobs</h2>${jobRows(jobs)}</div>`;
}

// Browse: agent -> snapshot -> tree; select entries; restore to an agent.
async function viewRestore(el) {
  state.agents = await api('GET', '/api/v1/agents');
  const live = state.agents.filter((a) => !a.revoked);
  const b = state.browse || (state.browse = { agent: live.length ? live[0].id : null, snapshot: null, path: '/', selected: new Set() });
  el.innerHTML = `<div class="card"><div class="row"><label for="browse-agent">Agent</label>
      <select id="browse-agent">${live.map((a) => `<option value="${a.id}" ${a.id === b.agent ? 'selected' : ''}>${esc(a.name)}</option>`).join('')}</select>
      <button id="browse-load">Show snapshots</button><span id="browse-time" class="muted"></span></div>
    <div id="snapshots" class="section-gap"></div></div>
    <div class="card section-gap hidden" id="tree-card"><h2>Files of snapshot <span id="tree-snapshot" class="mono"></span></h2><div class="crumbs" id="crumbs"></div><div id="tree"></div></div>
    <div class="card section-gap hidden" id="restore-card"><h2>Restore</h2>
      <p class="muted">Selected: <span id="restore-selection">the whole snapshot</span></p>
      <div class="row"><label for="restore-agent">To agent</label><select id="restore-agent">${live.map((a) => `<option value="${a.id}">${esc(a.name)}</option>`).join('')}</select>
        <label for="restore-target">into directory</label><input id="restore-target" class="mono" placeholder="/tmp/restore" value="/tmp/coffer-restore">
        <label><input type="checkbox" id="restore-overwrite"> overwrite</label>
        <button id="restore-start" class="primary">Start restore</button></div>
      <div id="restore-status" class="section-gap"></div></div>`;
  $('#browse-agent').addEventListener('change', () => { b.agent = Number($('#browse-agent').value); b.snapshot = null; });
  $('#browse-load').addEventListener('click', () => loadSnapshots(b));
  $('#restore-start').addEventListener('click', () => startRestore(b));
  if (b.agent) await loadSnapshots(b);
}
async function loadSnapshots(b) {
  b.agent = Number($('#browse-agent').value);
  $('#snapshots').innerHTML = '<div class="empty">Asking the agent…</div>';
  const t0 = performance.now();
  try {
    const snaps = (await api('GET', `/api/v1/agents/${b.agent}/snapshots`)).reverse();
    $('#browse-time').textContent = `answered in ${Math.round(performance.now() - t0)} ms`;
    $('#snapshots').innerHTML = snaps.length ? `<table id="snapshots-table"><thead><tr><th>Snapshot</th><th>Time</th><th>Host</th><th>Paths</th><th class="num">Files</th><th class="num">Size</th></tr></thead><tbody>
      ${snaps.map((s) => `<tr class="clickable" data-snapshot="${esc(s.id)}"><td class="mono">${esc(s.short_id)}</td><td>${esc(new Date(s.time_ns / 1e6).toLocaleString())}</td><td>${esc(s.host)}</td><td class="mono">${esc(s.paths.join(', '))}</td>
        <td class="num">${(s.summary.files_new + s.summary.files_changed + s.summary.files_unchanged)}</td><td class="num">${bytes(s.summary.bytes_total)}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">No snapshots yet.</div>';
    document.querySelectorAll('#snapshots-table tr[data-snapshot]').forEach((tr) => tr.addEventListener('click', () => {
      b.snapshot = tr.dataset.snapshot; b.path = '/'; b.selected = new Set(); loadTree(b);
    }));
  } catch (e) { $('#snapshots').innerHTML = `<div class="error">${esc(e.message)}</div>`; }
}
async function loadTree(b) {
  $('#tree-card').classList.remove('hidden'); $('#restore-card').classList.remove('hidden');
  $('#tree-snapshot').textContent = b.snapshot.slice(0, 8);
  const parts = b.path.split('/').filter(Boolean);
  $('#crumbs').innerHTML = `<a data-path="/">/</a>` + parts.map((p, i) => `<span class="muted">›</span><a data-path="/${esc(parts.slice(0, i + 1).join('/'))}">${esc(p)}</a>`).join('');
  document.querySelectorAll('#crumbs a').forEach((a) => a.addEventListener('click', () => { b.path = a.dataset.path; loadTree(b); }));
  $('#tree').innerHTML = '<div class="empty">Loading…</div>';
  try {
    const nodes = await api('GET', `/api/v1/agents/${b.agent}/browse?snapshot=${encodeURIComponent(b.snapshot)}&path=${encodeURIComponent(b.path)}`);
    const children = nodes.filter((n) => n.path !== b.path);
    $('#tree').innerHTML = children.length ? `<table id="tree-table"><thead><tr><th></th><th>Name</th><th>Type</th><th class="num">Size</th><th>Modified</th></tr></thead><tbody>
      ${children.map((n) => `<tr><td><input type="checkbox" class="pick" data-path="${esc(n.path)}" ${b.selected.has(n.path) ? 'checked' : ''}></td>
        <td>${n.type === 'dir' ? `<a class="enter" data-path="${esc(n.path)}">${esc(n.name)}/</a>` : esc(n.name)}</td><td>${esc(n.type)}</td>
        <td class="num">${n.type === 'file' ? bytes(n.size) : ''}</td><td>${esc(new Date(n.mtime_ns / 1e6).toLocaleString())}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">Empty directory.</div>';
    document.querySelectorAll('#tree a.enter').forEach((a) => a.addEventListener('click', () => { b.path = a.dataset.path; loadTree(b); }));
    document.querySelectorAll('#tree input.pick').forEach((c) => c.addEventListener('change', () => {
      if (c.checked) b.selected.add(c.dataset.path); else b.selected.delete(c.dataset.path);
      $('#restore-selection').textContent = b.selected.size ? [...b.selected].join(', ') : 'the whole snapshot';
    }));
  } catch (e) { $('#tree').innerHTML = `<div class="error">${esc(e.message)}</div>`; }
}
async function startRestore(b) {
  const body = { source_agent_id: b.agent, target_agent_id: Number($('#restore-agent').value), snapshot: b.snapshot,
    paths: [...b.selected], target: $('#restore-target').value.trim(), overwrite: $('#restore-overwrite').checked };
  const status = $('#restore-status');
  try {
    const { job_id } = await api('POST', '/api/v1/restores', body);
    status.innerHTML = `Restore job <span class="mono">${esc(job_id.slice(0, 8))}</span>: <span id="restore-state">${stateBadge('queued')}</span> <span id="restore-text" class="muted"></span>`;
    const poll = async () => {
      const j = await api('GET', '/api/v1/jobs/' + job_id);
      if (!$('#restore-state')) return;
      $('#restore-state').innerHTML = stateBadge(j.state);
      $('#restore-text').innerHTML = jobText(j);
      if (j.state !== 'succeeded' && j.state !== 'failed') setTimeout(poll, 700);
    };
    poll();
  } catch (e) { status.innerHTML = `<div class="error">${esc(e.message)}</div>`; }
}

async function viewReports(el) {
  state.agents = await api('GET', '/api/v1/agents');
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 864e5).toISOString().slice(0, 10);
  el.innerHTML = `<div class="card"><h2>Reports (CSV)</h2><p class="muted">Jobs and storage per agent over a period, for spreadsheets and audits.</p>
    <div class="row"><label for="rep-from">From</label><input type="date" id="rep-from" value="${monthAgo}"><label for="rep-to">to</label><input type="date" id="rep-to" value="${today}">
      <label for="rep-agent">Agent</label><select id="rep-agent"><option value="">all agents</option>${state.agents.map((a) => `<option value="${a.id}">${esc(a.name)}</option>`).join('')}</select>
      <a id="rep-jobs" class="button primary" href="#">Download jobs.csv</a><a id="rep-storage" class="button" href="#">Download storage.csv</a></div></div>`;
  const update = () => {
    const q = `?from=${$('#rep-from').value}&to=${$('#rep-to').value}&agent=${$('#rep-agent').value}`;
    $('#rep-jobs').href = '/api/v1/reports/jobs.csv' + q;
    $('#rep-storage').href = '/api/v1/reports/storage.csv' + q;
  };
  el.querySelectorAll('input, select').forEach((i) => i.addEventListener('change', update));
  update();
}

const views = { dashboard: ['Dashboard', viewDashboard, true], agents: ['Agents', viewAgents, false], policies: ['Policies', viewPolicies, false],
  jobs: ['Jobs', viewJobs, true], restore: ['Browse & restore', viewRestore, false], reports: ['Reports', viewReports, false] };

async function render() {
  const [title, fn] = views[state.view];
  $('#page-title').textContent = title;
  const el = $('#view');
  try { await fn(el); applyWidths(el); $('#refreshed').textContent = 'updated ' + new Date().toLocaleTimeString(); } catch (e) { if (e.message !== 'please sign in') toast(e.message, true); }
}
function route() {
  const name = (location.hash || '#dashboard').slice(1);
  state.view = views[name] ? name : 'dashboard';
  document.querySelectorAll('.sidebar a').forEach((a) => a.classList.toggle('active', a.dataset.view === state.view));
  clearInterval(state.timer);
  render();
  // Dashboard and jobs refresh themselves; forms are left alone while edited.
  if (views[state.view][2]) state.timer = setInterval(render, 5000);
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', async () => {
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('#login-error').textContent = '';
    try {
      const r = await api('POST', '/api/v1/login', { password: $('#login-password').value });
      state.csrf = r.csrf_token; $('#login-password').value = '';
      showApp();
    } catch (e) { $('#login-error').textContent = e.message; }
  });
  $('#logout').addEventListener('click', async () => { await api('POST', '/api/v1/logout').catch(() => {}); state.csrf = ''; showLogin(); });
  try {
    const s = await fetch('/api/v1/session', { credentials: 'same-origin' });
    if (s.ok) { state.csrf = (await s.json()).csrf_token; showApp(); } else showLogin();
  } catch (e) { showLogin(); }
});
