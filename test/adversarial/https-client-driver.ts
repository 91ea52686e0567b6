// Fetch one URL with the checkers' HttpClient and print the outcome as JSON. Run with
// NODE_EXTRA_CA_CERTS pointing at a test certificate, so the real TLS stack trusts it.
import { HttpClient } from '../../electron/core/net/http-client';

const [url] = process.argv.slice(2) as [string];
const client = new HttpClient({});
try {
  // 127.0.0.1 on any port counts as the same site here, so only the scheme decides.
  const { data } = await client.getJson<unknown>(url, { allowRedirectHosts: ['127.0.0.1'] });
  process.stdout.write(JSON.stringify({ ok: true, data }));
} catch (error) {
  const e = error as { code?: string; message?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message }));
} finally {
  await client.close();
}
