from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from jifang.retention_client import RetentionClient
from jifang.settings import RegistryReaderSettings


class GatewaySettings(RegistryReaderSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    port: int = 8000
    # The database role the gateway acts as: it may append to the use register, never change it.
    database_role: str | None = "jifang_gateway"
    # The key that signs grants (HMAC-SHA256); MediaMTX never sees it, it asks the gateway.
    grant_key: SecretStr | None = None
    # During a rotation: the key grants were signed with before, which still verifies them (set it
    # for one grant lifetime, then remove it); nothing is signed with it.
    grant_previous_key: SecretStr | None = None
    grant_lifetime_s: int = 300
    # A platform default, not the law's: the distinct readers (relay sessions) one grant admits
    # over its lifetime, counted across every replica (a reconnect is a new reader).
    grant_max_readers: int = Field(default=2, ge=1, le=100)
    # Where the relay serves a granted camera (the path is cam/<camera id>).
    relay_url: str = "rtsp://127.0.0.1:8554"
    camera_cache_s: float = 30.0
    # A platform default, not the law's (ruling 4: nothing limits how far back the police may
    # look): one playback grant covers at most this many hours; the rest in further grants.
    playback_max_hours: float = Field(default=24.0, gt=0, le=24 * 31)
    # Records written to the use register per statement at most (group commit: a batch is what
    # queued while the last one was written; 1 writes each call-up's record on its own).
    register_max_batch: int = Field(default=200, ge=1, le=1000)
    # The services behind the public entry (`/api/<name>/...` -> `<url>/api/v1/...`).
    retention_url: str = "http://127.0.0.1:8003"
    # A playback waits at most this long for retention's footage view, then goes ahead unverified.
    footage_check_timeout_s: float = Field(default=2.0, gt=0, le=30)
    upstream_timeout_s: float = 15.0
    # Requests per second per principal (token bucket, per gateway process), and the burst.
    rate_limit_per_s: float = 20.0
    rate_limit_burst: float = 40.0
    # Platform defaults (0: no limit): call-ups per officer, refused relay reads per reader
    # address, alarm streams open at once per caller.
    callups_per_minute: float = 120.0
    callups_burst: float = 60.0
    relay_refusals_per_minute: float = 60.0
    relay_refusals_burst: float = 30.0
    alarm_streams_per_caller: int = 4

    def retention_client(self) -> RetentionClient:
        """Retention's footage view, with the service token (checked by ``registry_client``)."""
        token = self.service_token.get_secret_value() if self.service_token else ""
        return RetentionClient(self.retention_url, token, timeout_s=self.footage_check_timeout_s)
