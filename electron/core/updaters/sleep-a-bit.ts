import { UpkeepError } from '../../../shared/errors';
import { defineUpdater } from './types';

/** OctoPrint's sleep_a_bit: does nothing but wait, with a countdown in the log, for trying the flow. */
export const sleepABitUpdater = defineUpdater<'sleep_a_bit'>({
  method: 'sleep_a_bit',

  folder(ctx) {
    return ctx.config.folder ?? null;
  },

  async apply(ctx) {
    const raw = ctx.config.duration;
    const seconds = typeof raw === 'number' && raw >= 0 ? Math.min(raw, 3600) : 30;
    let remaining = seconds;
    while (remaining > 0) {
      const left = Math.ceil(remaining);
      ctx.log(`sleeping ${left} more second${left === 1 ? '' : 's'}`);
      ctx.progress(((seconds - remaining) / seconds) * 100);
      const step = Math.min(1, remaining);
      await new Promise<void>((resolve, reject) => {
        // One listener per step, removed when the step ends: a 30 s sleep left 30 on the run's signal.
        const onAbort = () => {
          clearTimeout(timer);
          reject(new UpkeepError('CANCELLED', 'The update was cancelled.'));
        };
        const timer = setTimeout(() => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        }, step * 1000);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
      remaining -= step;
    }
    ctx.log('done sleeping');
  },
});
