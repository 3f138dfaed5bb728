import * as fs from 'node:fs';

/** Lines (spans) in a JSON-lines span file and its size; zeros when it does not exist. */
export async function spanFileStats(file: string): Promise<{ spans: number; bytes: number }> {
  if (!fs.existsSync(file)) return { spans: 0, bytes: 0 };
  let spans = 0;
  // Streamed: a traced benchmark writes hundreds of megabytes.
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) spans++;
  }
  return { spans, bytes: fs.statSync(file).size };
}
