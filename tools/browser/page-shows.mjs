// Opens a page in headless Chromium (@sparticuz/chromium, driven by playwright-core) and waits
// until it shows a text: `node tools/browser/page-shows.mjs <url> <text> <screenshot.png> [ms]`.
// Exit 0 when the text appears (screenshot taken), 1 when it does not (screenshot of what was
// shown, and the page's visible text on stderr). ESM: @sparticuz/chromium is an ES module only,
// so Jest suites run this as a child process.
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';

const [url, text, screenshot, timeout = '60000'] = process.argv.slice(2);
if (!url || !text || !screenshot) {
  console.error('usage: page-shows.mjs <url> <text> <screenshot.png> [timeout ms]');
  process.exit(2);
}
const browser = await playwright.launch({
  executablePath: await chromium.executablePath(),
  args: chromium.args,
  headless: true,
});
let code = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url, { waitUntil: 'load', timeout: Number(timeout) });
  try {
    await page
      .getByText(text)
      .first()
      .waitFor({ timeout: Number(timeout) });
  } catch (error) {
    code = 1;
    console.error(`"${text}" not shown on ${url}: ${error.message.split('\n')[0]}`);
    console.error((await page.innerText('body')).slice(0, 4000));
  }
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
process.exit(code);
