import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isValidPlate, normalizePlate } from '../../domains/plates';
import type { AppDeps } from '../deps';
import { Cursors, pageReply, pagedQuery } from '../pagination';
import { page, reservationStatus, reservationView, vehicleView } from '../schemas';

const ID = /^[A-Za-z0-9_-]{1,100}$/;
const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/**
 * The query side for operators and admins (seed 002's search): reservations and vehicles of
 * every user, by criteria, keyset-paged. Separate paths from GET /reservations and GET /vehicles,
 * which stay the caller's own whatever the role, so that an admin's own list never turns into everyone's.
 */
export const searchRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains, auth }) => {
  const cursors = new Cursors(auth.secret);

  const reservationQuery = pagedQuery(
    'reservations/search',
    {
      plate: z.string().max(20).transform(normalizePlate).pipe(z.string().refine(isValidPlate, 'not a valid plate')).optional(),
      lotId: z.string().regex(ID, 'not an id').optional(),
      userId: z.string().regex(ID, 'not an id').optional(),
      status: reservationStatus.optional(),
      from: instant.optional(),
      to: instant.optional(),
    },
    cursors,
  ).refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });

  app.get(
    '/reservations/search',
    { onRequest: app.requireRole('operator', 'admin'), schema: { querystring: reservationQuery, response: { 200: page('reservations', reservationView) } } },
    async (request) => {
      const { scope, ...search } = request.query;
      return pageReply('reservations', await domains.reservations.searchReservations(search), cursors, scope);
    },
  );

  const vehicleQuery = pagedQuery(
    'vehicles/search',
    {
      platePrefix: z.string().max(20).transform(normalizePlate).pipe(z.string().regex(/^[A-Z0-9]{1,10}$/, 'letters and digits only')).optional(),
      ownerId: z.string().regex(ID, 'not an id').optional(),
      ownerEmail: z.string().trim().toLowerCase().max(254).pipe(z.email()).optional(),
    },
    cursors,
  );

  app.get(
    '/vehicles/search',
    { onRequest: app.requireRole('operator', 'admin'), schema: { querystring: vehicleQuery, response: { 200: page('vehicles', vehicleView) } } },
    async (request) => {
      const { scope, ownerId, ownerEmail, ...search } = request.query;
      let ownerUserId = ownerId;
      if (ownerEmail !== undefined) {
        // Both filters hold at once: an unknown email, or one of another user than ownerId, matches nothing.
        const owner = await domains.users.findUserByEmail(ownerEmail);
        if (!owner || (ownerId !== undefined && ownerId !== owner.id)) return { vehicles: [], nextCursor: null };
        ownerUserId = owner.id;
      }
      const page = await domains.reservations.searchVehicles({ ...search, ...(ownerUserId !== undefined && { ownerUserId }) });
      return pageReply('vehicles', page, cursors, scope);
    },
  );
};
