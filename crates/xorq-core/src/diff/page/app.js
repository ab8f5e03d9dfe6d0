// Draws the two graphs of a diff embedded in #diff-data side by side: sources at the top, the
// output at the bottom, each node coloured by what happened to it. A click on a node selects it
// and its counterpart on the other side and shows its change. No dependencies, no network.
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('diff-data').textContent);
  var diff = data.diff;
  var NODE_H = 26, ROW_GAP = 34, COL_GAP = 16, PAD = 12, MAX_LABEL = 56, FULL = 60;
  var measure = document.createElement('canvas').getContext('2d');
  measure.font = '12px ui-monospace, "SF Mono", Menlo, Consolas, monospace';

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function short(a) { return (a || '').slice(0, 12); }
  function text(id, s) { document.getElementById(id).textContent = s; }

  text('title', data.title);
  text('subtitle', data.subtitle);
  var verdict = document.getElementById('verdict');
  verdict.textContent = data.summary;
  verdict.className = diff.classification;

  // Nodes of unchanged subgraphs count once: with more than FULL nodes, a side shows what
  // changed and the top of each unchanged subgraph below it.
  var sizes = {};
  diff.unchanged.forEach(function (u) { sizes[u.node.address] = u.nodes; });

  var views = {};
  function draw(which) {
    var graph = diff[which + '_graph'];
    var section = document.getElementById(which);
    section.querySelector('.addr').textContent = short(diff[which].address) + (diff[which].label ? ' · ' + diff[which].label : '');
    var n = graph.length, i;
    var shown = new Array(n).fill(n <= FULL);
    if (n > FULL) {
      for (i = 0; i < n; i++) {
        if (graph[i].status !== 'unchanged') {
          shown[i] = true;
          graph[i].inputs.forEach(function (c) { shown[c] = true; });
        }
      }
      shown[n - 1] = true;
    }
    // Rows: the longest path from a source (inputs come first in the list).
    var row = new Array(n).fill(0), rows = [];
    for (i = 0; i < n; i++) {
      if (!shown[i]) continue;
      graph[i].inputs.forEach(function (c) { if (shown[c]) row[i] = Math.max(row[i], row[c] + 1); });
      (rows[row[i]] = rows[row[i]] || []).push(i);
    }
    var labels = [], widths = [];
    for (i = 0; i < n; i++) {
      var g = graph[i];
      var label = g.op + (g.detail ? ' ' + g.detail : '');
      if (label.length > MAX_LABEL) label = label.slice(0, MAX_LABEL - 1) + '…';
      if (!(n <= FULL) && g.status === 'unchanged' && sizes[g.address] > 1) label += ' (+' + (sizes[g.address] - 1) + ')';
      labels.push(label);
      widths.push(Math.ceil(measure.measureText(label).width) + 20);
    }
    var x = [], y = [], width = 0;
    rows.forEach(function (r, k) {
      var cx = PAD;
      r.forEach(function (id) { x[id] = cx; y[id] = PAD + k * (NODE_H + ROW_GAP); cx += widths[id] + COL_GAP; });
      width = Math.max(width, cx);
    });
    var svg = el('svg', { width: width + PAD, height: PAD * 2 + rows.length * (NODE_H + ROW_GAP), 'data-side': which });
    for (i = 0; i < n; i++) {
      if (!shown[i]) continue;
      graph[i].inputs.forEach(function (c) {
        if (!shown[c]) return;
        var x1 = x[c] + widths[c] / 2, y1 = y[c] + NODE_H, x2 = x[i] + widths[i] / 2, y2 = y[i];
        var my = (y1 + y2) / 2;
        el('path', { 'class': 'edge', d: 'M' + x1 + ',' + y1 + ' C' + x1 + ',' + my + ' ' + x2 + ',' + my + ' ' + x2 + ',' + y2 }, svg);
      });
    }
    var boxes = {};
    for (i = 0; i < n; i++) {
      if (!shown[i]) continue;
      var gnode = el('g', { 'class': 'node ' + graph[i].status, 'data-index': i, 'data-status': graph[i].status,
        'data-op': graph[i].op, 'data-address': graph[i].address, transform: 'translate(' + x[i] + ',' + y[i] + ')' }, svg);
      el('rect', { width: widths[i], height: NODE_H }, gnode);
      var t = el('text', { x: 10, y: 17 }, gnode);
      t.textContent = labels[i];
      var title = el('title', {}, gnode);
      title.textContent = graph[i].op + ' [' + short(graph[i].address) + '] ' + graph[i].detail + ' (' + graph[i].status + ')';
      gnode.addEventListener('click', select.bind(null, which, i));
      boxes[i] = gnode;
    }
    section.querySelector('.canvas').appendChild(svg);
    views[which] = { graph: graph, boxes: boxes };
  }
  draw('old');
  draw('new');

  // Output columns, impacted ones marked.
  var tbody = document.querySelector('#columns tbody');
  diff.columns.forEach(function (c) {
    var tr = document.createElement('tr');
    tr.className = c.status === 'unchanged' ? 'unaffected' : 'impacted';
    tr.setAttribute('data-column', c.name);
    tr.setAttribute('data-status', c.status);
    var how = {
      unchanged: 'unchanged', values: 'values can change', added: 'added', removed: 'removed',
      renamed: 'renamed from ' + c.renamed_from, retyped: 'retyped from ' + c.old_type
    }[c.status];
    [c.name, c.new_type || c.old_type, how].forEach(function (s) {
      var td = document.createElement('td');
      td.textContent = s;
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  });

  // The changes, in the report's words.
  var list = document.getElementById('changes');
  data.headlines.forEach(function (h, k) {
    var li = document.createElement('li');
    li.textContent = h;
    li.setAttribute('data-kind', diff.changes[k].kind);
    li.addEventListener('click', function () {
      var c = diff.changes[k];
      var side = c.new ? 'new' : 'old', addr = (c.new || c.old).address;
      var g = views[side].graph;
      for (var i = 0; i < g.length; i++) if (g[i].address === addr) { select(side, i); return; }
    });
    list.appendChild(li);
  });
  if (!data.headlines.length) {
    var li = document.createElement('li');
    li.textContent = diff.same_address ? 'no logical change: the same address' : 'no change';
    list.appendChild(li);
  }

  function select(which, i) {
    document.querySelectorAll('g.node.selected').forEach(function (g) { g.classList.remove('selected'); });
    var view = views[which], node = view.graph[i];
    if (view.boxes[i]) view.boxes[i].classList.add('selected');
    var other = which === 'old' ? 'new' : 'old';
    if (node.pair !== undefined && views[other].boxes[node.pair]) views[other].boxes[node.pair].classList.add('selected');
    var lines = [node.op + ' [' + node.address.slice(0, 12) + '] — ' + node.status, node.detail];
    diff.changes.forEach(function (c, k) {
      var mine = (c.new && c.new.address === node.address) || (c.old && c.old.address === node.address);
      if (mine) lines.push(data.headlines[k]);
    });
    text('detail', lines.join('\n'));
  }
  document.body.setAttribute('data-ready', 'true');
})();
