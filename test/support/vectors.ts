import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every .xml file below `root`, sorted, for the OASIS test-case folders. */
export function listXmlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.xml')) out.push(p);
    }
  };
  walk(root);
  return out;
}
