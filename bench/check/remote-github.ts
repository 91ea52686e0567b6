import { Worker } from 'node:worker_threads';

/** The bench's GitHub-like server on its own thread (server-thread.ts), asked for its counts by message. */
export class RemoteGitHub {
  private nextId = 1;
  private constructor(
    private readonly worker: Worker,
    readonly apiBase: string,
  ) {}

  static async start(options: { latencyMs: number; repos: string[]; releasesPerRepo: number }): Promise<RemoteGitHub> {
    // A worker's --import runs after its main module is resolved on Node 20: register tsx first, then load.
    const file = new URL('./server-thread.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: options });
    const apiBase = await new Promise<string>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { ready?: boolean; apiBase?: string }) => m.ready && resolve(m.apiBase as string));
    });
    return new RemoteGitHub(worker, apiBase);
  }

  private ask<T>(op: string): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (m: { id?: number } & T) => {
        if (m.id !== id) return;
        this.worker.off('message', onMessage);
        resolve(m);
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ op, id });
    });
  }

  /** Every request's status so far, and GraphQL requests answered. */
  stats(): Promise<{ statuses: number[]; graphql: number }> {
    return this.ask('stats');
  }

  /** The next GraphQL request is answered 404, as by a server without GraphQL. */
  async withoutGraphqlOnce(): Promise<void> {
    await this.ask('no-graphql-once');
  }

  async close(): Promise<void> {
    await this.ask('close');
    await this.worker.terminate();
  }
}
