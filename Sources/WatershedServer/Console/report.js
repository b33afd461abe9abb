// The report form (issue 17, "Add them to the report"): an initial report (初报, POST /v1/incidents) with the impacts
// grading reads — direct economic loss, intakes cut off with the level of the town each serves, a cross-provincial or
// transnational impact, a mass incident — or a follow-up report (续报, POST /v1/incidents/{id}/reports) on an open
// incident, which can carry the same impacts as they become known. Each submission carries an Idempotency-Key (a
// new one whenever the body changes, the same one when the same body is sent again after a failure). A refusal
// naming a field is shown next to that field, and above the form.
import { api, ApiError } from './api.js';
import { esc } from './format.js';
import { lang, placeName, refusal, t } from './i18n.js';

const LEVELS = ['', 'IV', 'III', 'II', 'I'];
const SUPPLY = ['districtedCity', 'countyLevelCity', 'township'];

/** `YYYY-MM-DDTHH:MM` in the browser's zone, for a datetime-local input. */
function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A labelled input with its error slot; `field` is the API's dotted name of the value. */
function field(name, label, input) {
  return `<label class="form-field" data-field="${esc(name)}"><span>${esc(label)}</span>${input}<span class="field-error" role="alert" data-error-for="${esc(name)}"></span></label>`;
}

const text = (name, value = '', attrs = '') => `<input type="text" name="${esc(name)}" value="${esc(value)}" ${attrs}>`;
const number = (name, value = '', attrs = '') => `<input type="number" step="any" name="${esc(name)}" value="${esc(value)}" ${attrs}>`;
const check = (name, label) => `<label class="form-check" data-field="impacts.${name}"><input type="checkbox" name="${name}"> ${esc(label)}<span class="field-error" role="alert" data-error-for="impacts.${name}"></span></label>`;

function intakeRow(index) {
  const options = SUPPLY.map((s) => `<option value="${s}">${esc(t(`serves_${s}`))}</option>`).join('');
  return `<fieldset class="intake-row" data-intake="${index}">
    ${field(`impacts.intakesCutOff[${index}].name`, t('intakeName'), text(`intakeName${index}`))}
    ${field(`impacts.intakesCutOff[${index}].serves`, t('intakeServes'), `<select name="intakeServes${index}">${options}</select>`)}
    ${field(`impacts.intakesCutOff[${index}].node`, t('intakeNode'), text(`intakeNode${index}`, '', `placeholder="${esc(t('optional'))}"`))}
  </fieldset>`;
}

function signatureFields(me) {
  return `<fieldset><legend>${esc(t('signature'))}</legend>
    ${field('signature.reportingUnit', t('reportingUnit'), text('reportingUnit', me?.unit ?? ''))}
    ${field('signature.signingOfficer', t('signingOfficer'), text('signingOfficer'))}
    ${field('signature.contactName', t('contactName'), text('contactName'))}
    ${field('signature.contactPhone', t('contactPhone'), text('contactPhone', '', 'inputmode="tel"'))}
  </fieldset>`;
}

/** Casualty counts: 0 to start with in an initial report; empty in a follow-up, where an empty field leaves the
 * totals reported before as they are. */
function casualtyFields(followUp = false) {
  const attrs = `min="0" step="1"${followUp ? ` placeholder="${esc(t('unchangedIfEmpty'))}"` : ''}`;
  const start = followUp ? '' : '0';
  return `<fieldset><legend>${esc(t('casualties'))}</legend>
    ${field('casualties.deaths', t('deaths'), number('deaths', start, attrs))}
    ${field('casualties.poisonedOrInjured', t('poisonedOrInjured'), number('poisonedOrInjured', start, attrs))}
    ${field('casualties.evacuated', t('evacuated'), number('evacuated', start, attrs))}
  </fieldset>`;
}

/** The impacts of the 2014 plan's grading table (`impacts`), in an initial report and in a follow-up alike. */
function impactFields() {
  return `
    <fieldset class="impacts"><legend>${esc(t('impacts'))}</legend>
      ${field('impacts.directLossCNY', t('directLossCNY'), number('directLossCNY', '', 'min="0"'))}
      <div class="intakes"><p class="muted">${esc(t('intakesCutOff'))}</p><div data-intakes></div>
        <button type="button" class="secondary" data-add-intake>${esc(t('addIntake'))}</button></div>
      ${check('crossProvincial', t('crossProvincial'))}
      ${check('transnational', t('transnational'))}
      ${check('massIncident', t('massIncident'))}
    </fieldset>`;
}

/** The pollutant: one of the catalogue's (GET /v1/pollutants), named in the current language, by id; a text box for
 * the id when the catalogue could not be read. */
function pollutantInput(pollutants) {
  if (!pollutants.length) return text('pollutant');
  const sorted = [...pollutants].sort((a, b) => placeName(a).localeCompare(placeName(b), lang() === 'zh' ? 'zh' : 'en'));
  const options = sorted.map((p) => `<option value="${esc(p.id)}">${esc(placeName(p))}</option>`).join('');
  return `<select name="pollutant"><option value="">—</option>${options}</select>`;
}

function initialFields(rivers, me, pollutants) {
  const riverOptions = rivers.map((r) => `<option value="${esc(r.id)}">${esc(placeName(r))}</option>`).join('');
  const levels = LEVELS.map((l) => `<option value="${l}">${esc(l ? `${l} ${t('levelSuffix')}` : t('ungraded'))}</option>`).join('');
  return `
    ${field('discoveredAt', t('discovered'), `<input type="datetime-local" name="discoveredAt" value="${localInputValue(new Date())}">`)}
    ${field('place.river.id', t('river'), `<select name="river">${riverOptions}</select>`)}
    ${field('place.river.km', t('km'), number('km', '0', 'min="0"'))}
    ${field('pollutant', t('pollutant'), pollutantInput(pollutants))}
    ${field('release', t('massKg'), number('massKg', '', `min="0" placeholder="${esc(t('unknownMass'))}"`))}
    ${field('informationSource', t('informationSource'), text('informationSource'))}
    ${field('cause', t('cause'), text('cause'))}
    ${field('level', t('levelSet'), `<select name="level">${levels}</select>`)}
    ${casualtyFields()}
    ${impactFields()}
    ${signatureFields(me)}
    ${(me?.roles ?? []).includes('drill') ? `<label class="form-check"><input type="checkbox" name="exercise" ${(me?.roles ?? []).some((r) => r !== 'drill') ? '' : 'checked disabled'}> ${esc(t('exerciseReport'))}</label>` : ''}`;
}

function followUpFields(me) {
  return `
    ${field('summary', t('summary'), `<textarea name="summary" rows="3"></textarea>`)}
    ${field('measuresTaken', t('measuresTaken'), `<textarea name="measuresTaken" rows="3"></textarea>`)}
    ${casualtyFields(true)}
    ${impactFields()}
    ${signatureFields(me)}`;
}

/** A number from an input, `undefined` when empty; a text that is not a number is sent as it is for the server to refuse. */
function numeric(value) {
  const trimmed = String(value ?? '').trim();
  if (!trimmed) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

/** The `impacts` object of the form's impact fields: only what was filled in (a follow-up keeps what it leaves out). */
function impactsBody(form, intakes) {
  const v = (name) => form.elements[name]?.value ?? '';
  const impacts = {};
  const loss = numeric(v('directLossCNY'));
  if (loss !== undefined) impacts.directLossCNY = loss;
  const cut = [];
  for (let i = 0; i < intakes; i += 1) {
    const name = v(`intakeName${i}`).trim();
    const node = v(`intakeNode${i}`).trim();
    if (!name && !node) continue;
    cut.push({ name, serves: v(`intakeServes${i}`), ...(node ? { node } : {}) });
  }
  if (cut.length) impacts.intakesCutOff = cut;
  for (const flag of ['crossProvincial', 'transnational', 'massIncident']) if (form.elements[flag].checked) impacts[flag] = true;
  return impacts;
}

function initialBody(form, intakes) {
  const v = (name) => form.elements[name]?.value ?? '';
  const discovered = new Date(v('discoveredAt'));
  const mass = numeric(v('massKg'));
  const impacts = impactsBody(form, intakes);
  const body = {
    discoveredAt: Number.isNaN(discovered.getTime()) ? v('discoveredAt') : discovered.toISOString(),
    place: { river: { id: v('river'), km: numeric(v('km')) ?? 0 } },
    informationSource: v('informationSource'),
    cause: v('cause'),
    pollutant: v('pollutant').trim(),
    release: { instantaneous: mass === undefined ? {} : { massKg: mass } },
    // Lists the initial report requires, which this form does not ask for (the plan sees the Art. 4 triggers).
    monitoring: [],
    sensitivePointsAffected: [],
    measuresTaken: [],
    triggers: [],
    casualties: casualties(form),
    signature: signature(form),
  };
  if (v('level')) body.level = v('level');
  if (Object.keys(impacts).length) body.impacts = impacts;
  if (form.elements.exercise?.checked) body.exercise = true;
  return body;
}

function casualties(form) {
  const count = (name) => numeric(form.elements[name].value) ?? 0;
  return { deaths: count('deaths'), poisonedOrInjured: count('poisonedOrInjured'), evacuated: count('evacuated') };
}

function signature(form) {
  const v = (name) => form.elements[name].value.trim();
  return { reportingUnit: v('reportingUnit'), signingOfficer: v('signingOfficer'), contactName: v('contactName'), contactPhone: v('contactPhone') };
}

function followUpBody(form, intakes) {
  const lines = form.elements.measuresTaken.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const body = { kind: 'followUp', summary: form.elements.summary.value, measuresTaken: lines, signature: signature(form) };
  // Casualties are totals that replace those reported before: sent only when the officer gave one, so a follow-up
  // about something else does not reset them to zero.
  if (['deaths', 'poisonedOrInjured', 'evacuated'].some((name) => form.elements[name].value.trim())) body.casualties = casualties(form);
  const impacts = impactsBody(form, intakes);
  if (Object.keys(impacts).length) body.impacts = impacts;
  return body;
}

/**
 * Renders the form into `view`: `kind` `initial` (a new incident) or `followUp` (on `incident`, its detail). Calls
 * `onFiled(created)` with the API's answer (`{incident, firstSeq, lastSeq}`) once filed.
 */
export function renderReportForm(view, { kind, incident, me, playbooks, pollutants = [], onFiled, errorHTML }) {
  const rivers = [...playbooks.values()].filter((p) => p.kind === 'river').sort((a, b) => placeName(a).localeCompare(placeName(b), lang() === 'zh' ? 'zh' : 'en'));
  const title = kind === 'initial' ? t('fileInitial') : t('fileFollowUp', { ref: incident?.reference ?? '' });
  const back = kind === 'initial' ? '#/' : `#/incident/${encodeURIComponent(incident?.id ?? '')}`;
  view.innerHTML = `<p><a href="${back}">← ${esc(t('back'))}</a></p>
    <form class="report-form" data-testid="report-form" data-kind="${kind}" novalidate>
      <h2>${esc(title)}</h2>
      <div class="error-inline" role="alert" data-testid="report-error" hidden></div>
      ${kind === 'initial' ? initialFields(rivers, me, pollutants) : followUpFields(me)}
      <p><button type="submit" data-testid="report-submit">${esc(t('submitReport'))}</button>
        <a href="${back}">${esc(t('cancel'))}</a></p>
    </form>`;
  const form = view.querySelector('form');
  let intakes = 0;
  const addIntake = () => {
    form.querySelector('[data-intakes]').insertAdjacentHTML('beforeend', intakeRow(intakes));
    intakes += 1;
  };
  addIntake();
  form.querySelector('[data-add-intake]').onclick = addIntake;
  let key = null;
  let lastBody = null;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const box = form.querySelector('[data-testid=report-error]');
    box.hidden = true;
    for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
    for (const label of form.querySelectorAll('.form-field.invalid, .form-check.invalid')) label.classList.remove('invalid');
    const body = kind === 'initial' ? initialBody(form, intakes) : followUpBody(form, intakes);
    const sent = JSON.stringify(body);
    if (sent !== lastBody) key = crypto.randomUUID();
    lastBody = sent;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const path = kind === 'initial' ? '/v1/incidents' : `/v1/incidents/${encodeURIComponent(incident.id)}/reports`;
      const created = await api(path, { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      onFiled(created);
    } catch (error) {
      showFieldError(form, error, errorHTML);
    } finally {
      button.disabled = false;
    }
  };
}

/** The refusal above the form, and next to its field when the form has that field (or the nearest enclosing one):
 * the field named by its label (the API's dotted name where the form has no such field), the reason in the
 * current language next to it. */
function showFieldError(form, error, errorHTML) {
  const box = form.querySelector('[data-testid=report-error]');
  const name = error instanceof ApiError ? error.field : null;
  box.dataset.field = name ?? '';
  // The field itself, else the nearest enclosing field the form has (`release.instantaneous` → `release`).
  let slot = null;
  let candidate = name;
  while (candidate && !slot) {
    slot = form.querySelector(`[data-error-for="${CSS.escape(candidate)}"]`);
    const parent = candidate.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    candidate = parent !== candidate ? parent : null;
  }
  const label = slot?.closest('label')?.querySelector(':scope > span:not(.field-error)')?.textContent
    ?? slot?.closest('label')?.textContent?.trim();
  const field = label ? esc(label) : name ? `<code translate="no">${esc(name)}</code>` : '';
  box.innerHTML = errorHTML(error, field ? ` — ${field}` : '');
  box.hidden = false;
  if (slot) {
    slot.textContent = refusal(error, '').reason;
    slot.closest('label')?.classList.add('invalid');
    slot.closest('label')?.querySelector('input, select, textarea')?.focus();
  } else {
    box.focus?.();
  }
}
