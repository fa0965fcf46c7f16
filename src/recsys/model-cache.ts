/**
 * The active model, in memory: loaded once, and reloaded when another version becomes active
 * — by this process or another one (a CLI training run, another server). Other processes'
 * activations and fold-ins arrive by LISTEN/NOTIFY (model-sync.ts) within a fraction of a
 * second; polling the active version's id stays as the fallback, and while the listener is
 * down, fold-ins are read back by time. Requests read `current()`; they never wait for a reload.
 */
import type { Database, Subscription } from '../db/database';
import type { Logger } from '../logger';
import { ItemScorer } from '../models/all-items-scorer';
import type { Model } from '../models/model';
import type { ScoringRunner } from './scoring-thread';
import { activeModelVersionId } from '../versions/activation';
import { loadModelVersion, loadRerankerBytes } from '../versions/load';
import { deserializeReranker, type Reranker } from '../ranking/reranker';
import type { DotScanner } from '../ranking/dot-scan';
import { unitScanner } from '../ranking/vector-neighbours';
import { releaseReranking, servingReranking, type ServingReranking } from './reranking';
import type { FoldInThread } from './fold-in-thread';
import { MODEL_ACTIVATED_CHANNEL, newOrigin, parseFoldedUsers, reloadFoldedSince, reloadServedUsers, USERS_FOLDED_CHANNEL } from './model-sync';
import { foldInUsers } from './user-fold-in';
import { UserWorkQueue } from './user-work-queue';

export interface ServingModel {
  versionId: number;
  model: Model;
  userRow: Map<number, number>;
  itemRow: Map<number, number>;
  /** The item embeddings scaled to unit length, for cosine similarity in memory. */
  unitItems: DotScanner;
  /** Nearest items per item row, best first, filled on first ask (see similar.ts). */
  neighbours: Map<number, NeighbourList>;
  /** Scores every item for a user (recommendations); keeps tensors until released. */
  scorer: ItemScorer;
  /** A retrieval version's second stage (two-stage recommendations, predicted ratings); null for the other kinds. */
  reranking: ServingReranking | null;
}

export interface NeighbourList {
  rows: Int32Array;
  similarities: Float32Array;
}

export const DEFAULT_POLL_MS = 2000;
/**
 * Margin added to the catch-up window after a listener loss or a reload: covers the time
 * between a vector's commit and its notice, so nothing folded in at the edge is missed.
 */
export const CATCH_UP_MARGIN_MS = 5000;

/**
 * Puts a folded-in user vector into the served model (a new row for a new user). Arrays are
 * replaced, not resized in place, so a computation holding the old ones finishes consistently.
 */
export function setServedUser(serving: ServingModel, userId: number, vector: Float32Array, bias: number): void {
  const model = serving.model;
  const dim = model.hyper.embeddingDim;
  let row = serving.userRow.get(userId);
  if (row === undefined) {
    row = model.userIds.length;
    const ids = new Int32Array(row + 1);
    ids.set(model.userIds);
    ids[row] = userId;
    const embeddings = new Float32Array((row + 1) * dim);
    embeddings.set(model.userEmbeddings);
    const biases = new Float32Array(row + 1);
    biases.set(model.userBias);
    serving.model = { ...model, userIds: ids, userEmbeddings: embeddings, userBias: biases };
    serving.userRow.set(userId, row);
  }
  serving.model.userEmbeddings.set(vector, row * dim);
  serving.model.userBias[row] = bias;
}

export function servingModel(
  versionId: number,
  model: Model,
  scoringThread: ScoringRunner | null = null,
  reranker: Reranker | null = null,
  foldInThread: FoldInThread | null = null,
): ServingModel {
  const unitItems = unitScanner(model.itemEmbeddings, model.hyper.embeddingDim);
  return {
    versionId,
    model,
    userRow: new Map(Array.from(model.userIds, (id, row) => [id, row])),
    itemRow: new Map(Array.from(model.itemIds, (id, row) => [id, row])),
    unitItems,
    neighbours: new Map(),
    scorer: new ItemScorer(model, scoringThread),
    reranking: reranker ? servingReranking(model, reranker, unitItems, { foldIn: foldInThread, scoring: scoringThread }) : null,
  };
}

/** Frees what a version's scorer holds (tensors); a request still holding it rebuilds them if it scores. */
function releaseScorers(serving: ServingModel): void {
  serving.scorer.release();
  if (serving.reranking) releaseReranking(serving.reranking);
}

export class ModelCache {
  private active: ServingModel | null = null;
  private readonly versions = new Map<number, ServingModel>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | null = null;
  /** Polls, catch-ups and loads of folded-in users under way: stop() waits for them before the database closes. */
  private readonly background = new Set<Promise<unknown>>();
  private subscription: Subscription | null = null;
  /** When the fold-ins were last known complete (listener connected or caught up); performance.now(). */
  private caughtUpAt = performance.now();
  /** Users whose vectors are being re-fitted after a rating, off the request path. */
  readonly foldIns: UserWorkQueue;
  /** Signs this cache's fold-in announcements, which it then skips (it serves them already). */
  readonly origin = newOrigin();

  constructor(
    private readonly db: Database,
    private readonly logger?: Logger,
    /** Where recommendations' head passes run; null: in this thread. */
    private readonly scoringThread: ScoringRunner | null = null,
    /** Where retrieval fold-ins run; null: in this thread. */
    private readonly foldInThread: FoldInThread | null = null,
  ) {
    this.foldIns = new UserWorkQueue((userIds) => foldInUsers(db, this, userIds), {
      // The ratings are stored either way; a failed fold-in only delays their effect to the next training.
      onError: (error, userIds) => this.logger?.warn({ err: error, users: userIds.length }, 'fold-in failed'),
    });
  }

  /** The active model, or null when no version is active. */
  current(): ServingModel | null {
    return this.active;
  }

  /**
   * The active model; when none is loaded yet, after checking the database (and waiting for a
   * load already under way). So a model that has just been activated (by a training run in
   * this process, or elsewhere before the next poll) is served at once, not answered with
   * "no model is active" while `activeModel` already names it.
   */
  async currentOrLoaded(): Promise<ServingModel | null> {
    if (!this.active) await this.refresh();
    return this.active;
  }

  /** A given version (loaded on first use and kept while it is the active one or asked for). */
  async version(id: number): Promise<ServingModel> {
    if (this.active?.versionId === id) return this.active;
    const cached = this.versions.get(id);
    if (cached) return cached;
    const [model, reranker] = await Promise.all([loadModelVersion(this.db, id), loadRerankerBytes(this.db, id)]);
    const loaded = servingModel(id, model, this.scoringThread, reranker ? deserializeReranker(reranker) : null, this.foldInThread);
    this.versions.set(id, loaded);
    return loaded;
  }

  /** Checks which version is active and loads it if it changed. Concurrent calls share one check. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const id = await activeModelVersionId(this.db);
        if (id === (this.active?.versionId ?? null)) return;
        const loadStarted = performance.now();
        this.active = id === null ? null : await this.version(id);
        // Fold-ins into this version stored while it loaded were announced before it was served.
        if (this.active) await reloadFoldedSince(this.db, this.active, performance.now() - loadStarted + CATCH_UP_MARGIN_MS);
        // A request still holding a dropped version rebuilds its scorer's tensors if it scores.
        for (const dropped of this.versions.values()) if (dropped !== this.active) releaseScorers(dropped);
        this.versions.clear();
        if (this.active) this.versions.set(this.active.versionId, this.active);
        this.logger?.info({ modelVersion: id }, 'active model loaded');
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private refreshLogged(): void {
    this.inBackground(this.refresh(), 'model refresh failed');
  }

  /** Runs `work` off any request, logging its failure, and remembers it until it settles. */
  private inBackground(work: Promise<unknown>, failure: string): void {
    const settled = work.catch((error: unknown) => this.logger?.warn({ err: error }, failure)).finally(() => this.background.delete(settled));
    this.background.add(settled);
  }

  /** Serves what other servers folded in; this server's own fold-ins are served already. */
  private onFoldedUsers(payload: string): void {
    const notice = parseFoldedUsers(payload);
    const serving = this.active;
    if (!notice || notice.origin === this.origin || serving?.versionId !== notice.versionId) return;
    this.inBackground(reloadServedUsers(this.db, serving, notice.userIds), 'loading folded-in users failed');
  }

  /**
   * The activation poll, plus (while the listener is down, or on `catchUp` after it is back)
   * the fold-ins stored since the last catch-up.
   */
  private async poll({ catchUp = false } = {}): Promise<void> {
    await this.refresh();
    if ((!catchUp && this.subscription?.connected !== false) || !this.active) return;
    const started = performance.now();
    await reloadFoldedSince(this.db, this.active, started - this.caughtUpAt + CATCH_UP_MARGIN_MS);
    this.caughtUpAt = started;
  }

  /** Listens for activations and fold-ins made elsewhere, and polls as the fallback. */
  async start(pollMs = DEFAULT_POLL_MS): Promise<void> {
    this.subscription = await this.db.listen([MODEL_ACTIVATED_CHANNEL, USERS_FOLDED_CHANNEL], {
      onNotification: (channel, payload) => {
        if (channel === MODEL_ACTIVATED_CHANNEL) this.refreshLogged();
        else this.onFoldedUsers(payload);
      },
      onDisconnected: () => {
        this.caughtUpAt = performance.now();
        this.logger?.warn('model listener lost its connection: polling until it is back');
      },
      onReconnected: () => {
        this.logger?.info('model listener reconnected');
        this.inBackground(this.poll({ catchUp: true }), 'model catch-up failed');
      },
    });
    this.timer = setInterval(() => {
      this.inBackground(this.poll(), 'model refresh failed');
    }, pollMs);
    this.timer.unref();
  }

  /** Whether activations and fold-ins of other servers arrive as they happen (else by polling). */
  get listening(): boolean {
    return this.subscription?.connected ?? false;
  }

  /** Stops listening and polling, after the fold-ins already scheduled and the loads under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.foldIns.idle();
    await this.subscription?.close();
    this.subscription = null;
    await Promise.allSettled([...this.background, this.refreshing]);
  }
}
