import { chooseWorkflowSource } from './run-worker';

describe('chooseWorkflowSource', () => {
  it('takes the prebuilt bundle when the build put one there', () => {
    const workflowsPath = jest.fn(() => '/src/workflows.ts');
    const source = chooseWorkflowSource(
      { bundlePath: '/app/workflow-bundle.js', workflowsPath },
      (path) => path === '/app/workflow-bundle.js',
    );
    expect(source).toEqual({ bundlePath: '/app/workflow-bundle.js' });
    // A pruned image has no workflow source: it is not even resolved.
    expect(workflowsPath).not.toHaveBeenCalled();
  });

  it('falls back to the source, bundled at start, when there is no bundle', () => {
    const source = chooseWorkflowSource(
      { bundlePath: '/app/workflow-bundle.js', workflowsPath: () => '/src/workflows.ts' },
      () => false,
    );
    expect(source).toEqual({ workflowsPath: '/src/workflows.ts' });
  });
});
