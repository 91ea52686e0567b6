import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';
import { errorMessage } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Whether a file is an SQLite database (by its header, not its name). */
export async function isSqliteFile(file: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const buf = Buffer.alloc(16);
    const { bytesRead } = await handle.read(buf, 0, 16, 0);
    return bytesRead === 16 && buf.equals(MAGIC);
  } catch {
    // Unreadable or shorter than a header: not SQLite, so it is copied as a plain file.
    return false;
  } finally {
    await handle?.close();
  }
}

let cliProbe: Promise<string | null> | undefined;

/** The sqlite3 command line, if installed (UPKEEP_SQLITE3 overrides the name). */
export function findSqliteCli(): Promise<string | null> {
  cliProbe ??= new Promise((resolve) => {
    const bin = process.env.UPKEEP_SQLITE3 || 'sqlite3';
    execFile(bin, ['-version'], { timeout: 10_000 }, (error) => resolve(error ? null : bin));
  });
  return cliProbe;
}

function run(bin: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr) }));
      else resolve();
    });
  });
}

/** sqlite3's dot-command argument quoting: single quotes, doubled inside. */
const quote = (p: string) => `'${p.replace(/'/g, "''")}'`;

/**
 * A consistent copy of a live SQLite database: the SQLite online backup API (through the
 * sqlite3 CLI's `.backup`, which waits for writers through `.timeout`) sees one committed state,
 * WAL contents included, so the copy is never torn by a concurrent write. Without the CLI, a
 * rollback-journal database is copied and accepted only if its change counter did not move and
 * no hot journal or WAL was present; otherwise the backup fails with a clear message.
 */
export async function copySqliteConsistent(
  source: string,
  target: string,
): Promise<{ method: 'backup-api' | 'stable-copy' }> {
  const cli = await findSqliteCli();
  if (cli) {
    try {
      await run(cli, ['-bail', '-cmd', '.timeout 10000', source, `.backup ${quote(target)}`], 120_000);
      return { method: 'backup-api' };
    } catch (error) {
      await fs.rm(target, { force: true });
      const stderr = isRecord(error) && typeof error.stderr === 'string' ? error.stderr.trim() : undefined;
      throw new UpkeepError(
        'COMMAND_FAILED',
        `Could not copy the SQLite database ${source} consistently: ${stderr || errorMessage(error)}. Check that the file is a healthy database, or stop the component and try again.`,
        { file: source },
      );
    }
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    // No -wal / -journal file (the usual case) is what a quiet database looks like.
    const wal = await fs.stat(`${source}-wal`).catch(() => null);
    const journal = await fs.stat(`${source}-journal`).catch(() => null); // likewise
    if ((wal && wal.size > 0) || (journal && journal.size > 0)) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const before = await changeCounter(source);
    await fs.copyFile(source, target);
    const after = await changeCounter(source);
    const copied = await changeCounter(target);
    if (before === after && after === copied) return { method: 'stable-copy' };
    await fs.rm(target, { force: true });
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UpkeepError(
    'UNSUPPORTED',
    `The SQLite database ${source} is being written to and the sqlite3 command is not installed, so it cannot be copied consistently. Install sqlite3 (e.g. apt-get install sqlite3) or stop the component, then back up again.`,
    { file: source },
  );
}

async function changeCounter(file: string): Promise<number> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    await handle.read(buf, 0, 4, 24);
    return buf.readUInt32BE(0);
  } finally {
    await handle.close();
  }
}
