/**
 * Re-reads the services file when it changes (its mtime or size, polled: fs.watch misses
 * editors that replace the file and does not work on every mount) and applies its instances to
 * the registry without a restart. A file that does not parse changes nothing and is logged;
 * changes that could not be applied yet (an instance still draining) are retried on the next poll.
 */
import { statSync } from 'node:fs';
import { loadExternalServicesConfig } from '../config/external-services';
import type { Logger } from '../shared/logger';
import { describeError } from './errors';
import { syncInstances, type InstanceChanges } from './instance-sync';
import type { ResilienceRegistry } from './registry';

export interface ServicesFileWatch {
  /** Checks the file now (what each poll does); answers the changes applied, or null if nothing was read. */
  poll(): InstanceChanges | null;
  stop(): void;
}

export function watchServicesFile(file: string, registry: ResilienceRegistry, logger: Logger, intervalMs: number): ServicesFileWatch {
  const stamp = () => {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  };
  let seen = stamp();
  let retry = false;

  const poll = (): InstanceChanges | null => {
    const now = stamp();
    if (now === seen && !retry) return null;
    seen = now;
    let changes: InstanceChanges;
    try {
      changes = syncInstances(registry, loadExternalServicesConfig({ EXTERNAL_SERVICES_FILE: file }));
    } catch (err) {
      retry = false;
      logger.error({ event: 'resilience.services_file_rejected', file, reason: describeError(err) }, `services file not applied: ${describeError(err)}`);
      return null;
    }
    retry = changes.pending.some((p) => p.includes('drain'));
    if (changes.added.length + changes.removed.length + changes.pending.length > 0) {
      logger.info({ event: 'resilience.services_file_applied', file, ...changes }, 'services file re-read');
    }
    return changes;
  };

  const timer = setInterval(poll, intervalMs);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
