import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  getPointsQuery,
  loyaltyWorkflowId,
  notifyPurchaseSignal,
  recordPurchaseUpdate,
  WORKFLOW_SOURCES,
  type Purchase,
} from '@invincible/workflows';
import { temporalTestServers, type TemporalTestServer } from '@invincible/workflows/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

/**
 * Purchases sent continuously — signals and Updates mixed, with duplicates — across several
 * continue-as-new boundaries, on each real test server (a task queue of this suite's own): none
 * lost, none counted twice, the balance exact.
 */
describe.each(temporalTestServers())('loyaltyProgram across continue-as-new ($name)', suite);

function suite({ address, tag }: TemporalTestServer): void {
  jest.setTimeout(120_000);

  it('loses and double-counts nothing across at least three boundaries', async () => {
    const run = `${Date.now().toString(36)}${tag}`;
    const taskQueue = `loyalty-can-${run}`;
    const repo = createInMemoryRepository();
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({
        repository: repo,
        mailer: createOutboxMailer({ outbox: repo.outbox }),
      }),
    });
    const customerId = `cus-can-${run}`;
    const purchase = (i: number): Purchase => ({
      purchaseId: `can-${run}-${i}`,
      total: 100 + i,
      currency: 'USD',
      occurredAt: '2026-11-25T10:00:00.000Z',
    });

    await worker.runUntil(async () => {
      const handle = await client.workflow.start('loyaltyProgram', {
        taskQueue,
        workflowId: loyaltyWorkflowId(customerId),
        args: [{ customerId, eventsPerRun: 10, couponThreshold: 1_000_000 }],
      });
      const firstRun = handle.firstExecutionRunId;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        sends.push(
          i % 2 === 0
            ? handle.signal(notifyPurchaseSignal, purchase(i))
            : handle.executeUpdate(recordPurchaseUpdate, { args: [purchase(i)] }),
        );
        // Duplicates of earlier purchases, which by now may belong to an earlier run.
        if (i % 7 === 0 && i > 0) sends.push(handle.signal(notifyPurchaseSignal, purchase(i - 5)));
        if (i % 10 === 5)
          sends.push(handle.executeUpdate(recordPurchaseUpdate, { args: [purchase(i - 4)] }));
        if (i % 5 === 0) await Promise.all(sends.splice(0));
      }
      await Promise.all(sends);
      const expected = Array.from({ length: 60 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
      for (
        let i = 0;
        i < 100 && (await handle.query(getPointsQuery)).lifetimePoints < expected;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await expect(handle.query(getPointsQuery)).resolves.toMatchObject({
        balance: expected,
        lifetimePoints: expected,
      });
      const ledger = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          repo.purchases.get(customerId, {
            source: 'purchase',
            purchaseId: purchase(i).purchaseId,
          }),
        ),
      );
      expect(ledger.map((p) => p.points)).toEqual(Array.from({ length: 60 }, (_, i) => 100 + i));

      // Follow the chain of runs from the first: each ends by continuing as new into the next.
      const countRuns = async () => {
        let runs = 1;
        let runId: string | undefined = firstRun;
        while (runId) {
          const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
          runId =
            history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes
              ?.newExecutionRunId ?? undefined;
          if (runId) runs++;
        }
        return runs;
      };
      const runs = await countRuns();
      expect(runs).toBeGreaterThanOrEqual(4);
      await handle.terminate('test done');
    });
    await connection.close();
  });
}
