/**
 * Re-reads the services file when its content changes (polled: fs.watch misses editors that
 * replace the file and does not work on every mount; the content, not the mtime, so that two
 * edits within the clock's resolution are both seen; the file is small) and applies its instances to
 * the registry without a restart. A file that does not parse changes nothing and is logged;
 * changes that could not be applied yet (an instance still draining) are retried on the next poll.
 */
import { readFileSync } from 'node:fs';
import { parseExternalServicesConfig } from '../config/external-services';
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
      return readFileSync(file, 'utf8');
    } catch {
      return null; // missing for now (being replaced): read again on the next poll
    }
  };
  let seen = stamp();
  let retry = false;

  const poll = (): InstanceChanges | null => {
    const now = stamp();
    if (now === null || (now === seen && !retry)) return null;
    seen = now;
    let changes: InstanceChanges;
    try {
      changes = syncInstances(registry, parseExternalServicesConfig(JSON.parse(now), `external services config in ${file}`));
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
