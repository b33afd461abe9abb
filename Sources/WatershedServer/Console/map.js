// The command map (一图) as SVG, drawn from the playbooks' GeoJSON (GET /v1/playbooks/{id}/map): river reaches,
// emergency sites by action, intakes, reservoirs, monitoring sections, boundaries, park sites and outfalls, sea
// zones and maritime boundaries; then the spill point and the front predicted for now. No tiles: nothing is
// fetched but the server's own GeoJSON.
import { esc, localTime } from './format.js';
import { placeName, t, term } from './i18n.js';

const WIDTH = 1000;
const ACTION_COLOURS = { intercept: '#7b2cbf', divert: '#2a9d8f', dose: '#d97706', dilute: '#0ea5e9' };

/** The playbooks the map needs: the spill's, then every river an arrival is on. */
export function playbooksFor(incident) {
  const ids = [];
  const place = incident.place ?? {};
  const first = place.river?.id ?? place.park?.id ?? place.sea?.id;
  if (first) ids.push(first);
  for (const arrival of incident.plan?.arrivals ?? []) {
    if (arrival.river && !ids.includes(arrival.river)) ids.push(arrival.river);
  }
  return ids;
}

/** Where on a river (its reach lines) chainage `km` is, as [lng, lat]; `null` off the mapped reaches. */
export function pointAtKm(features, km) {
  const reaches = features.filter((f) => f.properties?.kind === 'reach' && f.geometry?.type === 'LineString');
  const reach =
    reaches.find((f) => f.properties.fromKm <= km && km <= f.properties.toKm) ??
    (km <= 0 ? reaches[0] : undefined) ??
    undefined;
  if (!reach) return null;
  const line = reach.geometry.coordinates;
  const span = reach.properties.toKm - reach.properties.fromKm;
  const fraction = span > 0 ? Math.min(1, Math.max(0, (km - reach.properties.fromKm) / span)) : 0;
  const lengths = [];
  let total = 0;
  for (let i = 1; i < line.length; i += 1) {
    const l = Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]);
    lengths.push(l);
    total += l;
  }
  let left = fraction * total;
  for (let i = 1; i < line.length; i += 1) {
    if (left <= lengths[i - 1] || i === line.length - 1) {
      const f = lengths[i - 1] > 0 ? Math.min(1, left / lengths[i - 1]) : 0;
      return [line[i - 1][0] + f * (line[i][0] - line[i - 1][0]), line[i - 1][1] + f * (line[i][1] - line[i - 1][1])];
    }
    left -= lengths[i - 1];
  }
  return line[0];
}

/**
 * The spill point and the front predicted for `now` from the plan's arrivals (earliest arrival = leading edge at
 * the maximum-probable velocity). Between two nodes on one river the chainage is interpolated in time; between sea
 * points the position is; otherwise the front stands at the last node reached.
 */
export function spillAndFront(incident, maps, now = Date.now()) {
  const byId = new Map();
  for (const features of Object.values(maps)) {
    for (const f of features) if (f.properties?.id && f.geometry?.type === 'Point') byId.set(f.properties.id, f);
  }
  const place = incident.place ?? {};
  const plan = incident.plan;
  let spill = null;
  let spillRiver = null;
  let spillKm = null;
  if (place.river && maps[place.river.id]) {
    spill = pointAtKm(maps[place.river.id], place.river.km);
    spillRiver = place.river.id;
    spillKm = place.river.km;
  } else if (place.sea) {
    spill = [place.sea.lng, place.sea.lat];
  } else if (place.park) {
    const outfall = plan?.containment?.outfall;
    spill = outfall && byId.get(outfall) ? byId.get(outfall).geometry.coordinates : null;
  }
  const start = { position: spill, river: spillRiver, km: spillKm, at: new Date(plan?.input?.at ?? incident.discoveredAt).getTime(), name: t('mapSpill') };
  const points = [start];
  for (const arrival of plan?.arrivals ?? []) {
    let position = null;
    if (arrival.river && arrival.km !== null && arrival.km !== undefined && maps[arrival.river]) {
      position = pointAtKm(maps[arrival.river], arrival.km);
    }
    if (!position && byId.get(arrival.node)) position = byId.get(arrival.node).geometry.coordinates;
    if (!position) continue;
    points.push({ position, river: arrival.river ?? null, km: arrival.km ?? null, at: new Date(arrival.earliestArrival).getTime(), name: placeName(arrival) });
  }
  points.sort((a, b) => a.at - b.at);
  if (!plan || points.length < 2 || !points.some((p) => p.position)) return { spill, front: null, note: t('mapNoFront') };
  if (now < points[0].at) return { spill, front: spill, note: t('mapFrontBefore') };
  let i = 0;
  while (i + 1 < points.length && points[i + 1].at <= now) i += 1;
  const a = points[i];
  if (i === points.length - 1) {
    return { spill, front: a.position, note: t('mapFrontBeyond', { node: `${a.name} (${localTime(new Date(a.at))})` }) };
  }
  const b = points[i + 1];
  const f = b.at > a.at ? (now - a.at) / (b.at - a.at) : 0;
  let front = a.position;
  if (a.river && a.river === b.river && a.km !== null && b.km !== null && maps[a.river]) {
    front = pointAtKm(maps[a.river], a.km + f * (b.km - a.km)) ?? a.position;
  } else if (!a.river && !b.river && a.position && b.position) {
    front = [a.position[0] + f * (b.position[0] - a.position[0]), a.position[1] + f * (b.position[1] - a.position[1])];
  }
  const km = a.river === b.river && a.km !== null && b.km !== null ? ` · km ${(a.km + f * (b.km - a.km)).toFixed(1)}` : '';
  return { spill, front, note: `${t('mapFront')}: ${a.name} → ${b.name}${km}` };
}

/** The SVG markup of the map; `maps` is `{playbookId: [features]}`. */
export function renderMap(incident, maps, now = Date.now()) {
  const all = Object.values(maps).flat();
  const coords = [];
  const collect = (c) => {
    if (typeof c[0] === 'number') coords.push(c);
    else for (const x of c) collect(x);
  };
  for (const f of all) if (f.geometry) collect(f.geometry.coordinates);
  const { spill, front, note } = spillAndFront(incident, maps, now);
  if (spill) coords.push(spill);
  if (coords.length === 0) return `<p class="muted">${esc(t('mapNoFront'))}</p>`;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of coords) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxX - minX) * k, 0.01);
  const spanY = Math.max(maxY - minY, 0.01);
  // Room on the right for the labels, which are written to the right of their points.
  const [padL, padR, padY, maxH] = [30, 230, 30, 760];
  const scale = Math.min((WIDTH - padL - padR) / spanX, (maxH - 2 * padY) / spanY);
  const height = Math.max(320, spanY * scale + 2 * padY);
  const offX = padL + (WIDTH - padL - padR - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  const P = ([x, y]) => [offX + (x - minX) * k * scale, offY + (maxY - y) * scale];
  const pts = (line) => line.map((c) => P(c).map((v) => v.toFixed(1)).join(',')).join(' ');
  // Labels are placed by priority (lower first) and dropped where they would overlap one already placed; every
  // symbol keeps its name in its tooltip.
  const wanted = [];
  const label = (x, y, text, cls = '', priority = 5) => wanted.push({ x, y, text, cls, priority });
  const placeLabels = () => {
    const placed = [];
    const out = [];
    const overlaps = (b) => placed.some((p) => b.x < p.x + p.w && p.x < b.x + b.w && b.y < p.y + p.h && p.y < b.y + b.h);
    for (const l of wanted.sort((a, b) => a.priority - b.priority)) {
      const w = [...l.text].reduce((sum, c) => sum + (c.charCodeAt(0) > 0x2e80 ? 15 : 8.3), 0);
      const right = { x: l.x + 9, y: l.y - 11, w, h: 16, anchor: 'start' };
      const left = { x: l.x - 9 - w, y: l.y - 11, w, h: 16, anchor: 'end' };
      const box = [right, left].find((b) => b.x >= 0 && b.x + b.w <= WIDTH && !overlaps(b));
      if (!box) continue;
      placed.push(box);
      const tx = box.anchor === 'start' ? box.x : box.x + box.w;
      out.push(`<text class="map-label ${l.cls}" x="${tx.toFixed(1)}" y="${(l.y + 4).toFixed(1)}" text-anchor="${box.anchor}">${esc(l.text)}</text>`);
    }
    return out;
  };
  const title = (f, extra = '') => `<title>${esc(placeName(f.properties))}${extra ? ' — ' + esc(extra) : ''}</title>`;

  const layers = { areas: [], lines: [], points: [] };
  for (const f of all) {
    const p = f.properties ?? {};
    const g = f.geometry;
    if (!g) continue;
    if (g.type === 'Polygon') {
      layers.areas.push(`<polygon class="map-zone" points="${pts(g.coordinates[0])}">${title(f, t('seaZone'))}</polygon>`);
    } else if (g.type === 'LineString') {
      const cls = p.kind === 'maritimeBoundary' ? 'map-boundary-line' : 'map-river';
      layers.lines.push(`<polyline class="${cls}" points="${pts(g.coordinates)}">${title(f, p.kind === 'reach' ? `km ${p.fromKm}–${p.toKm}` : term(p.kind))}</polyline>`);
    } else if (g.type === 'Point') {
      const [x, y] = P(g.coordinates);
      const km = p.km !== undefined ? `km ${p.km}` : '';
      switch (p.kind) {
        case 'emergencySite': {
          const action = (p.actions ?? [])[0] ?? 'intercept';
          const colour = ACTION_COLOURS[action] ?? '#555';
          const shape =
            action === 'dose'
              ? `<circle cx="${x}" cy="${y}" r="6"/>`
              : action === 'divert'
                ? `<polygon points="${x},${y - 7} ${x + 7},${y} ${x},${y + 7} ${x - 7},${y}"/>`
                : action === 'dilute'
                  ? `<polygon points="${x},${y - 7} ${x + 7},${y + 6} ${x - 7},${y + 6}"/>`
                  : `<rect x="${x - 6}" y="${y - 6}" width="12" height="12"/>`;
          layers.points.push(`<g class="map-site" data-action="${esc(action)}" fill="${colour}">${shape}${title(f, `${(p.actions ?? []).map(term).join('/')} ${km}`)}</g>`);
          break;
        }
        case 'intake':
          layers.points.push(`<g class="map-intake"><circle cx="${x}" cy="${y}" r="7"/>${title(f, `${term('intake')} ${km}`)}</g>`);
          label(x, y, placeName(p), '', 3);
          break;
        case 'boundary':
          layers.points.push(`<g class="map-boundary"><rect x="${x - 3}" y="${y - 11}" width="6" height="22"/>${title(f, `${term('boundary')} ${km}`)}</g>`);
          label(x, y, placeName(p), 'map-label-boundary', 2);
          break;
        case 'reservoir':
          layers.points.push(`<g class="map-reservoir"><rect x="${x - 6}" y="${y - 4}" width="12" height="8" rx="3"/>${title(f, `${term('reservoir')} ${km}`)}</g>`);
          break;
        case 'monitoringSection':
          layers.points.push(`<g class="map-section"><polygon points="${x},${y + 7} ${x + 6},${y - 5} ${x - 6},${y - 5}"/>${title(f, `${term('monitoringSection')} ${km}`)}</g>`);
          break;
        case 'marineReceptor':
          layers.points.push(`<g class="map-marine"><circle cx="${x}" cy="${y}" r="6"/>${title(f, term('marineReceptor'))}</g>`);
          label(x, y, placeName(p), '', 4);
          break;
        case 'outfall':
          layers.points.push(`<g class="map-outfall"><rect x="${x - 5}" y="${y - 5}" width="10" height="10"/>${title(f, t('outfall'))}</g>`);
          label(x, y, placeName(p), '', 4);
          break;
        default:
          layers.points.push(`<g class="map-park-site" data-level="${esc(p.level ?? '')}"><circle cx="${x}" cy="${y}" r="5"/>${title(f, p.level ? `L${p.level}` : '')}</g>`);
      }
    }
  }
  if (spill) {
    const [x, y] = P(spill);
    const star = [...Array(10)].map((_, i) => {
      const r = i % 2 === 0 ? 13 : 5.5;
      const a = (Math.PI / 5) * i - Math.PI / 2;
      return `${(x + r * Math.cos(a)).toFixed(1)},${(y + r * Math.sin(a)).toFixed(1)}`;
    });
    layers.points.push(`<g class="map-spill"><polygon points="${star.join(' ')}"/><title>${esc(t('mapSpill'))}</title></g>`);
    label(x + 6, y, t('mapSpill'), 'map-label-spill', 0);
  }
  if (front) {
    const [x, y] = P(front);
    layers.points.push(`<g class="map-front" data-testid="map-front"><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="11"/><title>${esc(t('mapFront'))}</title></g>`);
    label(x + 4, y + 16, t('mapFront'), 'map-label-front', 1);
  }
  const exercise = incident.exercise
    ? `<text class="map-exercise" x="${WIDTH / 2}" y="${height / 2}" text-anchor="middle">${esc(t('drill'))}</text>`
    : '';
  const svg =
    `<svg class="map" viewBox="0 0 ${WIDTH} ${height.toFixed(0)}" role="img" aria-label="${esc(t('map'))}">` +
    `<rect class="map-bg" width="${WIDTH}" height="${height.toFixed(0)}"/>${exercise}` +
    `<g>${layers.areas.join('')}</g><g>${layers.lines.join('')}</g><g>${layers.points.join('')}</g><g>${placeLabels().join('')}</g></svg>`;
  const legend = [
    ['map-river-key', t('river')],
    ...Object.entries(ACTION_COLOURS).map(([action, colour]) => [`map-site-key" style="--c:${colour}`, term(action)]),
    ['map-intake-key', t('intake')],
    ['map-section-key', t('monitoringSection')],
    ['map-boundary-key', term('boundary')],
    ['map-spill-key', t('mapSpill')],
    ['map-front-key', t('mapFront')],
  ]
    .map(([cls, text]) => `<li><span class="key ${cls}"></span>${esc(text)}</li>`)
    .join('');
  return `${svg}<p class="map-note" data-testid="map-note">${esc(note)}</p><ul class="map-legend" aria-label="${esc(t('legend'))}">${legend}</ul>`;
}
