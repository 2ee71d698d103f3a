// Prints, as JSON, how to launch the headless Chromium that @sparticuz/chromium ships in its npm
// package (unpacked to /tmp on first use): `{ "executablePath": …, "args": […] }`. ESM only, like
// that package, so Jest suites (CommonJS) run this as a child process and launch the browser
// themselves with playwright-core: `chromium.launch({ executablePath, args, headless: true })`.
import chromium from '@sparticuz/chromium';

process.stdout.write(
  JSON.stringify({ executablePath: await chromium.executablePath(), args: chromium.args }),
);
