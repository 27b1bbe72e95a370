/**
 * The CloudFront cache key of each public API route: exactly the query parameters the route reads (its querystring
 * schema in functions/api/routes/*.ts; test/infra.test.ts checks this table against the built API). Any other
 * parameter is neither part of the key nor forwarded, so `?_=<random>` cannot bust the cache and reach the Lambda,
 * and a stray parameter cannot make two keys for one answer.
 *
 * A public route missing here fails the synth (website.ts), so a new route cannot ship with an unknown key.
 */
export const API_CACHE_QUERY: Readonly<Record<string, readonly string[]>> = {
  '/stats': [],
  '/live_stats': [],
  '/stats_address': ['address', 'longpoll'],
  '/workers': ['address'],
  '/get_payments': ['time', 'address'],
  '/get_blocks': ['height'],
  '/charts/pool': ['name'],
  '/charts/miner': ['address'],
};

/** The query parameters of `route`'s cache key, sorted; throws for a route without an entry. */
export function cacheQueryOf(route: string): string[] {
  const keys = API_CACHE_QUERY[route];
  if (keys === undefined) {
    throw new Error(
      `API route ${route} has no cache key in infra/lib/api-cache.ts: list the query parameters it reads`,
    );
  }
  return [...keys].sort();
}
