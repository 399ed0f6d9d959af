// The search attributes are contract facts: see workflows/contracts/search-attributes.ts.
export * from '../contracts/search-attributes';
