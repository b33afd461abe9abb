// Times and numbers as a duty officer reads them: local time with its UTC offset
// ("2026-11-29 14:05 +08:00"), durations in days, hours and minutes.
import { lang, t } from './i18n.js';

const pad = (n) => String(n).padStart(2, '0');

/** "+08:00" for the browser's zone at that instant. */
export function offset(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-11-29 14:05 +08:00" (local time with offset); "—" for nothing. */
export function localTime(value, { seconds = false } = {}) {
  if (!value) return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? ':' + pad(d.getSeconds()) : ''}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time} ${offset(d)}`;
}

/** "3 d 4 h", "2 h 05 min", "12 min" (or Chinese) for a length in milliseconds. */
export function duration(ms) {
  const total = Math.max(0, Math.round(Math.abs(ms) / 60000));
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  const zh = lang() === 'zh';
  const d = zh ? '天' : ' d';
  const h = zh ? '小时' : ' h';
  const m = zh ? '分' : ' min';
  if (days > 0) return `${days}${d} ${hours}${h}`;
  if (hours > 0) return `${hours}${h} ${pad(minutes)}${m}`;
  return `${minutes}${m}`;
}

/** "3 h 05 min ago" for a past time. */
export function since(value, now = Date.now()) {
  if (!value) return '—';
  return t('ago', { d: duration(now - new Date(value).getTime()) });
}

/** "in 1 h 20 min" or "overdue by 12 min", and whether it has passed. */
export function countdown(value, now = Date.now()) {
  if (!value) return { text: '—', passed: false };
  const left = new Date(value).getTime() - now;
  if (left >= 0) return { text: t('inTime', { d: duration(left) }), passed: false };
  return { text: t('overdueBy', { d: duration(-left) }), passed: true };
}

/** A number with at most `digits` decimals, no trailing zeros. */
export function num(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Number(value.toFixed(digits)).toString();
}

/** Escapes text for HTML. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/**
 * Whether this browser can draw Chinese with the page's fonts (issue 21, "an officer's browser is not ours to set
 * up"). Two different characters (镉, 应) drawn on a canvas in the body's font come out as the same pixels only when
 * neither has a glyph — both the missing-glyph box, or both nothing — so equal pixels mean no Chinese font.
 */
export function canDrawChinese() {
  const canvas = document.createElement('canvas');
  canvas.width = 48;
  canvas.height = 48;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return true;
  g.font = `40px ${getComputedStyle(document.body).fontFamily}`;
  g.textBaseline = 'top';
  const draw = (text) => {
    g.clearRect(0, 0, 48, 48);
    g.fillText(text, 2, 2);
    return g.getImageData(0, 0, 48, 48).data.join(',');
  };
  return draw('镉') !== draw('应');
}
