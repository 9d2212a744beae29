// The /stats dashboard: polls /stats.json every second and shows every session of the element
// (the live ones and the last ended ones): its state, how its connection went (a timeline of
// signalling and peer connection events), the candidates of both sides, the pair ICE selected,
// why it ended, and, for every live viewer, publisher or caller, graphs of the last minutes
// (bitrate both ways, RTT, loss, NACK, PLI, frames a second).
// For tests and scripts: window.rtckitStats = { last, history, refresh() }.
(() => {
  'use strict';

  const KEEP = 300; // seconds of history per graph
  const $ = id => document.getElementById(id);
  const history = new Map(); // session -> { t: [], kbps: [], rtt: [], lost: [], nack: [], pli: [], fps: [] }
  const api = window.rtckitStats = { last: null, history, refresh };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  }

  // One sample a second of a session's media (its "media" in stats.json): both directions, so
  // that a viewer, a publisher and a caller draw the same graphs.
  function remember(conn, now) {
    const m = conn.media;
    if (!m) return;
    let h = history.get(conn.session);
    if (!h) history.set(conn.session, h = { t: [], bytes: [], frameCount: [], kbps: [], rtt: [], lost: [],
                                            nack: [], pli: [], fps: [] });
    const bytes = (m.bytes_sent || 0) + (m.bytes_received || 0);
    const frames = (m.frames_sent || 0) + (m.frames_received || 0);
    const prevT = h.t[h.t.length - 1];
    const dt = prevT ? now - prevT : 0;
    h.kbps.push(dt > 0 ? Math.max(0, (bytes - h.bytes[h.bytes.length - 1]) * 8 / 1000 / dt) : 0);
    h.fps.push(dt > 0 ? Math.max(0, (frames - h.frameCount[h.frameCount.length - 1]) / dt) : 0);
    h.t.push(now);
    h.bytes.push(bytes);
    h.frameCount.push(frames);
    h.rtt.push(m.rtt_ms == null ? 0 : m.rtt_ms);
    h.lost.push((m.lost_sent || 0) + (m.lost_received || 0));
    h.nack.push((m.nack_received || 0) + (m.nack_sent || 0));
    h.pli.push((m.pli_received || 0) + (m.pli_sent || 0));
    for (const k of Object.keys(h)) if (h[k].length > KEEP) h[k].splice(0, h[k].length - KEEP);
  }

  function graph(label, values, unit) {
    const box = el('div', 'graph');
    const last = values.length ? values[values.length - 1] : 0;
    box.append(el('div', null, `${label}: ${Math.round(last * 10) / 10}${unit}`));
    const c = el('canvas');
    c.width = 190; c.height = 40;
    const g = c.getContext('2d');
    const max = Math.max(1, ...values);
    g.strokeStyle = '#6af';
    g.beginPath();
    values.forEach((v, i) => {
      const x = values.length < 2 ? 0 : i * (c.width - 1) / (values.length - 1);
      const y = c.height - 1 - v / max * (c.height - 2);
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
    box.append(c);
    return box;
  }

  function card(conn) {
    const d = el('section', 'conn');
    d.dataset.state = conn.state;
    d.dataset.session = conn.session;
    const h = el('h2');
    h.append(el('span', null, conn.kind), el('span', 'state', conn.state),
             el('span', null, conn.peer ? conn.peer.slice(0, 8) : ''));
    d.append(h);
    const end = conn.ended_ms || Date.now();
    d.append(el('div', null, `session ${conn.session.slice(0, 8)} · ${seconds(end - conn.started_ms)}` +
                             (conn.ended_ms ? ' (ended)' : '')));
    if (conn.end_reason) d.append(el('div', 'reason', why(conn.end_reason)));
    d.append(el('div', 'pair', conn.selected_pair ? 'selected pair: ' + conn.selected_pair : 'no pair selected'));
    const tl = el('div', 'timeline');
    for (const [t, what] of conn.events) {
      const row = el('div');
      row.append(el('span', null, t + ' ms'), document.createTextNode(what));
      tl.append(row);
    }
    d.append(tl);
    const cands = el('details');
    cands.append(el('summary', null,
      `candidates: ${conn.local_candidates.length} ours, ${conn.remote_candidates.length} theirs`));
    const list = el('div', 'cands');
    for (const c of conn.local_candidates) list.append(el('div', null, 'ours   ' + c));
    for (const c of conn.remote_candidates) list.append(el('div', null, 'theirs ' + c));
    cands.append(list);
    d.append(cands);
    const h2 = history.get(conn.session);
    if (h2) {
      const gs = el('div', 'graphs');
      gs.append(graph('bitrate', h2.kbps, ' kbit/s'), graph('RTT', h2.rtt, ' ms'),
                graph('lost', h2.lost, ''), graph('NACK', h2.nack, ''), graph('PLI', h2.pli, ''),
                graph('frames', h2.fps, '/s'));
      d.append(gs);
    }
    return d;
  }

  // Clear words for the reasons sessions end.
  function why(reason) {
    if (/ICE or DTLS/.test(reason)) return 'failed: no candidate pair worked, or DTLS did not complete (' + reason + ')';
    if (/timed out/.test(reason)) return 'timeout: ' + reason;
    if (/fingerprint/i.test(reason)) return 'DTLS fingerprint mismatch: ' + reason;
    return reason;
  }

  async function refresh() {
    let data;
    try {
      const r = await fetch('stats.json', { cache: 'no-store' });
      data = await r.json();
    } catch (e) {
      $('summary').textContent = 'cannot read stats.json: ' + e;
      return;
    }
    api.last = data;
    const now = Date.now() / 1000;
    for (const c of data.connections || []) if (!c.ended_ms) remember(c, now);
    // Sessions the element no longer lists leave the history too (a page left open for days).
    const listed = new Set((data.connections || []).map(c => c.session));
    for (const id of history.keys()) if (!listed.has(id)) history.delete(id);
    const conns = (data.connections || []).slice().sort((a, b) =>
      (a.ended_ms ? 1 : 0) - (b.ended_ms ? 1 : 0) || b.started_ms - a.started_ms);
    const live = conns.filter(c => !c.ended_ms).length;
    $('summary').textContent = `${live} live, ${conns.length - live} ended` +
      (data.url ? ' · ' + data.url : '');
    const main = $('conns');
    main.replaceChildren(...conns.map(c => card(c)));
  }

  refresh();
  setInterval(refresh, 1000);
})();
