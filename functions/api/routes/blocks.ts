/**
 * GET /get_blocks?height=  ->  flat [member, height, ...] of matured blocks strictly below `height` (all when
 * absent), newest first, at most api.blocks; members in the seed's format (functions/stats/blocks.ts), built from
 * the block(hash) records.
 */
import type { FastifyInstance } from 'fastify';
import { asPairs } from '../../../shared/storage/replies.js';
import { flatBlocks, loadBlocks } from '../../stats/index.js';
import type { ApiContext } from '../context.js';
import { cache, sendJson } from '../http.js';

const schema = {
  querystring: { type: 'object', properties: { height: { type: 'integer', minimum: 0 } } },
} as const;

export function registerBlockRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { storage, config } = ctx.deps;
  app.get<{ Querystring: { height?: number } }>('/get_blocks', { schema }, async (req, reply) => {
    const max = req.query.height === undefined ? '+inf' : `(${req.query.height}`;
    const r = await storage.command([
      'ZREVRANGEBYSCORE',
      ctx.keys.blocksMatured,
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      '0',
      String(config.api.blocks),
    ]);
    const blocks = await loadBlocks(storage, ctx.keys, asPairs(r, 'blocksMatured'));
    return sendJson(reply, flatBlocks(blocks), cache.stats(config.api.updateInterval));
  });
}
