// What the browser checks share: Chromium started headless with no network features, a page
// that records page errors, console errors and any request leaving the file, and the failure
// list they print.
import { chromium } from 'playwright-core';

export const failures = [];
export const fail = (msg) => failures.push(msg);
export const sorted = (xs) => [...new Set(xs)].sort();
export const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page that fails the check on any page error, console error or network request.
export async function watchedPage(browser, viewport) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') fail(`console error: ${m.text()}`); });
  page.on('request', (r) => { if (!/^(file|data|about):/.test(r.url())) fail(`network request: ${r.url()}`); });
  return page;
}

// Prints the failures and exits 1, or prints "ok".
export function finish() {
  if (failures.length) {
    console.log(failures.join('\n'));
    process.exit(1);
  }
  console.log('ok');
}
