// Opens HTML reports in Debian's Chromium (playwright-core, no browser download) and
// checks what a person relies on: no console error, no request but the file itself,
// no serious or critical axe-core violation, sorting by a column changes the order,
// opening a device shows its timeline, and a report of hostile ids runs none of them.
// Screenshots go to the output folder.
//
//   node check.js REPORT.html HOSTILE.html OUTDIR
//
// Prints one JSON object with what was found; exits 1 on any failure, 2 when it
// cannot run.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const EXECUTABLE = process.env.IOTHUB_TRIAGE_CHROMIUM || '/usr/bin/chromium';

async function open(browser, file, viewport) {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme: 'light' });
  const seen = { console: [], requests: [], dialogs: [], pageErrors: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      seen.console.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('dialog', async (dialog) => {
    seen.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  seen.foreignRequests = () => seen.requests.filter((r) => r !== url);
  return { context: page, page, seen, url };
}

async function axe(page) {
  // Evaluated through the DevTools protocol: the page's policy allows no other script.
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      first: v.nodes[0] && v.nodes[0].target.join(' ') }));
}

function order(page) {
  return page.$$eval('#devices > tbody', (bodies) => bodies.map((b) => b.dataset.index));
}

async function main() {
  const [report, hostile, out] = process.argv.slice(2);
  if (!report || !hostile || !out) {
    console.error('usage: node check.js REPORT.html HOSTILE.html OUTDIR');
    process.exit(2);
  }
  fs.mkdirSync(out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-triage-chromium-'));
  // A persistent context on a fresh profile folder: the --user-data-dir of a plain run.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const failures = [];
  const result = { browser: browser.browser().version(), failures };
  try {
    // The fixture report, on a desktop screen.
    const desktop = await open(browser, report, { width: 1280, height: 800 });
    const page = desktop.page;
    await page.screenshot({ path: path.join(out, 'report-1280x800.png') });
    result.axe = await axe(page);
    const before = await order(page);
    await page.click('#devices thead button[data-key="e"]');
    const afterEvents = await order(page);
    await page.click('#devices thead button[data-key="id"]');
    const afterId = await order(page);
    result.sorted = {
      changed: before.join() !== afterEvents.join() && afterEvents.join() !== afterId.join(),
      ariaSort: await page.getAttribute('#devices thead th:has(button[data-key="id"])', 'aria-sort'),
    };
    // Filtering: only critical and high.
    await page.selectOption('#f-severity', '4');
    result.filtered = {
      shown: await page.$$eval('#devices > tbody:not([hidden])', (b) => b.length),
      total: before.length,
      status: await page.textContent('#f-status'),
    };
    await page.selectOption('#f-severity', '');
    // A device opens to its timeline.
    const summary = page.locator('#devices tr.story summary').first();
    await summary.click();
    const timeline = page.locator('#devices tr.story details[open] svg.timeline').first();
    const box = await timeline.boundingBox();
    result.timeline = {
      visible: await timeline.isVisible(),
      height: box ? box.height : 0,
      sessions: await timeline.locator('rect.session').count(),
      marks: await timeline.locator('.drop, .error').count(),
    };
    await page.locator('#devices tr.story details[open]').first()
      .screenshot({ path: path.join(out, 'device-1280.png') });
    result.axeOpened = await axe(page);
    await page.screenshot({ path: path.join(out, 'report-full-1280.png'), fullPage: true });
    result.console = desktop.seen.console.concat(desktop.seen.pageErrors);
    result.foreignRequests = desktop.seen.foreignRequests();
    await desktop.context.close();

    // The same report on a phone.
    const phone = await open(browser, report, { width: 390, height: 844 });
    await phone.page.screenshot({ path: path.join(out, 'report-390x844.png') });
    result.phone = {
      console: phone.seen.console.concat(phone.seen.pageErrors),
      foreignRequests: phone.seen.foreignRequests(),
      // The page itself must not scroll sideways; wide tables scroll in their box.
      overflow: await phone.page.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth),
    };
    await phone.context.close();

    // Dark mode renders too (colours only differ).
    const darkPage = await browser.newPage();
    await darkPage.setViewportSize({ width: 1280, height: 800 });
    await darkPage.emulateMedia({ colorScheme: 'dark' });
    const dark = darkPage;
    await darkPage.goto(pathToFileURL(report).href);
    await darkPage.screenshot({ path: path.join(out, 'report-dark-1280x800.png') });
    result.darkBackground = await darkPage.evaluate(() =>
      getComputedStyle(document.body).backgroundColor);
    await dark.close();

    // Hostile ids: nothing of them runs, requests or lands as a global.
    const bad = await open(browser, hostile, { width: 1280, height: 800 });
    const globals = await bad.page.evaluate(() =>
      ['pwned', 'pwned2', 'pwned3', 'pwned4', 'pwned5'].filter((name) => name in window));
    await bad.page.click('#devices thead button[data-key="id"]');
    await bad.page.fill('#f-id', 'script');
    await bad.page.locator('#devices > tbody:not([hidden]) tr.story summary').first().click();
    result.hostile = {
      globals,
      dialogs: bad.seen.dialogs,
      console: bad.seen.console.concat(bad.seen.pageErrors),
      foreignRequests: bad.seen.foreignRequests(),
      injectedElements: await bad.page.evaluate(() =>
        document.querySelectorAll('main img, main iframe, main object, main embed, main script, ' +
          'main [onerror], main [onload], main [onclick]').length),
      idsShown: await bad.page.$$eval('#devices th.id', (cells) => cells.map((c) => c.textContent)),
      status: await bad.page.textContent('#f-status'),
    };
    await bad.page.screenshot({ path: path.join(out, 'hostile-1280x800.png') });
    await bad.context.close();
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  const expect = (ok, what) => { if (!ok) { failures.push(what); } };
  expect(result.console.length === 0, 'console errors on the report');
  expect(result.foreignRequests.length === 0, 'the report requested something');
  expect(result.axe.length === 0, 'axe-core: serious or critical violations');
  expect(result.axeOpened.length === 0, 'axe-core: violations with a device open');
  expect(result.sorted.changed, 'sorting did not change the order');
  expect(result.sorted.ariaSort === 'ascending', 'aria-sort not set by sorting');
  expect(result.filtered.shown < result.filtered.total, 'the severity filter hid nothing');
  expect(result.timeline.visible && result.timeline.height > 20 && result.timeline.sessions > 0,
    'an opened device shows no timeline');
  expect(result.phone.console.length === 0 && result.phone.foreignRequests.length === 0,
    'console errors or requests on a phone');
  expect(result.phone.overflow <= 0, 'the page scrolls sideways on a phone');
  expect(result.hostile.globals.length === 0, 'a hostile id set a global');
  expect(result.hostile.dialogs.length === 0, 'a hostile id opened a dialog');
  expect(result.hostile.console.length === 0, 'console errors on the hostile report');
  expect(result.hostile.foreignRequests.length === 0, 'the hostile report requested something');
  expect(result.hostile.injectedElements === 0, 'a hostile id became an element');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.exit(failures.length === 0 ? 0 : 1);
}

// A browser that hangs must not hold the test suite: give up after five minutes.
setTimeout(() => {
  console.error('the browser check took more than 5 minutes');
  process.exit(2);
}, 5 * 60 * 1000).unref();

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(2);
});
