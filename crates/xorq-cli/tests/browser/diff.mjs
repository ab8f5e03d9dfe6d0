// Loads xorq's diff page in a real headless Chromium. Run by tests/it/diff.rs:
//
//   node diff.mjs spec.json
//
// spec.json: { "html": path, "old": [status, ...], "new": [status, ...],
//              "changed": [{ "index": i, "pair": j }, ...], "impacted": [column, ...],
//              "screenshot": path }
// Prints "ok" and exits 0, or prints what failed and exits 1.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { fail, finish, launch, same, watchedPage } from './harness.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await launch();
try {
  const page = await watchedPage(browser, { width: 1600, height: 900 });
  await page.goto(pathToFileURL(spec.html).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });

  // Each side draws every node with its status.
  for (const side of ['old', 'new']) {
    const drawn = await page.$$eval(`svg[data-side="${side}"] g.node`, (gs) => gs.map((g) => [+g.getAttribute('data-index'), g.getAttribute('data-status')]));
    if (drawn.length !== spec[side].length) fail(`${side}: drew ${drawn.length} nodes, expected ${spec[side].length}`);
    for (const [i, status] of drawn) {
      if (spec[side][i] !== status) fail(`${side} node ${i} drawn as ${status}, expected ${spec[side][i]}`);
    }
    // Labels fit their boxes.
    const overflow = await page.$$eval(`svg[data-side="${side}"] g.node`, (gs) => gs.filter((g) => {
      const r = g.querySelector('rect').getBBox(), t = g.querySelector('text').getBBox();
      return t.width > r.width + 0.5;
    }).length);
    if (overflow) fail(`${side}: ${overflow} labels wider than their boxes`);
  }
  // Changed nodes are highlighted (their own colour, not the unchanged one).
  const colours = await page.$$eval('svg[data-side="new"] g.node', (gs) => gs.map((g) => [g.getAttribute('data-status'), getComputedStyle(g.querySelector('rect')).fill]));
  const unchangedFill = colours.find(([s]) => s === 'unchanged');
  for (const [s, fill] of colours) {
    if (s === 'changed' && unchangedFill && fill === unchangedFill[1]) fail('a changed node is drawn like an unchanged one');
  }
  // The impacted output columns are marked.
  const marked = await page.$$eval('#columns tr.impacted', (rs) => rs.map((r) => r.getAttribute('data-column')));
  if (!same(marked, spec.impacted)) fail(`impacted columns marked ${JSON.stringify(marked)}, expected ${JSON.stringify(spec.impacted)}`);
  // A click on a changed node selects it and its counterpart, and shows its change.
  for (const c of spec.changed) {
    await page.click(`svg[data-side="new"] g.node[data-index="${c.index}"]`);
    const selected = await page.$$eval('g.node.selected', (gs) => gs.map((g) => g.closest('svg').getAttribute('data-side') + ':' + g.getAttribute('data-index')));
    const expected = [`new:${c.index}`, `old:${c.pair}`];
    if (!same(selected, expected)) fail(`clicking new node ${c.index} selected ${JSON.stringify(selected)}, expected ${JSON.stringify(expected)}`);
    const detail = await page.textContent('#detail');
    if (!detail.includes('→')) fail(`the detail of a changed node does not show old → new: ${detail}`);
  }
  if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: true });
} finally {
  await browser.close();
}
finish();
