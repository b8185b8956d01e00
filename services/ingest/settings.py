from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from jifang.settings import RegistryReaderSettings


class IngestSettings(RegistryReaderSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", populate_by_name=True)

    service_name: str = "ingest"
    port: int = 8002
    # The group of every ingest replica: it splits the fleet by the registry topic's partitions
    # (units); a replica that stops heartbeating loses its share after this timeout.
    consumer_group: str = "ingest-registry-feed"
    session_timeout_ms: int = 10_000
    poll_interval_s: float = 60.0
    # Polls in flight at once (a poll mostly waits on its device).
    poll_concurrency: int = 200
    # Messages that wait while the broker is down; beyond it the oldest are dropped (counted).
    buffer_capacity: int = 200_000
    # Device events (PullPoint): one subscription per device that offers the Events service.
    events_enabled: bool = True
    event_keep_alive_s: int = 120
    event_wait_s: int = 60
