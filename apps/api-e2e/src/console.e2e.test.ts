import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LocalStack } from './local-stack';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const CONSOLE_DIR = join(REPO_ROOT, 'dist', 'apps', 'console');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
/**
 * `npm run test:console` sets it: the whole path below, then the same pages at a phone's width,
 * the overview, and every page's screenshot kept. `npm test` runs the path alone.
 */
const FULL = process.env['INVINCIBLE_CONSOLE_E2E'] === 'full';
const TEMPORAL_UI = 'http://127.0.0.1:8233';

/** How to launch the Chromium of @sparticuz/chromium (an ES module: asked of a child process). */
function chromiumLaunch(): { executablePath: string; args: string[] } {
  const out = execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'tools', 'browser', 'chromium-launch.mjs')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return JSON.parse(out) as { executablePath: string; args: string[] };
}

/**
 * The operator console in a real browser (headless Chromium driven by playwright-core) against
 * the whole stack as `npm start` runs it — the API serving the built console under /console, both
 * workers, the shared test Temporal and Cassandra — doing what an operator does: sign in, create
 * a customer, start a subscription with 4-second periods and watch its charges arrive without a
 * reload, change its price, pause, resume and cancel it, record purchases until a coupon is
 * issued, redeem it, and read the refusal of a second redemption. A failing step leaves a
 * screenshot in test-artifacts/console/.
 */
describe('the operator console in a browser (npm start, headless Chromium)', () => {
  jest.setTimeout(300_000);
  const run = `${Date.now().toString(36)}b`;
  const apiKey = `e2e_${randomBytes(16).toString('hex')}`;
  const stack = new LocalStack({
    namespace: `console-${run}`,
    keyspace: `console_${run}`,
    apiKey,
    temporalVariable: 'INVINCIBLE_TEST_TEMPORAL_ADDRESS',
    database: 'cassandra',
    consoleDir: CONSOLE_DIR,
    // The test stack runs no Web UI; the console's links are checked by their address.
    env: { CONSOLE_TEMPORAL_UI_URL: TEMPORAL_UI },
  });
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the page logged as errors, and every request that left the API's origin. */
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  let step = 'start';

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html')))
      throw new Error(`no built console in ${CONSOLE_DIR}: run it through npm test (it builds it)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await stack.start();
    const { executablePath, args } = chromiumLaunch();
    browser = await chromium.launch({ executablePath, args, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
    const origin = new URL(stack.baseUrl).origin;
    page.on('console', (message) => {
      // Failed loads are reported with their URL by the response listener below.
      if (message.type() === 'error' && !/^Failed to load resource/.test(message.text()))
        consoleErrors.push(message.text());
    });
    page.on('response', (response) => {
      // The refused second redemption aside, every answer the console asks for is a success.
      if (
        response.status() >= 400 &&
        !(response.status() === 409 && /\/redeem$/.test(response.url()))
      )
        consoleErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:'))
        foreignRequests.push(request.url());
    });
  }, 300_000);

  afterEach(async () => {
    const state = expect.getState();
    if (page && state.assertionCalls !== state.numPassingAsserts) {
      await page
        .screenshot({ path: join(ARTIFACTS, `failed-${step}.png`), fullPage: true })
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 60_000);

  const shot = async (name: string) => {
    if (FULL) await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const timeline = () => page.getByRole('list', { name: 'Timeline' });
  const customerId = `cus_${run}`;
  let subscriptionUrl = '';

  it('signs in with an API key, never putting it in the URL', async () => {
    step = 'sign-in';
    await page.goto(`${stack.baseUrl}/console/`);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(page.url()).not.toContain(apiKey);
    // Held for the tab only: sessionStorage, never localStorage or a cookie.
    // (Expressions in the page's context: this suite is compiled without the DOM's types.)
    const stored = await page.evaluate<string>('JSON.stringify(localStorage) + document.cookie');
    expect(stored).not.toContain(apiKey);
    await shot('01-overview');
  });

  it('creates a customer and opens its page', async () => {
    step = 'create-customer';
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Customers' })
      .click();
    const form = page.getByRole('region', { name: 'New customer' });
    await form.getByLabel('Name').fill('Ada Lovelace');
    await form.getByLabel('Email').fill('ada@example.com');
    await form.getByLabel('Customer id (optional)').fill(customerId);
    await form.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    expect(page.url()).toContain(`/console/customers/${customerId}`);
    // The search finds it by a part of its email.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Customers' })
      .click();
    await page.getByRole('searchbox', { name: 'Search customers' }).fill('ADA@EXAMPLE');
    await page.getByRole('link', { name: 'Ada Lovelace' }).first().waitFor();
    await shot('02-customers');
    await page.getByRole('link', { name: 'Ada Lovelace' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
  });

  it('starts a subscription with 4-second periods and shows its charges as they happen', async () => {
    step = 'subscribe';
    const form = page.getByRole('form', { name: 'Start a subscription' });
    await form.getByLabel('Price').fill('10.00');
    await form.getByLabel('Interval count').fill('4');
    await form.getByLabel('Interval unit').selectOption('second');
    await form.getByRole('button', { name: 'Start subscription' }).click();
    await page.getByRole('heading', { level: 1, name: /^Subscription/ }).waitFor();
    subscriptionUrl = page.url();
    // No reload: the page polls, and the ledger's charges appear one after the other.
    await timeline().getByText('Period 1 charge succeeded').waitFor();
    await timeline().getByText('Period 2 charge succeeded').waitFor({ timeout: 30_000 });
    // Its workflow, one click away in the Temporal Web UI, by the id Temporal knows it by (API_KEYS
    // are keys of the tenant `dev`).
    const subscriptionId = decodeURIComponent(subscriptionUrl.split('/').pop() ?? '');
    expect(
      await page
        .getByRole('link', { name: 'Workflow in Temporal (opens in a new tab)' })
        .getAttribute('href'),
    ).toBe(
      `${TEMPORAL_UI}/namespaces/console-${run}/workflows/${encodeURIComponent(`subscription:dev~${subscriptionId}`)}`,
    );
    await shot('03-subscription');
  });

  it('changes the price from the next period, after a confirmation', async () => {
    step = 'change-price';
    await page.getByRole('button', { name: 'Change price', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New price (USD)').fill('12.50');
    await dialog.getByRole('button', { name: 'Yes, change the price' }).click();
    await timeline()
      .getByText(/^Price changed from period \d+/)
      .waitFor();
  });

  it('pauses and resumes it', async () => {
    step = 'pause-resume';
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, pause' }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor();
    await timeline().getByText('Paused').first().waitFor();
    await shot('04-paused');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, resume' }).click();
    await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
  });

  it('cancels it now, and no action is left to take', async () => {
    step = 'cancel';
    await page.getByRole('button', { name: 'Cancel now', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (optional)').fill('customer asked');
    await dialog.getByRole('button', { name: 'Yes, cancel now' }).click();
    await timeline().getByText('Canceled').first().waitFor();
    await page.getByRole('button', { name: 'Pause', exact: true }).waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Cancel now', exact: true }).count()).toBe(0);
    await shot('05-canceled');
  });

  it('records purchases until a coupon is issued, redeems it, and explains a second redemption', async () => {
    step = 'loyalty';
    await page.goto(`${stack.baseUrl}/console/customers/${customerId}`);
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    const purchase = page.getByRole('form', { name: 'Record a purchase' });
    // 100 points per unit: 2 × 60.00 passes the 10,000 points of a coupon (the subscription's
    // two or more charges earned points too).
    for (const id of [`order-${run}-1`, `order-${run}-2`]) {
      await purchase.getByLabel('Purchase id').fill(id);
      await purchase.getByLabel('Amount').fill('60.00');
      await purchase.getByRole('button', { name: 'Record purchase' }).click();
      await page.getByRole('cell', { name: id }).waitFor();
    }
    const coupons = page.getByRole('region', { name: 'Coupons' });
    const redeem = coupons.getByRole('button', { name: /^Redeem coupon / }).first();
    await redeem.waitFor();
    // "Redeem coupon <code>": the code is in the button's accessible name.
    const couponCode = ((await redeem.textContent()) ?? '')
      .replace(/^Redeem\s*coupon\s*/, '')
      .trim();
    expect(couponCode).toMatch(new RegExp(`^${customerId}:\\d+$`));
    await shot('06-coupon');
    await redeem.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, redeem' }).click();
    await coupons.getByRole('button', { name: `Redeem coupon ${couponCode}` }).waitFor({
      state: 'detached',
    });

    // The same code again, typed: the API refuses it, and the page says so in words.
    await coupons.getByLabel('Coupon code').fill(couponCode);
    await coupons.getByRole('button', { name: 'Redeem code' }).click();
    const alert = coupons.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/already redeemed/i);
    expect(await alert.textContent()).not.toMatch(/\b409\b/);
    await shot('07-second-redeem');
  });

  if (FULL) {
    it('shows the overview: counts by status and the days of charges', async () => {
      step = 'overview';
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Overview' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page
        .getByText(/canceled/i)
        .first()
        .waitFor();
      await shot('08-overview');
    });

    it('works at a phone width', async () => {
      step = 'phone';
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(subscriptionUrl);
      await timeline().getByText('Canceled').first().waitFor();
      // Nothing wider than the screen: no sideways scrolling of the page.
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await shot('09-phone-subscription');
      await page.setViewportSize({ width: 1280, height: 900 });
    });
  }

  it('logged no errors, and loaded nothing from outside its own origin', () => {
    step = 'errors';
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
