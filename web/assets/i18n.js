// Every string the dashboard shows, Swedish first. A key missing in English falls back to Swedish.
export const strings = {
  sv: {
    tagline: 'Mål, indikatorer och åtaganden – varje beslut i liggaren',
    period: 'Mandatperiod', asOf: 'I kraft per', knownAt: 'Liggaren per',
    knownAtHint: 'ÅÅÅÅ-MM-DD eller seq:N', today: 'Idag', langSwitch: 'English',
    liveOpen: 'Live', liveConnecting: 'Ansluter …', liveClosed: 'Frånkopplad',
    signIn: 'Logga in', signInHint: 'Klistra in en token från takt token create eller från den som administrerar takt.',
    token: 'Token', signInButton: 'Logga in', signOut: 'Logga ut',
    goalTree: 'Målträd', goal: 'Mål', indicator: 'Indikator', history: 'Beslutshistorik',
    commitments: 'Åtaganden', organ: 'Organ', year: 'År', allOrgans: 'Alla organ', allYears: 'Alla år',
    pickGoal: 'Välj ett mål i målträdet.', pickIndicator: 'Välj en indikator.',
    vision: 'Vision', noArea: 'Utan målområde', contributesTo: 'Bidrar till', contributors: 'Bidragande mål',
    owner: 'Ägare', level: 'Nivå', goalArea: 'Målområde', sdgs: 'Globala mål', decision: 'Beslut',
    treeMeta: 'Mandatperiod {period} · i kraft {asOf} · liggaren t.o.m. sekvens {seq}',
    latest: 'Senaste', target: 'Målvärde', baseline: 'Utgångsvärde', value: 'Värde', point: 'Tidpunkt',
    women: 'Kvinnor', men: 'Män', total: 'Totalt', corrected: 'Korrigerat', correctedTo: 'korrigerat till {v}',
    correction: 'Korrigering', reason: 'Skäl', preliminary: 'preliminärt', final: 'slutligt',
    methodBreak: 'Metodbyte', methodBreakFrom: 'Metodbyte från {year}: ej jämförbart bakåt',
    targets: 'Målvärden i kraft', targetHistory: 'Alla beslutade målvärden', superseded: 'ersatt',
    values: 'Rapporterade värden', termEnd: 'Mandatperiodens slut', unit: 'Enhet', source: 'Källa',
    direction: 'Riktning', higher_is_better: 'högre är bättre', lower_is_better: 'lägre är bättre', none: '–',
    assessment: 'Måluppfyllelse', suggested: 'Beräknat förslag', motivation: 'Motivering',
    noAssessment: 'Ej bedömt', noIndicators: 'Inga indikatorer.', noGoals: 'Inga mål i perioden.',
    noCommitments: 'Inga åtaganden.', noHistory: 'Ingen historik.',
    validFrom: 'Gäller från', recorded: 'Registrerat', by: 'av', meeting: 'sammanträde', caseNumber: 'dnr',
    field: 'Fält', before: 'Före', after: 'Efter', seq: 'sekvens', actor: 'Registrerat av',
    responsible: 'Ansvarig', due: 'Klart senast', progress: 'Framsteg', outcome: 'Utfall',
    measure: 'Mått', retired: 'avslutat', late: 'sent rapporterat', dissolved: 'upplöst',
    error: 'Kunde inte läsa {what}: {detail}',
    footer: 'takt – en liggare över kommunens planeringsbeslut.',
    levels: { strategic: 'Strategiskt mål', result: 'Resultatmål', process: 'Processmål',
      committee: 'Nämndmål', operational: 'Verksamhetsmål', company: 'Bolagsmål' },
    attainment: { achieved: 'Uppfyllt', partly_achieved: 'Delvis uppfyllt', not_achieved: 'Ej uppfyllt',
      not_assessable: 'Kan ej bedömas', none: 'Ej bedömt' },
    status: { on_track: 'I fas', off_track: 'Ej i fas', no_target: 'Målvärde saknas', no_value: 'Värde saknas' },
    commitmentStatus: { active: 'Pågår', completed: 'Genomfört', cancelled: 'Avbrutet' },
    progressStatus: { on_track: 'Enligt plan', at_risk: 'Risk', off_track: 'Försenat' },
    points: { T1: 'Tertial 1', T2: 'Delår', annual: 'Helår' },
    kinds: { organ: 'Organ', period: 'Period', vision: 'Vision', goal: 'Mål', indicator: 'Indikator',
      target: 'Målvärde', value: 'Värde', commitment: 'Åtagande', followup: 'Uppföljning' },
    events: {
      'goal.adopted': 'Mål antaget', 'goal.revised': 'Mål reviderat', 'goal.relinked': 'Mål omkopplat',
      'goal.carried_forward': 'Mål överfört till ny period', 'goal.retired': 'Mål avslutat',
      'goal.assessed': 'Måluppfyllelse bedömd', 'indicator.defined': 'Indikator fastställd',
      'indicator.target_set': 'Målvärde beslutat', 'indicator.value_reported': 'Värde rapporterat',
      'indicator.value_corrected': 'Värde korrigerat', 'indicator.method_changed': 'Metodbyte',
      'indicator.retired': 'Indikator avslutad', 'commitment.made': 'Åtagande beslutat',
      'commitment.revised': 'Åtagande reviderat', 'commitment.progress_reported': 'Framsteg rapporterat',
      'commitment.completed': 'Åtagande genomfört', 'commitment.cancelled': 'Åtagande avbrutet',
    },
  },
  en: {
    tagline: 'Goals, indicators and commitments – every decision in the ledger',
    period: 'Mandate period', asOf: 'In force on', knownAt: 'Ledger as of',
    knownAtHint: 'YYYY-MM-DD or seq:N', today: 'Today', langSwitch: 'Svenska',
    liveOpen: 'Live', liveConnecting: 'Connecting …', liveClosed: 'Disconnected',
    signIn: 'Sign in', signInHint: 'Paste a token from takt token create, or from whoever administers takt.',
    token: 'Token', signInButton: 'Sign in', signOut: 'Sign out',
    goalTree: 'Goal tree', goal: 'Goal', indicator: 'Indicator', history: 'Audit trail',
    commitments: 'Commitments', organ: 'Organ', year: 'Year', allOrgans: 'All organs', allYears: 'All years',
    pickGoal: 'Pick a goal in the goal tree.', pickIndicator: 'Pick an indicator.',
    vision: 'Vision', noArea: 'No goal area', contributesTo: 'Contributes to', contributors: 'Contributing goals',
    owner: 'Owner', level: 'Level', goalArea: 'Goal area', sdgs: 'Global goals', decision: 'Decision',
    treeMeta: 'Mandate period {period} · in force {asOf} · ledger up to sequence {seq}',
    latest: 'Latest', target: 'Target', baseline: 'Baseline', value: 'Value', point: 'Point',
    women: 'Women', men: 'Men', total: 'Total', corrected: 'Corrected', correctedTo: 'corrected to {v}',
    correction: 'Correction', reason: 'Reason', preliminary: 'preliminary', final: 'final',
    methodBreak: 'Method change', methodBreakFrom: 'Method change from {year}: not comparable backwards',
    targets: 'Targets in force', targetHistory: 'Every target decided', superseded: 'superseded',
    values: 'Reported values', termEnd: 'End of term', unit: 'Unit', source: 'Source',
    direction: 'Direction', higher_is_better: 'higher is better', lower_is_better: 'lower is better', none: '–',
    assessment: 'Attainment', suggested: 'Computed suggestion', motivation: 'Motivation',
    noAssessment: 'Not assessed', noIndicators: 'No indicators.', noGoals: 'No goals in the period.',
    noCommitments: 'No commitments.', noHistory: 'No history.',
    validFrom: 'Applies from', recorded: 'Recorded', by: 'by', meeting: 'meeting', caseNumber: 'case',
    field: 'Field', before: 'Before', after: 'After', seq: 'sequence', actor: 'Recorded by',
    responsible: 'Responsible', due: 'Due', progress: 'Progress', outcome: 'Outcome',
    measure: 'Measure', retired: 'retired', late: 'reported late', dissolved: 'dissolved',
    error: 'Could not read {what}: {detail}',
    footer: 'takt – a ledger of the municipality\'s planning decisions.',
    levels: { strategic: 'Strategic goal', result: 'Result goal', process: 'Process goal',
      committee: 'Committee goal', operational: 'Operational goal', company: 'Company goal' },
    attainment: { achieved: 'Achieved', partly_achieved: 'Partly achieved', not_achieved: 'Not achieved',
      not_assessable: 'Not assessable', none: 'Not assessed' },
    status: { on_track: 'On track', off_track: 'Off track', no_target: 'No target', no_value: 'No value' },
    commitmentStatus: { active: 'Active', completed: 'Completed', cancelled: 'Cancelled' },
    progressStatus: { on_track: 'On track', at_risk: 'At risk', off_track: 'Off track' },
    points: { T1: 'First tertial', T2: 'Interim', annual: 'Annual' },
    kinds: { organ: 'Organ', period: 'Period', vision: 'Vision', goal: 'Goal', indicator: 'Indicator',
      target: 'Target', value: 'Value', commitment: 'Commitment', followup: 'Follow-up' },
    events: {
      'goal.adopted': 'Goal adopted', 'goal.revised': 'Goal revised', 'goal.relinked': 'Goal relinked',
      'goal.carried_forward': 'Goal carried forward', 'goal.retired': 'Goal retired',
      'goal.assessed': 'Attainment assessed', 'indicator.defined': 'Indicator defined',
      'indicator.target_set': 'Target set', 'indicator.value_reported': 'Value reported',
      'indicator.value_corrected': 'Value corrected', 'indicator.method_changed': 'Method changed',
      'indicator.retired': 'Indicator retired', 'commitment.made': 'Commitment made',
      'commitment.revised': 'Commitment revised', 'commitment.progress_reported': 'Progress reported',
      'commitment.completed': 'Commitment completed', 'commitment.cancelled': 'Commitment cancelled',
    },
  },
};

export const languages = ['sv', 'en'];

let current = 'sv';

export function setLanguage(lang) { current = languages.includes(lang) ? lang : 'sv'; }
export function language() { return current; }

// t looks up a key and fills {name} placeholders.
export function t(key, vars) {
  // A key is a name or group.name; names in a group may hold dots themselves (events.goal.adopted).
  const look = (table) => {
    if (key in table) return table[key];
    const dot = key.indexOf('.');
    const group = dot < 0 ? undefined : table[key.slice(0, dot)];
    return group && typeof group === 'object' ? group[key.slice(dot + 1)] : undefined;
  };
  let s = look(strings[current]);
  if (s === undefined) s = look(strings.sv);
  if (s === undefined) return key.slice(key.indexOf('.') + 1);
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] ?? m));
  return s;
}

// localize fills every element marked data-i18n (its text) or data-i18n-placeholder under root.
export function localize(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  document.documentElement.lang = current;
}

const formats = {};
// num formats a number the way the language writes it (a decimal comma in Swedish).
export function num(v) {
  if (v === null || v === undefined) return '–';
  const f = formats[current] ??= new Intl.NumberFormat(current === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: 2 });
  return f.format(v);
}
