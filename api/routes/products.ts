import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { productView, stockView } from '../schemas';

const productWithStock = productView.extend({ available: z.number() });

const id = z.object({ id: z.string().min(1).max(100) });

/** The product catalog (read-heavy, served through the catalog's cache) and stock, seed 004. */
export const productRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  const { catalog, inventory } = domains;

  app.get('/products', { schema: { response: { 200: z.object({ products: z.array(productView) }) } } }, async () => ({ products: await catalog.listProducts() }));

  app.get('/products/:id', { schema: { params: id, response: { 200: productWithStock } } }, async (request) => {
    const [product, stock] = await Promise.all([catalog.getProduct(request.params.id), inventory.getStock(request.params.id)]);
    return { ...product, available: stock.available };
  });

  app.post(
    '/products',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        body: z.object({ sku: z.string().min(1).max(64), name: z.string().min(1).max(200), price: z.number().int().min(0).max(100_000_000) }),
        response: { 201: productView },
      },
    },
    async (request, reply) => reply.code(201).send(await catalog.createProduct(request.body)),
  );

  app.patch(
    '/products/:id',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        params: id,
        body: z.object({ name: z.string().min(1).max(200).optional(), price: z.number().int().min(0).max(100_000_000).optional() }),
        response: { 200: productView },
      },
    },
    async (request) => catalog.updateProduct(request.params.id, request.body),
  );

  app.get('/products/:id/stock', { onRequest: app.requireRole('admin'), schema: { params: id, response: { 200: stockView } } }, async (request) => {
    await catalog.getProduct(request.params.id);
    return inventory.getStock(request.params.id);
  });

  /** Sets the stock on hand (what is reserved for open orders stays reserved). */
  app.put(
    '/products/:id/stock',
    { onRequest: app.requireRole('admin'), schema: { params: id, body: z.object({ onHand: z.number().int().min(0).max(1_000_000_000) }), response: { 200: stockView } } },
    async (request) => {
      await catalog.getProduct(request.params.id);
      return inventory.setStock(request.params.id, request.body.onHand);
    },
  );
};
