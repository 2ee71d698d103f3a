import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { AesGcmPayloadCodec } from './codec';
import { createAppLogger, forwardSdkLogs } from './logging';

/** A logger writing to memory; returns it and what it wrote. */
function captured(format: 'json' | 'pretty') {
  const destination = new PassThrough();
  let written = '';
  destination.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const logger = createAppLogger({
    service: 'billing-worker',
    level: 'debug',
    format,
    destination,
  });
  return { logger, written: () => written };
}

describe('createAppLogger', () => {
  it('json: one object a line, with the service', () => {
    const { logger, written } = captured('json');
    logger.info({ subscriptionId: 'sub_1' }, 'charged');
    const [line] = written().trim().split('\n');
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 30,
      service: 'billing-worker',
      subscriptionId: 'sub_1',
      msg: 'charged',
    });
  });

  it('pretty: one readable line, then the fields, no JSON braces around the message', () => {
    const { logger, written } = captured('pretty');
    logger.warn({ attempt: 2 }, 'worker lost Temporal');
    const text = written();
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN.*\[billing-worker\] worker lost Temporal\n/,
    );
    expect(text).toMatch(/attempt: 2/);
    expect(text.startsWith('{')).toBe(false);
  });

  it('a payload codec in a logged object shows its key ids, never its keys', () => {
    const key = randomBytes(32);
    const codec = new AesGcmPayloadCodec([{ id: 'k2026', key }]);
    for (const format of ['json', 'pretty'] as const) {
      const { logger, written } = captured(format);
      logger.info({ config: { payloadCodec: codec } }, 'config');
      expect(written()).toContain('k2026');
      expect(written()).not.toContain(key.toString('base64'));
      expect(written()).not.toContain(key.toString('hex'));
    }
    expect(JSON.stringify(codec)).toBe('{"keyIds":["k2026"]}');
    expect(inspect({ codec }, { depth: 5, showHidden: true })).not.toContain(key.toString('hex'));
  });
});

describe('forwardSdkLogs', () => {
  const webpackReport = [
    'asset workflow-bundle-3f2a.js 1.21 MiB [emitted] [immutable] (name: main)',
    'runtime modules 937 bytes 4 modules',
    'modules by path ../../node_modules/ 1.1 MiB 80 modules',
    '\u001b[1mwebpack 5.105.0 compiled \u001b[32msuccessfully\u001b[39m in 2345 ms\u001b[22m',
  ].join('\n');

  it("webpack's report: one info line (its summary), the page at debug", () => {
    const { logger, written } = captured('json');
    forwardSdkLogs(logger)({
      level: 'INFO',
      message: webpackReport,
      meta: { sdkComponent: 'worker' },
    });
    const lines = written()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; sdkComponent: string });
    expect(lines.map((l) => [l.level, l.msg.split('\n').length])).toEqual([
      [30, 1],
      [20, 4],
    ]);
    expect(lines[0]?.msg).toBe('workflow bundle: webpack 5.105.0 compiled successfully in 2345 ms');
    expect(lines[0]?.sdkComponent).toBe('worker');
  });

  it('a failed build keeps its whole report at error; other entries pass as they are', () => {
    const { logger, written } = captured('json');
    const forward = forwardSdkLogs(logger);
    forward({ level: 'ERROR', message: webpackReport });
    forward({ level: 'WARN', message: 'Workflow bundle created', meta: { size: '1.2MB' } });
    const lines = written()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; size?: string });
    expect(lines[0]).toMatchObject({ level: 50, msg: webpackReport });
    expect(lines[1]).toMatchObject({ level: 40, msg: 'Workflow bundle created', size: '1.2MB' });
  });
});
