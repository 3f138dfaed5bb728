import type { CatalogHooks, LoadEvent } from '../../src/caching/product-writes';

/**
 * Holds one read-through load between its database read and what follows it (tagging, the
 * write-back), so that a test can run a write exactly there: the interleaving is forced, not
 * waited out. `hooks` goes to startCatalogService; `hold(namespace, id)` arms it for the next load
 * of that entry; `loaded` resolves once that load has read the database; `release()` lets it go on.
 */
export function holdLoad() {
  let target: LoadEvent | undefined;
  let read!: () => void;
  let release!: () => void;
  const loaded = new Promise<void>((resolve) => (read = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const hooks: CatalogHooks = {
    afterLoad: async (event) => {
      if (!target || event.namespace !== target.namespace || event.id !== target.id) return;
      target = undefined;
      read();
      await released;
    },
  };
  return {
    hooks,
    hold: (event: LoadEvent) => void (target = event),
    loaded,
    release,
  };
}
