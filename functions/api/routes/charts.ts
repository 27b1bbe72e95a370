/**
 * Chart series written by the stats function (functions/stats/charts.ts), one point per stats.chartInterval:
 * GET /charts/pool?name=hashrate|miners|workers|difficulty  ->  {name, interval, points: [[unix s, value], ...]}
 * GET /charts/miner?address=                               ->  {address, interval, points: [[unix s, H/s], ...]}
 * Points are oldest first and cover at most stats.chartRetention.
 */
import type { FastifyInstance } from 'fastify';
import { POOL_CHARTS, parseChart, type PoolChartName } from '../../stats/index.js';
import type { ApiContext } from '../context.js';
import { cache, minerAddress, sendJson } from '../http.js';

const poolSchema = {
  querystring: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', enum: [...POOL_CHARTS] } },
  },
} as const;

const minerSchema = {
  querystring: {
    type: 'object',
    required: ['address'],
    properties: { address: { type: 'string', minLength: 1, maxLength: 256 } },
  },
} as const;

export function registerChartRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { storage, config } = ctx.deps;
  const interval = config.stats.chartInterval;
  const maxAge = cache.stats(config.api.updateInterval);
  const read = async (key: string): Promise<[number, number][]> =>
    parseChart(await storage.command(['ZRANGE', key, '0', '-1', 'WITHSCORES']));

  app.get<{ Querystring: { name: PoolChartName } }>('/charts/pool', { schema: poolSchema }, async (req, reply) => {
    const name = req.query.name;
    return sendJson(reply, { name, interval, points: await read(ctx.keys.chart(name)) }, maxAge);
  });

  app.get<{ Querystring: { address: string } }>('/charts/miner', { schema: minerSchema }, async (req, reply) => {
    const { address } = minerAddress(config, req.query.address);
    return sendJson(reply, { address, interval, points: await read(ctx.keys.minerChart(address)) }, maxAge);
  });
}
