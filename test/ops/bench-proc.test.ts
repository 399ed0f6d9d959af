import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageWindow } from '../../bench/proc';

/** bench/proc.ts: how the bench counts a server that works through child processes (PostgreSQL's backends). */
describe('bench CPU accounting of a process tree', () => {
  let shell: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    shell?.kill('SIGKILL');
  });

  it('counts the CPU of a child that ran and exited during the window, through its parent, which the parent alone does not show', async () => {
    // A shell runs a CPU-bound child to its end (a fixed amount of work, about half a CPU second),
    // then says so and sleeps: the child's CPU is then only in the shell's reaped-children time.
    const burn = `"${process.execPath}" -e "let x = 0; for (let i = 0; i < 5e8; i++) x += i % 7; if (x < 0) console.log(x)"`;
    shell = spawn('sh', ['-c', `${burn}; echo done; exec sleep 60`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const window = new UsageWindow({ tree: { tree: shell.pid! }, alone: shell.pid! });
    await new Promise<void>((ok, fail) => {
      shell!.stdout!.on('data', (d: Buffer) => String(d).includes('done') && ok());
      shell!.on('exit', (code) => fail(new Error(`the shell exited (${code}) before its child finished`)));
    });
    const { processes } = window.stop();
    expect(processes.tree!.cpuSeconds).toBeGreaterThan(0.2);
    expect(processes.alone!.cpuSeconds).toBeLessThan(0.1);
  });
});
