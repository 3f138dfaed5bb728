import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express } from 'express';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues: the flush jobs by state, each with its data (the shard), its
 * return value (the batches it applied) or its error and attempts. Failed jobs stay there for
 * inspection (WRITE_BEHIND_KEEP_FAILED). No authentication: the lab binds to 127.0.0.1.
 */
export function mountBullBoard(app: Express, queues: Queue[]): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  app.use(BULL_BOARD_PATH, serverAdapter.getRouter());
}
