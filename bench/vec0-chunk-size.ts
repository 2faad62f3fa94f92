/**
 * Cost of sqlite-vec's `chunk_size` for the store's writes and exact kNN: a file-backed vec0 table
 * laid out as `SqliteVectorStore` creates it (partition keys repo + ref, float[256] with cosine
 * distance, bit[256] sign bits), 200,000 points inserted in transactions of 10,000, then reopened
 * with the indexing workload's page cache (16 MiB) for 2,000 deletes spread over the table and five
 * exact k=10 queries. Chooses `VEC0_CHUNK_SIZE` (src/adapters/sqlite/sqlite-vector-store.ts).
 *
 * Run: `npx tsx bench/vec0-chunk-size.ts [chunk sizes...]` (default 1024 128); files go to the OS
 * temp folder and are removed.
 *
 * @module bench/vec0-chunk-size
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

const POINTS = 200_000;
const DIMS = 256;
const sizes = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'codeidx-vec0-chunk-'));
try {
  for (const chunkSize of sizes.length > 0 ? sizes : [1024, 128]) {
    const path = join(dir, `cs-${chunkSize}.db`);
    const db = new Database(path);
    sqliteVec.load(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -16384');
    db.exec(
      `CREATE VIRTUAL TABLE v USING vec0(repo TEXT PARTITION KEY, ref TEXT PARTITION KEY,
         embedding float[${DIMS}] distance_metric=cosine, embedding_bits bit[${DIMS}], chunk_size=${chunkSize})`,
    );
    const insert = db.prepare(
      "INSERT INTO v (rowid, repo, ref, embedding, embedding_bits) VALUES (?, 'r', 'main', ?, vec_quantize_binary(?))",
    );
    const vector = new Float32Array(DIMS);
    const t0 = performance.now();
    for (let start = 0; start < POINTS; start += 10_000) {
      db.transaction(() => {
        for (let i = start; i < start + 10_000; i++) {
          for (let j = 0; j < DIMS; j++) vector[j] = Math.sin(i * 13 + j);
          const blob = Buffer.from(vector.buffer);
          insert.run(BigInt(i + 1), blob, blob);
        }
      })();
    }
    const insertMs = performance.now() - t0;
    db.close();

    const again = new Database(path);
    sqliteVec.load(again);
    again.pragma('cache_size = -16384');
    const del = again.prepare('DELETE FROM v WHERE rowid = ?');
    const t1 = performance.now();
    again.transaction(() => {
      for (let i = 0; i < 2000; i++) del.run(BigInt(1 + ((i * 7919) % POINTS)));
    })();
    const deleteMs = performance.now() - t1;
    const knn = again.prepare("SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = 10 AND repo = 'r' AND ref = 'main'");
    const query = Buffer.from(new Float32Array(DIMS).fill(0.05).buffer);
    const t2 = performance.now();
    for (let i = 0; i < 5; i++) knn.all(query);
    const knnMs = (performance.now() - t2) / 5;
    again.close();
    console.log(
      `chunk_size ${chunkSize}: insert ${(insertMs / 1000).toFixed(1)} s for ${POINTS.toLocaleString('en-US')} points; ` +
        `delete ${(deleteMs / 2000).toFixed(3)} ms/point; exact kNN ${knnMs.toFixed(0)} ms`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
