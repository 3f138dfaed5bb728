export { call, post, type Reply } from '@cachelab/testing';
