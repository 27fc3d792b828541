import { historyPoints } from "@livedash/events";
import type { HistoryBuckets, HistoryPoint, Point, SeriesInfo, SeriesMeta } from "@livedash/events";
import type Database from "better-sqlite3";
import { HistoryQuerySchema } from "../series-store";
import { catalogEntry, defaultCatalogFields, withNameMeta } from "../series-meta";
import { mergeMeta } from "../series-meta";
import type { HistoryQuery, SeriesStore } from "../types";
import { ChunkCache } from "./chunk-cache";
import { decodeChunk } from "./chunk-codec";
import type { DecodedChunk } from "./chunk-codec";
import { Rows, queryHistory, tierRows } from "./history-query";
import type { ChunkReader, HeadDecoder, QueryCost, StoredChunk } from "./history-query";
import { POINT_LOG_RECORD, PointLogBuffer, replayPointLog } from "./point-log";
import { ReplayWindow, decodeBatch, encodeBatch } from "./replay-log";
import type { LoggedBatch } from "./replay-log";
import type { RetentionTier } from "./retention";
import { SeriesState, sealLate, tierSpecs } from "./series-state";
import { completeSinceAfter, forgetCompleteRecords, loadCompleteSince, markRebuilding, planRebuilds, rebuildChunks, saveProgress } from "./tier-rebuild";
import type { LateSlot, SealedChunk, TierHead, TierSpec } from "./series-state";
import { StorageError, asStorageError, corruptAdvice, isDiskFull, openDatabase, releasePidFile } from "./sqlite";

export interface DiskStoreOptions {
  /** Directory of livedash.db (created on first start). */
  dataDir: string;
  /** LIVEDASH_RETENTION: raw first, then rollups. */
  tiers: readonly RetentionTier[];
  /**
   * How often buffered points, head chunks and the replay log are committed: the most a killed
   * process can lose.
   * @default 1000
   */
  flushIntervalMs?: number;
  /**
   * How often every head chunk that changed is written whole, after which the point log is
   * trimmed. In between, a flush writes only its new points (point-log.ts) and the heads that
   * sealed a chunk; a start after a crash replays the log into the heads. Longer means fewer
   * bytes written per point and a longer replay at start.
   * @default 300_000
   */
  snapshotIntervalMs?: number;
  /**
   * How often the write-ahead log is checkpointed into the data file (and fsynced): bounds what a
   * power loss can take with synchronous=NORMAL.
   * @default 10_000
   */
  checkpointIntervalMs?: number;
  /** How often chunks past their tier's retention are deleted. @default 60_000 */
  expiryIntervalMs?: number;
  /** Replay window kept on disk, as the memory engine's. @default 100_000 */
  replayBatches?: number;
  /** @default 500_000 */
  replayPoints?: number;
  /** Decoded chunks kept for repeated queries (see ChunkCache). @default 64 MiB */
  chunkCacheBytes?: number;
  /** Sealed chunks held in memory while the disk is full before the oldest are dropped. @default 64 MiB */
  maxPendingBytes?: number;
  /** Clock (retention cutoffs, tier choice); tests inject one. @default Date.now */
  now?: () => number;
  /**
   * How long close() keeps retrying its final flush while the disk refuses it (full) before it gives
   * up, reports the points not written and throws.
   * @default 2000
   */
  closeRetryMs?: number;
  /** @default console.error */
  log?: (message: string) => void;
  /**
   * A tier new in LIVEDASH_RETENTION is rebuilt from a finer one (tier-rebuild.ts) at most this many
   * series per flush, and for at most `rebuildBudgetMs` of each flush (at least one series).
   * @default 50
   */
  rebuildSeriesPerFlush?: number;
  /** @default 50 */
  rebuildBudgetMs?: number;
}

/** Ids of the memory engine that outlive the process (see PersistedIds in the memory engine). */
export interface StoredIds {
  readonly epoch: string;
  readonly seq: number;
  readonly batches: readonly LoggedBatch[];
}

export interface DiskStats {
  readonly file: string;
  readonly series: number;
  readonly full: boolean;
  readonly flushes: number;
  readonly flushFailures: number;
  /** Points older than every tier's retention, dropped on arrival. */
  readonly droppedTooOld: number;
  /** Sealed chunks dropped while the disk stayed full (memory bound). */
  readonly droppedChunks: number;
  /** Rows history queries scanned out of decoded chunks since start (what a query costs). */
  readonly historyRowsScanned: number;
  /** Head rows written since start (a head is written when it seals a chunk and at each snapshot). */
  readonly headRowsWritten: number;
  /** Bytes of point log rows written since start (20 bytes a point, plus one record per clock change). */
  readonly pointLogBytesWritten: number;
  /** Tiers new in LIVEDASH_RETENTION still being rebuilt from a finer tier (0 once done). */
  readonly tiersRebuilding: number;
}

export interface DiskStorage {
  readonly store: SeriesStore;
  readonly file: string;
  readonly ids: StoredIds;
  /** Persists that seqs up to the returned value may be used (hi-lo reservation, see docs/storage.md). */
  reserveIds(seq: number): number;
  /** Logs a published batch for replay after a restart (committed with the next flush). */
  recordBatch(seq: number, points: readonly Point[]): void;
  /**
   * Commits what is buffered now; false when the disk refused it (full). `snapshot` also writes
   * every changed head and empties the point log.
   */
  flush(snapshot?: boolean): boolean;
  stats(): DiskStats;
  /** Redis engine: the newest stream id already in this store (from the previous run), or null. */
  readonly appliedId: string | null;
  /** Redis engine: notes the stream id of a batch just appended (committed with the next flush). */
  noteApplied(id: string): void;
  /**
   * Server clock when `series` last received a point (kept across restarts: written at each snapshot,
   * and the point log carries the rest), or null for a series not held (unknown or expired).
   */
  lastSeen(series: string): number | null;
  /** Test hook: caps the file at `pages` pages (PRAGMA max_page_count), null lifts the cap. */
  limitPages(pages: number | null): void;
  /**
   * Final flush and checkpoint; the next start continues ids right after the last recorded batch.
   * Throws a StorageError naming the count when accepted points could not be written (disk full).
   */
  close(): void;
}

const ID_RESERVATION = 10_000;
/** Damaged chunks logged by row id (each once); beyond this many they are skipped silently. */
const MAX_DAMAGED_LOGGED = 1000;
const EMPTY_CHUNK: DecodedChunk = { floatTs: false, ts: new Float64Array(0), columns: [] };
/** Late points buffered across all series before a flush is forced (memory bound for backfill). */
const MAX_LATE_POINTS = 200_000;
/** Points logged since the last snapshot before one is forced (bounds the replay at start). */
const MAX_LOGGED_POINTS = 2_000_000;
/** Point log held in memory while the disk is full; past it the next commit writes a full snapshot instead. */
const MAX_PENDING_LOG_BYTES = 32 * 1_048_576;

export function openDiskStore(options: DiskStoreOptions): DiskStorage {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => console.error(message));
  const specs = tierSpecs(options.tiers);
  const { db, file } = openDatabase(options.dataDir);
  try {
    return createDiskStorage(db, file, specs, options, now, log);
  } catch (error) {
    db.close();
    throw asStorageError(error, file);
  }
}

function createDiskStorage(
  db: Database.Database,
  file: string,
  specs: TierSpec[],
  options: DiskStoreOptions,
  now: () => number,
  log: (message: string) => void,
): DiskStorage {
  const byName = new Map<string, SeriesState>();
  const byId = new Map<number, SeriesState>();
  /** Series changed since the last flush (metadata, seals, late points); a member has `inDirty` set. */
  const dirty = new Set<SeriesState>();
  const markDirty = (state: SeriesState): void => {
    state.inDirty = true;
    dirty.add(state);
  };
  /** Series with heads changed since the last snapshot (their point log rows are still needed); members have `inUnsnapshotted`. */
  const unsnapshotted = new Set<SeriesState>();
  /** The last batch append() wrote whole to the point log, and where: recordBatch copies those records. */
  let lastAppend: { points: readonly Point[]; generation: number; from: number; to: number } | null = null;
  const pointLog = new PointLogBuffer();
  let loggedPoints = 0;
  /** Anything appended by this process (a store opened only to read writes no snapshot at close). */
  let appended = false;
  /** The point log buffer was dropped (disk full too long): the next commit must be a snapshot. */
  let logDropped = false;
  const window = new ReplayWindow(options.replayBatches ?? 100_000, options.replayPoints ?? 500_000);
  const maxPendingBytes = options.maxPendingBytes ?? 64 * 1_048_576;
  let pendingChunks: SealedChunk[] = [];
  let pendingBytes = 0;
  let pendingLog: { seq: number; data: Buffer }[] = [];
  let lateTotal = 0;
  /** Points accepted since the last successful commit: what a failed final flush loses. */
  let unwritten = 0;
  let nextId = 1;
  let full = false;
  let flushes = 0;
  let flushFailures = 0;
  let droppedTooOld = 0;
  let droppedChunks = 0;
  const cost: QueryCost = { rowsScanned: 0 };
  let reservedDirty: number | null = null;
  let lastRecordedSeq: number | null = null;
  let appliedDirty: string | null = null;
  let closed = false;
  /** close() is flushing: no rebuild work then (a stop must be quick; the next start goes on). */
  let closing = false;

  const tierKeys = specs.map((s) => s.key);
  // A tier dropped from LIVEDASH_RETENTION: its rows would never be read again. Deleting months of
  // rollups is the operator's call, so it is said out loud, once, with what went.
  // The tiers on disk, one index seek each (chunks by tier and end): `tier NOT IN (...)` read the whole
  // index at every start (a quarter of a start on 1000 series x 6 h, growing with the history).
  const nextTier = db.prepare<[number], { tier: number }>("SELECT tier FROM chunks WHERE tier > ? ORDER BY tier LIMIT 1");
  const dropped: { tier: number; chunks: number }[] = [];
  for (let row = nextTier.get(-1); row !== undefined; row = nextTier.get(row.tier)) {
    if (!tierKeys.includes(row.tier)) dropped.push({ tier: row.tier, chunks: db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM chunks WHERE tier = ?").get(row.tier)?.n ?? 0 });
  }
  for (const { tier } of dropped) db.prepare("DELETE FROM chunks WHERE tier = ?").run(tier);
  db.prepare(`DELETE FROM heads WHERE tier NOT IN (${tierKeys.join(",")})`).run();
  for (const { tier, chunks } of dropped) {
    log(`livedash: storage: LIVEDASH_RETENTION no longer has the ${tier === 0 ? "raw" : formatStep(tier)} tier: deleted its ${chunks} chunk rows from ${file}`);
  }
  const rebuilds = planRebuilds(db, specs, now());
  /** Since when each rebuilt tier is complete (tier-rebuild.ts): the planner asks a coarser tier before it. */
  const completeSince = loadCompleteSince(db, specs);
  for (const job of rebuilds) {
    if (job.created) log(`livedash: storage: the ${formatStep((specs[job.tier] as TierSpec).stepMs)} tier is new in LIVEDASH_RETENTION: rebuilding its rows before ${new Date(job.cutoff).toISOString()} from the ${tierName(specs[job.source] as TierSpec)} tier, in the background`);
  }

  const stmt = {
    getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    // A series written again is live again (a revived expired series keeps its id).
    upsertSeries: db.prepare("INSERT INTO series (id, name, meta, expired, seen_ms) VALUES (?, ?, ?, 0, ?) ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, expired = 0, seen_ms = excluded.seen_ms"),
    setSeen: db.prepare("UPDATE series SET seen_ms = ? WHERE id = ?"),
    expireSeries: db.prepare("UPDATE series SET expired = 1 WHERE id = ?"),
    deleteHeads: db.prepare("DELETE FROM heads WHERE series_id = ?"),
    expiredByName: db.prepare<[string], { id: number; meta: string }>("SELECT id, meta FROM series WHERE name = ? AND expired = 1"),
    nameOf: db.prepare<[number], { name: string }>("SELECT name FROM series WHERE id = ?"),
    insertChunk: db.prepare("INSERT INTO chunks (series_id, tier, start_ts, end_ts, late, data) VALUES (?, ?, ?, ?, ?, ?)"),
    // Bounds checked too: expiry may have deleted the row and SQLite may have given its id to another.
    deleteLate: db.prepare("DELETE FROM chunks WHERE rowid = ? AND series_id = ? AND tier = ? AND late = 1 AND start_ts = ? AND end_ts = ?"),
    upsertHead: db.prepare("INSERT INTO heads (series_id, tier, data, open, gen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (series_id, tier) DO UPDATE SET data = excluded.data, open = excluded.open, gen = excluded.gen"),
    insertPointLog: db.prepare("INSERT INTO point_log (gen, points) VALUES (?, ?)"),
    trimPointLog: db.prepare("DELETE FROM point_log WHERE gen <= ?"),
    // In index order (start, then rowid): no temporary B-tree for an ORDER BY per query (a third of
    // the statement's time); readChunks puts late chunks after the in-order ones, by rowid.
    readChunks: db.prepare<[number, number, number, number, number], { rowid: number; late: number; start_ts: number; end_ts: number }>(
      "SELECT rowid, late, start_ts, end_ts FROM chunks WHERE series_id = ? AND tier = ? AND start_ts >= ? AND start_ts <= ? AND end_ts >= ? ORDER BY start_ts",
    ),
    insertLog: db.prepare("INSERT OR REPLACE INTO replay_log (seq, points) VALUES (?, ?)"),
    trimLog: db.prepare("DELETE FROM replay_log WHERE seq < ?"),
    expire: db.prepare("DELETE FROM chunks WHERE tier = ? AND end_ts < ?"),
    // The blob only when the decoded chunk is not cached.
    readData: db.prepare<[number], { data: Uint8Array }>("SELECT data FROM chunks WHERE rowid = ?"),
  };

  // --- load what the previous run left ---
  let epoch = stmt.getMeta.get("epoch")?.value;
  if (epoch === undefined) {
    epoch = now().toString(36);
    stmt.setMeta.run("epoch", epoch);
  }
  const startSeq = Number(stmt.getMeta.get("seq_reserved")?.value ?? "0");
  const stateFromRow = (id: number, name: string, meta: string): SeriesState => {
    const fields = defaultCatalogFields();
    Object.assign(fields, JSON.parse(meta) as object);
    const state = new SeriesState(id, name, fields, specs);
    markRebuilding(state, rebuilds);
    return state;
  };
  nextId = (db.prepare<[], { id: number | null }>("SELECT max(id) AS id FROM series").get()?.id ?? 0) + 1;
  // Expired series stay on disk only: neither the catalog nor memory holds them.
  for (const row of db.prepare<[], { id: number; name: string; meta: string; seen_ms: number | null }>("SELECT id, name, meta, seen_ms FROM series WHERE expired = 0").iterate()) {
    const state = stateFromRow(row.id, row.name, row.meta);
    state.metaDirty = false;
    // When it last reported, as of the last snapshot (the point log replay below moves it on). A file
    // written before seen_ms existed gives its series a full retention from this start.
    state.seenMs = row.seen_ms ?? now();
    byName.set(row.name, state);
    byId.set(row.id, state);
  }
  let gen = 0;
  for (const row of db.prepare<[], { series_id: number; tier: number; data: Uint8Array | null; open: Uint8Array | null; gen: number }>("SELECT series_id, tier, data, open, gen FROM heads").iterate()) {
    try {
      byId.get(row.series_id)?.restoreHead(row.tier, row.data, row.open, row.gen);
    } catch (error) {
      // A head no decoder can read is a damaged file like any other: same advice, not "cannot open".
      if (!(error instanceof RangeError)) throw error;
      throw new StorageError(`data file ${file} is corrupt (head chunk of series ${byId.get(row.series_id)?.name} tier ${row.tier}: ${error.message}). ${corruptAdvice(file)}`, { cause: error });
    }
    if (row.gen > gen) gen = row.gen;
  }
  // Points accepted after the head rows were written (a crash, or no snapshot since): replayed
  // into the tiers whose row does not hold them yet, with the clock they were accepted with.
  const replaySealed: SealedChunk[] = [];
  for (const row of db.prepare<[], { gen: number; points: Uint8Array }>("SELECT gen, points FROM point_log ORDER BY gen").iterate()) {
    const only = (head: TierHead) => head.writtenGen < row.gen;
    replayPointLog(row.points, (id, ts, value, nowMs) => {
      const state = byId.get(id);
      if (state === undefined) throw new RangeError("corrupt point log row: unknown series id");
      state.add(ts, value, nowMs, replaySealed, only);
      state.inUnsnapshotted = true;
      unsnapshotted.add(state);
      loggedPoints++;
    });
    if (row.gen > gen) gen = row.gen;
  }
  // None in practice (a head row is written in the flush that sealed its chunk), but never drop data.
  for (const chunk of replaySealed) {
    pendingChunks.push(chunk);
    pendingBytes += chunk.data.length;
    const state = byId.get(chunk.seriesId);
    if (state !== undefined) markDirty(state);
  }
  const restored: LoggedBatch[] = [];
  for (const row of db.prepare<[], { seq: number; points: Uint8Array }>("SELECT seq, points FROM replay_log ORDER BY seq").iterate()) {
    // A series may have expired since its events were logged: its name is still in `series`.
    const points = decodeBatch(row.points, (id) => byId.get(id)?.name ?? stmt.nameOf.get(id)?.name);
    restored.push({ seq: row.seq, points });
    window.add(row.seq, points.length);
  }

  const stateOf = (series: string): SeriesState => {
    let state = byName.get(series);
    if (state === undefined) {
      // An expired series that reports again comes back under its id, with its metadata (metaDirty:
      // the next flush marks its row live again, in the same commit as its first point log row).
      const expired = stmt.expiredByName.get(series);
      if (expired === undefined) {
        state = new SeriesState(nextId++, series, defaultCatalogFields(), specs);
        markRebuilding(state, rebuilds);
      } else state = stateFromRow(expired.id, series, expired.meta);
      state.seenMs = now();
      byName.set(series, state);
      byId.set(state.id, state);
      markDirty(state);
    }
    return state;
  };

  /**
   * Series that received no point for longer than the raw tier's retention (server clock, not point
   * ts: a backfill of last month's data is a series reporting now). They leave the catalog and the
   * series cap at the next snapshot; their chunks stay until their tiers expire them.
   */
  const staleSeries = (): SeriesState[] => {
    const cutoff = now() - (specs[0] as TierSpec).retentionMs;
    const out: SeriesState[] = [];
    for (const state of byName.values()) if (state.seenMs < cutoff && state.heads.every((h) => h.late.length === 0)) out.push(state);
    return out;
  };

  // Sealed chunks not yet committed (or held while the disk is full) are part of the answer too.
  const cache = new ChunkCache(options.chunkCacheBytes);
  /** Rows of late chunks rewritten by chunks not committed yet (see sealLate). */
  const replacedRows = new Set<number>();
  const blobOf = (rowid: number): Uint8Array => {
    const row = stmt.readData.get(rowid);
    // Read in the same synchronous call that listed it: nothing can have deleted it in between.
    if (row === undefined) throw new Error(`chunk row ${rowid} vanished from ${file}`);
    return row.data;
  };
  // A damaged sealed chunk must not fail every query that touches its window: it is skipped, and
  // logged once (bounded set) so the operator knows which rows are gone.
  const damaged = new Set<number>();
  const decodeSealed = (rowid: number): DecodedChunk => {
    try {
      return cache.get(rowid, () => blobOf(rowid));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      if (!damaged.has(rowid) && damaged.size < MAX_DAMAGED_LOGGED) {
        damaged.add(rowid);
        log(`storage: damaged chunk (row ${rowid} of ${file}) skipped in history answers: ${error.message}`);
      }
      return EMPTY_CHUNK;
    }
  };
  /** Rows of the series being answered, reused by every query (history-query.ts). */
  const queryRows = new Rows(0);
  const decodeHead: HeadDecoder = (head) => cache.head(head, head.version, () => (head.enc as NonNullable<typeof head.enc>).bytes());
  const readChunks: ChunkReader = (seriesId, tier, startFrom, startTo, endFrom) => {
    const rows = stmt.readChunks.all(seriesId, tier, startFrom, startTo, endFrom);
    // In-order chunks by start, then late ones in the order they were written (rowid).
    const late = rows.filter((row) => row.late === 1).sort((a, b) => a.rowid - b.rowid);
    const out: StoredChunk[] = [];
    for (const row of late.length === 0 ? rows : [...rows.filter((row) => row.late !== 1), ...late]) {
      if (!replacedRows.has(row.rowid)) out.push({ decode: () => decodeSealed(row.rowid), late: row.late === 1, startTs: row.start_ts, endTs: row.end_ts });
    }
    for (const c of pendingChunks) {
      if (c.superseded !== true && c.seriesId === seriesId && c.tier === tier && c.startTs >= startFrom && c.startTs <= startTo && c.endTs >= endFrom) {
        out.push({ decode: () => decodeChunk(c.data), late: c.late, startTs: c.startTs, endTs: c.endTs });
      }
    }
    return out;
  };

  /**
   * One flush = one transaction at generation `gen`: the new series and metadata, the head rows in
   * `heads`, the sealed chunks, this flush's point log row (or, at a snapshot, the trim of every
   * row the heads now hold) and the replay log.
   */
  const commit = db.transaction((heads: [SeriesState, TierHead][], pointRow: Buffer | null, snapshot: boolean, chunks: SealedChunk[], logRows: { seq: number; data: Buffer }[], trimBelow: number | null, expiring: readonly SeriesState[]) => {
    for (const state of dirty) {
      if (state.metaDirty) stmt.upsertSeries.run(state.id, state.name, JSON.stringify(state.fields), seenOf(state));
    }
    // When each series last reported: at a snapshot (the point log row it trims carried the clock).
    if (snapshot) for (const state of unsnapshotted) if (!state.metaDirty) stmt.setSeen.run(seenOf(state), state.id);
    for (const state of expiring) {
      stmt.deleteHeads.run(state.id);
      stmt.expireSeries.run(state.id);
    }
    for (const [state, head] of heads) stmt.upsertHead.run(state.id, head.spec.key, head.enc?.bytes() ?? null, state.openBytes(head), gen);
    if (snapshot) stmt.trimPointLog.run(gen);
    else if (pointRow !== null) stmt.insertPointLog.run(gen, pointRow);
    const slots = new Map<LateSlot, LateSlot["row"]>();
    for (const c of chunks) {
      if (c.replaces !== undefined) {
        const old = slots.has(c.replaces) ? (slots.get(c.replaces) as LateSlot["row"]) : c.replaces.row;
        if (old !== null) stmt.deleteLate.run(old.rowid, c.seriesId, c.tier, old.startTs, old.endTs);
        slots.set(c.replaces, null);
      }
      const rowid = Number(stmt.insertChunk.run(c.seriesId, c.tier, c.startTs, c.endTs, c.late ? 1 : 0, c.data).lastInsertRowid);
      if (c.opens !== undefined) slots.set(c.opens, { rowid, startTs: c.startTs, endTs: c.endTs });
    }
    for (const entry of logRows) stmt.insertLog.run(entry.seq, entry.data);
    if (trimBelow !== null) stmt.trimLog.run(trimBelow);
    if (reservedDirty !== null) stmt.setMeta.run("seq_reserved", String(reservedDirty));
    if (appliedDirty !== null) stmt.setMeta.run("applied_id", appliedDirty);
    return slots;
  });

  const seenOf = (state: SeriesState) => (Number.isFinite(state.seenMs) ? Math.round(state.seenMs) : null);
  let lastExpiry = 0;
  let lastCheckpoint = now();
  let lastSnapshot = now();
  let headRowsWritten = 0;
  let pointLogBytesWritten = 0;

  /**
   * Commits what is buffered. Between snapshots only the heads that sealed a chunk are written (the
   * chunk and the head that no longer holds its rows must land together); every other change is
   * in the point log row. A snapshot (`snapshotIntervalMs`, close) writes every changed head and
   * empties the point log.
   */
  function flush(forceSnapshot = false): boolean {
    if (closed) return false;
    for (const state of dirty) {
      for (const head of state.heads) {
        if (head.late.length === 0) continue;
        const before = pendingChunks.length;
        sealLate(head, state.id, pendingChunks);
        for (let i = before; i < pendingChunks.length; i++) {
          const chunk = pendingChunks[i] as SealedChunk;
          pendingBytes += chunk.data.length;
          // The row this chunk rewrites is hidden from queries until the commit deletes it.
          if (chunk.replaces?.row) replacedRows.add(chunk.replaces.row.rowid);
        }
      }
    }
    lateTotal = 0;
    gen++;
    const snapshot = forceSnapshot || logDropped || loggedPoints > MAX_LOGGED_POINTS || now() - lastSnapshot >= (options.snapshotIntervalMs ?? 300_000);
    // Only at a snapshot: it empties the point log in the same commit, so no log row can name a
    // series whose heads are gone.
    const expiring = snapshot ? staleSeries() : [];
    const expiringSet = new Set(expiring);
    const sealedBefore = pendingChunks.length;
    for (const state of expiring) state.sealHeads(pendingChunks);
    for (let i = sealedBefore; i < pendingChunks.length; i++) pendingBytes += (pendingChunks[i] as SealedChunk).data.length;
    const heads: [SeriesState, TierHead][] = [];
    for (const state of snapshot ? unsnapshotted : dirty) {
      if (expiringSet.has(state)) continue;
      for (const head of state.heads) {
        if (snapshot ? head.dirty || head.sealedSince : head.sealedSince) heads.push([state, head]);
      }
    }
    const pointRow = snapshot ? null : pointLog.take();
    try {
      const slots = commit(heads, pointRow, snapshot, pendingChunks, pendingLog, window.oldest(), expiring);
      for (const [slot, row] of slots) slot.row = row;
      for (const rowid of replacedRows) cache.delete(rowid);
      replacedRows.clear();
    } catch (error) {
      gen--;
      flushFailures++;
      if (pointLog.bytes > MAX_PENDING_LOG_BYTES) {
        // Still bounded while the disk is full: the first commit that succeeds writes every head instead.
        pointLog.clear();
        logDropped = true;
      }
      if (isDiskFull(error)) {
        if (!full) log(`storage full: ${file} cannot grow (${(error as Error).message}); ingest answers 507 until space returns, reads continue`);
        full = true;
      } else {
        log(`storage flush failed (${file}): ${(error as Error).message}`);
      }
      boundPending();
      return false;
    }
    if (full) log(`storage writable again: ${file}`);
    full = false;
    flushes++;
    unwritten = 0;
    headRowsWritten += heads.length;
    pointLogBytesWritten += pointRow?.length ?? 0;
    for (const state of dirty) {
      state.metaDirty = false;
      state.inDirty = false;
    }
    for (const [, head] of heads) {
      head.dirty = false;
      head.sealedSince = false;
      head.writtenGen = gen;
    }
    dirty.clear();
    pointLog.clear();
    for (const state of expiring) {
      byName.delete(state.name);
      byId.delete(state.id);
      state.retired = true;
    }
    if (snapshot) {
      for (const state of unsnapshotted) state.inUnsnapshotted = false;
      unsnapshotted.clear();
      loggedPoints = 0;
      logDropped = false;
      lastSnapshot = now();
    }
    pendingChunks = [];
    pendingBytes = 0;
    pendingLog = [];
    reservedDirty = null;
    appliedDirty = null;
    const t = now();
    if (t - lastExpiry >= (options.expiryIntervalMs ?? 60_000)) {
      lastExpiry = t;
      try {
        let deleted = 0;
        for (const spec of specs) deleted += stmt.expire.run(spec.key, t - spec.retentionMs).changes;
        if (deleted > 0) cache.clear();
        forgetCompleteRecords(db, specs, completeSince, t);
      } catch (error) {
        log(`storage expiry failed (${file}): ${(error as Error).message}`);
      }
    }
    if (rebuilds.length > 0 && !closing) {
      try {
        rebuildStep();
      } catch (error) {
        // Retried at the next flush (a full disk, say); the progress on disk says where it stands.
        log(`storage: rebuilding a new tier failed (${file}): ${(error as Error).message}`);
      }
    }
    if (t - lastCheckpoint >= (options.checkpointIntervalMs ?? 10_000)) {
      lastCheckpoint = t;
      try {
        db.pragma("wal_checkpoint(PASSIVE)");
      } catch (error) {
        log(`storage checkpoint failed (${file}): ${(error as Error).message}`);
      }
    }
    return true;
  }

  const seriesAfter = db.prepare<[number, number], { id: number; name: string; meta: string }>("SELECT id, name, meta FROM series WHERE id > ? ORDER BY id LIMIT ?");
  const writeRebuilt = db.transaction((chunks: SealedChunk[], spec: TierSpec, job: (typeof rebuilds)[number], done: boolean, since: number | undefined) => {
    for (const c of chunks) stmt.insertChunk.run(c.seriesId, c.tier, c.startTs, c.endTs, 0, c.data);
    saveProgress(db, spec, job, done, since);
  });

  /**
   * A bounded share of the rebuild of new tiers (tier-rebuild.ts): the next series in id order, each
   * read from the source tier and written in one transaction with the progress, until the series or
   * time budget of this flush is spent.
   */
  function rebuildStep(): void {
    const started = performance.now();
    const perFlush = options.rebuildSeriesPerFlush ?? 50;
    let done = 0;
    while (rebuilds.length > 0 && done < perFlush && (done === 0 || performance.now() - started < (options.rebuildBudgetMs ?? 50))) {
      const job = rebuilds[0] as (typeof rebuilds)[number];
      const spec = specs[job.tier] as TierSpec;
      const row = seriesAfter.get(job.after, 1);
      if (row === undefined) {
        writeRebuilt([], spec, job, true, undefined);
        rebuilds.shift();
        log(`livedash: storage: the ${formatStep(spec.stepMs)} tier is rebuilt: ${job.rows} rows for ${job.series} series from the ${tierName(specs[job.source] as TierSpec)} tier`);
        continue;
      }
      const state = byId.get(row.id) ?? stateFromRow(row.id, row.name, row.meta);
      const t = now();
      const rows = tierRows(state, job.source, t - spec.retentionMs, job.cutoff, readChunks, decodeHead, cost);
      const chunks = rebuildChunks(spec, row.id, rows);
      const since = completeSinceAfter(completeSince, spec, specs[job.source] as TierSpec, job, t);
      job.after = row.id;
      writeRebuilt(chunks, spec, job, false, since);
      completeSince.set(spec.key, since);
      (state.heads[job.tier] as TierHead).rebuildBefore = Number.NEGATIVE_INFINITY;
      for (const c of chunks) job.rows += new DataView(c.data.buffer, c.data.byteOffset).getUint32(3, true);
      if (chunks.length > 0) job.series++;
      done++;
    }
  }

  /** While the disk is full, memory must still be bounded: the oldest sealed chunks go first. */
  function boundPending() {
    while (pendingBytes > maxPendingBytes && pendingChunks.length > 0) {
      const dropped = pendingChunks.shift() as SealedChunk;
      pendingBytes -= dropped.data.length;
      droppedChunks++;
    }
  }

  const timer = setInterval(() => flush(), options.flushIntervalMs ?? 1000);

  const store: SeriesStore = {
    append(points: readonly Point[]): void {
      const t = now();
      const oldest = t - (specs[specs.length - 1] as TierSpec).retentionMs;
      const sealed: SealedChunk[] = [];
      const logging = !logDropped;
      /** Where this batch's records start in the point log (after the clock record), -1 before its first. */
      let logStart = -1;
      /** Every point of the batch went to the point log, in order: recordBatch can copy its records. */
      let complete = logging;
      let accepted = 0;
      let previous: SeriesState | null = null;
      for (let i = 0; i < points.length; i++) {
        const point = points[i] as Point;
        const ts = point.ts;
        const value = point.value;
        if (!Number.isFinite(ts) || !Number.isFinite(value)) {
          complete = false;
          continue;
        }
        if (ts < oldest) {
          droppedTooOld++;
          complete = false;
          continue;
        }
        // The series that followed the previous point's series last time, checked by name (the same
        // string object when a parser's cache made it: a pointer compare): no Map lookup per point
        // when batches repeat their series in the same order, as agents and their flushes do.
        let state: SeriesState | null = previous === null ? null : previous.followedBy;
        if (state === null || state.name !== point.series || state.retired) {
          state = stateOf(point.series);
          if (previous !== null) previous.followedBy = state;
        }
        previous = state;
        if (state.add(ts, value, t, sealed)) lateTotal++;
        accepted++;
        if (logging) {
          pointLog.add(state.id, ts, value, t);
          if (logStart < 0) logStart = pointLog.bytes - POINT_LOG_RECORD;
        }
        // A flag test per point instead of two Set lookups.
        if (!state.inDirty) markDirty(state);
        if (!state.inUnsnapshotted) {
          state.inUnsnapshotted = true;
          unsnapshotted.add(state);
        }
      }
      if (accepted > 0) {
        unwritten += accepted;
        loggedPoints += accepted;
        appended = true;
      }
      lastAppend = complete && logStart >= 0 ? { points, generation: pointLog.generation, from: logStart, to: pointLog.bytes } : null;
      for (const chunk of sealed) {
        pendingChunks.push(chunk);
        pendingBytes += chunk.data.length;
      }
      if (lateTotal > MAX_LATE_POINTS) flush();
    },

    describe(meta: readonly SeriesMeta[]): void {
      for (const m of meta) {
        const state = stateOf(m.series);
        mergeMeta(state.fields, m);
        state.metaDirty = true;
        markDirty(state);
      }
    },

    // A late point costs no shifting here (it waits for the flush and becomes a chunk of its own),
    // so LIVEDASH_MAX_LATE_POINTS never refuses backfill on disk.
    latePoints: () => 0,

    has: (series) => byName.has(series),
    size: () => byName.size,

    catalog(): SeriesInfo[] {
      const infos = [...byName.keys()].sort().map((name) => {
        const state = byName.get(name) as SeriesState;
        return catalogEntry(name, state.fields, state.last === null ? null : { ...state.last });
      });
      return withNameMeta(infos);
    },

    history(series: string, query: HistoryQuery): HistoryPoint[] {
      return historyPoints(store.historyColumns(series, query));
    },

    historyColumns(series: string, query: HistoryQuery): HistoryBuckets {
      const { from, to, maxPoints, seriesInRequest = 1 } = HistoryQuerySchema.parse(query);
      let state = byName.get(series);
      if (state === undefined) {
        // An expired series answers from its chunks (it has no heads any more).
        const expired = stmt.expiredByName.get(series);
        if (expired === undefined) return { ts: [], value: [], min: [], max: [] };
        state = stateFromRow(expired.id, series, expired.meta);
      }
      return queryHistory(state, readChunks, decodeHead, { from, to, maxPoints, seriesInRequest }, now(), cost, queryRows, completeSince);
    },

    writeBlocked(): string | null {
      return full ? `storage is full: the data file ${file} cannot grow; free disk space and ingest resumes by itself (reads still work)` : null;
    },
  };

  return {
    store,
    file,
    ids: { epoch, seq: startSeq, batches: restored },
    reserveIds(seq: number): number {
      const reserved = seq + ID_RESERVATION;
      try {
        stmt.setMeta.run("seq_reserved", String(reserved));
        // Into the data file and fsynced now (once per ID_RESERVATION ids): with synchronous=NORMAL
        // the commit alone lives in the WAL, and a lost WAL would hand these ids out again.
        db.pragma("wal_checkpoint(PASSIVE)");
      } catch (error) {
        // Committed with the next successful flush instead; until then a crash could reuse ids.
        reservedDirty = reserved;
        log(`cannot persist the event id reservation (${file}): ${(error as Error).message}`);
      }
      return reserved;
    },
    recordBatch(seq: number, points: readonly Point[]): void {
      // The batch append() just logged (the engine records right after its listeners): its point log
      // records are this row's bytes already, copied instead of encoded again with a lookup per point.
      const logged = lastAppend !== null && lastAppend.points === points && lastAppend.generation === pointLog.generation ? lastAppend : null;
      lastAppend = null;
      pendingLog.push({ seq, data: logged !== null ? pointLog.copy(logged.from, logged.to) : encodeBatch(points, (series) => stateOf(series).id) });
      window.add(seq, points.length);
      lastRecordedSeq = seq;
      // Rows the window already dropped need not be written at all.
      const oldest = window.oldest();
      if (oldest !== null && pendingLog.length > 0 && (pendingLog[0] as { seq: number }).seq < oldest) pendingLog = pendingLog.filter((row) => row.seq >= oldest);
    },
    appliedId: stmt.getMeta.get("applied_id")?.value ?? null,
    noteApplied(id: string): void {
      appliedDirty = id;
    },
    flush,
    lastSeen(series: string): number | null {
      const state = byName.get(series);
      return state === undefined || !Number.isFinite(state.seenMs) ? null : state.seenMs;
    },
    stats: () => ({ file, series: byName.size, full, flushes, flushFailures, droppedTooOld, droppedChunks, headRowsWritten, pointLogBytesWritten, historyRowsScanned: cost.rowsScanned, tiersRebuilding: rebuilds.length }),
    limitPages(pages: number | null): void {
      // 2^31 - 2 is SQLite's own ceiling; max_page_count never goes below the current size.
      db.pragma(`max_page_count = ${pages ?? 2_147_483_646}`);
    },
    close(): void {
      if (closed) return;
      clearInterval(timer);
      closing = true;
      // A full disk may be freed in a moment (log rotation, an operator): retry a bounded time.
      // A snapshot: the next start has no point log to replay.
      let written = flush(appended);
      const deadline = Date.now() + (options.closeRetryMs ?? 2000);
      while (!written && Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        written = flush(appended);
      }
      const lost = written ? 0 : unwritten;
      closed = true;
      try {
        // The next start continues right after the last batch: clean restarts keep ids contiguous.
        if (lastRecordedSeq !== null) stmt.setMeta.run("seq_reserved", String(lastRecordedSeq));
        db.pragma("wal_checkpoint(TRUNCATE)");
      } catch (error) {
        log(`storage close (${file}): ${(error as Error).message}`);
      }
      db.close();
      releasePidFile(options.dataDir);
      if (lost > 0) {
        const message = `${lost} accepted points were not written to ${file} at shutdown (${full ? "disk full" : "the final flush failed"})${droppedChunks > 0 ? `, and ${droppedChunks} sealed chunks were dropped while the disk was full` : ""}; they are lost`;
        log(`storage close: ${message}`);
        throw new StorageError(message);
      }
    },
  };
}

const tierName = (spec: TierSpec) => (spec.rollup ? formatStep(spec.stepMs) : "raw");

/** A tier's step as LIVEDASH_RETENTION writes it (60000 -> "1m"). */
function formatStep(stepMs: number): string {
  for (const [unit, ms] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (stepMs % ms === 0) return `${stepMs / ms}${unit}`;
  }
  return `${stepMs}ms`;
}
