import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { waitForPort } from '../scripts/temporal-dev-server';
import { openInChromium } from './support/chromium';
import { armFault, createLot, disarmFault, uniquePlate, useStack, waitForSaga } from './support/stack';

/**
 * The Temporal Web UI tells a saga's story: the test stack's dev server runs its UI (see
 * test/support/global-setup.ts), the API links each saga to its page there, and headless
 * Chromium renders that page until it shows what the test looks for.
 * WEB_UI_SCREENSHOT=docs/web-ui-saga.png also saves the gate saga's page there (the README's picture).
 */
const stack = useStack({ waitMs: 300 });

/**
 * Opens the saga's page (the link GET /sagas/:id gives), waits until its history shows every one of
 * `history` (the steps' activity summaries), then opens its User Metadata tab (summary, details,
 * current details) and waits until it shows every one of `metadata`.
 */
async function pageOf(sagaId: string, expected: { history: string[]; metadata: Array<string | RegExp> }) {
  const res = await stack.app.inject({ method: 'GET', url: `/sagas/${sagaId}` });
  expect(res.statusCode).toBe(200);
  const { webUiUrl } = res.json() as { webUiUrl: string };
  expect(webUiUrl).toBe(`${inject('stack').webUiUrl}/namespaces/default/workflows/${sagaId}`);
  const flat = (text: string) => text.replace(/\s+/g, ' ');
  const shows = (text: string, e: string | RegExp) => (typeof e === 'string' ? flat(text).includes(e) : e.test(flat(text)));
  const page = await openInChromium(webUiUrl);
  try {
    await page.waitForText((text) => expected.history.every((e) => shows(text, e)));
    await page.click('User Metadata');
    const text = flat(await page.waitForText((text) => expected.metadata.every((e) => shows(text, e))));
    // Kept for reading (KEEP_TEST_DIR=1 keeps the folder).
    await writeFile(join(inject('stack').dir, `web-ui-${sagaId}.txt`), text);
    return page;
  } catch (err) {
    await page.close();
    throw err;
  }
}

describe('the Temporal Web UI', () => {
  it('shows a saga waiting at the gate with its summary and current details, linked from GET /sagas/:id', async () => {
    await waitForPort(Number(new URL(inject('stack').webUiUrl).port), 30_000);
    const lot = await createLot(stack, { name: 'Central', requireGateConfirmation: true, gateTimeoutSeconds: 3600 });
    const plate = uniquePlate();
    const sagaId = (await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } })).json().sagaId;
    await waitForSaga(stack, sagaId, (s) => s.awaiting.includes('gatePassed'));

    const page = await pageOf(sagaId, {
      history: ['verifyPlate', 'allocateSpace', 'createEntryRecord'],
      metadata: [
        `Vehicle entry · ${plate} · lot ${lot.id}`, // the static summary
        'Verify the plate, allocate a space', // the static details
        'Status: RUNNING', // the current details
        'Awaits: the car at the gate',
        /Signals that move it: gatePassed \(the car at the gate\), compensate \(roll back/,
      ],
    });
    try {
      await page.screenshot(process.env.WEB_UI_SCREENSHOT ?? join(inject('stack').dir, 'web-ui-saga.png'));
    } finally {
      await page.close();
    }
  }, 180_000);

  it('shows a saga in NEEDS_ATTENTION with the failed compensation and the operator signals that move it', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `web-ui-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    await armFault(stack, 'parking.releaseAllocation', requestId);
    try {
      const sagaId = (await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } })).json().sagaId;
      await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
      const page = await pageOf(sagaId, {
        history: ['compensation of allocateSpace', 'compensation of createEntryRecord'],
        metadata: [
          'Status: NEEDS_ATTENTION (STEP_FAILED',
          'Compensating: allocateSpace (out of retries)',
          'Awaits: an operator (compensation of allocateSpace failed:',
          /retryCompensation \(try the failed compensation again\), skipCompensation \(give up/,
        ],
      });
      await page.close();

      // The README's bookmark for the operator: the UI's list filtered by SagaStatus, once visibility has the status.
      const listed = async () => (await stack.app.inject({ method: 'GET', url: '/sagas?status=NEEDS_ATTENTION&limit=500' })).json().sagas.some((x: { sagaId: string }) => x.sagaId === sagaId);
      while (!(await listed())) await new Promise((r) => setTimeout(r, 200));
      const list = await openInChromium(`${inject('stack').webUiUrl}/namespaces/default/workflows?query=${encodeURIComponent('SagaStatus="NEEDS_ATTENTION"')}`);
      try {
        await list.waitForText((text) => text.includes(sagaId));
      } finally {
        await list.close();
      }
    } finally {
      await disarmFault(stack, 'parking.releaseAllocation', requestId);
      await disarmFault(stack, 'plates.createEntryRecord', requestId);
    }
  }, 180_000);
});
