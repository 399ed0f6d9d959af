import { randomInt } from 'node:crypto';
import { waitUntil } from '../../support/processes';
import { VENDOR_NAMES, type VendorName, type World } from './world';

/** What the chaos did, for the scenario's report. */
export type ChaosLog = string[];

const HEALED = { down: false, failRate: 0, latencyMs: 0, loseAnswerRate: 0 };

/**
 * One random fault on one vendor instance: down, failing a share of calls, slow (past the 1 s
 * call timeout at times), losing a share of its answers after doing the call (the caller must
 * find out by asking again under the same key), or healed.
 */
export function randomVendorFault(world: World, log: ChaosLog, names: readonly VendorName[] = VENDOR_NAMES): void {
  const name = names[randomInt(names.length)]!;
  const pick = randomInt(5);
  const share = () => [0.3, 0.6, 1][randomInt(3)]!;
  const fault =
    pick === 0 ? { down: true } : pick === 1 ? { failRate: share() } : pick === 2 ? { latencyMs: 200 + randomInt(1300) } : pick === 3 ? { loseAnswerRate: share() } : HEALED;
  world.setVendorFaults(name, fault);
  log.push(`${name} ${JSON.stringify(fault)}`);
}

/**
 * Toggles the simulators' fault switches on a timer (one random fault every 0.5–1.5 s) until
 * stopped; heals an instance now and then so that they flap rather than stay down.
 */
export function flapVendors(world: World, log: ChaosLog, names: readonly VendorName[] = VENDOR_NAMES): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    randomVendorFault(world, log, names);
    if (randomInt(3) === 0) world.setVendorFaults(names[randomInt(names.length)]!, HEALED);
    timer = setTimeout(tick, 500 + randomInt(1000));
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The worker logs' circuit breaker transitions, in order: "anpr CLOSED->OPEN". */
export function breakerTransitions(world: World): string[] {
  return world
    .workerLogEvents()
    .filter((e) => e.event === 'circuit_breaker.state_changed')
    .map((e) => `${String(e.service)} ${String(e.from)}->${String(e.to)}`);
}

/** Waits until the worker logs that `service`'s breaker went to `state` (after `after` transitions had been logged). */
export async function waitForBreaker(world: World, service: string, state: 'OPEN' | 'CLOSED', after = 0, timeoutMs = 60_000): Promise<number> {
  let at = -1;
  await waitUntil(
    `the ${service} breaker to go ${state}`,
    () => {
      const all = breakerTransitions(world);
      at = all.findIndex((t, i) => i >= after && t.startsWith(`${service} `) && t.endsWith(`->${state}`));
      return at >= 0;
    },
    timeoutMs,
  );
  return at + 1;
}
