import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** A page open in headless Chromium, driven over the DevTools protocol. */
export interface ChromiumPage {
  /** Waits until the page's text (frames included) satisfies `done`; returns it. Fails with the last text after `timeoutMs`. */
  waitForText(done: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Waits until a link or button with exactly this text shows, and clicks it. */
  click(label: string, timeoutMs?: number): Promise<void>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

/** The rendered text of the page and of its frames (the Web UI renders Markdown in `srcdoc` frames). */
const PAGE_TEXT = `[document.body ? document.body.innerText : '', ...[...document.querySelectorAll('iframe')].map((f) => {
  try { if (f.contentDocument && f.contentDocument.body) return f.contentDocument.body.innerText; } catch {}
  return (f.getAttribute('srcdoc') || '').replace(/<[^>]+>/g, ' ');
})].join('\\n')`;

/**
 * Opens `url` in Debian's headless Chromium (CHROMIUM_BIN), speaking the DevTools protocol over
 * `--remote-debugging-pipe` (file descriptors 3 and 4): no WebSocket client or browser library
 * needed. Pages that keep requests open (the Temporal Web UI long-polls a running workflow's
 * history) never settle for `--dump-dom`; here the test waits for what it looks for instead.
 */
export async function openInChromium(url: string, size = { width: 1400, height: 1100 }): Promise<ChromiumPage> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
  const child = spawn(
    process.env.CHROMIUM_BIN ?? 'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', `--user-data-dir=${profile}`, `--window-size=${size.width},${size.height}`, '--remote-debugging-pipe', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true }, // its own process group: see close
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (value: any) => void; reject: (err: Error) => void }>();
  let buffer = '';
  let nextId = 1;
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      const waiter = message.id !== undefined ? pending.get(message.id) : undefined;
      if (!waiter) continue;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${message.error.message}`));
      else waiter.resolve(message.result);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) })}\0`);
    });
  const close = async () => {
    await Promise.race([send('Browser.close').catch(() => undefined), exited]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    // Chromium's helper processes can outlive the browser for a moment, still writing to the
    // profile: end the whole group, then remove the profile. A profile left in the OS's temp
    // folder harms nothing, so its removal failing does not fail the test.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group has ended already
    }
    await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined);
  };

  try {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    await send('Emulation.setDeviceMetricsOverride', { ...size, deviceScaleFactor: 1, mobile: false }, sessionId);
    await send('Page.navigate', { url }, sessionId);
    const pageText = async () => (await send('Runtime.evaluate', { expression: PAGE_TEXT, returnByValue: true }, sessionId)).result.value as string;
    return {
      async waitForText(done, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const text = await pageText();
          if (done(text)) return text;
          if (Date.now() > deadline) throw new Error(`the page at ${url} did not show what was expected; its text:\n${text}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      async click(label, timeoutMs = 60_000) {
        const expression = `(() => {
          const target = [...document.querySelectorAll('a, button')].find((e) => e.innerText.trim() === ${JSON.stringify(label)});
          if (target) target.click();
          return Boolean(target);
        })()`;
        const deadline = Date.now() + timeoutMs;
        while (!(await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value) {
          if (Date.now() > deadline) throw new Error(`the page at ${url} shows no "${label}" to click`);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      async screenshot(file) {
        const { data } = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
        await writeFile(file, Buffer.from(data, 'base64'));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
