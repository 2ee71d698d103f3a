/**
 * Prebuilds a worker's workflow bundle: `bundle-workflows <domain> <out-file>`, where `domain` is a
 * key of `WORKFLOW_SOURCES` (billing, loyalty, or a domain `nx g @invincible/nx-plugin:domain` added).
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

function isDomain(name: string | undefined): name is keyof typeof WORKFLOW_SOURCES {
  return name !== undefined && Object.hasOwn(WORKFLOW_SOURCES, name);
}

async function main(): Promise<void> {
  const [domain, outFile] = process.argv.slice(2);
  if (!isDomain(domain) || !outFile) {
    const domains = Object.keys(WORKFLOW_SOURCES).join('|');
    throw new Error(`usage: bundle-workflows <${domains}> <out-file>`);
  }
  const workflowsPath = require.resolve(WORKFLOW_SOURCES[domain]);
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE),
    // The workflow side of traces, as every create<Domain>Worker installs it.
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
