from tests.integration.heartbeats.conftest import *  # noqa: F403  (stack, fake clock, heartbeat helpers)
from tests.redis_server import redis_url  # noqa: F401
