// Draws the lineage graph embedded in #lineage-data: a layered layout (sources on the left,
// output columns on the right), a column picker and click-to-trace. No dependencies, no network.
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('lineage-data').textContent);
  var N = data.nodes.length;
  var NODE_H = 28, ROW_GAP = 14, LAYER_GAP = 56, PAD = 24;

  // Dependencies (kids) and dependents (parents) of every node; edges as [from, to, control].
  var kids = [], parents = [], i;
  for (i = 0; i < N; i++) { kids.push([]); parents.push([]); }
  data.edges.forEach(function (e, k) {
    kids[e[0]].push([e[1], e[2] === 1, k]);
    parents[e[1]].push([e[0], e[2] === 1, k]);
  });

  // Layers: the longest path from an output column; sources all in the last layer, which is
  // drawn on the left.
  var depth = new Array(N).fill(0), indeg = parents.map(function (p) { return p.length; });
  var queue = [], head = 0, maxDepth = 0;
  for (i = 0; i < N; i++) if (indeg[i] === 0) queue.push(i);
  while (head < queue.length) {
    var n = queue[head++];
    kids[n].forEach(function (c) {
      if (depth[c[0]] < depth[n] + 1) depth[c[0]] = depth[n] + 1;
      if (--indeg[c[0]] === 0) queue.push(c[0]);
    });
  }
  for (i = 0; i < N; i++) maxDepth = Math.max(maxDepth, depth[i]);
  for (i = 0; i < N; i++) if (data.nodes[i][1] === 'read') depth[i] = maxDepth;
  var layers = [];
  for (i = 0; i <= maxDepth; i++) layers.push([]);
  for (i = 0; i < N; i++) layers[maxDepth - depth[i]].push(i);

  // Order within layers: a few barycenter sweeps, to keep edges short and uncrossed.
  var pos = new Array(N).fill(0);
  function index() { layers.forEach(function (l) { l.forEach(function (id, k) { pos[id] = k; }); }); }
  function sweep(l, towards) {
    var layer = layers[l];
    var key = {};
    layer.forEach(function (id) {
      var sum = 0, cnt = 0;
      kids[id].concat(parents[id]).forEach(function (e) {
        var other = e[0];
        if (maxDepth - depth[other] === l + towards) { sum += pos[other]; cnt++; }
      });
      key[id] = cnt ? sum / cnt : pos[id];
    });
    layer.sort(function (a, b) { return key[a] - key[b] || pos[a] - pos[b]; });
    layer.forEach(function (id, k) { pos[id] = k; });
  }
  index();
  for (var round = 0; round < 6; round++) {
    for (i = 1; i < layers.length; i++) sweep(i, -1);
    for (i = layers.length - 2; i >= 0; i--) sweep(i, 1);
  }

  // Sizes and coordinates.
  var measure = document.createElement('canvas').getContext('2d');
  measure.font = '13px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  var width = data.nodes.map(function (nd) {
    var w = measure.measureText(nd[0]).width + 22;
    return Math.max(48, Math.ceil(nd[1] === 'output' ? w * 1.08 : w));
  });
  var x = new Array(N), y = new Array(N), maxRows = 0, left = PAD;
  layers.forEach(function (l) { maxRows = Math.max(maxRows, l.length); });
  var rowH = NODE_H + ROW_GAP;
  layers.forEach(function (l) {
    var w = 0;
    l.forEach(function (id) { w = Math.max(w, width[id]); });
    var top = PAD + (maxRows - l.length) * rowH / 2;
    l.forEach(function (id, k) { x[id] = left + (w - width[id]) / 2; y[id] = top + k * rowH; });
    left += w + LAYER_GAP;
  });
  var W = Math.max(left - LAYER_GAP + PAD, 200), H = Math.max(PAD * 2 + maxRows * rowH - ROW_GAP, 80);

  // Drawing.
  var svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Lineage graph with ' + N + ' nodes');
  var edgeLayer = document.createElementNS(SVGNS, 'g'), nodeLayer = document.createElementNS(SVGNS, 'g');
  svg.appendChild(edgeLayer); svg.appendChild(nodeLayer);
  var edgeEls = data.edges.map(function (e) {
    var up = e[1], down = e[0];
    var x1 = x[up] + width[up], y1 = y[up] + NODE_H / 2, x2 = x[down], y2 = y[down] + NODE_H / 2;
    var dx = Math.max(24, (x2 - x1) / 2);
    var p = document.createElementNS(SVGNS, 'path');
    p.setAttribute('d', 'M' + x1 + ',' + y1 + ' C' + (x1 + dx) + ',' + y1 + ' ' + (x2 - dx) + ',' + y2 + ' ' + x2 + ',' + y2);
    p.setAttribute('class', 'edge ' + (e[2] === 1 ? 'control' : 'value'));
    edgeLayer.appendChild(p);
    return p;
  });
  var nodeEls = data.nodes.map(function (nd, id) {
    var g = document.createElementNS(SVGNS, 'g');
    g.setAttribute('class', 'node ' + nd[1]);
    g.setAttribute('data-id', String(id));
    g.setAttribute('data-label', nd[0]);
    g.setAttribute('transform', 'translate(' + x[id] + ',' + y[id] + ')');
    var r = document.createElementNS(SVGNS, 'rect');
    var radius = { output: 13, field: 13, expr: 7, op: 3, read: 3 }[nd[1]] || 3;
    r.setAttribute('width', width[id]); r.setAttribute('height', NODE_H);
    r.setAttribute('rx', radius); r.setAttribute('ry', radius);
    var t = document.createElementNS(SVGNS, 'text');
    t.setAttribute('x', width[id] / 2); t.setAttribute('y', NODE_H / 2 + 4.5); t.setAttribute('text-anchor', 'middle');
    t.textContent = nd[0];
    var title = document.createElementNS(SVGNS, 'title');
    title.textContent = nd[0] + ' (#' + id + ')';
    g.appendChild(title); g.appendChild(r); g.appendChild(t);
    g.addEventListener('click', function (ev) { ev.stopPropagation(); selectNode(id); });
    nodeLayer.appendChild(g);
    return g;
  });
  var canvas = document.getElementById('canvas');
  canvas.appendChild(svg);

  // Zoom and pan.
  var scale = 1;
  function setScale(s) {
    scale = Math.min(3, Math.max(0.05, s));
    svg.setAttribute('width', Math.round(W * scale)); svg.setAttribute('height', Math.round(H * scale));
  }
  function fitScale() { return Math.min(1, (canvas.clientWidth - 8) / W, (canvas.clientHeight - 8) / H); }
  // Readable first: fit the window only when that keeps text near its real size; else scroll.
  setScale(fitScale() >= 0.85 ? fitScale() : 1);
  document.getElementById('zoom-in').onclick = function () { setScale(scale * 1.25); };
  document.getElementById('zoom-out').onclick = function () { setScale(scale / 1.25); };
  document.getElementById('zoom-fit').onclick = function () { setScale(fitScale()); };
  var drag = null;
  canvas.addEventListener('mousedown', function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, l: canvas.scrollLeft, t: canvas.scrollTop, moved: false };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) drag.moved = true;
    canvas.scrollLeft = drag.l - (ev.clientX - drag.x); canvas.scrollTop = drag.t - (ev.clientY - drag.y);
  });
  window.addEventListener('mouseup', function () { canvas.classList.remove('dragging'); setTimeout(function () { drag = null; }, 0); });
  canvas.addEventListener('click', function () { if (!drag || !drag.moved) select(null); });

  // Tracing.
  var picker = document.getElementById('column'), controlBox = document.getElementById('control');
  var panel = document.getElementById('panel');
  var selected = null; // {column: k} or {node: id}
  function reach(start, follow) {
    var seen = new Uint8Array(N), stack = [start];
    while (stack.length) {
      var id = stack.pop();
      if (seen[id]) continue;
      seen[id] = 1;
      (follow === 'up' ? parents : kids)[id].forEach(function (e) { if (!e[1] || controlBox.checked) stack.push(e[0]); });
    }
    return seen;
  }
  function apply() {
    svg.classList.toggle('hide-control', !controlBox.checked);
    canvas.classList.toggle('hide-control', !controlBox.checked);
    nodeEls.forEach(function (g) { g.classList.remove('hl', 'dim', 'selected'); });
    edgeEls.forEach(function (p) { p.classList.remove('hl', 'dim'); });
    if (!selected) { svg.classList.remove('focus'); renderPanel(); return; }
    var root = selected.column !== undefined ? data.columns[selected.column].node : selected.node;
    var seen = reach(root, 'down');
    svg.classList.add('focus');
    nodeEls.forEach(function (g, id) { g.classList.add(seen[id] ? 'hl' : 'dim'); });
    nodeEls[root].classList.add('selected');
    data.edges.forEach(function (e, k) {
      var on = seen[e[0]] && seen[e[1]] && (e[2] !== 1 || controlBox.checked);
      edgeEls[k].classList.add(on ? 'hl' : 'dim');
    });
    renderPanel();
  }
  function select(sel) {
    selected = sel;
    picker.value = sel && sel.column !== undefined ? String(sel.column) : '';
    var url = sel && sel.column !== undefined
      ? '#column=' + encodeURIComponent(data.columns[sel.column].column)
      : location.pathname + location.search;
    try { history.replaceState(null, '', url); } catch (e) { /* some file:// pages refuse; the link is a nicety */ }
    apply();
    if (sel) {
      var id = sel.column !== undefined ? data.columns[sel.column].node : sel.node;
      var box = nodeEls[id].getBoundingClientRect(), c = canvas.getBoundingClientRect();
      if (box.right > c.right || box.left < c.left || box.top < c.top || box.bottom > c.bottom) {
        canvas.scrollLeft += box.left - c.left - c.width / 2; canvas.scrollTop += box.top - c.top - c.height / 2;
      }
    }
  }
  function selectNode(id) {
    for (var k = 0; k < data.columns.length; k++) if (data.columns[k].node === id) return select({ column: k });
    select({ node: id });
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function columnLink(k) {
    var a = el('a', data.columns[k].column);
    a.addEventListener('click', function () { select({ column: k }); });
    return a;
  }
  function inputsTable(inputs) {
    var table = el('table'), tr = el('tr');
    tr.appendChild(el('th', 'source')); tr.appendChild(el('th', 'column')); tr.appendChild(el('th', 'how'));
    table.appendChild(tr);
    inputs.forEach(function (inp) {
      var row = el('tr'), src = el('td', inp.source);
      src.title = inp.uri;
      row.appendChild(src);
      row.appendChild(el('td')).appendChild(el('code', inp.field));
      var how = el('td', undefined, 'how');
      inp.how.forEach(function (h, k) {
        if (k) how.appendChild(document.createTextNode(', '));
        var direct = h === 'IDENTITY' || h === 'TRANSFORMATION' || h === 'AGGREGATION';
        how.appendChild(direct ? el('b', h.toLowerCase().replace('_', ' ')) : document.createTextNode(h.toLowerCase().replace('_', ' ')));
      });
      row.appendChild(how);
      table.appendChild(row);
    });
    return table;
  }
  function renderPanel() {
    panel.textContent = '';
    if (!selected) {
      panel.appendChild(el('h2', data.columns.length + ' output column' + (data.columns.length === 1 ? '' : 's')));
      panel.appendChild(el('p', 'Pick a column, or click a node, to trace what it depends on.'));
      var ul = el('ul');
      data.columns.forEach(function (c, k) {
        var li = el('li');
        li.appendChild(columnLink(k));
        var sources = {};
        c.inputs.forEach(function (inp) { sources[inp.source] = 1; });
        li.appendChild(document.createTextNode(' · ' + c.inputs.length + ' source column' + (c.inputs.length === 1 ? '' : 's') +
          ' from ' + Object.keys(sources).join(', ')));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
      return;
    }
    if (selected.column !== undefined) {
      var c = data.columns[selected.column], h = el('h2', 'Column ');
      h.appendChild(el('code', c.column));
      panel.appendChild(h);
      panel.appendChild(el('p', 'comes from ' + c.inputs.length + ' source column' + (c.inputs.length === 1 ? '' : 's') +
        '. Bold: the value flows into it; plain: it decides which rows, groups or order.'));
      panel.appendChild(inputsTable(c.inputs));
      return;
    }
    var id = selected.node, h2 = el('h2');
    h2.appendChild(el('code', data.nodes[id][0]));
    panel.appendChild(h2);
    var up = reach(id, 'up'), users = el('p', 'Used by: ');
    var any = false;
    data.columns.forEach(function (col, k) {
      if (up[col.node]) { if (any) users.appendChild(document.createTextNode(', ')); users.appendChild(columnLink(k)); any = true; }
    });
    panel.appendChild(users);
    var deps = el('p', 'Depends on: ' + (kids[id].map(function (e) { return data.nodes[e[0]][0] + (e[1] ? ' (control)' : ''); }).join(', ') || 'nothing (a source)'));
    panel.appendChild(deps);
  }

  var all = el('option', 'All columns (' + data.columns.length + ')');
  all.value = '';
  picker.appendChild(all);
  data.columns.forEach(function (c, k) { var o = el('option', c.column); o.value = String(k); picker.appendChild(o); });
  picker.addEventListener('change', function () { select(picker.value === '' ? null : { column: Number(picker.value) }); });
  controlBox.addEventListener('change', apply);
  document.getElementById('title').textContent = data.title;
  document.getElementById('subtitle').textContent = data.subtitle + (data.subtitle ? ' · ' : '') + N + ' nodes, ' + data.edges.length + ' edges';
  var m = /^#column=(.*)$/.exec(location.hash);
  var start = null;
  if (m) data.columns.forEach(function (c, k) { if (c.column === decodeURIComponent(m[1])) start = { column: k }; });
  if (!start && data.columns.length === 1) start = { column: 0 };
  select(start);
  document.body.setAttribute('data-ready', 'true');
})();
