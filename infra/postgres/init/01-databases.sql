-- The databases of the three services and their *_test twins (the test suite's own copies).
-- Idempotent (psql \gexec), so that it can run on every `stack up` and also from
-- /docker-entrypoint-initdb.d in docker compose, where the role `cachelab` is POSTGRES_USER.
SELECT format('CREATE DATABASE %I OWNER cachelab', name)
FROM unnest(ARRAY[
  'cachelab_user', 'cachelab_catalog', 'cachelab_inventory',
  'cachelab_user_test', 'cachelab_catalog_test', 'cachelab_inventory_test'
]) AS name
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = name)
\gexec
