/**
 * Prebuilds a worker's workflow bundle: `bundle-workflows <billing|loyalty> <out-file>`.
 * Production workers load it with `workflowBundle: { codePath }` instead of running webpack at
 * start-up. Run with `--conditions=@invincible/source` so the workflows resolve to source.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  PAYLOAD_CONVERTER_SOURCE,
  TRACING_INTERCEPTORS_SOURCE,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const [domain, outFile] = process.argv.slice(2);
  if ((domain !== 'billing' && domain !== 'loyalty') || !outFile) {
    throw new Error('usage: bundle-workflows <billing|loyalty> <out-file>');
  }
  const workflowsPath = require.resolve(WORKFLOW_SOURCES[domain]);
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE),
    // The workflow side of traces, as createBillingWorker / createLoyaltyWorker install it.
    workflowInterceptorModules: [require.resolve(TRACING_INTERCEPTORS_SOURCE)],
  });
  const target = resolve(outFile);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
  console.log(
    `${domain} workflows (${workflowsPath}) → ${target} (${(code.length / 1024).toFixed(0)} KiB)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
