import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { createCatalogService } from '../../domains/catalog';
import { BusinessRejection, NotFoundError } from '../../domains/errors';
import { connectDb, rejectionOf, uid } from './helpers';

describe('catalog', () => {
  let db: Db;
  beforeAll(async () => {
    db = await connectDb();
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  function build(ttlMs = 5_000) {
    let t = 1_000_000;
    const clock = { now: () => t, advance: (ms: number) => (t += ms) };
    return { catalog: createCatalogService({ db }, { cacheTtlMs: ttlMs, now: clock.now }), clock };
  }

  it('creates, reads and lists products; prices are whole units', async () => {
    const { catalog } = build();
    const sku = uid('SKU-');
    const p = await catalog.createProduct({ sku, name: 'Kettle', price: 250 });
    expect(p).toMatchObject({ sku, name: 'Kettle', price: 250 });
    await expect(catalog.getProduct(p.id)).resolves.toMatchObject({ id: p.id, price: 250 });
    expect((await catalog.listProducts()).some((x) => x.id === p.id)).toBe(true);
  });

  it('rejects a duplicate sku, a bad price and a bad name; a missing product is NotFoundError', async () => {
    const { catalog } = build();
    const sku = uid('SKU-');
    await catalog.createProduct({ sku, name: 'A', price: 1 });
    expect(await rejectionOf(catalog.createProduct({ sku, name: 'B', price: 1 }))).toMatchObject({ code: 'SKU_TAKEN' });
    expect(await rejectionOf(catalog.createProduct({ sku: uid(), name: 'B', price: 1.5 }))).toMatchObject({ code: 'INVALID_PRICE' });
    expect(await rejectionOf(catalog.createProduct({ sku: uid(), name: 'B', price: -1 }))).toMatchObject({ code: 'INVALID_PRICE' });
    expect(await rejectionOf(catalog.createProduct({ sku: uid(), name: ' ', price: 1 }))).toBeInstanceOf(BusinessRejection);
    expect(await rejectionOf(catalog.getProduct('no-such-product'))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(catalog.updateProduct('no-such-product', { price: 3 }))).toBeInstanceOf(NotFoundError);
  });

  it('serves repeated reads from the cache (hits counted) and invalidates on every write', async () => {
    const { catalog } = build();
    const p = await catalog.createProduct({ sku: uid('SKU-'), name: 'Lamp', price: 100 });
    const before = catalog.cacheStats();
    await catalog.getProduct(p.id); // miss: loaded
    await catalog.getProduct(p.id); // hit
    await catalog.getProduct(p.id); // hit
    let stats = catalog.cacheStats();
    expect(stats.misses - before.misses).toBe(1);
    expect(stats.hits - before.hits).toBe(2);

    // Another process changes the price behind our back: the cache still answers the old one...
    await db.product.update({ where: { id: p.id }, data: { price: 111 } });
    expect((await catalog.getProduct(p.id)).price).toBe(100);
    // ...but a write in this process invalidates at once.
    await catalog.updateProduct(p.id, { price: 120, name: 'Desk lamp' });
    stats = catalog.cacheStats();
    expect(stats.size).toBe(0);
    expect(await catalog.getProduct(p.id)).toMatchObject({ price: 120, name: 'Desk lamp' });
    expect(catalog.cacheStats().misses - stats.misses).toBe(1);

    // The list is cached and invalidated by a create too.
    await catalog.listProducts();
    const listed = catalog.cacheStats();
    await catalog.listProducts();
    expect(catalog.cacheStats().hits - listed.hits).toBe(1);
    const q = await catalog.createProduct({ sku: uid('SKU-'), name: 'Chair', price: 900 });
    expect((await catalog.listProducts()).some((x) => x.id === q.id)).toBe(true);
  });

  it('the TTL bounds staleness of changes made by other processes', async () => {
    const { catalog, clock } = build(5_000);
    const p = await catalog.createProduct({ sku: uid('SKU-'), name: 'Mug', price: 10 });
    await catalog.getProduct(p.id);
    await db.product.update({ where: { id: p.id }, data: { price: 12 } });
    clock.advance(4_999);
    expect((await catalog.getProduct(p.id)).price).toBe(10);
    clock.advance(2);
    expect((await catalog.getProduct(p.id)).price).toBe(12);
  });

  it('getProducts with fresh: true bypasses the cache (order pricing) and leaves unknown ids out', async () => {
    const { catalog } = build();
    const p = await catalog.createProduct({ sku: uid('SKU-'), name: 'Pen', price: 3 });
    await catalog.getProduct(p.id);
    await db.product.update({ where: { id: p.id }, data: { price: 4 } });
    const before = catalog.cacheStats();
    expect(await catalog.getProducts([p.id, 'nope'], { fresh: true })).toEqual([expect.objectContaining({ id: p.id, price: 4 })]);
    expect(catalog.cacheStats().hits).toBe(before.hits);
    expect(await catalog.getProducts([p.id, 'nope'])).toEqual([expect.objectContaining({ id: p.id, price: 3 })]);
  });
});
