import type { Db } from '../../db/client';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import { TtlCache, type TtlCacheStats } from './ttl-cache';

/** Prices are Int in whole currency units. */
export interface ProductView {
  id: string;
  sku: string;
  name: string;
  price: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  price: number;
}

export interface CatalogServiceDeps {
  db: Db;
}

export interface CatalogOptions {
  /** How long a cached read lives (default 5 s); 0 turns the cache off. */
  cacheTtlMs?: number;
  now?: () => number;
}

export const DEFAULT_CATALOG_CACHE_TTL_MS = 5_000;

type CachedValue = ProductView | ProductView[];

/**
 * The catalog: products and their prices. Reads go through an in-process TTL cache
 * (see ttl-cache.ts for why in-process); every write here invalidates it.
 */
export function createCatalogService({ db }: CatalogServiceDeps, options: CatalogOptions = {}) {
  const cache = new TtlCache<CachedValue>(options.cacheTtlMs ?? DEFAULT_CATALOG_CACHE_TTL_MS, options.now);

  const view = (p: { id: string; sku: string; name: string; price: number; createdAt: Date; updatedAt: Date }): ProductView => ({
    id: p.id,
    sku: p.sku,
    name: p.name,
    price: p.price,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  });

  async function loadProduct(id: string): Promise<ProductView> {
    const product = await db.product.findUnique({ where: { id } });
    if (!product) throw new NotFoundError(`product ${id} does not exist`);
    return view(product);
  }

  /** A product through the cache; NotFoundError when it does not exist (misses are not cached). */
  async function getProduct(id: string): Promise<ProductView> {
    return (await cache.getOrLoad(`product:${id}`, () => loadProduct(id))) as ProductView;
  }

  return {
    async createProduct(input: NewProduct): Promise<ProductView> {
      const sku = validateSku(input.sku);
      const name = validateName(input.name);
      const price = validatePrice(input.price);
      try {
        const product = await db.product.create({ data: { sku, name, price } });
        return view(product);
      } catch (err) {
        if (isUniqueViolation(err, 'sku')) throw new BusinessRejection('SKU_TAKEN', `a product with sku ${sku} exists`);
        throw err;
      } finally {
        cache.clear();
      }
    },

    /** Changes a product's name and/or price. */
    async updateProduct(id: string, changes: { name?: string; price?: number }): Promise<ProductView> {
      const data: { name?: string; price?: number } = {};
      if (changes.name !== undefined) data.name = validateName(changes.name);
      if (changes.price !== undefined) data.price = validatePrice(changes.price);
      try {
        const { count } = await db.product.updateMany({ where: { id }, data });
        if (count === 0) throw new NotFoundError(`product ${id} does not exist`);
      } finally {
        cache.clear();
      }
      return loadProduct(id);
    },

    /** A product through the cache; NotFoundError when it does not exist (misses are not cached). */
    getProduct,

    /** Every product, by sku, through the cache. */
    async listProducts(): Promise<ProductView[]> {
      return (await cache.getOrLoad('list', async () =>
        (await db.product.findMany({ orderBy: { sku: 'asc' } })).map(view),
      )) as ProductView[];
    },

    /**
     * The products among `ids` that exist (unknown ids are left out). With fresh: true the
     * cache is bypassed: pricing an order must use the price of now, not of up to a TTL ago.
     */
    async getProducts(ids: string[], opts: { fresh?: boolean } = {}): Promise<ProductView[]> {
      const unique = [...new Set(ids)];
      if (opts.fresh) return (await db.product.findMany({ where: { id: { in: unique } } })).map(view);
      const found: ProductView[] = [];
      for (const id of unique) {
        try {
          found.push(await getProduct(id));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return found;
    },

    /** Hits and misses of the read cache (for tests and an operator endpoint). */
    cacheStats(): TtlCacheStats {
      return cache.stats();
    },

    /** Drops every cached read (e.g. when told another process changed the catalog). */
    invalidateCache(): void {
      cache.clear();
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

function validateSku(raw: string): string {
  const sku = typeof raw === 'string' ? raw.trim() : '';
  if (sku.length === 0 || sku.length > 64) throw new BusinessRejection('INVALID_SKU', 'sku must be 1 to 64 characters');
  return sku;
}

function validateName(raw: string): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length === 0 || name.length > 200) throw new BusinessRejection('INVALID_NAME', 'name must be 1 to 200 characters');
  return name;
}

function validatePrice(price: number): number {
  if (!Number.isSafeInteger(price) || price < 0) {
    throw new BusinessRejection('INVALID_PRICE', 'price must be a whole number of currency units, 0 or more');
  }
  return price;
}
