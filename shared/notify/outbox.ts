/** Local runs: every report email, sent or not, saved as files a person can open. */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface SavedEmail {
  readonly subject: string;
  /** The sender the run used (configured, or EMAIL_FROM); undefined when none is set, saved as `null` so the key is always there. */
  readonly from: string | undefined;
  readonly to: readonly string[];
  readonly date: string;
  readonly html: string;
  readonly text: string;
}

/**
 * Writes `<name>.html`, `<name>.txt` and `<name>.json` into `directory`. The `.json` always has subject, from, to and date:
 * `to` is empty when no email was sent, `from` is null when no sender is configured.
 * @returns the path of the .html file.
 */
export async function saveToOutbox(directory: string, name: string, email: SavedEmail): Promise<string> {
  await mkdir(directory, { recursive: true });
  const base = path.join(directory, name);
  const { html, text, subject, from, to, date } = email;
  const envelope = { subject, from: from ?? null, to, date };
  await Promise.all([
    writeFile(`${base}.html`, html),
    writeFile(`${base}.txt`, text),
    writeFile(`${base}.json`, `${JSON.stringify(envelope, null, 2)}\n`),
  ]);
  return `${base}.html`;
}
