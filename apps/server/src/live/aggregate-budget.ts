import type { MemberBudget } from "../aggregate/live-aggregator";

export interface MemberBudgetOptions {
  /**
   * Member series all live aggregations hold state for together. LIVEDASH_MAX_AGGREGATE_MEMBERS.
   * @default 200_000
   */
  maxTotal?: number;
  /**
   * Member series the aggregations charged to one address may hold (its fair share of maxTotal, so a
   * few addresses cannot take all of it). LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS.
   * @default maxTotal / 8
   */
  maxPerAddress?: number;
}

/** Which cap refused the last member an aggregation asked for. */
export type MemberRefusal = "members" | "members_per_address";

/** One aggregation's slots: charged to the server's total and to one address (none: the total only). */
export interface GroupBudget extends MemberBudget {
  /** The cap that refused a member last; null while none was refused. */
  readonly refusedBy: MemberRefusal | null;
  readonly owner: string | undefined;
}

/**
 * The member slots of all live aggregations: a total, and a share per address. An aggregation's
 * members are charged to the address that started it, and move to another address holding it (with
 * room in its share) when that one's hold ends (moveTo): an address is charged for what it uses, not
 * for an aggregation it left that others keep running. The per-address map holds owners of running
 * aggregations only, so it is bounded by LIVEDASH_MAX_AGGREGATE_GROUPS.
 */
export function createMemberBudgets(options: MemberBudgetOptions = {}) {
  const maxTotal = options.maxTotal ?? 200_000;
  const maxPerAddress = options.maxPerAddress ?? Math.max(1, Math.floor(maxTotal / 8));
  let used = 0;
  const perAddress = new Map<string, number>();
  /** The budget of each running aggregation, by group key. */
  const open = new Map<string, { members: number; owner: string | undefined }>();

  function charge(address: string | undefined, n: number) {
    if (address === undefined || n === 0) return;
    const next = (perAddress.get(address) ?? 0) + n;
    if (next <= 0) perAddress.delete(address);
    else perAddress.set(address, next);
  }

  return {
    maxTotal,
    maxPerAddress,
    used: () => used,
    usedBy: (address: string | undefined) => (address === undefined ? 0 : (perAddress.get(address) ?? 0)),
    /** The slots of a new aggregation `key`, charged to `owner`; closed with close(key). */
    open(key: string, owner: string | undefined): GroupBudget {
      const state = { members: 0, owner };
      open.set(key, state);
      let refusedBy: MemberRefusal | null = null;
      return {
        take() {
          if (used >= maxTotal) refusedBy = "members";
          else if (state.owner !== undefined && (perAddress.get(state.owner) ?? 0) >= maxPerAddress) refusedBy = "members_per_address";
          else {
            used++;
            state.members++;
            charge(state.owner, 1);
            return true;
          }
          return false;
        },
        give(n: number) {
          used -= n;
          state.members -= n;
          charge(state.owner, -n);
        },
        get refusedBy() {
          return refusedBy;
        },
        get owner() {
          return state.owner;
        },
      };
    },
    /**
     * `from` no longer holds the aggregation `key`: if it was charged, its members go to the first of
     * `holders` (the addresses still holding it) with room for them in its share. With none, `from`
     * stays charged until the aggregation ends: handing it to a full holder would let two addresses
     * pass members back and forth past their shares (start, let the other join, leave, repeat).
     */
    moveTo(key: string, from: string, holders: Iterable<string>) {
      const state = open.get(key);
      if (!state || state.owner !== from) return;
      for (const to of holders) {
        if (to === from || (perAddress.get(to) ?? 0) + state.members > maxPerAddress) continue;
        charge(from, -state.members);
        state.owner = to;
        charge(to, state.members);
        return;
      }
    },
    /** The address the members of aggregation `key` are charged to, and how many (none: not running). */
    charged(key: string): { owner: string | undefined; members: number } | undefined {
      const state = open.get(key);
      return state && { owner: state.owner, members: state.members };
    },
    /** The aggregation is gone (its aggregator gave its slots back first). */
    close(key: string) {
      open.delete(key);
    },
    stats: () => ({ used, addresses: perAddress.size }),
  };
}

export type MemberBudgets = ReturnType<typeof createMemberBudgets>;
