/**
 * Brings a running registry's instances in line with a (re-read) services config: instances
 * the config no longer lists are deregistered (they drain), new ones are registered (they join
 * after their health checks). An instance whose settings changed under the same id is replaced
 * (deregistered, then registered once its old calls have drained). Services themselves and their
 * breaker, balancer and health-check settings are built at start: changing those needs a restart.
 */
import type { ExternalInstanceConfig, ExternalServicesConfig } from '../config/external-services';
import type { ResilienceRegistry } from './registry';

export interface InstanceChanges {
  added: string[];
  removed: string[];
  /** Not applied yet (e.g. a replaced instance still draining), or not applicable without a restart, with why. */
  pending: string[];
}

const sameInstance = (a: ExternalInstanceConfig, b: ExternalInstanceConfig) => JSON.stringify(a) === JSON.stringify(b);

export function syncInstances(registry: ResilienceRegistry, config: ExternalServicesConfig): InstanceChanges {
  const changes: InstanceChanges = { added: [], removed: [], pending: [] };
  const running = new Set(registry.serviceNames());
  for (const name of Object.keys(config.services)) {
    if (!running.has(name)) changes.pending.push(`${name}: a new service needs a restart`);
  }
  for (const name of running) {
    const wanted = config.services[name];
    if (!wanted) {
      changes.pending.push(`${name}: removing a service needs a restart`);
      continue;
    }
    const service = registry.service(name);
    const current = new Map(service.instances().map((i) => [i.id, i]));
    const wantedById = new Map(wanted.instances.map((i) => [i.id, i]));
    for (const [id, instance] of current) {
      const next = wantedById.get(id);
      if (next && sameInstance(instance, next)) continue;
      registry.removeInstance(name, id);
      changes.removed.push(`${name}/${id}`);
    }
    const draining = new Set(service.balancer.stats().draining);
    for (const instance of wanted.instances) {
      if (service.instances().some((i) => i.id === instance.id)) continue;
      if (draining.has(instance.id)) {
        changes.pending.push(`${name}/${instance.id}: waits for its previous calls to drain`);
        continue;
      }
      registry.addInstance(name, instance);
      changes.added.push(`${name}/${instance.id}`);
    }
  }
  return changes;
}
