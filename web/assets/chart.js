// An indicator over the term as an SVG chart: values against targets, the baseline, the gender
// breakdown, corrected values and comparability breaks (no line is drawn across a break).

const NS = 'http://www.w3.org/2000/svg';
const W = 640, H = 280, M = { left: 52, right: 18, top: 18, bottom: 34 };

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function titled(e, text) {
  e.appendChild(el('title', {}, text));
  return e;
}

// inForce picks, per year, the value that a line shows: the annual value if there is one, else the
// latest interim point, never one that a correction replaced.
export function valuesByYear(values) {
  const byYear = new Map();
  const rank = { annual: 3, T2: 2, T1: 1 };
  for (const v of values || []) {
    if (v.corrected_by || v.value === undefined || v.value === null) continue;
    const have = byYear.get(v.year);
    if (!have || (rank[v.point] ?? 0) > (rank[have.point] ?? 0) ||
        ((rank[v.point] ?? 0) === (rank[have.point] ?? 0) && v.seq > have.seq)) byYear.set(v.year, v);
  }
  return [...byYear.values()].sort((a, b) => a.year - b.year);
}

function niceStep(span) {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

// drawChart returns an <svg> of the indicator over the years [first, last].
export function drawChart(ind, first, last, { t, num }) {
  const values = valuesByYear(ind.values);
  const corrected = (ind.values || []).filter((v) => v.corrected_by && v.value != null);
  const targets = (ind.targets || []).map((tv) => ({ ...tv, year: tv.year || (tv.term_end ? last : undefined) }))
    .filter((tv) => tv.year !== undefined).sort((a, b) => a.year - b.year);
  const breaks = (ind.method_breaks || []).map((b) => b.from_year);
  const x0 = Math.min(first, ind.baseline ? ind.baseline.year : first), x1 = Math.max(last, x0 + 1);

  const ys = [...values.map((v) => v.value), ...targets.map((v) => v.value), ...corrected.map((v) => v.value)];
  for (const v of values) if (v.breakdown) ys.push(v.breakdown.women, v.breakdown.men);
  if (ind.baseline) ys.push(ind.baseline.value);
  const nums = ys.filter((v) => typeof v === 'number');
  let lo = nums.length ? Math.min(...nums) : 0, hi = nums.length ? Math.max(...nums) : 1;
  if (lo === hi) { lo -= 1; hi += 1; }
  const step = niceStep(hi - lo);
  lo = Math.floor((lo - step / 2) / step) * step;
  hi = Math.ceil((hi + step / 2) / step) * step;
  if (lo < 0 && Math.min(...nums) >= 0) lo = 0;

  const x = (year) => M.left + ((year - x0) / (x1 - x0)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - ((v - lo) / (hi - lo)) * (H - M.top - M.bottom);

  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'data-chart': ind.id,
    'aria-label': `${ind.name} (${ind.unit})` });
  const axes = svg.appendChild(el('g', { class: 'axes' }));
  for (let v = lo; v <= hi + step / 1000; v += step) {
    axes.appendChild(el('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }));
    axes.appendChild(el('text', { x: M.left - 6, y: y(v) + 4, class: 'tick y' }, num(Math.round(v * 1000) / 1000)));
  }
  for (let yr = x0; yr <= x1; yr++) {
    axes.appendChild(el('text', { x: x(yr), y: H - M.bottom + 18, class: 'tick x' }, String(yr)));
  }
  axes.appendChild(el('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }));

  // The comparability breaks, between the last year of the old method and the first of the new.
  for (const year of breaks) {
    const bx = x(year - 0.5);
    const g = svg.appendChild(el('g', { class: 'break', 'data-method-break': year }));
    g.appendChild(el('line', { x1: bx, x2: bx, y1: M.top, y2: H - M.bottom }));
    g.appendChild(el('text', { x: bx + 4, y: M.top + 10 }, t('methodBreak')));
    titled(g, t('methodBreakFrom', { year }));
  }

  // A line through points, broken where a method break falls between two of them.
  const line = (points, cls, series) => {
    const g = svg.appendChild(el('g', { class: `series ${cls}`, 'data-series': series }));
    let d = '';
    points.forEach((p, i) => {
      const joined = i > 0 && !breaks.some((b) => points[i - 1].year < b && b <= p.year);
      d += `${joined ? 'L' : 'M'}${x(p.year).toFixed(1)},${y(p.v).toFixed(1)} `;
    });
    if (d) g.appendChild(el('path', { d }));
    return g;
  };
  const dots = (g, points, label, r = 4) => {
    for (const p of points) {
      g.appendChild(titled(el('circle', { cx: x(p.year), cy: y(p.v), r, 'data-year': p.year, 'data-value': p.v }),
        `${label} ${p.year}: ${num(p.v)} ${ind.unit}`));
    }
  };

  if (ind.baseline) {
    const g = svg.appendChild(el('g', { class: 'series baseline', 'data-series': 'baseline' }));
    g.appendChild(el('line', { x1: x(ind.baseline.year), x2: W - M.right, y1: y(ind.baseline.value), y2: y(ind.baseline.value) }));
    dots(g, [{ year: ind.baseline.year, v: ind.baseline.value }], t('baseline'), 4);
  }
  const tgt = targets.map((tv) => ({ year: tv.year, v: tv.value }));
  dots(line(tgt, 'target', 'target'), tgt, t('target'), 3.5);
  for (const [key, series] of [['women', 'women'], ['men', 'men']]) {
    const pts = values.filter((v) => v.breakdown && typeof v.breakdown[key] === 'number').map((v) => ({ year: v.year, v: v.breakdown[key] }));
    if (pts.length) dots(line(pts, series, series), pts, t(key), 2.5);
  }
  const val = values.map((v) => ({ year: v.year, v: v.value }));
  dots(line(val, 'value', 'values'), val, t('value'), 4.5);

  if (corrected.length) {
    const g = svg.appendChild(el('g', { class: 'series corrected', 'data-series': 'corrected' }));
    for (const c of corrected) {
      g.appendChild(titled(el('circle', { cx: x(c.year), cy: y(c.value), r: 5, 'data-year': c.year, 'data-value': c.value }),
        `${t('corrected')} ${c.year}: ${num(c.value)} ${ind.unit}`));
    }
  }
  return svg;
}

// legend names the series a chart shows.
export function legend(ind, { t }) {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  const items = [['values', t('value')], ['target', t('target')]];
  if (ind.baseline) items.push(['baseline', t('baseline')]);
  if ((ind.values || []).some((v) => v.breakdown)) items.push(['women', t('women')], ['men', t('men')]);
  if ((ind.values || []).some((v) => v.corrected_by)) items.push(['corrected', t('corrected')]);
  if ((ind.method_breaks || []).length) items.push(['break', t('methodBreak')]);
  for (const [cls, label] of items) {
    const li = ul.appendChild(document.createElement('li'));
    li.className = `key-${cls}`;
    li.textContent = label;
  }
  return ul;
}
