/**
 * Writes models/codeidx-static/tokenizer.json and tokenizer_config.json from the bert-base-uncased
 * tokenizer (default ../shared/models/bert-base-uncased-tokenizer, or the directory given as argv[2]),
 * with the identifier-splitting normalizer steps of `static-tokenizer.ts`.
 *
 *   npx tsx scripts/static-model/write-tokenizer.ts [bert-tokenizer-dir]
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticTokenizerJson } from './static-tokenizer.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bert = resolve(process.argv[2] ?? join(root, '..', 'shared', 'models', 'bert-base-uncased-tokenizer'));
const out = join(root, 'models', 'codeidx-static');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'tokenizer.json'), `${JSON.stringify(staticTokenizerJson(join(bert, 'tokenizer.json')))}\n`);
copyFileSync(join(bert, 'tokenizer_config.json'), join(out, 'tokenizer_config.json'));
process.stderr.write(`wrote ${out}/tokenizer.json and tokenizer_config.json\n`);
