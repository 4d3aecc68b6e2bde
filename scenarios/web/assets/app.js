// kubesim's web view of a run: plain JavaScript, no framework, no request
// to anywhere but the serving kubesim (live mode). The data is what
// package web precomputed from the run (records, every etcd write, the
// series of the plots); the state at any record is computed here from it.
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var ROW = 20;
  var MODE = document.body.dataset.mode;
  var D = null;            // the data
  var recs = [];           // records, in order
  var idxOfN = new Map();  // record number -> index in recs
  var writes = [];         // etcd writes, in revision order
  var prevOfWrite = [];    // index of the previous write of the same key, -1 for none
  var lastOfKey = new Map();
  var checkpoints = [];    // indexes of checkpoint records
  var cur = -1;            // index of the record under the cursor
  var applied = 0;         // writes[0..applied) are applied to the state
  var state = new Map();   // key -> index of its newest applied write (deleted keys removed)
  var lang = 'en';
  var filtered = null;     // indexes matching the filter, or null
  var selKey = '';         // the chosen object's etcd key
  var expanded = '';       // the node opened in the aggregated view
  var follow = true;       // live: stay on the newest record
  var actorsByNode = new Map();
  var actorNode = new Map();
  var $ = function (id) { return document.getElementById(id); };

  // --- text in two languages ---------------------------------------------
  var UI = {
    en: { lang: '한국어', pending: 'Not scheduled', outside: 'outside the cluster', noNarr: '(no sentence for this record: its line says it all)',
      off: 'powered off', notready: 'NotReady', ready: 'Ready', written: 'written by', none: '(not in etcd at this record)',
      madeBy: 'what this record wrote to etcd:', nothing: 'nothing', cp: 'control plane', worker: 'worker', nodes: 'nodes', records: 'records',
      pick: 'click a pod or a node to see its YAML here', flowNone: 'no flow at this record', created: 'created' },
    ko: { lang: 'English', pending: '스케줄되지 않음', outside: '클러스터 밖', noNarr: '(이 기록에는 따로 설명이 없습니다: 기록 줄이 전부입니다)',
      off: '전원 꺼짐', notready: 'NotReady', ready: 'Ready', written: '작성한 기록', none: '(이 기록 시점에는 etcd에 없습니다)',
      madeBy: '이 기록이 etcd에 쓴 것:', nothing: '없음', cp: '컨트롤 플레인', worker: '워커', nodes: '노드', records: '기록',
      pick: '파드나 노드를 누르면 여기에 YAML이 보입니다', flowNone: '이 기록에는 흐름이 없습니다', created: '생성' }
  };
  function ui(k) { return UI[lang][k]; }
  function narr(r) { return lang === 'ko' && r.ko ? r.ko : (r.en || ''); }

  // --- loading -----------------------------------------------------------
  // The static page carries its data gzipped in base64 (package web's packData).
  function readData() {
    var node = $('kubesim-data'), text = node.textContent;
    if (node.type === 'application/json') return Promise.resolve(JSON.parse(text));
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }
  function load(data) {
    D = data;
    recs = []; writes = []; prevOfWrite = []; lastOfKey = new Map(); idxOfN = new Map(); checkpoints = [];
    D.terms = D.terms || []; D.downs = D.downs || []; D.sched = D.sched || []; D.flows = D.flows || [];
    indexActors();
    addRecords(D.records || []);
    addWrites(D.writes || []);
    $('run-name').textContent = D.name + (D.title && D.title.en ? ' — ' + titleText() : '') + ' (seed ' + D.seed + ')';
  }
  function titleText() { return lang === 'ko' && D.title.ko ? D.title.ko : D.title.en; }
  function indexActors() {
    actorsByNode = new Map(); actorNode = new Map();
    (D.actors || []).forEach(function (a) {
      actorNode.set(a.name, a.node || '');
      var k = a.node || '';
      if (!actorsByNode.has(k)) actorsByNode.set(k, []);
      actorsByNode.get(k).push(a);
    });
  }
  function addRecords(rs) {
    rs.forEach(function (r) {
      idxOfN.set(r.n, recs.length);
      if (r.cp) checkpoints.push(recs.length);
      recs.push(r);
    });
  }
  function addWrites(ws) {
    ws.forEach(function (w) {
      var p = lastOfKey.has(w.key) ? lastOfKey.get(w.key) : -1;
      lastOfKey.set(w.key, writes.length);
      prevOfWrite.push(p);
      writes.push(w);
    });
  }

  // --- the state at the cursor: apply or undo writes ---------------------
  function revAt(i) { return i < 0 ? 0 : (recs[i].v || 0); }
  function moveState(rev) {
    while (applied < writes.length && writes[applied].v <= rev) {
      var w = writes[applied];
      if (w.del) state.delete(w.key); else state.set(w.key, applied);
      applied++;
    }
    while (applied > 0 && writes[applied - 1].v > rev) {
      applied--;
      var u = writes[applied], p = prevOfWrite[applied];
      if (p >= 0 && !writes[p].del) state.set(u.key, p); else state.delete(u.key);
    }
  }
  function objectAt(key) { return state.has(key) ? writes[state.get(key)] : null; }
  function downAt(i) {
    var n = i < 0 ? 0 : recs[i].n, out = [];
    for (var j = 0; j < D.downs.length && D.downs[j].n <= n; j++) out = D.downs[j].down;
    return new Set(out);
  }
  // Actors that are down at the cursor, from the start/crash/exit records up to it.
  function goneActors(i) {
    var gone = new Set();
    for (var j = 0; j <= i; j++) {
      var r = recs[j];
      if (r.e === 'crash' || r.e === 'exit') gone.add(r.o);
      else if (r.e === 'start') gone.delete(r.o);
    }
    return gone;
  }
  var goneCache = { i: -2, set: new Set() };
  function gone(i) {
    if (goneCache.i === i) return goneCache.set;
    if (goneCache.i >= -1 && goneCache.i < i) {
      for (var j = goneCache.i + 1; j <= i; j++) {
        var r = recs[j];
        if (r.e === 'crash' || r.e === 'exit') goneCache.set.add(r.o);
        else if (r.e === 'start') goneCache.set.delete(r.o);
      }
    } else goneCache.set = goneActors(i);
    goneCache.i = i;
    return goneCache.set;
  }

  // --- moving the cursor -------------------------------------------------
  function seekIndex(i, fromHash) {
    if (!recs.length) return;
    i = Math.max(0, Math.min(recs.length - 1, i));
    cur = i;
    moveState(revAt(i));
    if (!fromHash) {
      var h = '#seq=' + recs[i].n;
      if (location.hash !== h) history.replaceState(null, '', h);
    }
    render();
  }
  function seekN(n, fromHash) {
    if (idxOfN.has(n)) return seekIndex(idxOfN.get(n), fromHash);
    // the nearest record before n
    var lo = 0, hi = recs.length - 1, best = 0;
    while (lo <= hi) { var m = (lo + hi) >> 1; if (recs[m].n <= n) { best = m; lo = m + 1; } else hi = m - 1; }
    seekIndex(best, fromHash);
  }
  function seekTime(t) {
    var lo = 0, hi = recs.length - 1, best = 0;
    while (lo <= hi) { var m = (lo + hi) >> 1; if (recs[m].t <= t) { best = m; lo = m + 1; } else hi = m - 1; }
    seekIndex(best);
  }
  function step(dir) {
    if (filtered) {
      var k = dir > 0 ? filtered.find(function (x) { return x > cur; }) : lastBefore(filtered, cur);
      if (k !== undefined) seekIndex(k);
      return;
    }
    seekIndex(cur + dir);
  }
  function lastBefore(list, i) { var out; for (var j = 0; j < list.length && list[j] < i; j++) out = list[j]; return out; }
  function stepCheckpoint(dir) {
    var k = dir > 0 ? checkpoints.find(function (x) { return x > cur; }) : lastBefore(checkpoints, cur);
    if (k !== undefined) seekIndex(k);
  }
  function hashSeq() {
    var m = /seq=(\d+)/.exec(location.hash);
    return m ? parseInt(m[1], 10) : null;
  }

  // --- filter ------------------------------------------------------------
  function applyFilter(q) {
    q = q.trim().toLowerCase();
    if (!q) { filtered = null; renderList(); return; }
    var keysByN = new Map();
    writes.forEach(function (w) { var a = keysByN.get(w.n) || ''; keysByN.set(w.n, a + ' ' + w.key); });
    filtered = [];
    recs.forEach(function (r, i) {
      var hay = (r.f || '') + ' ' + (r.o || '') + ' ' + (r.k || '') + ' ' + r.e + ' ' + (r.s || '') + (keysByN.get(r.n) || '');
      if (hay.toLowerCase().indexOf(q) >= 0) filtered.push(i);
    });
    renderList();
  }

  // --- rendering ---------------------------------------------------------
  function fmtTime(ns) { return (ns / 1e9).toFixed(6) + 's'; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function svg(tag, attrs) { var e = document.createElementNS(SVGNS, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function line(r) {
    var who;
    switch (r.e) {
      case 'deliver': who = r.f + ' -> ' + r.o + ' ' + r.k; break;
      case 'reply': who = r.f + ' => ' + r.o + ' ' + r.k; break;
      case 'drop': who = r.f + ' -x ' + r.o + ' ' + r.k; break;
      case 'timeout': who = r.f + ' -? ' + r.o + ' ' + r.k; break;
      case 'note': who = r.f + ' (' + r.k + ')'; break;
      case 'timer': who = r.o + ' (timer) ' + r.k; break;
      case 'mark': who = 'mark ' + r.k; break;
      default: who = r.e + ' ' + r.o + ' ' + r.k;
    }
    return who + (r.s ? ': ' + r.s : '');
  }
  function render() {
    if (cur < 0) return;
    var r = recs[cur];
    $('seq').textContent = r.n;
    $('vtime').textContent = fmtTime(r.t);
    $('rev').textContent = 'etcd rev ' + (r.v || 0);
    $('scrub').max = recs.length - 1; $('scrub').value = cur;
    $('message').textContent = '#' + r.n + ' ' + line(r);
    $('narration').textContent = narr(r) || ui('noNarr');
    $('narration').lang = lang;
    var t0 = performance.now(); renderList();
    var t1 = performance.now(); renderCluster();
    var t2 = performance.now(); renderObject();
    var t3 = performance.now(); renderFlow();
    var t4 = performance.now();
    timings = { list: t1 - t0, cluster: t2 - t1, object: t3 - t2, flow: t4 - t3 };
    // The arrow needs the layout: draw it once per frame, not per step.
    if (!arrowFrame) arrowFrame = requestAnimationFrame(function () { arrowFrame = 0; drawCursorLines(); });
  }
  var timings = {}, arrowFrame = 0, loadTimings = {};

  // the virtualized record list
  function listIndexes() { return filtered || null; }
  function renderList() {
    var box = $('records'), rows = $('records-rows'), li = listIndexes();
    var count = li ? li.length : recs.length;
    $('records-spacer').style.height = (count * ROW) + 'px';
    $('count').textContent = (li ? count + ' / ' : '') + recs.length + ' ' + ui('records');
    var pos = li ? li.indexOf(cur) : cur;
    if (pos >= 0 && renderList.lastCur !== cur) {
      var top = pos * ROW;
      if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - ROW) box.scrollTop = Math.max(0, top - box.clientHeight / 2);
    }
    renderList.lastCur = cur;
    var height = listHeight || (listHeight = box.clientHeight || 600);
    var first = Math.max(0, Math.min(count - 1, Math.floor(box.scrollTop / ROW) - 10));
    var last = Math.max(first, Math.min(count, first + Math.ceil(height / ROW) + 20));
    rows.style.top = (first * ROW) + 'px';
    // Reuse the row elements: a step changes their text, not their number.
    while (rows.lastChild && rows.childNodes.length > last - first) rows.removeChild(rows.lastChild);
    while (rows.childNodes.length < last - first) {
      var d = el('div', 'row'); d.appendChild(el('span', 't')); d.appendChild(document.createTextNode('')); rows.appendChild(d);
    }
    for (var p = first; p < last; p++) {
      var i = li ? li[p] : p, r = recs[i], row = rows.childNodes[p - first];
      var cls = 'row' + (i === cur ? ' cur' : '') + (r.cp ? ' cp' : '');
      if (row.className !== cls) row.className = cls;
      if (row.dataset.i !== String(i) || row.dataset.lang !== lang) {
        row.dataset.i = i; row.dataset.lang = lang;
        row.firstChild.textContent = '[' + fmtTime(r.t) + '] ';
        row.lastChild.textContent = '#' + r.n + ' ' + (r.cp ? (narr(r).split('\n')[0] || line(r)) : line(r));
        row.title = line(r);
      }
    }
  }
  var listHeight = 0;

  // the cluster: nodes, their components and pods
  function podsAt() {
    var byNode = new Map(), pending = [];
    state.forEach(function (wi, key) {
      var w = writes[wi];
      if (!w.pod) return;
      var p = w.pod;
      if (!p.node) { pending.push(p); return; }
      if (!byNode.has(p.node)) byNode.set(p.node, []);
      byNode.get(p.node).push(p);
    });
    byNode.forEach(function (l) { l.sort(podOrder); });
    pending.sort(podOrder);
    return { byNode: byNode, pending: pending };
  }
  function podOrder(a, b) { var x = a.ns + '/' + a.name, y = b.ns + '/' + b.name; return x < y ? -1 : x > y ? 1 : 0; }
  function nodeObjAt(name) { var w = objectAt('/registry/minions/' + name); return w && w.node ? w.node : null; }
  function podEl(p) {
    var key = '/registry/pods/' + p.ns + '/' + p.name;
    var d = el('div', 'pod' + (p.ns === 'kube-system' ? ' sys' : '') + (key === selKey ? ' sel' : ''));
    d.dataset.pod = p.ns + '/' + p.name; d.dataset.key = key; d.tabIndex = 0;
    var phase = p.term ? 'Terminating' : (p.phase || 'Pending');
    d.appendChild(el('span', 'name', (p.ns === 'default' ? '' : p.ns + '/') + p.name));
    var s = el('span', '');
    s.appendChild(el('span', 'ph-' + phase, phase));
    if (p.ip) s.appendChild(el('span', 'ip', ' ' + p.ip));
    d.appendChild(s);
    d.dataset.phase = phase;
    return d;
  }
  function actorEl(a, goneSet, r) {
    var cls = 'actor' + (goneSet.has(a.name) ? ' gone' : '') + (r.f === a.name ? ' from' : '') + (r.o === a.name ? ' to' : '');
    var d = el('span', cls, a.component || a.name);
    d.title = a.name; d.dataset.actor = a.name;
    return d;
  }
  function nodeBox(n, pods, down, goneSet, r) {
    var obj = nodeObjAt(n.name);
    var notReady = obj && obj.ready && obj.ready !== 'True';
    var box = el('div', 'node' + (notReady ? ' notready' : '') + (down.has(n.name) ? ' down' : ''));
    box.dataset.node = n.name; box.dataset.key = '/registry/minions/' + n.name;
    var h = el('h4', '', n.name + ' ');
    h.appendChild(el('span', 'role', (n.cp ? ui('cp') : ui('worker')) + ' · ' + (n.ip || '') + ' · ' +
      (down.has(n.name) ? ui('off') : obj ? (obj.ready === 'True' ? ui('ready') : ui('notready')) : '-')));
    h.tabIndex = 0;
    box.appendChild(h);
    var comps = el('div', 'comps');
    (actorsByNode.get(n.name) || []).forEach(function (a) { comps.appendChild(actorEl(a, goneSet, r)); });
    box.appendChild(comps);
    (pods || []).forEach(function (p) { box.appendChild(podEl(p)); });
    return box;
  }
  function renderCluster() {
    var r = recs[cur], root = $('cluster'), pods = podsAt(), down = downAt(cur), goneSet = gone(cur);
    root.textContent = '';
    var nodes = D.nodes || [];
    var outside = el('div', 'node outside');
    outside.appendChild(el('h4', '', ui('outside')));
    var ext = new Set();
    [r.f, r.o].forEach(function (a) { if (a && !actorNode.has(a) && a !== 'kernel') ext.add(a); });
    (actorsByNode.get('') || []).forEach(function (a) { outside.appendChild(actorEl(a, goneSet, r)); });
    ext.forEach(function (a) { outside.appendChild(actorEl({ name: a, component: a }, goneSet, r)); });
    if (pods.pending.length) {
      outside.appendChild(el('h4', '', ui('pending') + ' (' + pods.pending.length + ')'));
      pods.pending.slice(0, 30).forEach(function (p) { outside.appendChild(podEl(p)); });
      if (pods.pending.length > 30) outside.appendChild(el('div', 'more', '+' + (pods.pending.length - 30)));
    }
    if (outside.childNodes.length > 1) root.appendChild(outside);
    if (nodes.length <= 40) {
      nodes.forEach(function (n) { root.appendChild(nodeBox(n, pods.byNode.get(n.name), down, goneSet, r)); });
      $('node-detail').textContent = '';
      return;
    }
    // Aggregated: one cell per node; the message's nodes outlined; one node opened below.
    var grid = el('div', 'cells');
    grid.setAttribute('role', 'list');
    var msgNodes = new Set([actorNode.get(r.f), actorNode.get(r.o), r.d]);
    nodes.forEach(function (n) {
      var obj = nodeObjAt(n.name), c = el('span', 'cell' + (obj && obj.ready && obj.ready !== 'True' ? ' notready' : '') + (down.has(n.name) ? ' down' : '') + (msgNodes.has(n.name) ? ' has-msg' : ''));
      c.dataset.node = n.name; c.dataset.cell = '1'; c.tabIndex = 0; c.setAttribute('role', 'listitem');
      c.title = n.name + ': ' + ((pods.byNode.get(n.name) || []).length) + ' pods';
      grid.appendChild(c);
    });
    var summary = el('div', '', nodes.length + ' ' + ui('nodes'));
    root.appendChild(summary); root.appendChild(grid);
    var open = expanded || actorNode.get(r.o) || actorNode.get(r.f) || '';
    var det = $('node-detail'); det.textContent = '';
    var n = nodes.find(function (x) { return x.name === open; });
    if (n) det.appendChild(nodeBox(n, pods.byNode.get(n.name), down, goneSet, r));
  }
  function drawCursorLines() {
    var svgEl = $('arrows'); svgEl.textContent = '';
    var r = recs[cur]; if (!r || !r.f || !r.o || r.f === r.o) return;
    var wrap = $('cluster-wrap').getBoundingClientRect();
    var a = document.querySelector('#cluster-wrap [data-actor="' + cssEsc(r.f) + '"]');
    var b = document.querySelector('#cluster-wrap [data-actor="' + cssEsc(r.o) + '"]');
    if (!a || !b) return;
    var ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
    var defs = svg('defs', {}), mk = svg('marker', { id: 'ah', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' });
    mk.appendChild(svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#0b4fa8' })); defs.appendChild(mk); svgEl.appendChild(defs);
    var l = svg('line', { x1: ra.left + ra.width / 2 - wrap.left, y1: ra.top + ra.height / 2 - wrap.top, x2: rb.left + rb.width / 2 - wrap.left, y2: rb.top + rb.height / 2 - wrap.top,
      stroke: '#0b4fa8', 'stroke-width': 2.5, 'marker-end': 'url(#ah)', 'stroke-dasharray': r.e === 'reply' ? '6 3' : r.e === 'drop' ? '2 3' : '' });
    l.dataset.msg = r.n;
    svgEl.appendChild(l);
  }
  function cssEsc(s) { return String(s).replace(/["\\]/g, '\\$&'); }

  // the chosen object: YAML at the cursor's revision, and the diff
  function toYAML(v, ind) {
    ind = ind || '';
    if (v === null) return 'null';
    if (Array.isArray(v)) {
      if (!v.length) return '[]';
      return v.map(function (x) {
        var s = toYAML(x, ind + '  ');
        return '\n' + ind + '- ' + (typeof x === 'object' && x !== null && !Array.isArray(x) ? s.replace(/^\n\s*/, '') : s.replace(/^\n/, ''));
      }).join('');
    }
    if (typeof v === 'object') {
      var ks = Object.keys(v); if (!ks.length) return '{}';
      return ks.map(function (k) {
        var x = v[k], s = toYAML(x, ind + '  ');
        return '\n' + ind + k + ':' + (typeof x === 'object' && x !== null && (Array.isArray(x) ? x.length : Object.keys(x).length) ? s : ' ' + s);
      }).join('');
    }
    if (typeof v === 'string') return /^[\w./:@-]+$/.test(v) && !/^(true|false|null|yes|no|[\d.]+)$/i.test(v) ? v : JSON.stringify(v);
    return String(v);
  }
  function pauseWrites(i) {
    // the writes of the pause the record belongs to
    var v = revAt(i), j = i; while (j > 0 && revAt(j - 1) === v) j--;
    var lo = j > 0 ? revAt(j - 1) : 0, out = [];
    if (v <= lo) return out;
    for (var k = lowerBound(lo + 1); k < writes.length && writes[k].v <= v; k++) out.push(k);
    return out;
  }
  function lowerBound(rev) { var lo = 0, hi = writes.length; while (lo < hi) { var m = (lo + hi) >> 1; if (writes[m].v < rev) lo = m + 1; else hi = m; } return lo; }
  function renderObject() {
    var made = pauseWrites(cur), box = $('writes'); box.textContent = '';
    box.appendChild(el('div', '', ui('madeBy') + (made.length ? '' : ' ' + ui('nothing'))));
    made.slice(0, 50).forEach(function (k) {
      var w = writes[k], b = el('button', '', (w.del ? 'DELETE ' : 'PUT ') + w.key + ' @' + w.v);
      b.type = 'button'; b.dataset.key = w.key; box.appendChild(b);
    });
    if (!selKey && made.length) selKey = writes[made[0]].key;
    $('obj-name').textContent = selKey;
    if (!selKey) { $('yaml').textContent = ui('pick'); $('diff').textContent = ''; return; }
    var w = objectAt(selKey);
    if (!w) { $('yaml').textContent = ui('none'); $('diff').textContent = ''; return; }
    var text = '# revision ' + w.v + ', ' + ui('written') + ' #' + w.n + '\n';
    try { text += toYAML(JSON.parse(w.val)).replace(/^\n/, ''); } catch (e) { text += w.val; }
    $('yaml').textContent = text;
    var mine = made.map(function (k) { return writes[k]; }).filter(function (x) { return x.key === selKey; });
    var dw = mine.length ? mine[mine.length - 1] : w;
    $('diff').textContent = '@' + dw.v + ' (#' + dw.n + ')\n' + (dw.diff || []).join('\n');
  }

  // the flow: a sequence diagram of the focused flow or the chosen object
  var rootMemo = new Map();
  function rootOf(i) {
    var seen = 0, j = i, path = [];
    while (seen++ < 400) {
      if (rootMemo.has(j)) { j = rootMemo.get(j); break; }
      path.push(j);
      var r = recs[j], c = r.r || r.c;
      if (!c || !idxOfN.has(c)) break;
      j = idxOfN.get(c);
    }
    path.forEach(function (p) { rootMemo.set(p, j); });
    return j;
  }
  function flowRecords() {
    var out = [];
    if ($('flow-mode').value === 'object' && selKey) {
      var ks = [];
      writes.forEach(function (w) { if (w.key === selKey) ks.push(w); });
      ks.forEach(function (w) {
        var i = idxOfN.get(w.n); if (i === undefined) return;
        var v = revAt(i);
        for (var j = i; j < recs.length && revAt(j) === v && out.length < 400; j++) if (recs[j].e !== 'mark') out.push(j);
      });
      return window80(out);
    }
    var r = recs[cur];
    // A walkthrough's stage is the focused flow; a tag that covers most
    // records (a drill's) is not, and the record's causal chain is.
    if (r.g) {
      for (var j = Math.max(0, cur - 300); j < Math.min(recs.length, cur + 300); j++) if (recs[j].g === r.g && recs[j].e !== 'mark' && recs[j].e !== 'timer') out.push(j);
      if (out.length < 250) return window80(out);
      out = [];
    }
    var root = rootOf(cur);
    for (var k = Math.max(0, root); k < Math.min(recs.length, root + 2000); k++) if (rootOf(k) === root && recs[k].e !== 'mark') out.push(k);
    return window80(out);
  }
  function window80(list) {
    if (list.length <= 80) return list;
    var p = 0; while (p < list.length && list[p] < cur) p++;
    var from = Math.max(0, Math.min(list.length - 80, p - 40));
    return list.slice(from, from + 80);
  }
  function renderFlow() {
    var list = flowRecords(), host = $('seqdiag'), ol = $('flow-narration');
    host.textContent = ''; ol.textContent = '';
    if (!list.length) { host.textContent = ui('flowNone'); return; }
    var parts = [], pidx = new Map();
    function part(a) { if (!a) return; if (!pidx.has(a)) { pidx.set(a, parts.length); parts.push(a); } }
    list.forEach(function (i) { var r = recs[i]; part(r.f || r.o); if (r.e === 'deliver' || r.e === 'reply' || r.e === 'drop' || r.e === 'timeout') part(r.o); });
    var colW = 130, rowH = 22, top = 36, W = parts.length * colW + 20, H = top + list.length * rowH + 10;
    var s = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'sequence diagram' });
    var defs = svg('defs', {}), mk = svg('marker', { id: 'sq', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' });
    mk.appendChild(svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#111' })); defs.appendChild(mk); s.appendChild(defs);
    parts.forEach(function (p, k) {
      var x = 10 + k * colW + colW / 2;
      s.appendChild(svg('rect', { x: x - colW / 2 + 4, y: 4, width: colW - 8, height: 22, fill: '#eef3fb', stroke: '#6b7a90' }));
      var t = svg('text', { x: x, y: 19, 'text-anchor': 'middle' }); t.textContent = p.length > 20 ? p.slice(0, 19) + '…' : p; s.appendChild(t);
      var tt = svg('title', {}); tt.textContent = p; t.appendChild(tt);
      s.appendChild(svg('line', { x1: x, y1: 26, x2: x, y2: H, stroke: '#bbb' }));
    });
    list.forEach(function (i, row) {
      var r = recs[i], y = top + row * rowH + 12, a = pidx.get(r.f || r.o), b = pidx.get(r.o);
      var g = svg('g', { 'data-i': i, cursor: 'pointer' });
      if (i === cur) g.appendChild(svg('rect', { x: 0, y: y - 12, width: W, height: rowH, fill: '#fff3b0' }));
      var xa = 10 + a * colW + colW / 2, label = r.k + (r.s ? ': ' + r.s : '');
      if (label.length > 48) label = label.slice(0, 47) + '…';
      if ((r.e === 'deliver' || r.e === 'reply' || r.e === 'drop' || r.e === 'timeout') && b !== undefined && b !== a) {
        var xb = 10 + b * colW + colW / 2;
        g.appendChild(svg('line', { x1: xa, y1: y + 4, x2: xb, y2: y + 4, stroke: r.e === 'drop' ? '#a3120b' : '#111', 'stroke-width': 1.5, 'marker-end': 'url(#sq)', 'stroke-dasharray': r.e === 'reply' ? '5 3' : '' }));
        var t = svg('text', { x: Math.min(xa, xb) + 6, y: y }); t.textContent = '#' + r.n + ' ' + label; g.appendChild(t);
      } else {
        g.appendChild(svg('rect', { x: xa - 4, y: y - 8, width: 8, height: 14, fill: '#ffe2b8', stroke: '#7a4b00' }));
        var tn = svg('text', { x: xa + 8, y: y + 3 }); tn.textContent = '#' + r.n + ' ' + label; g.appendChild(tn);
      }
      s.appendChild(g);
      var text = narr(r);
      if (text) {
        var li = el('li', i === cur ? 'cur' : '', '#' + r.n + ' ' + text); li.value = row + 1; li.lang = lang; li.dataset.i = i; ol.appendChild(li);
      }
    });
    host.appendChild(s);
  }

  // --- the timeline and the plots ----------------------------------------
  var plotCache = null;
  function tMax() { return recs.length ? Math.max(1, recs[recs.length - 1].t) : 1; }
  function buckets() { return 240; }
  function computePlots() {
    var B = buckets(), T = tMax(), bt = function (t) { return Math.min(B - 1, Math.floor(t / T * B)); };
    var density = new Array(B).fill(0);
    recs.forEach(function (r) { density[bt(r.t)]++; });
    // pods by phase: walk the writes in order
    var podPhase = new Map(), nodeReady = new Map(), counts = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Terminating: 0 }, notReady = 0;
    var phases = { Pending: [], Running: [], Succeeded: [], Failed: [], Terminating: [], NotReady: [] };
    var wb = 0;
    function snap(b) { for (var k in counts) phases[k][b] = counts[k]; phases.NotReady[b] = notReady; }
    var bIdx = 0;
    writes.forEach(function (w) {
      var i = idxOfN.get(w.n), t = i === undefined ? 0 : recs[i].t, b = bt(t);
      while (bIdx < b) snap(bIdx++);
      if (w.pod) {
        var key = w.key, old = podPhase.get(key);
        if (old) counts[old]--;
        if (w.del) podPhase.delete(key);
        else { var ph = w.pod.term ? 'Terminating' : (w.pod.phase || 'Pending'); if (!(ph in counts)) ph = 'Pending'; podPhase.set(key, ph); counts[ph]++; }
      } else if (w.node) {
        var was = nodeReady.get(w.key);
        if (was === false) notReady--;
        var nr = !w.del && w.node.ready && w.node.ready !== 'True';
        if (w.del) nodeReady.delete(w.key); else nodeReady.set(w.key, !nr);
        if (nr) notReady++;
      }
    });
    while (bIdx < B) snap(bIdx++);
    var revs = new Array(B).fill(null);
    recs.forEach(function (r) { if (r.v) revs[bt(r.t)] = r.v; });
    for (var b = 1; b < B; b++) if (revs[b] === null) revs[b] = revs[b - 1];
    var terms = new Array(B).fill(0), ti = 0, tv = 0;
    for (var b2 = 0; b2 < B; b2++) { while (ti < D.terms.length && bt(D.terms[ti].t) <= b2) tv = D.terms[ti++].v; terms[b2] = tv; }
    var sok = new Array(B).fill(0), sfail = new Array(B).fill(0), lat = [];
    D.sched.forEach(function (s) { if (s.ok) { sok[bt(s.t)]++; lat.push([s.t, s.wait]); } else sfail[bt(s.t)]++; });
    var verdicts = {};
    D.flows.forEach(function (f) { if (!verdicts[f.verdict]) verdicts[f.verdict] = new Array(B).fill(0); verdicts[f.verdict][bt(f.t)]++; });
    plotCache = { B: B, T: T, density: density, phases: phases, revs: revs, terms: terms, sok: sok, sfail: sfail, lat: lat, verdicts: verdicts };
  }
  var COLORS = { Pending: '#a66a00', Running: '#11662a', Succeeded: '#4a4a9a', Failed: '#a3120b', Terminating: '#b0317c', NotReady: '#111', FORWARDED: '#11662a', DROPPED: '#a3120b', rev: '#0b4fa8', term: '#a3120b', ok: '#11662a', fail: '#a3120b', lat: '#4a4a9a' };
  function plotFrame(id) {
    var s = $(id); s.textContent = '';
    var W = s.clientWidth || 400, H = s.clientHeight || 150;
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    return { s: s, W: W, H: H, L: 34, R: W - 6, Tp: 14, Bt: H - 16 };
  }
  function polyline(f, arr, max, color, label, li) {
    if (!max) max = 1;
    var pts = arr.map(function (v, b) { return (f.L + (f.R - f.L) * b / (arr.length - 1 || 1)).toFixed(1) + ',' + (f.Bt - (f.Bt - f.Tp) * (v || 0) / max).toFixed(1); });
    f.s.appendChild(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.6 }));
    var t = svg('text', { x: f.L + 4 + li * 80, y: 11, fill: color, 'class': 'legend' }); t.textContent = label; f.s.appendChild(t);
  }
  function axes(f, max, unit) {
    f.s.appendChild(svg('line', { x1: f.L, y1: f.Bt, x2: f.R, y2: f.Bt, stroke: '#555' }));
    f.s.appendChild(svg('line', { x1: f.L, y1: f.Tp, x2: f.L, y2: f.Bt, stroke: '#555' }));
    var t = svg('text', { x: 2, y: f.Tp + 8, 'class': 'legend' }); t.textContent = String(max) + (unit || ''); f.s.appendChild(t);
    var t2 = svg('text', { x: f.R, y: f.Bt + 13, 'text-anchor': 'end', 'class': 'legend' }); t2.textContent = (plotCache.T / 1e9).toFixed(1) + 's'; f.s.appendChild(t2);
    var t0 = svg('text', { x: f.L, y: f.Bt + 13, 'class': 'legend' }); t0.textContent = '0s'; f.s.appendChild(t0);
  }
  function maxOf(arrs) { var m = 0; arrs.forEach(function (a) { a.forEach(function (v) { if (v > m) m = v; }); }); return m; }
  function drawPlots() {
    if (!recs.length) return;
    computePlots();
    var P = plotCache;
    P.widths = {};
    ['timeline', 'plot-pods', 'plot-etcd', 'plot-sched', 'plot-flows'].forEach(function (id) { P.widths[id] = $(id).clientWidth || (id === 'timeline' ? 800 : 400); });
    // timeline
    var tl = $('timeline'), W = tl.clientWidth || 800; tl.textContent = '';
    tl.setAttribute('viewBox', '0 0 ' + W + ' 36');
    var dm = maxOf([P.density]);
    P.density.forEach(function (v, b) { if (v) tl.appendChild(svg('rect', { x: W * b / P.B, y: 34 - 30 * v / dm, width: Math.max(1, W / P.B - 0.5), height: 30 * v / dm, fill: '#6b7a90' })); });
    checkpoints.forEach(function (i) { var x = W * recs[i].t / P.T; tl.appendChild(svg('line', { x1: x, y1: 0, x2: x, y2: 36, stroke: '#0b4fa8', 'stroke-width': 1 })); });
    tl.appendChild(svg('line', { id: 'tl-cursor', x1: 0, y1: 0, x2: 0, y2: 36, stroke: '#d40000', 'stroke-width': 2 }));
    // pods by phase
    var f = plotFrame('plot-pods'), keys = ['Pending', 'Running', 'Succeeded', 'Failed', 'Terminating', 'NotReady'];
    var pm = maxOf(keys.map(function (k) { return P.phases[k]; }));
    axes(f, pm);
    keys.forEach(function (k, li) { polyline(f, P.phases[k], pm, COLORS[k], k === 'NotReady' ? 'nodes NotReady' : k, li); });
    // etcd revision and raft term
    var g = plotFrame('plot-etcd'), rm = maxOf([P.revs.map(function (v) { return v || 0; })]), tm = maxOf([P.terms]);
    axes(g, rm);
    polyline(g, P.revs, rm, COLORS.rev, 'revision (max ' + rm + ')', 0);
    polyline(g, P.terms, tm, COLORS.term, 'raft term (max ' + tm + ')', 2);
    // scheduling attempts and latency
    var h = plotFrame('plot-sched'), sm = maxOf([P.sok, P.sfail]);
    axes(h, sm);
    polyline(h, P.sok, sm, COLORS.ok, 'bound', 0);
    polyline(h, P.sfail, sm, COLORS.fail, 'unschedulable', 1);
    var lm = 0; P.lat.forEach(function (p) { if (p[1] > lm) lm = p[1]; });
    P.lat.forEach(function (p) { h.s.appendChild(svg('circle', { cx: h.L + (h.R - h.L) * p[0] / P.T, cy: h.Bt - (h.Bt - h.Tp) * p[1] / (lm || 1), r: 2, fill: COLORS.lat })); });
    var lt = svg('text', { x: h.L + 4 + 2 * 80, y: 11, fill: COLORS.lat, 'class': 'legend' }); lt.textContent = 'latency (max ' + (lm / 1e6).toFixed(1) + ' ms)'; h.s.appendChild(lt);
    // hubble flows
    var fl = plotFrame('plot-flows'), vs = Object.keys(P.verdicts).sort(), fm = maxOf(vs.map(function (v) { return P.verdicts[v]; }));
    axes(fl, fm);
    vs.forEach(function (v, li) { polyline(fl, P.verdicts[v], fm, COLORS[v] || '#555', v, li); });
    if (!vs.length) { var nt = svg('text', { x: fl.L + 10, y: fl.Tp + 30, 'class': 'legend' }); nt.textContent = 'no Hubble flows in this run'; fl.s.appendChild(nt); }
    ['plot-pods', 'plot-etcd', 'plot-sched', 'plot-flows'].forEach(function (id) { var s = $(id); s.appendChild(svg('line', { 'class': 'cursor', x1: 0, y1: 0, x2: 0, y2: 200, stroke: '#d40000' })); });
  }
  function drawPlotCursors() {
    if (!plotCache || cur < 0) return;
    // Widths as drawPlots measured them (reading them here would lay the page out again).
    var t = recs[cur].t / plotCache.T, W = plotCache.widths;
    var tl = $('tl-cursor'); if (tl) { tl.setAttribute('x1', W.timeline * t); tl.setAttribute('x2', W.timeline * t); }
    ['plot-pods', 'plot-etcd', 'plot-sched', 'plot-flows'].forEach(function (id) {
      var c = $(id).querySelector('.cursor'); if (!c) return;
      var x = 34 + (W[id] - 6 - 34) * t; c.setAttribute('x1', x); c.setAttribute('x2', x);
    });
  }
  function plotClick(ev) {
    var s = ev.currentTarget, rect = s.getBoundingClientRect(), W = rect.width;
    var L = s.id === 'timeline' ? 0 : 34, R = s.id === 'timeline' ? W : W - 6;
    var frac = Math.max(0, Math.min(1, (ev.clientX - rect.left - L) / (R - L)));
    seekTime(frac * plotCache.T);
  }

  // --- live mode ---------------------------------------------------------
  function post(path, body) {
    return fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.ok ? r.json() : r.text().then(function (t) { throw new Error(t.trim()); }); })
      .then(showLive, function (err) { $('live-state').textContent = String(err.message || err); });
  }
  function showLive(st) {
    if (!st) return;
    $('pause').textContent = st.paused ? 'resume' : 'pause';
    $('live-state').textContent = st.paused ? 'paused' : 'running';
    $('live-state').dataset.paused = st.paused;
    // Records the trace ring dropped before the page read them.
    var gap = st.gap || (st.data && st.data.gap);
    $('live-state').title = gap ? gap + ' records were gone from the trace ring before the page read them' : '';
  }
  function startLive() {
    $('live-controls').hidden = false;
    $('pause').onclick = function () { post('pause', { paused: $('pause').textContent === 'pause' }); };
    $('step').onclick = function () {
      post('step').then(function () { var st = $('live-state'); st.dataset.steps = String((parseInt(st.dataset.steps || '0', 10)) + 1); });
    };
    $('advance').onclick = function () { post('advance', { seconds: 1 }); };
    $('follow').onclick = function () { follow = !follow; $('follow').setAttribute('aria-pressed', String(follow)); };
    var es = new EventSource('events', { withCredentials: true });
    es.addEventListener('reset', function (m) {
      var v = JSON.parse(m.data);
      cur = -1; applied = 0; state = new Map(); goneCache = { i: -2, set: new Set() }; rootMemo = new Map();
      load(v.data); showLive(v); start();
      $('live-state').dataset.ready = 'true';
    });
    es.addEventListener('chunk', function (m) { addChunk(JSON.parse(m.data)); });
  }
  function addChunk(c) {
    var atEnd = cur === recs.length - 1;
    addRecords(c.records || []); addWrites(c.writes || []);
    ['terms', 'downs', 'sched', 'flows'].forEach(function (k) { if (c[k]) D[k] = D[k].concat(c[k]); });
    if (c.nodes) D.nodes = c.nodes;
    if (c.actors) { D.actors = c.actors; indexActors(); }
    showLive(c);
    if ($('filter').value) applyFilter($('filter').value);
    drawPlotsSoon();
    if (follow || atEnd) seekIndex(recs.length - 1); else renderList();
  }
  var plotTimer = 0;
  function drawPlotsSoon() { if (plotTimer) return; plotTimer = setTimeout(function () { plotTimer = 0; drawPlots(); drawPlotCursors(); }, 500); }

  // --- wiring ------------------------------------------------------------
  function start() {
    drawPlots();
    var n = hashSeq();
    if (n !== null) seekN(n, false); else seekIndex(MODE === 'live' ? recs.length - 1 : 0);
    drawPlotCursors();
  }
  var renderOrig = render;
  render = function () { renderOrig(); drawPlotCursors(); };
  document.addEventListener('keydown', function (ev) {
    var inInput = ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'SELECT' || ev.target.tagName === 'TEXTAREA');
    if (inInput) {
      if (ev.key === 'Escape' || ev.key === 'Enter') { ev.target.blur(); }
      if (ev.target.id !== 'scrub') return;
    }
    if (ev.key === '/') { ev.preventDefault(); $('filter').focus(); $('filter').select(); return; }
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      ev.preventDefault();
      var dir = ev.key === 'ArrowRight' ? 1 : -1;
      if (ev.shiftKey) stepCheckpoint(dir); else step(dir);
      return;
    }
    if ((ev.key === 'Enter' || ev.key === ' ') && ev.target && ev.target.closest) {
      var t = ev.target.closest('#cluster-panel [data-key], #cluster-panel [data-cell]');
      if (t) { ev.preventDefault(); t.click(); }
    }
  });
  $('filter').addEventListener('input', function () { applyFilter(this.value); });
  $('scrub').addEventListener('input', function () { seekIndex(parseInt(this.value, 10)); });
  $('records').addEventListener('scroll', function () { renderList(); });
  $('records').addEventListener('click', function (ev) { var row = ev.target.closest('.row'); if (row) seekIndex(parseInt(row.dataset.i, 10)); });
  $('seqdiag').addEventListener('click', function (ev) { var g = ev.target.closest('g[data-i]'); if (g) seekIndex(parseInt(g.getAttribute('data-i'), 10)); });
  $('flow-narration').addEventListener('click', function (ev) { var li = ev.target.closest('li[data-i]'); if (li) seekIndex(parseInt(li.dataset.i, 10)); });
  $('flow-mode').addEventListener('change', function () { renderFlow(); });
  $('cluster-panel').addEventListener('click', function (ev) {
    var t = ev.target.closest('[data-key],[data-cell]');
    if (!t) return;
    if (t.dataset.cell) { expanded = t.dataset.node; selKey = '/registry/minions/' + t.dataset.node; }
    else selKey = t.dataset.key;
    render();
  });
  $('writes').addEventListener('click', function (ev) { var b = ev.target.closest('button[data-key]'); if (b) { selKey = b.dataset.key; render(); } });
  ['timeline', 'plot-pods', 'plot-etcd', 'plot-sched', 'plot-flows'].forEach(function (id) { $(id).addEventListener('click', plotClick); });
  $('lang').addEventListener('click', function () {
    lang = lang === 'en' ? 'ko' : 'en';
    this.textContent = ui('lang'); this.setAttribute('aria-pressed', String(lang === 'ko'));
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-ko]').forEach(function (e) {
      if (e.dataset.en === undefined) e.dataset.en = e.textContent;
      e.textContent = lang === 'ko' ? e.dataset.ko : e.dataset.en;
    });
    if (D) $('run-name').textContent = D.name + (D.title && D.title.en ? ' — ' + titleText() : '') + ' (seed ' + D.seed + ')';
    render();
  });
  window.addEventListener('hashchange', function () { var n = hashSeq(); if (n !== null && (cur < 0 || recs[cur].n !== n)) seekN(n, true); });
  window.addEventListener('resize', function () { listHeight = 0; drawPlots(); drawPlotCursors(); drawCursorLines(); });

  if (MODE === 'live') startLive();
  else {
    var l0 = performance.now();
    readData().then(function (data) {
      var l1 = performance.now();
      load(data); var l2 = performance.now();
      start();
      loadTimings = { scriptAt: l0, unpack: l1 - l0, index: l2 - l1, firstDraw: performance.now() - l2 };
    }, function (err) { $('message').textContent = 'this page has no readable run: ' + (err.message || err); throw err; });
  }
  window.kubesimView = { timings: function () { return timings; }, loadTimings: function () { return loadTimings; },
    // The plots' series, for tests: each phase's highest count and its count at the end.
    series: function () {
      var out = {}; if (!plotCache) return out;
      Object.keys(plotCache.phases).forEach(function (k) { var a = plotCache.phases[k]; out[k] = { max: Math.max.apply(null, a), last: a[a.length - 1] }; });
      return out;
    }, seekN: seekN, recordCount: function () { return recs.length; }, cursor: function () { return cur < 0 ? 0 : recs[cur].n; } };
})();
