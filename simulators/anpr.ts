/**
 * A simulated ANPR (plate-recognition) vendor.
 *
 *   POST /v1/plates/verify {plate} → 200 {plate, confidence, vehicle: {make, model, color}, vendor}
 *                                  → 422 {error:'UNREADABLE', plate} for a plate in the unreadable set
 *                                  → 400 {error:'INVALID_REQUEST'} without a plate string
 *   GET  /health                   → 200 {status:'UP', vendor}
 * plus the fault and stats admin routes of faults.ts.
 *
 * It does not judge plate format (the plate domain does). The vehicle and the
 * confidence are derived from a hash of the plate, so every instance (and every
 * vendor) answers the same for the same plate.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { installFaults, invalidRequest, type FaultControl } from './faults';

export interface AnprSimulatorOptions {
  /** The vendor name reported in every answer (the instance's configured name). */
  name: string;
  /** Plates answered 422 UNREADABLE (compared after trimming and upper-casing). */
  unreadablePlates?: Iterable<string>;
  /** Decides which calls fail under failRate. */
  random?: () => number;
}

export interface VehicleInfo {
  make: string;
  model: string;
  color: string;
}

export interface PlateVerification {
  plate: string;
  confidence: number;
  vehicle: VehicleInfo;
  vendor: string;
}

const CATALOGUE: ReadonlyArray<{ make: string; models: readonly string[] }> = [
  { make: 'Toyota', models: ['Corolla', 'Yaris', 'RAV4', 'Prius'] },
  { make: 'Volkswagen', models: ['Golf', 'Polo', 'Passat', 'Tiguan'] },
  { make: 'Renault', models: ['Clio', 'Megane', 'Captur', 'Zoe'] },
  { make: 'Ford', models: ['Fiesta', 'Focus', 'Kuga', 'Puma'] },
  { make: 'Peugeot', models: ['208', '308', '2008', '3008'] },
  { make: 'Skoda', models: ['Fabia', 'Octavia', 'Superb', 'Kodiaq'] },
  { make: 'Hyundai', models: ['i20', 'i30', 'Tucson', 'Kona'] },
  { make: 'Fiat', models: ['Panda', '500', 'Tipo', 'Doblo'] },
];

const COLORS = ['white', 'black', 'grey', 'silver', 'blue', 'red', 'green', 'brown'] as const;

/** 32-bit FNV-1a: small, stable, good enough to spread plates over the catalogue. */
export function hashPlate(plate: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < plate.length; i++) {
    hash ^= plate.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const normalize = (plate: string) => plate.trim().toUpperCase();

/** The fake vehicle and confidence (0.900 to 0.989) for a plate; deterministic. */
export function describePlate(plate: string): { confidence: number; vehicle: VehicleInfo } {
  const hash = hashPlate(normalize(plate));
  const entry = CATALOGUE[hash % CATALOGUE.length]!;
  const model = entry.models[(hash >>> 8) % entry.models.length]!;
  const color = COLORS[(hash >>> 16) % COLORS.length]!;
  const confidence = Math.round((0.9 + ((hash >>> 20) % 90) / 1000) * 1000) / 1000;
  return { confidence, vehicle: { make: entry.make, model, color } };
}

const verifySchema = z.object({ plate: z.string().trim().min(1).max(32) });

export interface AnprSimulator {
  app: FastifyInstance;
  faults: FaultControl;
}

export function buildAnprSimulator(options: AnprSimulatorOptions): AnprSimulator {
  const app = Fastify({ logger: false });
  const unreadable = new Set([...(options.unreadablePlates ?? [])].map(normalize));
  const stats = { verified: 0, unreadable: 0 };
  const faults = installFaults(app, {
    ...(options.random ? { random: options.random } : {}),
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats.verified = 0;
      stats.unreadable = 0;
    },
  });

  app.get('/health', async () => ({ status: 'UP', vendor: options.name }));

  app.post('/v1/plates/verify', async (request, reply) => {
    const parsed = verifySchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidRequest(parsed.error));
    const plate = normalize(parsed.data.plate);
    if (unreadable.has(plate)) {
      stats.unreadable++;
      return reply.code(422).send({ error: 'UNREADABLE', plate, vendor: options.name });
    }
    stats.verified++;
    const answer: PlateVerification = { plate, ...describePlate(plate), vendor: options.name };
    return answer;
  });

  return { app, faults };
}
