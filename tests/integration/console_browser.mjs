// Drives the coffer-console web UI in headless Chromium (playwright-core with
// the system browser): log in, create a policy, assign it, see a job
// succeed, browse a snapshot, start a restore. Screenshots go to ARTIFACTS.
// Environment: CONSOLE_URL, ADMIN_PASSWORD, DATA_DIR, RESTORE_DIR, ARTIFACTS,
// REPOSITORY, CHROMIUM, AGENT_NAME.
import { chromium } from 'playwright-core';

const env = process.env;
const shot = (page, name) => page.screenshot({ path: `${env.ARTIFACTS}/${name}.png`, fullPage: true });
const step = (text) => console.log('step:', text);

const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.setDefaultTimeout(20000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// Script errors fail the test; refused requests the test makes on purpose
// (the wrong password, the session probe before login) show up as "Failed
// to load resource" and do not.
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
});
page.on('response', (r) => { if (r.status() === 404 || r.status() >= 500) errors.push(`${r.status()} ${r.url()}`); });
try {
  step('log in');
  await page.goto(env.CONSOLE_URL);
  await page.fill('#login-password', 'not the password');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:has-text("wrong password")');
  await page.fill('#login-password', env.ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#kpi-agents');
  await shot(page, 'dashboard-empty');

  step('create a policy');
  await page.click('a[data-view=policies]');
  await page.click('#policy-new');
  await page.fill('#pf-name', 'browser-policy');
  await page.fill('#pf-repository', env.REPOSITORY);
  await page.fill('#pf-paths', env.DATA_DIR);
  await page.fill('#pf-excludes', '*.tmp');
  await page.fill('#pf-cron', '0 3 * * *');
  await page.fill('#pf-keep-daily', '7');
  await page.click('#pf-save');
  await page.waitForSelector('#policies-table >> text=browser-policy');
  await shot(page, 'policies');

  step('assign it');
  await page.click('a[data-view=agents]');
  await page.fill('#token-label', 'build-server');
  await page.click('#token-create');
  await page.waitForSelector('#token-command:has-text("/install.sh | sudo sh -s -- --token")');
  await shot(page, 'enroll-token');
  const row = page.locator('#agents-table tr', { hasText: env.AGENT_NAME });
  await row.locator('select.assign').selectOption({ label: 'browser-policy' });
  await page.waitForSelector('#toast:has-text("Policy assigned")');
  await shot(page, 'agents');

  step('run a backup and see it succeed');
  await row.locator('button.run-now').click();
  await page.waitForSelector('#toast:has-text("Backup requested")');
  await page.click('a[data-view=jobs]');
  await page.waitForSelector('#jobs-card .pill.ok', { timeout: 90000 });
  await shot(page, 'jobs');

  step('dashboard');
  await page.click('a[data-view=dashboard]');
  await page.waitForSelector('#storage-table', { timeout: 30000 });
  await page.waitForTimeout(300);
  await shot(page, 'dashboard');

  step('browse a snapshot');
  await page.click('a[data-view=restore]');
  await page.waitForSelector('#snapshots-table tr[data-snapshot]');
  await page.click('#snapshots-table tr[data-snapshot] >> nth=0');
  await page.waitForSelector('#tree-table');
  // Walk down to the data directory, one level at a time.
  const parts = env.DATA_DIR.split('/').filter(Boolean);
  for (const part of parts) {
    await page.click(`#tree a.enter:text-is("${part}/")`);
    await page.waitForSelector(`#crumbs a:text-is("${part}")`);
    await page.waitForSelector('#tree-table, #tree .empty');
  }
  await page.check('#tree input.pick >> nth=0');
  const picked = await page.getAttribute('#tree input.pick >> nth=0', 'data-path');
  await page.fill('#restore-target', env.RESTORE_DIR);
  await shot(page, 'browse');

  step('restore');
  await page.click('#restore-start');
  await page.waitForSelector('#restore-state .pill.ok', { timeout: 60000 });
  await shot(page, 'restore');
  if (errors.length) throw new Error('errors in the page: ' + errors.join('; '));
  console.log('RESTORED ' + picked);
} catch (e) {
  await shot(page, 'failure').catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
