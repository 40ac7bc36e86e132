/**
 * The mailbox of pull-mode relays (DESIGN "Relay agent protocol" → Pull mode): actions Fencer
 * issued to a relay that dials out, the answers the relay posted back, and when it last polled.
 * One implementation over the ledger port (core/ledger/relayActionStore.ts), so both ledgers
 * (Table Storage, SQLite) keep it; held to one contract (test/integration/contract/).
 *
 * Timeline of one action:
 *   put        the relay driver stores it (signed headers and exact body), then waits
 *   take       a poll claims it: hidden from other polls for `visibilityMs`, counted as delivered;
 *              a claim the relay never received (answer lost) is handed out again after that
 *   answer     the relay posts its result: the first answer is kept, repeats change nothing
 *   withdraw   the driver stopped waiting (it has the answer, or its time is up, or the level
 *              ended): never handed out again, so a relay that comes back later never acts on
 *              it; the row stays until it expires, so the relay's repeat or late answer to an
 *              action it was issued is still known (204, changes nothing)
 *   expiresAt  never handed out past it, driver or not (its process may have died); swept
 */

/** One action as Fencer signed it for `POST /v1/actions` (push-mode headers, exact body). */
export interface RelayAction {
  relay: string;
  /** The body's requestId: unique per relay, the row's identity. */
  requestId: string;
  /** X-Fencer-Key, -Timestamp, -Nonce, -Signature exactly as signed. */
  headers: Readonly<Record<string, string>>;
  /** The exact request body the signature covers. */
  body: string;
  issuedAt: number;
  /** Epoch ms after which no poll hands it out (the driver has stopped waiting by then). */
  expiresAt: number;
}

/** The relay's answer, as its push-mode HTTP answer would have been. */
export interface RelayActionResult {
  /** 200 for an action result, the problem's status otherwise. */
  status: number;
  /** The answer's JSON text (the action result, or the problem+json). */
  body: string;
}

/** What the driver sees while it waits. */
export interface RelayActionState {
  state: 'pending' | 'answered' | 'withdrawn';
  /** How many polls claimed it (0: no relay has taken it yet). */
  deliveries: number;
  result?: RelayActionResult;
}

/** A poll's look at the mailbox: the actions it claimed, and the latest poll on record. */
export interface TakeResult {
  actions: RelayAction[];
  /** The id of the newest poll of this relay (a poll that is not it ends: one poll per relay). */
  latestPoll?: string;
}

/** `late`: the driver had stopped waiting (withdrawn); the answer changes nothing. */
export type AnswerOutcome = 'stored' | 'duplicate' | 'late' | 'unknown';

export interface RelayActionStore {
  /** Stores an action. False when the requestId exists (kept as it was). */
  put(action: RelayAction): Promise<boolean>;
  /**
   * Claims up to `limit` pending actions of `relay` that no other poll holds and that have not
   * expired, oldest first, hiding each for `visibilityMs`. Two concurrent takes never both get
   * one action.
   */
  take(relay: string, now: number, visibilityMs: number, limit: number): Promise<TakeResult>;
  /** Records an answer. `unknown`: no such action was issued to this relay (or it expired). */
  answer(
    relay: string,
    requestId: string,
    result: RelayActionResult,
    now: number,
  ): Promise<AnswerOutcome>;
  /** The action's state, or undefined when it is not (or no longer) stored. */
  get(relay: string, requestId: string): Promise<RelayActionState | undefined>;
  /** The driver stopped waiting: the action is never handed out again (kept until it expires). */
  withdraw(relay: string, requestId: string): Promise<void>;
  /** Records a poll (the newest poll id wins). */
  polled(relay: string, pollId: string, at: number): Promise<void>;
  /** Epoch ms of the relay's last poll, or undefined when it never polled. */
  lastPoll(relay: string): Promise<number | undefined>;
  /** Deletes these relays' actions that expired before `now`; returns how many. */
  sweep(relays: readonly string[], now: number): Promise<number>;
}
