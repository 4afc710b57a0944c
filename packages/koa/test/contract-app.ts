import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { contractRoutes, type ContractAppOptions, type ServedApp } from '@horae/testkit';
import Koa from 'koa';
import koaPackage from 'koa/package.json' with { type: 'json' };
import { fetchHandler, horae, listen } from '../src/index.js';

/** The Koa version this process loaded (Koa 2 in the koa@2 project). */
export const frameworkVersion = koaPackage.version;

/** The adapter contract's app (see @horae/testkit's AdapterFixture), on Koa with @koa/router. */
export async function serve({ scheduler, lifecycle, fetchHandler: handler }: ContractAppOptions): Promise<ServedApp> {
  const app = new Koa();
  const router = new Router();
  app.use(horae(scheduler));
  // A JSON body parser before the mount, as apps have: the Fetch handler still gets the body.
  app.use(bodyParser());
  router.all('/fetch{/*path}', fetchHandler(handler));
  router.get('/scheduler', (ctx) => {
    ctx.body = contractRoutes.info(ctx.scheduler);
  });
  router.post('/tasks/:id', async (ctx) => {
    ctx.status = 201;
    ctx.body = await contractRoutes.addTask(ctx.state.scheduler, ctx.params.id!, ctx.query.delay as string | undefined);
  });
  router.get('/tasks', async (ctx) => {
    ctx.body = await contractRoutes.listTasks(ctx.scheduler);
  });
  router.get('/slow', async (ctx) => {
    ctx.body = await contractRoutes.slow(ctx.query.ms as string | undefined);
  });
  app.use(router.routes());
  const { server, lifecycle: bound } = await listen(app, scheduler, { port: 0, host: '127.0.0.1', ...lifecycle });
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, lifecycle: bound };
}
