from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from jifang.settings import RegistryReaderSettings


class RetentionSettings(RegistryReaderSettings):
    model_config = SettingsConfigDict(env_prefix="RETENTION_", extra="ignore", populate_by_name=True)

    service_name: str = "retention"
    port: int = 8003
    consumer_group: str = "retention-registry-feed"
    # Every recorder once per interval, spread over it (a daily full check by default).
    check_interval_s: float = 86_400.0
    # A recorder seen for the first time is checked within this span (spread by its id), then
    # once per interval from that moment.
    first_check_spread_s: float = 600.0
    # Recorders read at once; each holds a few searches on its device.
    check_concurrency: int = 50
    # One recorder's whole reading (summary, searches, information, history) is bounded by this.
    recorder_deadline_s: float = 60.0
    call_timeout_s: float = 10.0
    # Check results (the platform's own time series) are kept this long, then their monthly
    # partitions are dropped. Findings and the gateway's use register are never pruned here.
    results_keep_days: int = 400
    # How often the per-district gauges are recomputed from the tables.
    metrics_refresh_s: float = 30.0
    outbox_poll_interval_s: float = 0.5
    # The daily check loop (off: only on-demand checks through the API).
    checks_enabled: bool = True
