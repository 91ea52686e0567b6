import {
  addLogSecretSource,
  fileSink,
  hostLogFile,
  setLogSink,
  streamSink,
  teeSink,
  type LogLevel,
  type LogSink,
} from './lib/log';
import type { Services } from './services';

let forgetToken: (() => void) | undefined;

export interface HostLogOptions {
  /** Also write records at or above this level to stderr, one line each (never stdout: it carries --json). */
  stderr?: LogLevel;
  /** Lowest level kept in the file (default info). */
  level?: LogLevel;
}

/**
 * What each host calls once at start: the core's logger writes `<home>/logs/upkeep.log` (rotated at
 * 1 MiB to `upkeep.log.1`), and the GitHub token in the secret store is redacted from every record.
 */
export function installHostLog(services: Pick<Services, 'layout' | 'secrets'>, options: HostLogOptions = {}): LogSink {
  const file = fileSink(hostLogFile(services.layout.logs), { level: options.level ?? 'info' });
  const sink = options.stderr
    ? teeSink(
        file,
        streamSink((line) => void process.stderr.write(line), options.stderr),
      )
    : file;
  // The secret store's key for the GitHub token (api.ts GITHUB_TOKEN_KEY); one source per process.
  forgetToken?.();
  forgetToken = addLogSecretSource(() => services.secrets.get('github_token'));
  setLogSink(sink);
  return sink;
}
