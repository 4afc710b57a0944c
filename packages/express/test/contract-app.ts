import { contractRoutes, type ContractAppOptions, type ServedApp } from '@horae/testkit';
import express from 'express';
import expressPackage from 'express/package.json' with { type: 'json' };
import { fetchHandler, horae, listen } from '../src/index.js';

/** The Express version this process loaded (Express 4 in the express@4 project). */
export const frameworkVersion = expressPackage.version;

/** The adapter contract's app (see @horae/testkit's AdapterFixture), on Express. */
export async function serve({ scheduler, lifecycle, fetchHandler: handler }: ContractAppOptions): Promise<ServedApp> {
  const app = express();
  app.use(horae(scheduler));
  // A JSON body parser before the mount, as apps have: the Fetch handler still gets the body.
  app.use(express.json());
  app.use('/fetch', fetchHandler(handler));
  app.get('/scheduler', (req, res) => {
    res.json(contractRoutes.info(req.scheduler));
  });
  app.post('/tasks/:id', async (req, res) => {
    res.status(201).json(await contractRoutes.addTask(res.locals.scheduler, req.params.id, req.query.delay as string | undefined));
  });
  app.get('/tasks', async (req, res) => {
    res.json(await contractRoutes.listTasks(req.app.locals.scheduler));
  });
  app.get('/slow', async (req, res) => {
    res.send(await contractRoutes.slow(req.query.ms as string | undefined));
  });
  const { server, lifecycle: bound } = await listen(app, scheduler, { port: 0, host: '127.0.0.1', ...lifecycle });
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, lifecycle: bound };
}
