// The HTTP API (DESIGN.md "HTTP API") with the signed-in token, and the live stream (DESIGN.md "Live stream"):
// a one-use ticket from POST /v1/stream-tickets, then wss://…/v1/stream?after=SEQ&ticket=… — never the token in
// a URL. The stream resumes from the last seq it saw after any drop, showing "reconnecting…" meanwhile.

/** An error the server answered with `{"error": {"code", "message", "field"}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const TOKEN_KEY = 'watershed.token';

/** The signed-in token (sessionStorage: this tab only, gone when it closes). */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Calls the API; resolves with the JSON body, rejects with an `ApiError`. `headers` adds request headers (an
 * `Idempotency-Key`). */
export async function api(path, { method = 'GET', body, token = storedToken(), headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'network', `cannot reach the server (${error.message})`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const e = json?.error ?? {};
    throw new ApiError(response.status, e.code ?? 'http_error', e.message ?? `${response.status} ${response.statusText}`, e.field);
  }
  return json;
}

/**
 * The live stream. `onEvent(event)` for every committed event after the last seq seen, in order;
 * `onState(state, detail)` with `connecting`, `live`, `reconnecting` or `stopped`; `onCaughtUp(head, resumed)` after
 * each (re)connection's backlog.
 */
export class LiveStream {
  constructor({ after, onEvent, onState, onCaughtUp }) {
    this.lastSeq = after;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onCaughtUp = onCaughtUp;
    this.socket = null;
    this.stopped = false;
    this.attempt = 0;
    this.timer = null;
    this.connections = 0;
  }

  start() {
    this.stopped = false;
    this.onState('connecting');
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, 'signed out');
    }
    this.socket = null;
  }

  async connect() {
    if (this.stopped) return;
    let ticket;
    try {
      ticket = (await api('/v1/stream-tickets', { method: 'POST' })).ticket;
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        this.stopped = true;
        this.onState('stopped', error);
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const url = new URL('/v1/stream', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('after', String(this.lastSeq));
    url.searchParams.set('ticket', ticket);
    const socket = new WebSocket(url);
    this.socket = socket;
    const resumed = this.connections > 0;
    socket.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === 'event' && frame.event) {
        if (frame.event.seq <= this.lastSeq) return;
        this.lastSeq = frame.event.seq;
        this.onEvent(frame.event);
      } else if (frame.type === 'caughtUp') {
        this.lastSeq = Math.max(this.lastSeq, frame.head);
        this.attempt = 0;
        this.connections += 1;
        this.onState('live');
        this.onCaughtUp(frame.head, resumed);
      }
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (close.code === 4003) {
        this.stopped = true;
        this.onState('stopped', new ApiError(403, 'rights_lost', close.reason || 'the token lost its rights'));
        return;
      }
      if (close.code === 4002) {
        // ahead:<head>:<hash of seq 1>: the server's log ends before what this page has seen (restored from a
        // backup, or a new data directory). Start over from the server's head; the page reloads what it shows.
        const head = Number((close.reason || '').split(':')[1]);
        this.lastSeq = Number.isFinite(head) ? head : 0;
        this.onState('restarted');
        this.attempt = 0;
        this.connect();
        return;
      }
      // 4001 resume:<seq> (fell behind), a restart, a network drop: resume from the last seq seen.
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    this.onState('reconnecting');
    const delay = Math.min(5000, 250 * 2 ** this.attempt);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
