// Loads xorq's lineage HTML page in a real headless Chromium and parses Mermaid output with
// Mermaid's own parser. Run by tests/lineage_formats.rs:
//
//   node check.mjs spec.json
//
// spec.json: { "html": path, "nodes": count, "labels": [label, ...],
//              "select": { "column": name, "highlighted": [label, ...] },
//              "screenshot": path, "mermaid": [path, ...] }
// Prints "ok" and exits 0, or prints what failed and exits 1.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { fail, finish, launch, same, sorted, watchedPage } from './harness.mjs';

const require = createRequire(import.meta.url);
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await launch();
try {
  const page = await watchedPage(browser, { width: 1400, height: 800 });

  if (spec.html) {
    await page.goto(pathToFileURL(spec.html).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });
    const labels = await page.$$eval('g.node', (gs) => gs.map((g) => g.getAttribute('data-label')));
    if (labels.length !== spec.nodes) fail(`expected ${spec.nodes} nodes, the page drew ${labels.length}`);
    for (const l of spec.labels) if (!labels.includes(l)) fail(`no node labelled ${JSON.stringify(l)}`);
    // Every node is inside the drawing and its label fits its box.
    const overflow = await page.$$eval('g.node', (gs) => gs.filter((g) => {
      const r = g.querySelector('rect').getBBox(), t = g.querySelector('text').getBBox();
      return t.width > r.width + 0.5;
    }).map((g) => g.getAttribute('data-label')));
    if (overflow.length) fail(`labels wider than their boxes: ${overflow.join(', ')}`);

    if (spec.select) {
      await page.selectOption('#column', { label: spec.select.column });
      const hl = await page.$$eval('g.node.hl', (gs) => gs.map((g) => g.getAttribute('data-label')));
      if (!same(hl, spec.select.highlighted)) {
        fail(`choosing ${spec.select.column} highlighted ${JSON.stringify(sorted(hl))}, expected ${JSON.stringify(sorted(spec.select.highlighted))}`);
      }
      const dim = await page.$$eval('g.node.dim', (gs) => gs.length);
      if (dim + hl.length !== spec.nodes) fail(`highlighted ${hl.length} + dimmed ${dim} != ${spec.nodes} nodes`);
      const panel = await page.textContent('#panel');
      if (!panel.includes(spec.select.column)) fail(`the side panel does not name ${spec.select.column}: ${panel}`);
      if (spec.screenshot) {
        await page.screenshot({ path: spec.screenshot });
        // The whole graph, fitted to the window.
        await page.click('#zoom-fit');
        await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-fit.png') });
        await page.click('#zoom-in');
      }

      // Hiding control dependencies hides their edges.
      await page.uncheck('#control');
      const shown = await page.$$eval('path.edge.control', (ps) => ps.filter((p) => getComputedStyle(p).display !== 'none').length);
      if (shown) fail(`${shown} control edges still shown after unticking "control dependencies"`);
      await page.check('#control');

      // Back to every column: nothing dimmed.
      await page.selectOption('#column', { value: '' });
      const still = await page.$$eval('svg.focus', (s) => s.length);
      if (still) fail('choosing "All columns" left the graph focused');
    }
  }

  if (spec.mermaid && spec.mermaid.length) {
    const mpage = await browser.newPage();
    mpage.on('pageerror', (e) => fail(`mermaid page error: ${e.message}`));
    await mpage.setContent('<!DOCTYPE html><html><body></body></html>');
    await mpage.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
    const parse = (text) => mpage.evaluate(async (t) => {
      try { await window.mermaid.parse(t); return null; } catch (e) { return String(e && e.message || e); }
    }, text);
    // The parser must reject nonsense, or passing means nothing.
    if ((await parse('flowchart LR\n  n0["a" --> ')) === null) fail('mermaid.parse accepted a broken flowchart');
    for (const file of spec.mermaid) {
      const err = await parse(readFileSync(file, 'utf8'));
      if (err !== null) fail(`${file} is not valid Mermaid: ${err}`);
    }
  }
} finally {
  await browser.close();
}
finish();
