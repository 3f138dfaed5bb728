import { serviceTestConfig } from '@cachelab/testing/vitest-config';

export default serviceTestConfig;
