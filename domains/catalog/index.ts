export {
  createCatalogService,
  DEFAULT_CATALOG_CACHE_TTL_MS,
  type CatalogService,
  type CatalogOptions,
  type NewProduct,
  type ProductView,
} from './catalog-service';
export { TtlCache, type TtlCacheStats } from './ttl-cache';
