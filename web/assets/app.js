// The dashboard: reads the public API and draws the goal tree, an indicator, a goal's history and
// the commitments, as in force on a date and as the ledger knew them; follows /live and reads again
// after each update with min_seq, so that what is reported appears without a reload. Every request
// carries the bearer token the tab signed in with.

import { t, setLanguage, language, languages, localize, num } from './i18n.js';
import { drawChart, legend } from './chart.js';

const query = new URLSearchParams(location.search);
const state = {
  tenant: query.get('tenant') || 'demo',
  period: query.get('period') || '',
  asOf: query.get('as_of') || '',
  knownAt: query.get('known_at') || '',
  goal: query.get('goal') || '',
  indicator: query.get('indicator') || '',
  organ: query.get('organ') || '',
  year: query.get('year') || '',
  minSeq: 0, // the last sequence /live has announced
  periods: [],
  organs: new Map(),
};
setLanguage(query.get('lang') || localStorage.getItem('takt.lang') || 'sv');

const $ = (id) => document.getElementById(id);

// The bearer token: from #token= in the address, which the page then removes from it (a fragment
// never reaches the server, nor a Referer), else the one this tab signed in with.
const tokenKey = 'takt.token';
function tokenFromAddress() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(tokenKey, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey) || '';
}
let token = tokenFromAddress();

function authorized(headers) {
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

// Unauthorized is a 401: the tab has no token, or one that is refused.
class Unauthorized extends Error {}

// h builds an element: attrs holds class, text, data (dataset), on* handlers and plain attributes.
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'data') Object.entries(v).forEach(([dk, dv]) => { if (dv !== undefined && dv !== null) e.dataset[dk] = dv; });
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c);
  return e;
}

// api reads path under the tenant with the read options of the controls.
async function api(path, extra = {}) {
  const p = new URLSearchParams();
  if (state.asOf) p.set('as_of', state.asOf);
  if (state.knownAt) p.set('known_at', state.knownAt);
  if (state.minSeq) p.set('min_seq', state.minSeq);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') p.set(k, v);
  const url = `/v1/tenants/${encodeURIComponent(state.tenant)}${path}?${p}`;
  if (!token) throw new Unauthorized(''); // signed out while a load was under way: ask nothing more
  const resp = await fetch(url, { headers: authorized({ Accept: 'application/json' }) });
  const body = await resp.json().catch(() => ({}));
  if (resp.status === 401) throw new Unauthorized(body.detail || resp.statusText);
  if (!resp.ok) throw new Error(body.detail || resp.statusText);
  return body;
}

function organName(id) {
  const o = state.organs.get(id);
  return o ? o.name : id;
}

function decisionText(d) {
  if (!d) return '';
  const parts = [organName(d.organ), d.paragraph].filter(Boolean).join(' ');
  return `${parts}, ${t('meeting')} ${d.meeting_date}${d.case_number ? `, ${t('caseNumber')} ${d.case_number}` : ''}`;
}

function showError(what, err) {
  const box = $('error');
  if (!err) { box.hidden = true; box.textContent = ''; return; }
  box.hidden = false;
  box.textContent = t('error', { what, detail: err.message });
}

function syncURL() {
  const p = new URLSearchParams();
  if (state.tenant !== 'demo') p.set('tenant', state.tenant);
  if (language() !== 'sv') p.set('lang', language());
  for (const [k, v] of [['period', state.period], ['as_of', state.asOf], ['known_at', state.knownAt],
    ['goal', state.goal], ['indicator', state.indicator], ['organ', state.organ], ['year', state.year]]) {
    if (v) p.set(k, v);
  }
  const s = p.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

// --- loading ---------------------------------------------------------------------------------

let loading = null, again = false;
// refresh reads everything again; calls while a read runs make one more read after it.
function refresh() {
  if (loading) { again = true; return loading; }
  loading = load().finally(() => {
    loading = null;
    if (again) { again = false; refresh(); }
  });
  return loading;
}

async function load() {
  syncURL();
  if (!token) { signIn(''); return; }
  const asked = token; // a sign-out while this load is under way makes its answers stale
  try {
    const [periods, organs] = await Promise.all([api('/periods'), api('/organs')]);
    state.periods = periods.periods || [];
    state.organs = new Map((organs.organs || []).map((o) => [o.id, o]));
    choosePeriod();
    renderPeriods();
    const tree = await api('/goals', { period: state.period });
    renderTree(tree);
    await Promise.all([loadGoal(), loadIndicator(), loadCommitments()]);
    if (token !== asked) return;
    showError();
    signedIn(true);
    startLive(tree.known_at);
    document.body.dataset.loaded = String(tree.known_at);
  } catch (err) {
    if (token !== asked) return;
    if (err instanceof Unauthorized) signIn(err.message);
    else showError(state.tenant, err);
  }
}

// signIn asks for a token, saying why the last one (if any) was refused.
function signIn(why) {
  stopLive();
  signedIn(false);
  $('signin-why').textContent = token ? why : '';
  $('signin').hidden = false;
  $('token').focus();
}

function signedIn(yes) {
  $('signin').hidden = yes;
  $('signout').hidden = !yes || !token;
  document.body.dataset.signedIn = String(yes);
}

function choosePeriod() {
  if (state.period && state.periods.some((p) => p.id === state.period)) return;
  const year = state.asOf ? Number(state.asOf.slice(0, 4)) : new Date().getFullYear();
  const covering = state.periods.find((p) => p.first_year <= year && year <= p.last_year);
  state.period = (covering || state.periods[state.periods.length - 1] || {}).id || '';
}

function renderPeriods() {
  const sel = $('period');
  sel.replaceChildren(...state.periods.map((p) => h('option', { value: p.id, text: p.id, selected: p.id === state.period })));
}

// --- the goal tree ---------------------------------------------------------------------------

function renderTree(tree) {
  const root = $('goal-tree');
  root.dataset.period = tree.period;
  root.dataset.asOf = tree.as_of;
  root.dataset.knownAt = tree.known_at;
  $('tree-meta').textContent = t('treeMeta', { period: tree.period, asOf: tree.as_of, seq: tree.known_at });
  const nodes = [];
  for (const v of tree.visions || []) {
    nodes.push(h('section', { class: 'vision', data: { vision: v.id } },
      h('h3', { text: t('vision') + (v.horizon ? ` ${v.horizon}` : '') }), h('p', { text: v.text })));
  }
  const goals = tree.goals || [];
  const byId = new Map(goals.map((g) => [g.id, g]));
  const children = new Map();
  for (const g of goals) {
    for (const l of g.contributes_to || []) {
      if (!byId.has(l.goal)) continue;
      if (!children.has(l.goal)) children.set(l.goal, []);
      children.get(l.goal).push(g);
    }
  }
  const tops = goals.filter((g) => !(g.contributes_to || []).some((l) => byId.has(l.goal)));
  const areas = new Map();
  for (const g of tops) {
    const area = g.goal_area || '';
    if (!areas.has(area)) areas.set(area, []);
    areas.get(area).push(g);
  }
  for (const [area, gs] of areas) {
    nodes.push(h('section', { class: 'area', data: { goalArea: area } },
      h('h3', { text: area || t('noArea') }),
      h('ul', { class: 'goals' }, gs.map((g) => goalNode(g, children, new Set())))));
  }
  if (!goals.length) nodes.push(h('p', { class: 'hint', text: t('noGoals') }));
  root.replaceChildren(...nodes);
}

function goalNode(g, children, seen) {
  seen = new Set(seen).add(g.id);
  const attainment = g.assessment ? g.assessment.attainment : 'none';
  const kids = (children.get(g.id) || []).filter((c) => !seen.has(c.id));
  return h('li', { class: `goal level-${g.level}${g.id === state.goal ? ' selected' : ''}${g.status === 'retired' ? ' retired' : ''}`,
    data: { goalId: g.id, level: g.level, attainment } },
  h('div', { class: 'goal-head' },
    h('span', { class: `attain attain-${attainment}`, title: t(`attainment.${attainment}`), text: t(`attainment.${attainment}`) }),
    h('button', { type: 'button', class: 'goal-title', text: g.title, onclick: () => selectGoal(g.id) }),
    h('span', { class: 'badge', text: t(`levels.${g.level}`) }),
    h('span', { class: 'owner', text: organName(g.owner) })),
  (g.indicators || []).length ? h('ul', { class: 'indicators' }, g.indicators.map(indicatorRow)) : null,
  kids.length ? h('ul', { class: 'children' }, kids.map((c) => goalNode(c, children, seen))) : null);
}

function indicatorRow(ind) {
  const latest = ind.latest, target = ind.target;
  const status = ind.status || 'no_value';
  return h('li', { class: `indicator${ind.id === state.indicator ? ' selected' : ''}`, data: { indicator: ind.id, status } },
    h('button', { type: 'button', class: 'link', text: ind.name, onclick: () => selectIndicator(ind.id) }),
    h('span', { class: 'figures' },
      h('span', { class: 'latest', title: t('latest'), data: { field: 'latest', value: latest && latest.value, year: latest && latest.year } },
        latest ? `${num(latest.value)} ${ind.unit} (${latest.year})` : '–'),
      ' / ',
      h('span', { class: 'target', title: t('target'), data: { field: 'target', value: target && target.value, year: target && (target.year || 'term_end') } },
        target ? `${num(target.value)} ${ind.unit}` : '–'),
      h('span', { class: `status status-${status}`, text: t(`status.${status}`) })));
}

function selectGoal(id) {
  state.goal = id;
  document.querySelectorAll('#goal-tree li.goal').forEach((li) => li.classList.toggle('selected', li.dataset.goalId === id));
  syncURL();
  loadGoal();
}

function selectIndicator(id) {
  state.indicator = id;
  document.querySelectorAll('#goal-tree li.indicator').forEach((li) => li.classList.toggle('selected', li.dataset.indicator === id));
  syncURL();
  loadIndicator().then(() => $('indicator-panel').scrollIntoView({ block: 'nearest' }));
}

// --- one goal and its history ----------------------------------------------------------------

async function loadGoal() {
  const detail = $('goal-detail'), timeline = $('audit-timeline');
  if (!state.goal) {
    detail.replaceChildren(h('p', { class: 'hint', text: t('pickGoal') }));
    timeline.replaceChildren(h('p', { class: 'hint', text: t('pickGoal') }));
    return;
  }
  try {
    const [g, hist] = await Promise.all([api(`/goals/${encodeURIComponent(state.goal)}`),
      api(`/goals/${encodeURIComponent(state.goal)}/history`)]);
    renderGoal(g);
    renderHistory(hist.versions || []);
  } catch (err) {
    detail.replaceChildren(h('p', { class: 'error', text: t('error', { what: state.goal, detail: err.message }) }));
    timeline.replaceChildren();
  }
}

function renderGoal(g) {
  const a = g.assessment;
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  const goalLink = (id) => h('button', { type: 'button', class: 'link', text: id, onclick: () => selectGoal(id) });
  $('goal-detail').replaceChildren(h('article', { data: { goalDetail: g.id } },
    h('h3', { text: g.title }),
    g.description ? h('p', { text: g.description }) : null,
    h('dl', {},
      row(t('level'), t(`levels.${g.level}`) + (g.status === 'retired' ? ` (${t('retired')})` : '')),
      row(t('owner'), organName(g.owner)),
      g.goal_area ? row(t('goalArea'), g.goal_area) : null,
      (g.sdgs || []).length ? row(t('sdgs'), g.sdgs.map((s) => `${s.sdg}${s.strength === 'partial' ? ' (delvis)' : ''}`).join(', ')) : null,
      row(t('decision'), decisionText(g.decision)),
      (g.contributes_to || []).length ? row(t('contributesTo'), ...g.contributes_to.map((l) => goalLink(l.goal))) : null,
      (g.contributors || []).length ? row(t('contributors'), ...g.contributors.map(goalLink)) : null),
    h('div', { class: 'assessment', data: { attainment: a ? a.attainment : 'none' } },
      h('h4', { text: t('assessment') }),
      a ? [h('p', {}, h('span', { class: `attain attain-${a.attainment}`, text: t(`attainment.${a.attainment}`) }),
        ` ${t(`points.${a.point}`)} ${a.year} · ${t('suggested')}: ${t(`attainment.${a.suggested}`)}`),
      h('p', { class: 'motivation', text: a.motivation }),
      h('p', { class: 'meta', text: decisionText(a.decision) })] : h('p', { text: t('noAssessment') })),
    h('h4', { text: t('indicator') }),
    (g.indicators || []).length ? h('ul', { class: 'indicators' }, g.indicators.map(indicatorRow)) : h('p', { text: t('noIndicators') })));
}

function show(v) {
  if (v === undefined) return '';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return v;
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

function renderHistory(versions) {
  const root = $('audit-timeline');
  if (!versions.length) { root.replaceChildren(h('p', { class: 'hint', text: t('noHistory') })); return; }
  root.replaceChildren(h('ol', { class: 'timeline', data: { goal: state.goal } }, versions.map((v) => {
    const diff = Object.entries(v.diff || {}).sort(([a], [b]) => a.localeCompare(b));
    return h('li', { data: { seq: v.seq, eventType: v.event_type, kind: v.kind } },
      h('div', { class: 'when' }, h('time', { datetime: v.valid_from, text: v.valid_from }),
        v.valid_to ? h('span', { class: 'meta', text: ` – ${v.valid_to}` }) : null),
      h('div', { class: 'what' },
        h('strong', { text: t(`events.${v.event_type}`) }), ' ',
        h('span', { class: 'meta', text: `${t(`kinds.${v.kind}`)} ${v.id}` }),
        v.decision ? h('p', { class: 'decision', text: `${t('decision')}: ${decisionText(v.decision)}` })
          : h('p', { class: 'decision', text: `${t('by')} ${organName(v.organ)}` }),
        v.reason ? h('p', { class: 'reason', text: `${t('reason')}: ${v.reason}` }) : null,
        diff.length ? h('table', { class: 'diff' },
          h('thead', {}, h('tr', {}, h('th', { text: t('field') }), h('th', { text: t('before') }), h('th', { text: t('after') }))),
          h('tbody', {}, diff.map(([field, c]) => h('tr', { data: { field } },
            h('td', { text: field }), h('td', { class: 'before', text: show(c.before) }), h('td', { class: 'after', text: show(c.after) }))))) : null,
        h('p', { class: 'meta', text: `${t('recorded')} ${new Date(v.recorded_at).toLocaleString(language() === 'sv' ? 'sv-SE' : 'en-GB')} · ${t('actor')} ${v.actor} · ${t('seq')} ${v.seq}` })));
  })));
}

// --- one indicator ---------------------------------------------------------------------------

async function loadIndicator() {
  const root = $('indicator-view');
  if (!state.indicator) { root.replaceChildren(h('p', { class: 'hint', text: t('pickIndicator') })); return; }
  try {
    renderIndicator(await api(`/indicators/${encodeURIComponent(state.indicator)}`));
  } catch (err) {
    root.replaceChildren(h('p', { class: 'error', text: t('error', { what: state.indicator, detail: err.message }) }));
  }
}

function renderIndicator(ind) {
  const period = state.periods.find((p) => p.id === (ind.period || state.period)) || state.periods.find((p) => p.id === state.period);
  const first = period ? period.first_year : new Date().getFullYear() - 3, last = period ? period.last_year : first + 3;
  const inForce = new Set((ind.targets || []).map((tv) => tv.seq));
  const targetKey = (tv) => (tv.term_end ? 'term_end' : String(tv.year));
  const status = ind.status || 'no_value';
  $('indicator-view').replaceChildren(h('article', { data: { indicatorDetail: ind.id, status } },
    h('h3', { text: ind.name }),
    h('p', { class: 'meta' },
      `${t('unit')}: ${ind.unit} · ${t('direction')}: ${t(ind.direction)}`,
      ind.source ? ` · ${t('source')}: ${[ind.source.description, ind.source.kpi].filter(Boolean).join(' ') || ind.source.kind}` : '',
      ind.baseline ? ` · ${t('baseline')}: ${num(ind.baseline.value)} (${ind.baseline.year})` : '',
      ' ', h('span', { class: `status status-${status}`, text: t(`status.${status}`) })),
    ind.description ? h('p', { text: ind.description }) : null,
    drawChart(ind, first, last, { t, num }),
    legend(ind, { t }),
    (ind.method_breaks || []).map((b) => h('p', { class: 'break-note', data: { methodBreak: b.from_year } },
      h('strong', { text: t('methodBreakFrom', { year: b.from_year }) }), `: ${b.description}`)),
    h('h4', { text: t('targets') }),
    h('table', { class: 'targets' },
      h('thead', {}, h('tr', {}, ...[t('year'), t('target'), t('validFrom'), t('decision')].map((s) => h('th', { text: s })))),
      h('tbody', {}, (ind.targets || []).map((tv) => h('tr', { data: { targetYear: targetKey(tv), value: tv.value, seq: tv.seq } },
        h('td', { text: tv.term_end ? t('termEnd') : String(tv.year) }),
        h('td', { class: 'num', data: { field: 'target-value', value: tv.value }, text: `${tv.comparison === 'at_most' ? '≤' : tv.comparison === 'exactly' ? '=' : '≥'} ${num(tv.value)}` }),
        h('td', { text: tv.valid_from }),
        h('td', { text: decisionText(tv.decision) }))))),
    (ind.target_history || []).length > (ind.targets || []).length ? [
      h('h4', { text: t('targetHistory') }),
      h('table', { class: 'targets history' },
        h('tbody', {}, ind.target_history.map((tv) => h('tr', { class: inForce.has(tv.seq) ? '' : 'superseded',
          data: { targetYear: targetKey(tv), value: tv.value, seq: tv.seq } },
        h('td', { text: tv.term_end ? t('termEnd') : String(tv.year) }),
        h('td', { class: 'num', text: num(tv.value) }),
        h('td', { text: tv.valid_from }),
        h('td', { text: decisionText(tv.decision) + (inForce.has(tv.seq) ? '' : ` (${t('superseded')})`) })))))] : null,
    h('h4', { text: t('values') }),
    h('table', { class: 'values' },
      h('thead', {}, h('tr', {}, ...[t('year'), t('point'), t('total'), t('women'), t('men'), '', t('organ')].map((s) => h('th', { text: s })))),
      h('tbody', {}, (ind.values || []).map((v) => h('tr', { class: v.corrected_by ? 'corrected' : v.corrects ? 'correction' : '',
        data: { valueId: v.id, year: v.year, value: v.value } },
      h('td', { text: String(v.year) }),
      h('td', { text: t(`points.${v.point}`) }),
      h('td', { class: 'num', text: v.value != null ? num(v.value) : v.text || '–' }),
      h('td', { class: 'num', text: v.breakdown && v.breakdown.women != null ? num(v.breakdown.women) : '' }),
      h('td', { class: 'num', text: v.breakdown && v.breakdown.men != null ? num(v.breakdown.men) : '' }),
      h('td', { text: [t(v.status), v.late ? t('late') : '',
        v.corrected_by ? t('correctedTo', { v: correctionValue(ind, v.corrected_by) }) : '',
        v.corrects ? `${t('correction')}: ${v.reason || ''}` : ''].filter(Boolean).join(' · ') }),
      h('td', { text: organName(v.organ) })))))));
}

function correctionValue(ind, id) {
  const c = (ind.values || []).find((v) => v.id === id);
  return c && c.value != null ? num(c.value) : id;
}

// --- commitments -----------------------------------------------------------------------------

async function loadCommitments() {
  const root = $('commitments');
  let list;
  try {
    list = (await api('/commitments', { period: state.period })).commitments || [];
  } catch (err) {
    root.replaceChildren(h('p', { class: 'error', text: t('error', { what: t('commitments'), detail: err.message }) }));
    return;
  }
  const organs = [...new Set(list.map((c) => c.responsible))].sort((a, b) => organName(a).localeCompare(organName(b), 'sv'));
  const years = [...new Set(list.map((c) => c.year))].sort();
  fillSelect($('commitment-organ'), [['', t('allOrgans')], ...organs.map((o) => [o, organName(o)])], state.organ);
  fillSelect($('commitment-year'), [['', t('allYears')], ...years.map((y) => [String(y), String(y)])], state.year);
  const shown = list.filter((c) => (!state.organ || c.responsible === state.organ) && (!state.year || String(c.year) === state.year));
  if (!shown.length) { root.replaceChildren(h('p', { class: 'hint', text: t('noCommitments') })); return; }
  const groups = new Map();
  for (const c of shown) {
    const key = `${c.responsible}|${c.year}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  root.replaceChildren(...[...groups].map(([key, cs]) => {
    const [organ, year] = key.split('|');
    return h('section', { class: 'commitment-group', data: { organ, year } },
      h('h3', { text: `${organName(organ)} · ${year}` }),
      h('ul', { class: 'commitments' }, cs.map(commitmentItem)));
  }));
}

function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, label]) => h('option', { value: v, text: label, selected: v === value })));
}

function commitmentItem(c) {
  const m = c.measure || {};
  const reached = c.status === 'completed' && c.value != null ? c.value : c.progress && c.progress.value;
  let share = null;
  if (typeof reached === 'number' && typeof m.target === 'number') {
    const base = typeof m.baseline === 'number' ? m.baseline : 0;
    share = m.target === base ? 1 : Math.max(0, Math.min(1, (reached - base) / (m.target - base)));
  }
  const fill = h('span', { class: 'fill' });
  if (share !== null) fill.style.width = `${Math.round(share * 100)}%`;
  const progress = c.progress;
  return h('li', { class: `commitment status-${c.status}`, data: { commitmentId: c.id, status: c.status } },
    h('p', { class: 'text', text: c.text }),
    h('p', { class: 'meta' },
      h('span', { class: `chip chip-${c.status}`, text: t(`commitmentStatus.${c.status}`) }),
      ` ${t('due')} ${c.due}`,
      c.goal ? [' · ', h('button', { type: 'button', class: 'link', text: c.goal, onclick: () => selectGoal(c.goal) })] : null),
    h('div', { class: 'progress', title: `${m.description || ''}` },
      h('span', { class: `bar${progress ? ` progress-${progress.status}` : ''}` }, fill),
      h('span', { class: 'figures', text: `${reached != null ? num(reached) : '–'} / ${m.target != null ? num(m.target) : '–'} ${m.unit || ''}` +
        (progress && c.status === 'active' ? ` · ${t(`progressStatus.${progress.status}`)} ${progress.valid_from}` : '') })),
    c.outcome ? h('p', { class: 'outcome', text: `${t('outcome')}: ${c.outcome}` }) : null,
    c.reason ? h('p', { class: 'outcome', text: `${t('reason')}: ${c.reason}` }) : null);
}

// --- live ------------------------------------------------------------------------------------

let live = null, pending = null; // the open stream's AbortController; the refresh it has scheduled

function setLive(s) {
  const el = $('live-status');
  el.dataset.state = s;
  $('live-text').textContent = t(s === 'open' ? 'liveOpen' : s === 'closed' ? 'liveClosed' : 'liveConnecting');
}

// startLive follows /live from the sequence after the one the first answer was built from. It
// reads the server-sent events through fetch, which, unlike EventSource, sends the token; a stream
// that ends is opened again from the last sequence seen, as Last-Event-ID would.
async function startLive(knownAt) {
  if (live || !token) return;
  state.minSeq = Math.max(state.minSeq, knownAt);
  const ctl = new AbortController();
  live = ctl;
  setLive('connecting');
  try {
    const resp = await fetch(`/v1/tenants/${encodeURIComponent(state.tenant)}/live?from=${state.minSeq + 1}`,
      { headers: authorized({ Accept: 'text/event-stream' }), signal: ctl.signal, cache: 'no-store' });
    if (resp.status === 401) {
      const body = await resp.json().catch(() => ({}));
      live = null;
      signIn(body.detail || resp.statusText);
      return;
    }
    if (!resp.ok || !resp.body) throw new Error(resp.statusText);
    setLive('open');
    const lines = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '', id = '', data = false;
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      buffer += value;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data) updated(Number(id));
          data = false;
        } else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data = true;
      }
    }
  } catch (err) {
    if (ctl.signal.aborted) return;
  }
  if (live !== ctl) return;
  live = null;
  setLive('closed');
  setTimeout(() => { if (!live) startLive(state.minSeq); }, 5000);
}

function stopLive() {
  if (live) live.abort();
  live = null;
  setLive('closed');
}

// updated reads again once the projection has applied seq.
function updated(seq) {
  if (seq > state.minSeq) state.minSeq = seq;
  document.body.dataset.liveSeq = String(seq);
  clearTimeout(pending);
  pending = setTimeout(refresh, 150);
}

// --- controls --------------------------------------------------------------------------------

function wire() {
  $('tenant-name').textContent = state.tenant;
  $('as-of').value = state.asOf;
  $('known-at').value = state.knownAt;
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  $('period').addEventListener('change', (e) => { state.period = e.target.value; refresh(); });
  $('as-of').addEventListener('change', (e) => { state.asOf = e.target.value; refresh(); });
  $('known-at').addEventListener('change', (e) => {
    const v = e.target.value.trim();
    const ok = v === '' || /^seq:\d+$/.test(v) || /^\d{4}-\d{2}-\d{2}/.test(v);
    e.target.classList.toggle('invalid', !ok);
    if (ok) { state.knownAt = v; refresh(); }
  });
  $('today').addEventListener('click', () => {
    state.asOf = ''; state.knownAt = '';
    $('as-of').value = ''; $('known-at').value = '';
    refresh();
  });
  $('lang').addEventListener('click', () => {
    const next = languages[(languages.indexOf(language()) + 1) % languages.length];
    setLanguage(next);
    localStorage.setItem('takt.lang', next);
    localizeAll();
    refresh();
  });
  $('signin').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    sessionStorage.setItem(tokenKey, token);
    refresh();
  });
  // A #token= link opened in this tab signs in without a reload.
  window.addEventListener('hashchange', () => {
    const next = tokenFromAddress();
    if (next && next !== token) {
      token = next;
      stopLive();
      refresh();
    }
  });
  $('signout').addEventListener('click', () => {
    token = '';
    sessionStorage.removeItem(tokenKey);
    signIn('');
  });
  $('commitment-organ').addEventListener('change', (e) => { state.organ = e.target.value; syncURL(); loadCommitments(); });
  $('commitment-year').addEventListener('change', (e) => { state.year = e.target.value; syncURL(); loadCommitments(); });
}

function localizeAll() {
  localize(document);
  $('lang').textContent = t('langSwitch');
  document.title = `takt · ${state.tenant}`;
  setLive($('live-status').dataset.state);
}

wire();
localizeAll();
refresh();
