// The duty-officer console (issue 8): sign in with a token, the live list of open incidents, alerts with sound and
// a browser notification for a new incident or a task for my unit, the incident view (timeline, tasks with their
// buttons, legal reports due, neighbouring provinces, arrivals) and the command map. Plain ES modules, no library.
import { api, ApiError, LiveStream, storedToken, storeToken } from './api.js';
import { canDrawChinese, esc, localTime, since, countdown, duration, num } from './format.js';
import { lang, placeName, refusal, setLang, t, term, translatePage } from './i18n.js';
import { playbooksFor, renderMap } from './map.js';
import { renderReportForm } from './report.js';

const $ = (id) => document.getElementById(id);
const ALERTS_KEY = 'watershed.alerts';

const state = {
  me: null,
  units: new Map(),
  playbooks: new Map(),
  pollutants: [],
  incidents: [],
  detail: null,
  detailId: null,
  detailError: null,
  maps: {},
  stream: null,
  alerts: [],
  alertsLive: false,
  connection: 'idle',
  onlyMine: false,
  taskErrors: new Map(),
};

// ---- names -------------------------------------------------------------------------------------------------

function unitName(code) {
  const unit = state.units.get(code);
  return unit ? placeName(unit) : code ?? '—';
}

/** A report's recipient: on a Chinese screen in the words of MEP Order No. 17 (宜州区人民政府, 河池市生态环境局,
 * 广西壮族自治区生态环境厅, 生态环境部), else the name the obligation carries. */
function recipientText(recipient) {
  if (lang() !== 'zh') return recipient.name ?? unitName(recipient.unit);
  if (recipient.body === 'ministry') return '生态环境部';
  const unit = state.units.get(recipient.unit);
  const name = unitName(recipient.unit);
  if (recipient.body === 'government') return `${name}人民政府`;
  return `${name}${unit?.kind === 'province' ? '生态环境厅' : '生态环境局'}`;
}

/** A province as a table column says it: its name without the kind of unit (广西, 广东; Guangxi, Guangdong), the
 * full name in the cell's title. */
function provinceShort(code) {
  const name = unitName(code);
  return lang() === 'zh'
    ? name.replace(/(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省)$/, '')
    : name.replace(/ (Zhuang Autonomous Region|Hui Autonomous Region|Uygur Autonomous Region|Autonomous Region|Special Administrative Region|Province)$/, '');
}

function assigneeText(assignee) {
  if (!assignee) return '—';
  return `${unitName(assignee.unit)} · ${term(assignee.position)}`;
}

/** Who did it, as HTML: a person's unit and position with their token's name (an account name, marked
 * translate="no"), a neighbour, or a part of the server by its name in the current language. */
function actorHTML(actor) {
  if (!actor) return '—';
  if (actor.kind === 'person') {
    return `${esc(unitName(actor.unit))} · ${esc(term(actor.position))} · <span translate="no">${esc(actor.token)}</span>`;
  }
  if (actor.kind === 'peer') return esc(`${t('peer')}: ${unitName(actor.province)}`);
  // A component's name in the current language; one the console has no words for, as the server names it.
  const component = String(actor.component ?? '');
  const key = `component:${component.replace(/-\d+$/, '')}`;
  const named = term(key) !== key ? esc(term(key)) : `<span translate="no">${esc(component)}</span>`;
  return `${esc(t('system'))}: ${named}`;
}

function placeText(incident) {
  // An incident a neighbour's CAP alert opened has no place of ours: it is the neighbour's CAP thread.
  if (incident.cap) return `CAP · ${unitName(incident.cap.peer)}`;
  const place = incident.place ?? {};
  if (place.river) return `${placeName(state.playbooks.get(place.river.id) ?? { name: place.river.id })} · km ${num(place.river.km)}`;
  if (place.park) return `${placeName(state.playbooks.get(place.park.id) ?? { name: place.park.id })} · ${place.park.scenario}`;
  if (place.sea) return `${placeName(state.playbooks.get(place.sea.id) ?? { name: place.sea.id })} · ${num(place.sea.lng, 3)}, ${num(place.sea.lat, 3)}`;
  return '—';
}

/** An incident's pollutant in the current language (the list's `pollutantNameZh` / `pollutantName`); a CAP
 * incident's is the alert's headline, the neighbour's own words. */
function pollutantText(incident) {
  if (incident.cap) return incident.pollutant;
  return (lang() === 'zh' && incident.pollutantNameZh) || incident.pollutantName || incident.pollutant;
}

/** A task's title in the current language: its Chinese title (`titleZh`) on a Chinese screen when it has one. */
function taskTitle(task) {
  return (lang() === 'zh' && task?.titleZh) || task?.title || '';
}

/** A level review's reasons in the current language (`reasonsZh` on a Chinese screen when the server gave them). */
function reviewReasons(review) {
  const zh = lang() === 'zh' && (review.reasonsZh ?? []).length > 0;
  return ((zh ? review.reasonsZh : review.reasons) ?? []).join(zh ? '；' : '; ');
}

function levelBadge(level) {
  const cls = level ? `level-${level}` : 'level-none';
  return `<span class="level ${cls}" title="${esc(t('level'))}">${esc(level ?? t('ungraded'))}</span>`;
}

const drillBadge = (exercise) => (exercise ? `<span class="drill-badge">${esc(t('drill'))}</span>` : '');

// ---- roles -------------------------------------------------------------------------------------------------

const hasRole = (role) => {
  const roles = state.me?.roles ?? [];
  if (roles.includes(role)) return true;
  if (role === 'viewer') return roles.includes('officer') || roles.includes('commander');
  if (role === 'officer') return roles.includes('commander');
  return false;
};

/** Whether my role lets me press task buttons on this incident (officer or commander; drill on an exercise). */
const mayWorkTasks = (incident) => hasRole('officer') || (incident?.exercise && (state.me?.roles ?? []).includes('drill'));

/** Whether the task is for my unit and position (or escalated to it): the server's own rule, for highlighting. */
function isMine(task) {
  const me = state.me;
  if (!me) return false;
  const same = (a) => a && a.unit === me.unit && a.position === me.dutyPosition;
  return same(task.assignee) || (task.escalatedTo ?? []).some(same);
}


// ---- errors ------------------------------------------------------------------------------------------------

/** A refusal or failure in the current language, as one line of text (``refusal`` in i18n.js). */
function errorText(error) {
  return refusal(error, errorHead(error)).text;
}

function errorHead(error) {
  if (!(error instanceof ApiError)) return t('failed');
  if (error.status === 403) return t('forbidden');
  return error.status ? `${t('refused')}${lang() === 'zh' ? `（${error.status}）` : ` (${error.status})`}` : t('failed');
}

/** The same as HTML, then `after` (HTML: the field it is about), with the server's own (English) words folded
 * away on a Chinese screen. */
function errorHTML(error, after = '') {
  const said = refusal(error, errorHead(error));
  return `${esc(said.text)}${after}${said.original ? ` <details class="server-words"><summary>${esc(t('serverWords'))}</summary><span lang="en" translate="no">${esc(said.original)}</span></details>` : ''}`;
}

function showError(error) {
  const box = $('error');
  box.innerHTML = `<span>${errorHTML(error)}</span> <button type="button" class="link-button" data-close>×</button>`;
  box.dataset.status = error?.status ?? '';
  box.hidden = false;
  box.querySelector('[data-close]').onclick = () => {
    box.hidden = true;
  };
}

// ---- sound and notifications -------------------------------------------------------------------------------

let audio = null;

function unlockAudio() {
  try {
    audio = audio ?? new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null;
  }
}

/** Three rising two-tone pulses (WebAudio; no sound file). */
function playAlertSound() {
  if (!audio) return;
  const start = audio.currentTime + 0.05;
  for (let i = 0; i < 3; i += 1) {
    for (const [offset, frequency] of [[0, 880], [0.18, 1320]]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = frequency;
      const at = start + i * 0.5 + offset;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    }
  }
}

function askNotificationPermission() {
  if (!('Notification' in window)) return;
  if (Notification.permission === 'default') {
    try {
      const asked = Notification.requestPermission();
      if (asked && asked.catch) asked.catch(() => {});
    } catch {
      // Old browsers take a callback; nothing to do.
    }
  }
}

/** One notification per new incident, and one for the tasks of a burst (a plan dispatches many at once). */
function notify(batch) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const show = (title, body, tag, incident, exercise) => {
    try {
      const n = new Notification(`${exercise ? `[${t('drill')}] ` : ''}${title}`, { body, tag, requireInteraction: true });
      n.onclick = () => {
        window.focus();
        location.hash = `#/incident/${incident}`;
      };
    } catch {
      // Some browsers allow notifications from a service worker only; the page alert still shows.
    }
  };
  for (const alert of batch.filter((a) => a.kind === 'incident')) {
    show(t('notifyTitleIncident'), alertText(alert), alert.key, alert.incident, alert.exercise);
  }
  const tasks = batch.filter((a) => a.kind === 'task');
  if (tasks.length) {
    const lines = tasks.slice(0, 6).map(alertText);
    if (tasks.length > 6) lines.push(`+${tasks.length - 6}`);
    show(t('notifyTitleTask'), lines.join('\n'), tasks[0].key, tasks[0].incident, tasks.every((a) => a.exercise));
  }
}

// ---- alerts ------------------------------------------------------------------------------------------------

function alertText(alert) {
  if (alert.kind === 'task') {
    const title = String((lang() === 'zh' && alert.titleZh) || alert.title || '').split(/[:：]/)[0];
    const me = state.me;
    const mineExactly = me && alert.assignee?.unit === me.unit && alert.assignee?.position === me.dutyPosition;
    const head = mineExactly ? t('alertTaskMine', { ref: alert.reference }) : t('alertTask', { ref: alert.reference, unit: assigneeText(alert.assignee) });
    return `${head} — ${title}`;
  }
  return `${t('alertIncident', { ref: alert.reference })} — ${alert.where ? placeText({ place: alert.where }) : alert.place ?? ''}`;
}

function saveAlerts() {
  sessionStorage.setItem(ALERTS_KEY, JSON.stringify(state.alerts));
}

let announcing = [];
let announceTimer = null;

/** Adds an alert at once; the tone and the notification follow once per burst (300 ms). */
function raise(alert) {
  if (state.alerts.some((a) => a.key === alert.key)) return;
  state.alerts.push(alert);
  saveAlerts();
  renderAlerts();
  renderList();
  announcing.push(alert);
  if (!announceTimer) announceTimer = setTimeout(announce, 300);
}

function announce() {
  const keys = new Set(state.alerts.map((a) => a.key));
  const batch = announcing.filter((a) => keys.has(a.key));
  announcing = [];
  announceTimer = null;
  if (!batch.length) return;
  playAlertSound();
  notify(batch);
}

function clearAlert(key) {
  const before = state.alerts.length;
  state.alerts = state.alerts.filter((a) => a.key !== key);
  if (state.alerts.length !== before) {
    saveAlerts();
    renderAlerts();
    renderList();
  }
}

async function acknowledgeAlert(key) {
  const alert = state.alerts.find((a) => a.key === key);
  if (!alert) return;
  if (alert.kind === 'task' && mayWorkTasks({ exercise: alert.exercise })) {
    try {
      await api(`/v1/tasks/${encodeURIComponent(alert.task)}/ack`, { method: 'POST' });
    } catch (error) {
      // Already acknowledged (409) by someone else: the alert has done its job.
      if (!(error instanceof ApiError && error.status === 409)) {
        showError(error);
        return;
      }
    }
  }
  clearAlert(key);
}

function renderAlerts() {
  const box = $('alerts');
  box.hidden = !state.me;
  const list = $('alert-list');
  $('alert-count').textContent = state.alerts.length ? `(${state.alerts.length})` : '';
  document.title = `${state.alerts.length ? `(${state.alerts.length}) ` : ''}${t('title')}`;
  box.classList.toggle('has-alerts', state.alerts.length > 0);
  if (!state.alerts.length) {
    list.innerHTML = `<li class="muted">${esc(t('noAlerts'))}</li>`;
    return;
  }
  list.innerHTML = state.alerts
    .map(
      (a) => `<li class="alert alert-${a.kind}${a.exercise ? ' exercise' : ''}" data-alert-key="${esc(a.key)}">
        ${drillBadge(a.exercise)}<span class="alert-text">${esc(alertText(a))}</span>
        <span class="muted">${esc(localTime(a.at))}</span>
        <a href="#/incident/${esc(a.incident)}">${esc(t('open'))}</a>
        <button type="button" data-ack-alert="${esc(a.key)}">${esc(a.kind === 'task' && mayWorkTasks({ exercise: a.exercise }) ? t('acknowledgeTask') : t('acknowledge'))}</button>
      </li>`,
    )
    .join('');
  for (const button of list.querySelectorAll('[data-ack-alert]')) {
    button.onclick = () => acknowledgeAlert(button.dataset.ackAlert);
  }
}

// ---- the stream --------------------------------------------------------------------------------------------

let listTimer = null;
let detailTimer = null;

function scheduleListRefresh() {
  clearTimeout(listTimer);
  listTimer = setTimeout(refreshList, 200);
}

function scheduleDetailRefresh() {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(() => loadDetail(state.detailId), 200);
}

function onEvent(event) {
  if (event.incident) {
    scheduleListRefresh();
    if (event.incident === state.detailId) scheduleDetailRefresh();
  }
  const p = event.payload ?? {};
  const mine = (assignee) => assignee && state.me && assignee.unit === state.me.unit;
  switch (event.type) {
    case 'TaskAcknowledged':
    case 'TaskStarted':
    case 'TaskDone':
    case 'TaskCancelled':
      clearAlert(`task:${p.task}`);
      return;
    default:
      break;
  }
  // The first connection's backlog is history from before sign-in; later ones are what happened during a drop.
  if (!state.alertsLive) return;
  const base = { incident: event.incident, exercise: !!event.exercise, at: event.at, seq: event.seq };
  if (event.type === 'IncidentReported') {
    // The place as reported, named when shown, in the language on screen then.
    raise({ ...base, key: `incident:${event.incident}`, kind: 'incident', reference: p.reference ?? '', where: p.report?.place ?? null });
  } else if (event.type === 'TaskDispatched' && mine(p.assignee)) {
    raise({ ...base, key: `task:${p.task}`, kind: 'task', task: p.task, reference: p.reference, title: p.title, titleZh: p.titleZh, assignee: p.assignee });
  } else if ((event.type === 'TaskEscalated' && mine(p.to)) || (event.type === 'TaskDeclined' && mine(p.redispatchedTo))) {
    const to = p.to ?? p.redispatchedTo;
    const known = state.detail?.tasks?.find((task) => task.id === p.task);
    raise({ ...base, key: `task:${p.task}`, kind: 'task', task: p.task, reference: known?.reference ?? p.task, title: known?.title ?? term(event.type), titleZh: known?.titleZh, assignee: to });
  }
}

function onState(connection, detail) {
  state.connection = connection;
  const status = $('status');
  status.hidden = false;
  status.className = `status status-${connection}`;
  status.textContent = connection === 'live' ? `● ${t('live')}` : connection === 'stopped' ? '■' : t(connection === 'connecting' ? 'connecting' : 'reconnecting');
  const banner = $('reconnecting');
  if (connection === 'restarted') {
    // Kept until the next sign-in: the officer should know the page started over.
    state.restartedNotice = true;
  }
  banner.hidden = connection !== 'reconnecting' && !state.restartedNotice;
  banner.textContent = connection === 'reconnecting' ? t('reconnectingLong') : t('logRestarted');
  document.body.classList.toggle('stale', connection === 'reconnecting');
  if (connection === 'stopped') showError(detail ?? new ApiError(403, 'rights_lost', t('rightsLost')));
}

function onCaughtUp(_head, resumed) {
  state.alertsLive = true;
  if (resumed) {
    refreshList();
    if (state.detailId) loadDetail(state.detailId);
  }
}

// ---- sign-in -----------------------------------------------------------------------------------------------

async function signIn(token, { restoring = false } = {}) {
  const message = $('signin-error');
  message.textContent = '';
  let me;
  try {
    me = await api('/v1/me', { token });
  } catch (error) {
    storeToken(null);
    showSignIn();
    message.textContent = error.status === 401 ? t('unknownToken') : errorText(error);
    return;
  }
  storeToken(token);
  state.me = me;
  const [units, playbooks, pollutants, ready] = await Promise.all([
    api('/v1/units').catch(() => []),
    api('/v1/playbooks').catch(() => []),
    api('/v1/pollutants').catch(() => []),
    fetch('/readyz', { cache: 'no-store' })
      .then((r) => r.json())
      .catch(() => null),
  ]);
  state.units = new Map((units ?? []).map((u) => [u.code, u]));
  state.playbooks = new Map((playbooks ?? []).map((p) => [p.id, p]));
  state.pollutants = pollutants ?? [];
  try {
    state.alerts = JSON.parse(sessionStorage.getItem(ALERTS_KEY) ?? '[]');
  } catch {
    state.alerts = [];
  }
  $('signin').hidden = true;
  $('signout').hidden = false;
  renderWho();
  renderAlerts();
  await refreshList();
  await raiseWaitingTasks();
  // Start the stream at the head read before the list: whatever commits after it arrives on the stream.
  const head = Number(ready?.head);
  state.alertsLive = false;
  state.stream = new LiveStream({ after: Number.isFinite(head) ? head : 0, onEvent, onState, onCaughtUp });
  state.stream.start();
  route();
  if (!restoring) $('main').focus();
}

/** Tasks of open incidents that still wait for my acknowledgement when I sign in: alerted like new ones. */
async function raiseWaitingTasks() {
  const me = state.me;
  let waiting;
  try {
    const assignee = encodeURIComponent(`${me.unit}/${me.dutyPosition}`);
    waiting = await api(`/v1/tasks?assignee=${assignee}&state=dispatched`);
  } catch {
    return;
  }
  const open = new Map(state.incidents.map((i) => [i.id, i]));
  for (const task of waiting ?? []) {
    const incident = open.get(task.incident);
    if (!incident) continue;
    raise({
      key: `task:${task.id}`, kind: 'task', task: task.id, reference: task.reference, title: task.title, titleZh: task.titleZh,
      assignee: task.assignee, incident: task.incident, exercise: incident.exercise, at: task.dispatchedAt, seq: null,
    });
  }
}

function signOut() {
  state.stream?.stop();
  state.stream = null;
  storeToken(null);
  sessionStorage.removeItem(ALERTS_KEY);
  Object.assign(state, { me: null, incidents: [], detail: null, detailId: null, alerts: [], alertsLive: false });
  $('status').hidden = true;
  $('reconnecting').hidden = true;
  $('error').hidden = true;
  document.body.classList.remove('stale');
  location.hash = '';
  showSignIn();
}

function showSignIn() {
  for (const id of ['who', 'signout', 'alerts', 'list-view', 'incident-view', 'report-view', 'drill-token']) $(id).hidden = true;
  $('signin').hidden = false;
  $('token').value = '';
  $('token').focus();
}

function renderWho() {
  const me = state.me;
  const who = $('who');
  if (!me) {
    who.hidden = true;
    return;
  }
  who.hidden = false;
  who.innerHTML = `<span title="${esc(t('signedInAs'))}">${esc(unitName(me.unit))} (${esc(me.unit)})</span>
    <span title="${esc(t('position'))}">${esc(term(me.dutyPosition))}</span>
    <span class="roles" title="${esc(t('roles'))}">${(me.roles ?? []).map((r) => `<span class="role">${esc(term(r))}</span>`).join('')}</span>
    <span class="muted" translate="no">${esc(me.tokenID)}</span>`;
  $('drill-token').hidden = !((me.roles ?? []).includes('drill') && !hasRole('viewer'));
}

// ---- the list ----------------------------------------------------------------------------------------------

async function refreshList() {
  if (!state.me) return;
  try {
    state.incidents = await api('/v1/incidents?state=open');
  } catch (error) {
    if (error.status) showError(error);
    return;
  }
  renderList();
}

function renderList() {
  const list = $('incidents');
  if (!state.me) return;
  // Filing an initial report: officers, and a drill token for its exercises.
  $('list-actions').hidden = !(hasRole('officer') || (state.me.roles ?? []).includes('drill'));
  if (!state.incidents.length) {
    list.innerHTML = `<li class="muted">${esc(t('noIncidents'))}</li>`;
    return;
  }
  const alerting = new Set(state.alerts.map((a) => a.incident));
  list.innerHTML = state.incidents
    .map((i) => {
      const due = countdown(i.nextDeadline);
      return `<li class="incident${alerting.has(i.id) ? ' alerting' : ''}${i.exercise ? ' exercise' : ''}" data-incident-id="${esc(i.id)}" data-reference="${esc(i.reference)}">
        <a href="#/incident/${esc(i.id)}" class="incident-link">
          ${levelBadge(i.level)}
          <span class="ref">${esc(i.reference)}</span>${drillBadge(i.exercise)}
          <span class="place">${esc(placeText(i))}</span>
          <span class="pollutant"${i.cap ? ' translate="no"' : ''}>${esc(pollutantText(i))}</span>
          <span class="times"><span class="muted">${esc(t('discovered'))}</span> ${esc(localTime(i.discoveredAt))}
            (<span data-since="${esc(i.discoveredAt)}">${esc(since(i.discoveredAt))}</span>)</span>
          <span class="deadline${due.passed ? ' passed' : ''}"><span class="muted">${esc(t('nextDeadline'))}</span>
            ${i.nextDeadline ? `${esc(localTime(i.nextDeadline))} ${esc(i.nextDeadlineTask ?? '')} · <span data-countdown="${esc(i.nextDeadline)}">${esc(due.text)}</span>` : '—'}</span>
        </a></li>`;
    })
    .join('');
}

// ---- the incident view -------------------------------------------------------------------------------------

async function loadDetail(id) {
  if (!id || !state.me) return;
  try {
    const detail = await api(`/v1/incidents/${encodeURIComponent(id)}`);
    if (state.detailId !== id) return;
    state.detail = detail;
    state.detailError = null;
  } catch (error) {
    if (state.detailId !== id) return;
    state.detailError = error;
    if (!error.status) return; // network: the stream's reconnect reloads it
  }
  renderDetail();
  loadMaps();
}

async function loadMaps() {
  const detail = state.detail;
  if (!detail) return;
  const missing = playbooksFor(detail).filter((id) => !state.maps[id]);
  await Promise.all(
    missing.map((id) =>
      api(`/v1/playbooks/${encodeURIComponent(id)}/map`)
        .then((map) => {
          state.maps[id] = map.features ?? [];
        })
        .catch(() => {
          state.maps[id] = [];
        }),
    ),
  );
  drawMap();
}

function drawMap() {
  const box = document.querySelector('#incident-view [data-map]');
  const detail = state.detail;
  if (!box || !detail) return;
  const maps = {};
  for (const id of playbooksFor(detail)) if (state.maps[id]) maps[id] = state.maps[id];
  box.innerHTML = renderMap(detail, maps);
  fitFirstScreen();
}

/** On a desk-wide screen the map and the arrival table beside it end where the first screen ends (issue 21: the
 *  level, what, where, the next deadline and the map without scrolling), whatever the alerts above them take. */
function fitFirstScreen() {
  const first = document.querySelector('#incident-view .first-screen');
  if (!first) return;
  const parts = [first.querySelector('svg.map'), first.querySelector('.arrivals-panel .table-wrap')].filter(Boolean);
  for (const part of parts) part.style.maxHeight = '';
  if (window.innerWidth < 1200) return;
  for (const part of parts) {
    const top = part.getBoundingClientRect().top + window.scrollY;
    part.style.maxHeight = `${Math.max(240, window.innerHeight - top - 16)}px`;
  }
}
window.addEventListener('resize', () => fitFirstScreen());

function peerRows(detail) {
  // The server's own account (GET /v1/incidents/{id} → notifications: the PeerNotified with its delivery state).
  if (Array.isArray(detail.notifications) && detail.notifications.length > 0) {
    return detail.notifications.map((entry) => ({
      ...entry.notification,
      recorded: true,
      textZh: entry.textZh,
      receivedAt: entry.receivedAt ?? (entry.delivery === 'accepted' ? entry.acceptedAt : undefined),
      acceptedAt: entry.acceptedAt,
    }));
  }
  const timeline = detail.timeline ?? [];
  const about = (e, province) => e.province === province || (e.actor?.kind === 'peer' && e.actor.province === province);
  const stamp = (type, province) => timeline.findLast((e) => e.type === type && about(e, province))?.at;
  return (detail.plan?.peerNotifications ?? []).map((n) => ({
    ...n,
    recorded: timeline.some((e) => e.type === 'PeerNotified' && (e.province === undefined || e.province === n.province)),
    receivedAt: n.receivedAt ?? stamp('PeerReceived', n.province),
    acceptedAt: n.acceptedAt ?? stamp('PeerAccepted', n.province),
  }));
}

/** C/S with three significant figures: 2180, 21.8, 2.18, 0.218. */
function ratio(value) {
  if (value === null || value === undefined) return '—';
  if (value >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

function section(title, body, cls = '') {
  return `<section class="panel ${cls}"><h3>${esc(title)}</h3>${body}</section>`;
}

function table(headers, rows) {
  return `<div class="table-wrap"><table><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

// A neighbour's CAP 1.2 thread (GET /v1/incidents/{id} answers its own shape): each message with its first info.
function renderCAPThread(view, d) {
  const messages = (d.messages ?? []).map((m) => {
    const info = (m.info ?? [])[0];
    return `<li><span class="seq">#${m.seq}</span> <time datetime="${esc(m.at)}">${esc(localTime(m.at, { seconds: true }))}</time>
      <strong>${esc(term(`cap:${m.msgType}`))}</strong> <span translate="no">${esc(m.identifier)}</span> <span class="muted"><span translate="no">${esc(m.sender)}</span> · ${esc(localTime(m.sent))}</span>
      ${info ? `<div><span translate="no">${esc(info.headline ?? info.event)}</span> — ${esc(term(`cap:${info.urgency}`))}, ${esc(term(`cap:${info.severity}`))}, ${esc(term(`cap:${info.certainty}`))}${(info.areas ?? []).length ? ` · <span translate="no">${esc(info.areas.join('; '))}</span>` : ''}</div>` : ''}</li>`;
  });
  view.innerHTML = `
    ${d.exercise ? `<div class="drill-banner" data-testid="drill-banner">${esc(t('drillBanner'))}</div>` : ''}
    <p><a href="#/" data-focus-key="back">← ${esc(t('back'))}</a></p>
    <header class="incident-head"><h2><span data-testid="incident-reference">${esc(d.reference ?? d.id)}</span>
      <span class="muted">CAP 1.2 · ${esc(unitName(d.peer))} · ${esc(term(`state:${d.state}`))}</span></h2></header>
    <ol class="cap-thread" data-testid="cap-thread">${messages.join('')}</ol>`;
}

function renderDetail() {
  const view = $('incident-view');
  const focusKey = document.activeElement?.dataset?.focusKey;
  if (state.detailError && !state.detail) {
    view.innerHTML = `<p><a href="#/">← ${esc(t('back'))}</a></p><p class="error-inline">${state.detailError.status === 404 ? esc(t('notFound')) : errorHTML(state.detailError)}</p>`;
    return;
  }
  const d = state.detail;
  if (!d) {
    view.innerHTML = `<p><a href="#/">← ${esc(t('back'))}</a></p><p class="muted">${esc(t('loading'))}</p>`;
    return;
  }
  if (d.origin === 'cap') {
    renderCAPThread(view, d);
    return;
  }
  const plan = d.plan;
  const drill = d.exercise ? `<div class="drill-banner" data-testid="drill-banner">${esc(t('drillBanner'))}</div>` : '';

  const tasks = (d.tasks ?? []).filter((task) => !state.onlyMine || isMine(task));
  const taskRows = tasks.map((task) => {
    // Only what I may press: the server's rule for my role, unit and position (the detail's `actions`, by task id).
    const actions = d.actions?.[task.id] ?? [];
    const deadline = task.state === 'dispatched' && !task.unowned ? task.ackBy : task.kind === 'report' ? task.dueBy : task.startBy;
    const due = countdown(deadline);
    const error = state.taskErrors.get(task.id);
    const buttons = actions
      .map((a) => `<button type="button" data-action="${a}" data-task="${esc(task.id)}" data-focus-key="${esc(task.id)}:${a}">${esc(term(a === 'done' ? 'complete' : a))}</button>`)
      .join(' ');
    return `<tr class="task state-${esc(task.state)}${isMine(task) ? ' mine' : ''}${task.unowned ? ' unowned' : ''}" data-task-ref="${esc(task.reference)}" data-task-id="${esc(task.id)}" data-state="${esc(task.state)}">
      <td title="${esc(task.reference)}">${esc(task.reference.split('/').pop())}${isMine(task) ? ` <span class="mine-badge">${esc(t('mine'))}</span>` : ''}</td>
      <td>${esc(taskTitle(task))}</td>
      <td>${esc(assigneeText(task.assignee))}${(task.escalatedTo ?? []).length ? `<br><span class="muted">↑ ${task.escalatedTo.map((a) => esc(assigneeText(a))).join(', ')}</span>` : ''}</td>
      <td class="task-state">${esc(term(task.state))}${task.unowned ? ` · ${esc(term('unowned'))}` : ''}</td>
      <td>${deadline ? `${esc(localTime(deadline))}<br><span class="${due.passed ? 'passed' : ''}" data-countdown="${esc(deadline)}">${esc(due.text)}</span>` : '—'}</td>
      <td class="task-actions">${buttons}${error ? `<div class="error-inline" role="alert" data-testid="task-error">${errorHTML(error)}</div>` : ''}</td></tr>`;
  });

  const obligations = (d.obligations ?? []).map((o) => {
    const ob = o.obligation ?? {};
    const dueBy = ob.dueBy ?? ob.latestDueBy;
    const due = countdown(dueBy);
    const open = o.state === 'due';
    // Met after its deadline: "met late by 1 h 12 min" (lateBy is in seconds).
    const late = o.state === 'met' && o.lateBy != null;
    // On a Chinese screen the server's own Chinese (titleZh: who reports what to whom within how long; stateZh:
    // 待报 / 已报 / 逾期补报（迟报…）) when it gives one.
    const zh = lang() === 'zh';
    const stateText = zh && o.stateZh ? o.stateZh : late ? t('metLateBy', { d: duration(o.lateBy * 1000) }) : term(o.state);
    const what = zh && o.titleZh
      ? `<td colspan="3" data-testid="obligation-zh">${esc(o.titleZh)}</td>`
      : `<td>${esc(term(ob.report))}</td><td>${esc(unitName(ob.fromUnit))}</td>
      <td>${esc((ob.recipients ?? []).map(recipientText).join(zh ? '、' : ', '))}</td>`;
    return `<tr class="obligation state-${esc(o.state)}${late ? ' late' : ''}" data-obligation="${esc(ob.id)}">
      ${what}
      <td>${esc(localTime(dueBy))}${open ? `<br><span class="${due.passed ? 'passed' : ''}" data-countdown="${esc(dueBy)}">${esc(due.text)}</span>` : ''}</td>
      <td class="obligation-state">${esc(stateText)}</td><td class="muted">${esc((zh && o.ruleZh) || ob.rule || '')}</td></tr>`;
  });

  const peers = peerRows(d).map((n) => {
    // The boundary as the playbook names it (nameZh on a Chinese screen).
    const boundary = plan?.arrivals?.find((a) => a.node === n.boundary);
    const received = n.receivedAt ? `✔ ${t('received')} ${localTime(n.receivedAt)}` : `… ${t('received')}`;
    const accepted = n.acceptedAt ? `✔ ${t('accepted')} ${localTime(n.acceptedAt)}` : `… ${t('accepted')}`;
    return `<tr class="peer" data-province="${esc(n.province)}">
      <td>${esc(state.units.has(n.province) ? unitName(n.province) : n.name ?? n.province)}</td><td>${esc(term(n.requirement))}</td>
      <td>${esc(boundary ? placeName(boundary) : n.boundaryName ?? n.boundary)}</td><td>${esc(n.kind === 'sharedWater' ? '—' : localTime(n.crossingAt))}</td>
      <td>${esc(localTime(n.deadline))}<br><span data-countdown="${esc(n.deadline)}">${esc(countdown(n.deadline).text)}</span></td>
      <td><span class="${n.recorded ? '' : 'muted'}">${esc(n.recorded ? t('recorded') : t('pending'))}</span><br>
        <span class="${n.receivedAt ? 'ok' : 'muted'}" data-peer-state="received">${esc(received)}</span><br>
        <span class="${n.acceptedAt ? 'ok' : 'muted'}" data-peer-state="accepted">${esc(accepted)}</span></td></tr>${
      // The notification in the server's Chinese (textZh): whom, why, where, when, by when, under which rule.
      lang() === 'zh' && n.textZh ? `<tr class="peer-text"><td colspan="6" data-testid="peer-zh">${esc(n.textZh)}</td></tr>` : ''}`;
  });

  const arrivals = (plan?.arrivals ?? []).map((a) => {
    const w = a.withoutMeasures;
    const m = a.withMeasures;
    const over = (w?.ratioToStandard ?? 0) > 1;
    return `<tr class="arrival${over ? ' over' : ''}">
      <td>${esc(placeName(a))}</td><td>${esc(term(a.kind))}</td>
      <td>${a.km !== null && a.km !== undefined ? esc(num(a.km)) : '—'}</td><td>${esc(num(a.distanceKm))}</td>
      <td class="province" title="${esc(unitName(a.province))}">${esc(provinceShort(a.province))}</td>
      <td class="nowrap">${esc(localTime(a.earliestArrival))}</td><td class="nowrap">${esc(localTime(a.likelyArrival))}${
        // The band: its slow end and width, and a dam above still held (docs/travel-time.md).
        a.latestArrival && a.band
          ? `<br><span class="muted" data-testid="band">${esc(t('latest'))} ${esc(localTime(a.latestArrival))} · ${esc(t('band'))} ${esc(num(a.band.widthH))} h${
              a.band.basis === 'calibrated' ? ` · ${esc(t('calibrated'))}` : ''}</span>`
          : ''}${a.heldBehind ? `<br><span class="warn" data-testid="held-behind">${esc(t('heldBehind'))}</span>` : ''}</td>
      <td class="nowrap">${w ? `${esc(ratio(w.ratioToStandard))}×` : '—'}${m && ratio(m.ratioToStandard) !== ratio(w?.ratioToStandard) ? ` <span class="muted">(${esc(t('withMeasures'))} ${esc(ratio(m.ratioToStandard))}×)</span>` : ''}</td></tr>`;
  });

  const timeline = [...(d.timeline ?? [])].reverse().map(
    (e) => `<li><span class="seq">#${e.seq}</span> <time datetime="${esc(e.at)}">${esc(localTime(e.at, { seconds: true }))}</time>
      <strong>${esc(term(e.type))}</strong>${e.task ? ` ${esc(e.task.split('/').pop())}` : ''}${e.province ? ` ${esc(unitName(e.province))}` : ''}
      ${e.summary ? `<span class="neighbour-said">${esc(e.summary)}</span>` : ''}
      <span class="muted">${actorHTML(e.actor)}</span></li>`,
  );

  view.innerHTML = `
    ${drill}
    <p><a href="#/" data-focus-key="back">← ${esc(t('back'))}</a></p>
    <header class="incident-head${d.exercise ? ' exercise' : ''}">
      <h2>${levelBadge(d.level)} <span data-testid="incident-reference">${esc(d.reference)}</span> ${drillBadge(d.exercise)}
        <span class="muted">${esc(d.state === 'closed' ? t('closed') : t('openState'))}</span>
        ${d.state !== 'closed' && mayWorkTasks(d) ? `<a class="button-link" data-testid="file-followup" href="#/incident/${esc(encodeURIComponent(d.id))}/report">${esc(t('fileFollowUpShort'))}</a>` : ''}</h2>
      <dl class="facts">
        <div><dt>${esc(t('place'))}</dt><dd>${esc(placeText(d))}</dd></div>
        <div><dt>${esc(t('pollutant'))}</dt><dd>${esc(plan?.pollutant ? placeName(plan.pollutant) : d.pollutant)}</dd></div>
        <div><dt>${esc(t('discovered'))}</dt><dd>${esc(localTime(d.discoveredAt))} (<span data-since="${esc(d.discoveredAt)}">${esc(since(d.discoveredAt))}</span>)</dd></div>
        <div><dt>${esc(t('spillUnit'))}</dt><dd>${esc(unitName(d.spillUnit))}</dd></div>
        <div data-testid="next-deadline"><dt>${esc(t('nextDeadline'))}</dt><dd>${d.nextDeadline ? `${esc(localTime(d.nextDeadline))} ${esc(d.nextDeadlineTask ?? '')} · <span data-countdown="${esc(d.nextDeadline)}">${esc(countdown(d.nextDeadline).text)}</span>` : '—'}</dd></div>
        ${d.levelReview ? `<div class="level-review" data-testid="level-review"><dt>${esc(t('level'))}</dt><dd>${esc(t('levelReview', { level: d.levelReview.level, hint: d.levelReview.hint, reasons: reviewReasons(d.levelReview) }))}</dd></div>` : ''}
      </dl>
    </header>
    <div class="first-screen">
      ${section(t('map'), `<div data-map><p class="muted">${esc(t('loading'))}</p></div>`, 'map-panel')}
      ${section(t('arrivals'), table([t('receptor'), '', t('km'), t('distance'), t('province'), t('earliest'), t('likely'), t('peak')], arrivals), 'arrivals-panel')}
    </div>
    <div class="columns">
      ${section(t('tasks'), `<label class="only-mine"><input type="checkbox" id="only-mine" ${state.onlyMine ? 'checked' : ''} data-focus-key="only-mine"> ${esc(t('onlyMine'))}</label>
        ${table([t('reference'), t('what'), t('assignee'), t('state'), t('deadline'), t('actions')], taskRows)}`, 'tasks-panel')}
      ${section(t('obligations'), obligations.length ? table([t('what'), t('who'), t('recipients'), t('dueBy'), t('state'), ''], obligations) : `<p class="muted">${esc(t('noObligations'))}</p>`)}
      ${section(t('peers'), peers.length ? table([t('province'), t('requirement'), t('boundary'), t('crossing'), t('deadline'), t('state')], peers) : `<p class="muted">${esc(t('noPeers'))}</p>`)}
      ${section(t('timeline'), `<ol class="timeline">${timeline.join('')}</ol>`, 'timeline-panel')}
    </div>
    ${drill}`;
  for (const button of view.querySelectorAll('button[data-action]')) {
    button.onclick = () => work(button.dataset.task, button.dataset.action, button);
  }
  view.querySelector('#only-mine').onchange = (e) => {
    state.onlyMine = e.target.checked;
    renderDetail();
    drawMap();
  };
  if (focusKey) view.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

async function work(taskId, action, button) {
  let body;
  if (action === 'decline') {
    const reason = window.prompt(t('declineReason'));
    if (!reason || !reason.trim()) return;
    body = { reason: reason.trim() };
  }
  if (button) button.disabled = true;
  try {
    const task = await api(`/v1/tasks/${encodeURIComponent(taskId)}/${action}`, { method: 'POST', body });
    state.taskErrors.delete(taskId);
    if (state.detail?.tasks) state.detail.tasks = state.detail.tasks.map((x) => (x.id === task.id ? task : x));
    if (action === 'ack' || action === 'start' || action === 'done') clearAlert(`task:${taskId}`);
  } catch (error) {
    state.taskErrors.set(taskId, error);
    showError(error);
  }
  renderDetail();
  drawMap();
}

// ---- routing and the clock ---------------------------------------------------------------------------------

/** The report form: an initial report (`#/report`) or a follow-up on an incident (`#/incident/{id}/report`). It has a
 * view of its own, which live events never re-render, so nothing typed is lost. */
async function showReportForm(incidentId) {
  $('list-view').hidden = true;
  $('incident-view').hidden = true;
  const view = $('report-view');
  view.hidden = false;
  let incident = null;
  if (incidentId) {
    try {
      incident = await api(`/v1/incidents/${encodeURIComponent(incidentId)}`);
    } catch (error) {
      view.innerHTML = `<p><a href="#/">← ${esc(t('back'))}</a></p><p class="error-inline">${errorHTML(error)}</p>`;
      return;
    }
  }
  renderReportForm(view, {
    kind: incidentId ? 'followUp' : 'initial', incident, me: state.me, playbooks: state.playbooks, pollutants: state.pollutants, errorHTML,
    onFiled: (created) => {
      view.innerHTML = '';
      location.hash = `#/incident/${encodeURIComponent(created.incident.id)}`;
    },
  });
  view.querySelector('input, select, textarea')?.focus();
}

function route() {
  if (!state.me) return;
  const form = location.hash.match(/^#\/(?:incident\/([^/]+)\/)?report$/);
  $('report-view').hidden = !form;
  if (form) {
    state.detailId = null;
    state.detail = null;
    showReportForm(form[1] ? decodeURIComponent(form[1]) : null);
    return;
  }
  const match = location.hash.match(/^#\/incident\/([^/]+)$/);
  document.body.classList.toggle('viewing-incident', !!match);
  if (match) {
    const id = decodeURIComponent(match[1]);
    $('list-view').hidden = true;
    $('incident-view').hidden = false;
    if (state.detailId !== id) {
      state.detailId = id;
      state.detail = null;
      state.detailError = null;
      state.taskErrors.clear();
      renderDetail();
    }
    loadDetail(id);
  } else {
    state.detailId = null;
    state.detail = null;
    $('incident-view').hidden = true;
    $('list-view').hidden = false;
    renderList();
  }
}

function tick() {
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = since(el.dataset.since);
  for (const el of document.querySelectorAll('[data-countdown]')) {
    const due = countdown(el.dataset.countdown);
    el.textContent = due.text;
    el.classList.toggle('passed', due.passed);
  }
}

function renderAll() {
  renderWho();
  renderAlerts();
  renderList();
  if (state.detailId) {
    renderDetail();
    drawMap();
  }
  if (state.connection !== 'idle' && state.me) onState(state.connection);
}

/** Whether Chinese draws here — with the officer's own fonts (`system`), else with the server's web font
 * (`webfont`, fetched for the check), else not at all (`missing`) — put on `<html data-chinese-font>`; when it does
 * not, says so in English and in Chinese (which may not draw): which font to install, and that English needs none. */
async function checkChineseFont() {
  let found = canDrawChinese() ? 'system' : 'missing';
  if (found === 'missing') {
    try {
      await document.fonts.load('40px "Watershed CJK"', '镉应');
    } catch {
      // Not served or blocked: said below.
    }
    if (canDrawChinese()) found = 'webfont';
  }
  document.documentElement.dataset.chineseFont = found;
  const box = $('font-warning');
  box.hidden = found !== 'missing';
  if (found === 'missing') {
    box.innerHTML = `<strong lang="en">This browser has no font for Chinese: Chinese text shows as boxes.</strong>
      <span lang="en">Install Noto Sans CJK SC (Debian/Ubuntu: <code>sudo apt install fonts-noto-cjk</code>; Windows
      and macOS include a Chinese font), then reload — or switch to English.</span>
      <span lang="zh-CN">浏览器缺少中文字体，中文显示为方框。请安装思源黑体（Noto Sans CJK SC）后重新加载，或切换为英文。</span>`;
  }
}

function boot() {
  setLang(lang());
  translatePage();
  checkChineseFont();
  $('lang').onclick = () => {
    setLang(lang() === 'zh' ? 'en' : 'zh');
    translatePage();
    renderAll();
  };
  $('signin').onsubmit = (event) => {
    event.preventDefault();
    unlockAudio();
    askNotificationPermission();
    signIn($('token').value.trim());
  };
  $('signout').onclick = signOut;
  // A page restored from sessionStorage had no gesture yet: the first click lets it play sound.
  document.addEventListener(
    'click',
    () => {
      unlockAudio();
      if (state.me) askNotificationPermission();
    },
    { once: true },
  );
  window.addEventListener('hashchange', route);
  setInterval(tick, 15000);
  setInterval(drawMap, 60000);
  const token = storedToken();
  if (token) signIn(token, { restoring: true });
  else showSignIn();
}

boot();
