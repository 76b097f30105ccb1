import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Write a bench's results as JSON, formatted as the repo's prettier would, so the format check
 * passes after a run. Returns the file's path.
 */
export async function writeResults(url: URL, results: unknown): Promise<string> {
  const file = fileURLToPath(url);
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(results), { ...options, parser: 'json' }));
  console.log(`\nwrote ${file}`);
  return file;
}
