/** Local runs: every report email, sent or not, saved as files a person can open. */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface SavedEmail {
  readonly subject: string;
  readonly from?: string;
  readonly to: readonly string[];
  readonly date: string;
  readonly html: string;
  readonly text: string;
}

/**
 * Writes `<name>.html`, `<name>.txt` and `<name>.json` (subject, from, to, date; `to` is empty when no email was sent) into `directory`.
 * @returns the path of the .html file.
 */
export async function saveToOutbox(directory: string, name: string, email: SavedEmail): Promise<string> {
  await mkdir(directory, { recursive: true });
  const base = path.join(directory, name);
  const { html, text, ...envelope } = email;
  await Promise.all([
    writeFile(`${base}.html`, html),
    writeFile(`${base}.txt`, text),
    writeFile(`${base}.json`, `${JSON.stringify(envelope, null, 2)}\n`),
  ]);
  return `${base}.html`;
}
