export { call, type Reply } from '@cachelab/testing';

let counter = 0;
/** A unique email, so tests never collide on the unique index. */
export const freshEmail = () => `u${process.pid}.${Date.now()}.${counter++}@example.test`;
