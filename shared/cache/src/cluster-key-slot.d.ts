// cluster-key-slot (ioredis' own dependency) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0..16383) of a key, hash tags included. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The slot shared by every key, or -1 when they do not share one. */
    function generateMulti(keys: Array<string | Buffer>): number;
  }
  export = calculateSlot;
}
