#!/bin/sh
# Docker healthcheck of a service: GET /readyz answers 200 (its Redis and its database answer).
exec node -e '
fetch(`http://127.0.0.1:${process.env.PORT}/readyz`, { signal: AbortSignal.timeout(2500) })
  .then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1));
'
