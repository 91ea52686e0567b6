import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir` (but secrets.json, where a token is meant to be) that contains `needle`; links are not followed. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p);
      else if (st.isFile() && name !== 'secrets.json' && readFileSync(p).includes(needle))
        hits.push(path.relative(dir, p));
    }
  };
  visit(dir);
  return hits;
}
