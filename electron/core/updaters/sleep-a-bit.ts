import { UpkeepError } from '../../../shared/errors';
import type { Updater } from './types';

/** OctoPrint's sleep_a_bit: does nothing but wait, with a countdown in the log, for trying the flow. */
export const sleepABitUpdater: Updater = {
  method: 'sleep_a_bit',

  folder(ctx) {
    return ctx.config.folder ?? null;
  },

  async apply(ctx) {
    const raw = (ctx.config as Record<string, unknown>).duration;
    const seconds = typeof raw === 'number' && raw >= 0 ? Math.min(raw, 3600) : 30;
    let remaining = seconds;
    while (remaining > 0) {
      const left = Math.ceil(remaining);
      ctx.log(`sleeping ${left} more second${left === 1 ? '' : 's'}`);
      ctx.progress(((seconds - remaining) / seconds) * 100);
      const step = Math.min(1, remaining);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, step * 1000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new UpkeepError('CANCELLED', 'The update was cancelled.'));
        }, { once: true });
      });
      remaining -= step;
    }
    ctx.log('done sleeping');
  },
};
