import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UpkeepError } from '../../../../shared/errors';

/**
 * Parse a `SHA256SUMS` / `<asset>.sha256` file: lines of `<hex>  <name>` (GNU, `*` for binary
 * mode), BSD `SHA256 (name) = hex`, or a lone hex digest. Returns name → hex (lowercase).
 */
export function parseChecksums(text: string): { byName: Map<string, string>; lone: string | null } {
  const byName = new Map<string, string>();
  let lone: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const gnu = /^([0-9a-fA-F]{64})\s+[* ]?(.+)$/.exec(line);
    if (gnu) {
      const [, digest = '', file = ''] = gnu;
      const name = file.trim().replace(/^\.\//, '');
      byName.set(name, digest.toLowerCase());
      const base = name.split('/').pop() ?? name;
      if (!byName.has(base)) byName.set(base, digest.toLowerCase());
      continue;
    }
    const bsd = /^SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]{64})$/.exec(line);
    if (bsd) {
      const [, file = '', digest = ''] = bsd;
      byName.set(file.trim(), digest.toLowerCase());
      continue;
    }
    const bare = /^([0-9a-fA-F]{64})$/.exec(line);
    if (bare) lone = (bare[1] ?? '').toLowerCase();
  }
  return { byName, lone };
}

export function assertChecksum(actual: string, expected: string, what: string, source: string): void {
  if (actual.toLowerCase() !== expected.toLowerCase()) {
    throw new UpkeepError(
      'CHECKSUM_MISMATCH',
      `${what} does not match its checksum from ${source} (expected sha256 ${expected.slice(0, 16)}…, got ${actual.slice(0, 16)}…). The download is corrupt or was tampered with; nothing was changed. Try again, and report it to the publisher if it persists.`,
      { expected, actual, source },
    );
  }
}

interface MinisignKey {
  keyId: Buffer;
  key: Buffer;
}

/** A minisign public key: the base64 line (`RW…`), optionally with its `untrusted comment:` line, or a raw 32-byte ed25519 key in base64/hex. */
export function parseMinisignPublicKey(text: string): MinisignKey {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('untrusted comment:'));
  const b64 = lines[0] ?? '';
  const bytes = /^[0-9a-fA-F]{64}$/.test(b64) ? Buffer.from(b64, 'hex') : Buffer.from(b64, 'base64');
  if (bytes.length === 42 && bytes.subarray(0, 2).toString('latin1') === 'Ed') {
    return { keyId: bytes.subarray(2, 10), key: bytes.subarray(10, 42) };
  }
  if (bytes.length === 32) return { keyId: Buffer.alloc(0), key: bytes };
  throw new UpkeepError(
    'INVALID_CONFIG',
    'public_key is not a minisign public key (the base64 line starting with "RW") nor a raw ed25519 key. Copy the key from the publisher\'s minisign.pub.',
  );
}

function ed25519Key(raw: Buffer) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/**
 * Verify a minisign signature file against a pinned key: the signature over the file (legacy
 * `Ed`, or pre-hashed BLAKE2b-512 `ED`) and the global signature over the trusted comment.
 */
export async function verifyMinisign(
  file: string,
  signatureText: string,
  publicKey: string,
  what: string,
): Promise<void> {
  const key = parseMinisignPublicKey(publicKey);
  const lines = signatureText.split(/\r?\n/);
  const fail = (why: string): never => {
    throw new UpkeepError(
      'SIGNATURE_INVALID',
      `The signature of ${what} ${why}. The download may have been tampered with; nothing was changed. Check public_key, or report it to the publisher.`,
    );
  };
  const sigLine = lines.find(
    (l, i) => i > 0 && l.trim() && !l.startsWith('untrusted comment:') && !l.startsWith('trusted comment:'),
  );
  if (!sigLine) return fail('is not a minisign signature file');
  const sig = Buffer.from(sigLine.trim(), 'base64');
  if (sig.length !== 74) fail('is malformed');
  const algorithm = sig.subarray(0, 2).toString('latin1');
  const keyId = sig.subarray(2, 10);
  const signature = sig.subarray(10, 74);
  if (key.keyId.length && !keyId.equals(key.keyId))
    fail(`was made with another key (key id ${Buffer.from(keyId).reverse().toString('hex').toUpperCase()})`);
  let message: Buffer;
  if (algorithm === 'ED') {
    const hash = createHash('blake2b512');
    for await (const chunk of createReadStream(file)) if (Buffer.isBuffer(chunk)) hash.update(chunk);
    message = hash.digest();
  } else if (algorithm === 'Ed') {
    const { readFile } = await import('node:fs/promises');
    message = await readFile(file);
  } else {
    return fail(`uses an unknown algorithm "${algorithm}"`);
  }
  const publicKeyObject = ed25519Key(key.key);
  if (!cryptoVerify(null, message, publicKeyObject, signature)) fail('does not verify against the pinned public key');
  const trustedLineIndex = lines.findIndex((l) => l.startsWith('trusted comment:'));
  if (trustedLineIndex >= 0) {
    const trusted = (lines[trustedLineIndex] ?? '').slice('trusted comment: '.length);
    const globalSig = Buffer.from((lines[trustedLineIndex + 1] ?? '').trim(), 'base64');
    if (globalSig.length !== 64) fail('has a malformed trusted comment signature');
    if (!cryptoVerify(null, Buffer.concat([signature, Buffer.from(trusted, 'utf8')]), publicKeyObject, globalSig))
      fail('has a trusted comment that does not verify');
  }
}
